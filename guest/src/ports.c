/* guestport: the test guest's SPICE port ends (guestdraw run under that name; ports.h). */
#include "ports.h"
#include "io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AGENT_PORT "com.redhat.spice.0"
#define WEBDAV_PORT "org.spice-space.webdav.0"
#define MAX_PORTS 8
#define REPORT_EVERY (64 * 1024)
#define WEBDAV_CLIENT 1
#define MAX_REPLY 65536

struct port {
    int fd;
    char name[64];
    int webdav;
    int connected; /* the host side was there at the last look */
    unsigned long echoed, reported;
    char reply[MAX_REPLY]; /* webdav: the reply so far, demuxed */
    size_t reply_len;
    uint8_t mux[10 + 65536]; /* webdav: a mux frame being read */
    size_t mux_have;
};

static struct port ports[MAX_PORTS];
static int nports;

static void open_ports(void)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && nports < MAX_PORTS) {
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        int named = fgets(name, sizeof name, f) != NULL;
        fclose(f);
        name[strcspn(name, "\n")] = 0;
        if (!named || !name[0] || !strcmp(name, AGENT_PORT))
            continue;
        snprintf(path, sizeof path, "/dev/%s", e->d_name);
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct port *p = &ports[nports++];
        memset(p, 0, sizeof *p);
        p->fd = fd;
        snprintf(p->name, sizeof p->name, "%s", name);
        p->webdav = !strcmp(name, WEBDAV_PORT);
        printf("GUEST-PORT open %s\n", name);
    }
    closedir(d);
}

static void webdav_request(struct port *p)
{
    static const char req[] = "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    uint8_t frame[10 + sizeof req];
    int64_t client = WEBDAV_CLIENT;
    uint16_t size = (uint16_t)(sizeof req - 1);
    memcpy(frame, &client, 8); /* x86: little-endian, as the mux */
    memcpy(frame + 8, &size, 2);
    memcpy(frame + 10, req, size);
    p->reply_len = 0;
    p->mux_have = 0;
    write_all(p->fd, frame, 10 + size);
}

/* The reply once whole (headers, then Content-Length bytes of body). */
static void webdav_reply(struct port *p)
{
    p->reply[p->reply_len < MAX_REPLY ? p->reply_len : MAX_REPLY - 1] = 0;
    char *end = strstr(p->reply, "\r\n\r\n");
    if (!end)
        return;
    const char *cl = strstr(p->reply, "Content-Length:");
    if (!cl || cl > end)
        cl = strstr(p->reply, "content-length:");
    size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    if ((size_t)(p->reply + p->reply_len - (end + 4)) < body)
        return;
    printf("GUEST-WEBDAV %.*s\n", (int)strcspn(p->reply, "\r\n"), p->reply);
    int printable = body <= 200;
    for (size_t i = 0; i < body && printable; i++)
        printable = end[4 + i] >= 0x20 && end[4 + i] < 0x7f;
    if (printable)
        printf("GUEST-WEBDAV-BODY %.*s\n", (int)body, end + 4);
    p->reply_len = 0;
}

static void webdav_data(struct port *p, const uint8_t *d, size_t n)
{
    while (n > 0) {
        size_t take = sizeof p->mux - p->mux_have < n ? sizeof p->mux - p->mux_have : n;
        memcpy(p->mux + p->mux_have, d, take);
        p->mux_have += take;
        d += take;
        n -= take;
        while (p->mux_have >= 10) {
            uint16_t size;
            memcpy(&size, p->mux + 8, 2);
            if (p->mux_have < 10u + size)
                break;
            size_t room = MAX_REPLY - 1 - p->reply_len;
            size_t keep = size < room ? size : room;
            memcpy(p->reply + p->reply_len, p->mux + 10, keep);
            p->reply_len += keep;
            memmove(p->mux, p->mux + 10 + size, p->mux_have - 10 - size);
            p->mux_have -= 10u + size;
            webdav_reply(p);
        }
    }
}

int ports_main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Ports appear as virtio_console probes them; a VM without any has none after a while. */
    for (int tries = 0; tries < 100 && nports == 0; tries++) {
        open_ports();
        if (nports == 0)
            usleep(100 * 1000);
    }
    if (nports == 0)
        return 0;
    static uint8_t buf[65536];
    for (;;) {
        struct pollfd fds[MAX_PORTS];
        for (int i = 0; i < nports; i++)
            fds[i] = (struct pollfd){.fd = ports[i].fd, .events = POLLIN};
        if (poll(fds, (nfds_t)nports, 1000) < 0 && errno != EINTR)
            return 1;
        int idle = 1;
        for (int i = 0; i < nports; i++) {
            struct port *p = &ports[i];
            /* Without the host side a port polls as hung up: that is the host (a SPICE client) away. */
            int connected = !(fds[i].revents & POLLHUP);
            if (connected != p->connected) {
                p->connected = connected;
                if (!connected && p->echoed) {
                    printf("GUEST-PORT echoed %s %lu\n", p->name, p->echoed);
                    p->echoed = p->reported = 0;
                }
                if (connected && p->webdav)
                    webdav_request(p);
            }
            if (!(fds[i].revents & POLLIN))
                continue;
            ssize_t n = read(p->fd, buf, sizeof buf);
            if (n <= 0)
                continue;
            idle = 0;
            if (p->webdav) {
                webdav_data(p, buf, (size_t)n);
                continue;
            }
            if (write_all(p->fd, buf, (size_t)n) == 0)
                p->echoed += (unsigned long)n;
            if (p->echoed - p->reported >= REPORT_EVERY) {
                printf("GUEST-PORT echoed %s %lu\n", p->name, p->echoed);
                p->reported = p->echoed;
            }
        }
        /* Hung-up ports poll at once: look again in a while, not in a busy loop. */
        if (idle)
            for (int i = 0; i < nports; i++)
                if (fds[i].revents & POLLHUP) {
                    usleep(100 * 1000);
                    break;
                }
    }
}
