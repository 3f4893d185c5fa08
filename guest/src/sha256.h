/* SHA-256 (FIPS 180-4), for the guest agent's reports of what it received. */
#ifndef GUEST_SHA256_H
#define GUEST_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* 64 lowercase hex digits and a NUL into hex. */
void sha256_hex(struct sha256 *s, char hex[65]);

#endif
