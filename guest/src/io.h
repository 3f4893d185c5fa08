/* Small I/O helpers shared by the guest's programs. */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stddef.h>

/* Writes all of data to fd, waiting while a non-blocking fd is full; -1 on an error. */
int write_all(int fd, const void *data, size_t n);

#endif
