/* guestagent: the test guest's SPICE agent (guestdraw run under that name; agent.h). */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "sha256.h"

/* spice-protocol vd_agent.h */
enum { PORT_CLIENT = 1, PORT_SERVER = 2 };
enum {
    MOUSE_STATE = 1, MONITORS_CONFIG, REPLY, CLIPBOARD, DISPLAY_CONFIG, ANNOUNCE_CAPABILITIES, CLIPBOARD_GRAB,
    CLIPBOARD_REQUEST, CLIPBOARD_RELEASE, FILE_XFER_START, FILE_XFER_STATUS, FILE_XFER_DATA, CLIENT_DISCONNECTED,
};
enum { CAP_MOUSE_STATE = 0, CAP_MONITORS_CONFIG = 1, CAP_REPLY = 2, CAP_CLIPBOARD_BY_DEMAND = 5, CAP_CLIPBOARD_SELECTION = 6,
       CAP_FILE_XFER_DISABLED = 13 };
enum { XFER_CAN_SEND_DATA = 0, XFER_CANCELLED = 1, XFER_ERROR = 2, XFER_SUCCESS = 3 };
#define TYPE_UTF8_TEXT 1
#define MAX_CHUNK 2048
#define MAX_MESSAGE (64u << 20) /* what the agent holds of one message */
#define PORT_NAME "com.redhat.spice.0"

static int port = -1;
static uint8_t inbuf[8 + MAX_CHUNK]; /* a chunk being read from the port */
static uint32_t inbuf_have;
static uint32_t client_caps;
static char *our_text; /* what we grabbed the clipboard with */
static size_t our_len;

static struct {
    uint32_t id;
    int active;
    char name[256];
    uint64_t size, got;
    struct sha256 sha;
} xfer;

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* x86: little-endian, as the protocol */
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The path of the port's device node: /sys names it (there is no udev for /dev/virtio-ports). */
static int find_port(char *dev, size_t n)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while (found && (e = readdir(d))) {
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(name, sizeof name, f) && !strncmp(name, PORT_NAME, strlen(PORT_NAME))) {
            snprintf(dev, n, "/dev/%s", e->d_name);
            found = 0;
        }
        fclose(f);
    }
    closedir(d);
    return found;
}

/* One message to the client, cut into chunks of at most 2048 bytes as spice-vdagent does. */
static void send_message(uint32_t type, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t total = 20 + alen + blen, done = 0;
    uint8_t *msg = malloc(total);
    if (!msg)
        return;
    put32(msg, 1);
    put32(msg + 4, type);
    memset(msg + 8, 0, 8);
    put32(msg + 16, (uint32_t)(alen + blen));
    memcpy(msg + 20, a, alen);
    if (blen)
        memcpy(msg + 20 + alen, b, blen);
    while (done < total) {
        uint8_t chunk[8 + MAX_CHUNK];
        size_t n = total - done < MAX_CHUNK ? total - done : MAX_CHUNK;
        put32(chunk, PORT_CLIENT);
        put32(chunk + 4, (uint32_t)n);
        memcpy(chunk + 8, msg + done, n);
        if (write_all(port, chunk, 8 + n))
            break;
        done += n;
    }
    free(msg);
}

static void announce(int request)
{
    uint8_t caps[8];
    put32(caps, (uint32_t)request);
    put32(caps + 4, 1u << CAP_MOUSE_STATE | 1u << CAP_MONITORS_CONFIG | 1u << CAP_REPLY | 1u << CAP_CLIPBOARD_BY_DEMAND |
                        1u << CAP_CLIPBOARD_SELECTION);
    send_message(ANNOUNCE_CAPABILITIES, caps, 8, NULL, 0);
}

static int selections(void)
{
    return (client_caps >> CAP_CLIPBOARD_SELECTION) & 1;
}

/* The clipboard message's data past its selection header (when both sides have selections). */
static const uint8_t *past_selection(const uint8_t *d, uint32_t *n)
{
    if (!selections())
        return d;
    if (*n < 4)
        return NULL;
    *n -= 4;
    return d + 4;
}

static void report_bytes(const char *what, const uint8_t *d, size_t n)
{
    int printable = n <= 200;
    for (size_t i = 0; i < n && printable; i++)
        printable = d[i] >= 0x20 && d[i] < 0x7f;
    if (printable) {
        printf("%s %.*s\n", what, (int)n, (const char *)d);
        return;
    }
    struct sha256 s;
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, d, n);
    sha256_hex(&s, hex);
    printf("%s sha256=%s len=%zu\n", what, hex, n);
}

static void status(uint32_t id, uint32_t result)
{
    uint8_t st[8];
    put32(st, id);
    put32(st + 4, result);
    send_message(FILE_XFER_STATUS, st, 8, NULL, 0);
}

/* "[vdagent-file-xfer]\nname=...\nsize=...\n" */
static void xfer_start(const uint8_t *d, uint32_t n)
{
    if (n < 4)
        return;
    char text[1024];
    size_t len = n - 4 < sizeof text - 1 ? n - 4 : sizeof text - 1;
    memcpy(text, d + 4, len);
    text[len] = 0;
    const char *name = strstr(text, "name="), *size = strstr(text, "size=");
    xfer.id = get32(d);
    if (!name || !size) {
        status(xfer.id, XFER_ERROR);
        return;
    }
    size_t nlen = strcspn(name + 5, "\n");
    snprintf(xfer.name, sizeof xfer.name, "%.*s", (int)(nlen < 255 ? nlen : 255), name + 5);
    xfer.size = strtoull(size + 5, NULL, 10);
    xfer.got = 0;
    xfer.active = 1;
    sha256_init(&xfer.sha);
    status(xfer.id, XFER_CAN_SEND_DATA);
}

static void xfer_done(void)
{
    char hex[65];
    sha256_hex(&xfer.sha, hex);
    printf("GUEST-FILE %s %llu %s\n", xfer.name, (unsigned long long)xfer.size, hex);
    xfer.active = 0;
    status(xfer.id, XFER_SUCCESS);
}

static void handle(uint32_t type, const uint8_t *d, uint32_t n)
{
    switch (type) {
    case ANNOUNCE_CAPABILITIES:
        if (n >= 8) {
            client_caps = get32(d + 4);
            printf("GUEST-AGENT client-caps %08x\n", client_caps);
            if (get32(d))
                announce(0);
        }
        break;
    case CLIPBOARD_GRAB: {
        const uint8_t *t = past_selection(d, &n);
        printf("GUEST-CLIPBOARD-GRAB %u types\n", t ? n / 4 : 0);
        uint8_t req[8] = {0};
        size_t off = selections() ? 4 : 0;
        if (off)
            req[0] = d[0];
        put32(req + off, TYPE_UTF8_TEXT);
        send_message(CLIPBOARD_REQUEST, req, off + 4, NULL, 0);
        break;
    }
    case CLIPBOARD: {
        const uint8_t *t = past_selection(d, &n);
        if (t && n >= 4)
            report_bytes("GUEST-CLIPBOARD", t + 4, n - 4);
        break;
    }
    case CLIPBOARD_REQUEST: {
        uint8_t head[8] = {0};
        size_t off = selections() ? 4 : 0;
        if (off)
            head[0] = d[0];
        put32(head + off, TYPE_UTF8_TEXT);
        send_message(CLIPBOARD, head, off + 4, (const uint8_t *)our_text, our_text ? our_len : 0);
        printf("GUEST-CLIPBOARD-SENT %zu\n", our_len);
        break;
    }
    case CLIPBOARD_RELEASE:
        printf("GUEST-CLIPBOARD-RELEASE\n");
        break;
    case FILE_XFER_START:
        xfer_start(d, n);
        break;
    case FILE_XFER_DATA:
        if (n >= 12 && xfer.active && get32(d) == xfer.id) {
            uint64_t size;
            memcpy(&size, d + 4, 8);
            if (size > n - 12)
                size = n - 12;
            sha256_update(&xfer.sha, d + 12, size);
            xfer.got += size;
            if (xfer.got >= xfer.size)
                xfer_done();
        }
        break;
    case FILE_XFER_STATUS:
        if (n >= 8) {
            printf("GUEST-FILE-STATUS %u %u\n", get32(d), get32(d + 4));
            xfer.active = 0;
        }
        break;
    case MONITORS_CONFIG:
        if (n >= 8) {
            uint32_t count = get32(d);
            printf("GUEST-MONITORS %u", count);
            for (uint32_t i = 0; i < count && 8 + 20 * (i + 1) <= n; i++) {
                const uint8_t *m = d + 8 + 20 * i;
                printf(" %ux%u+%d+%d", get32(m + 4), get32(m), (int32_t)get32(m + 12), (int32_t)get32(m + 16));
            }
            printf("\n");
            uint8_t reply[8];
            put32(reply, MONITORS_CONFIG);
            put32(reply + 4, 1);
            send_message(REPLY, reply, 8, NULL, 0);
        }
        break;
    case MOUSE_STATE:
        if (n >= 13)
            printf("GUEST-MOUSE %u %u buttons=%u display=%u\n", get32(d), get32(d + 4), get32(d + 8), d[12]);
        break;
    case CLIENT_DISCONNECTED:
        printf("GUEST-AGENT client-disconnected\n");
        client_caps = 0;
        break;
    default:
        printf("GUEST-AGENT message %u of %u bytes\n", type, n);
    }
}

/* The message being put together from chunks. */
static uint8_t head[20];
static uint32_t head_have, data_have, data_size, msg_type;
static uint8_t *data;

static void feed(const uint8_t *p, uint32_t n)
{
    while (n > 0) {
        if (head_have < 20) {
            uint32_t take = 20 - head_have < n ? 20 - head_have : n;
            memcpy(head + head_have, p, take);
            head_have += take;
            p += take;
            n -= take;
            if (head_have < 20)
                return;
            msg_type = get32(head + 4);
            data_size = get32(head + 16);
            data_have = 0;
            free(data);
            data = data_size <= MAX_MESSAGE ? malloc(data_size ? data_size : 1) : NULL;
            if (!data)
                printf("GUEST-AGENT message %u of %u bytes too large: skipped\n", msg_type, data_size);
        }
        uint32_t take = data_size - data_have < n ? data_size - data_have : n;
        if (data)
            memcpy(data + data_have, p, take);
        data_have += take;
        p += take;
        n -= take;
        if (data_have == data_size) {
            if (data)
                handle(msg_type, data, data_size);
            head_have = 0;
        }
    }
}

static int open_port(void)
{
    char dev[300];
    if (find_port(dev, sizeof dev))
        return -1;
    port = open(dev, O_RDWR | O_CLOEXEC);
    if (port < 0)
        return -1;
    head_have = 0;
    inbuf_have = 0;
    client_caps = 0;
    printf("GUEST-AGENT up %s\n", dev);
    announce(1);
    return 0;
}

static void close_port(void)
{
    close(port);
    port = -1;
    printf("GUEST-AGENT down\n");
}

static void grab(const char *text, size_t len)
{
    free(our_text);
    our_text = malloc(len ? len : 1);
    if (!our_text)
        return;
    memcpy(our_text, text, len);
    our_len = len;
    uint8_t g[8] = {0};
    size_t off = selections() ? 4 : 0;
    put32(g + off, TYPE_UTF8_TEXT);
    send_message(CLIPBOARD_GRAB, g, off + 4, NULL, 0);
}

/* "clipboard TEXT", "clipboard-big N" (N bytes of a known pattern), "agent restart". */
static void command(char *line)
{
    if (!strncmp(line, "clipboard ", 10)) {
        grab(line + 10, strlen(line + 10));
        printf("GUEST-CLIPBOARD-GRABBED %zu\n", our_len);
    } else if (!strncmp(line, "clipboard-big ", 14)) {
        size_t n = strtoul(line + 14, NULL, 10);
        char *big = malloc(n ? n : 1);
        if (!big)
            return;
        for (size_t i = 0; i < n; i++)
            big[i] = (char)('a' + (i * 7 + i / 26) % 26);
        grab(big, n);
        free(big);
        report_bytes("GUEST-CLIPBOARD-GRABBED", (const uint8_t *)our_text, our_len);
    } else if (!strcmp(line, "agent restart")) {
        if (port >= 0)
            close_port();
        sleep(1);
        if (open_port())
            printf("GUEST-AGENT no port\n");
    }
}

int agent_main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int tries = 0; open_port(); tries++) {
        if (tries == 100)
            return 0; /* no agent port in this VM */
        usleep(100 * 1000);
    }
    mkfifo(AGENT_FIFO, 0600);
    /* Read-write: the FIFO never reports end of file when a writer goes. */
    int fifo = open(AGENT_FIFO, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    char line[4096];
    size_t len = 0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = port, .events = POLLIN}, {.fd = fifo, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            return 1;
        if (port >= 0 && fds[0].revents & (POLLIN | POLLHUP)) {
            uint8_t *buf = inbuf;
            uint32_t have = inbuf_have;
            ssize_t n = read(port, buf + have, sizeof inbuf - have);
            if (n > 0) {
                have += (uint32_t)n;
                /* Whole chunks: header then data. */
                while (have >= 8 && have >= 8 + get32(buf + 4)) {
                    uint32_t size = get32(buf + 4);
                    if (size > MAX_CHUNK) {
                        printf("GUEST-AGENT chunk of %u bytes: port reset\n", size);
                        have = 0;
                        break;
                    }
                    if (get32(buf) == PORT_CLIENT || get32(buf) == PORT_SERVER)
                        feed(buf + 8, size);
                    memmove(buf, buf + 8 + size, have - 8 - size);
                    have -= 8 + size;
                }
                inbuf_have = have;
            }
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = read(fifo, line + len, sizeof line - 1 - len);
            if (n > 0)
                len += (size_t)n;
            char *nl;
            while ((nl = memchr(line, '\n', len))) {
                *nl = 0;
                command(line);
                len -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, len);
            }
            if (len == sizeof line - 1)
                len = 0;
        }
    }
}

int agent_forward(const char *line)
{
    int fd = open(AGENT_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(line);
    int ok = write(fd, line, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
}
