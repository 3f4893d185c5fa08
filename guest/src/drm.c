/* A DRM dumb buffer scanned out on the first connected connector: the way to pick a mode
 * (fbdev emulation cannot), and to follow the connector's preferred mode, which virtio-gpu
 * sets from the host's window size (QEMU's SetUIInfo). Mirrored, the same buffer is scanned
 * out on every connected connector too (virtio-gpu's heads: consoles showing the same
 * pixels). Raw ioctls, no libdrm. */
#include "display.h"

#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_IDS 16
#define MAX_MODES 256

struct probe {
    uint32_t conn_id, crtc_id;
    int n_modes;
    struct drm_mode_modeinfo modes[MAX_MODES];
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r == -1 && (errno == EINTR || errno == EAGAIN));
    return r;
}

static int fail(const char *what)
{
    fprintf(stderr, "drm: %s: %s\n", what, strerror(errno));
    return -1;
}

static int crtc_for(int fd, uint32_t current_encoder, const uint32_t *encs, uint32_t n_encs,
                    const uint32_t *crtcs, uint32_t n_crtcs, uint32_t *crtc)
{
    struct drm_mode_get_encoder e = {.encoder_id = current_encoder};
    if (current_encoder && !xioctl(fd, DRM_IOCTL_MODE_GETENCODER, &e) && e.crtc_id) {
        *crtc = e.crtc_id;
        return 0;
    }
    for (uint32_t i = 0; i < n_encs; i++) {
        e = (struct drm_mode_get_encoder){.encoder_id = encs[i]};
        if (xioctl(fd, DRM_IOCTL_MODE_GETENCODER, &e))
            continue;
        for (uint32_t k = 0; k < n_crtcs; k++)
            if (e.possible_crtcs & (1u << k)) {
                *crtc = crtcs[k];
                return 0;
            }
    }
    return -1;
}

static int mirror;

void drm_mirror(int on)
{
    mirror = on;
}

/* The nth connected connector (0: the first), its modes (freshly probed) and a CRTC that can drive it. */
static int probe_nth(int fd, struct probe *p, int nth)
{
    static uint32_t conns[MAX_IDS], crtcs[MAX_IDS], encs[MAX_IDS];
    struct drm_mode_card_res res = {0};
    if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
        return fail("getresources");
    res = (struct drm_mode_card_res){
        .connector_id_ptr = (uintptr_t)conns,
        .crtc_id_ptr = (uintptr_t)crtcs,
        .count_connectors = res.count_connectors < MAX_IDS ? res.count_connectors : MAX_IDS,
        .count_crtcs = res.count_crtcs < MAX_IDS ? res.count_crtcs : MAX_IDS,
    };
    uint32_t n_conns = res.count_connectors, n_crtcs = res.count_crtcs;
    if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
        return fail("getresources");
    for (uint32_t i = 0; i < n_conns; i++) {
        /* count_modes = 0 makes the kernel probe the connector again */
        struct drm_mode_get_connector c = {.connector_id = conns[i]};
        if (xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) || c.connection != 1 || c.count_modes == 0)
            continue;
        uint32_t n_encs = c.count_encoders < MAX_IDS ? c.count_encoders : MAX_IDS;
        c = (struct drm_mode_get_connector){
            .connector_id = conns[i],
            .modes_ptr = (uintptr_t)p->modes,
            .count_modes = MAX_MODES,
            .encoders_ptr = (uintptr_t)encs,
            .count_encoders = n_encs,
        };
        /* the kernel copies a list only when it fits, and then reports its true length */
        if (xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) || c.count_modes == 0 || c.count_modes > MAX_MODES ||
            c.count_encoders > n_encs)
            continue;
        if (crtc_for(fd, c.encoder_id, encs, c.count_encoders, crtcs, n_crtcs, &p->crtc_id))
            continue;
        if (nth-- > 0)
            continue;
        p->conn_id = conns[i];
        p->n_modes = (int)c.count_modes;
        return 0;
    }
    errno = ENODEV;
    return -1;
}

static int probe(int fd, struct probe *p)
{
    return probe_nth(fd, p, 0) ? fail("no connected connector with a CRTC") : 0;
}

/* Mirrored: the other connected connectors scan out fb in mode m as well (one that refuses keeps what it shows). */
static void mirror_heads(int fd, const struct probe *first, uint32_t fb_id, const struct drm_mode_modeinfo *m)
{
    static struct probe q;
    for (int n = 1; mirror && n < MAX_IDS && !probe_nth(fd, &q, n); n++) {
        if (q.crtc_id == first->crtc_id)
            continue;
        uint32_t conn = q.conn_id;
        struct drm_mode_crtc crtc = {.set_connectors_ptr = (uintptr_t)&conn, .count_connectors = 1, .crtc_id = q.crtc_id,
                                     .fb_id = fb_id, .mode_valid = 1, .mode = *m};
        if (xioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc))
            fail("mirror setcrtc");
    }
}

static const struct drm_mode_modeinfo *preferred(const struct probe *p)
{
    for (int i = 0; i < p->n_modes; i++)
        if (p->modes[i].type & DRM_MODE_TYPE_PREFERRED)
            return &p->modes[i];
    return &p->modes[0];
}

/* w x h from the connector's list; a size it does not list gets the preferred mode's timings
 * stretched (bochs and virtio-gpu only look at the visible size). */
static struct drm_mode_modeinfo pick_mode(const struct probe *p, int w, int h)
{
    if (w == 0)
        return *preferred(p);
    for (int i = 0; i < p->n_modes; i++)
        if (p->modes[i].hdisplay == w && p->modes[i].vdisplay == h)
            return p->modes[i];
    struct drm_mode_modeinfo m = *preferred(p);
    m.hdisplay = (uint16_t)w;
    m.hsync_start = (uint16_t)(w + 16);
    m.hsync_end = (uint16_t)(w + 32);
    m.htotal = (uint16_t)(w + 64);
    m.vdisplay = (uint16_t)h;
    m.vsync_start = (uint16_t)(h + 3);
    m.vsync_end = (uint16_t)(h + 6);
    m.vtotal = (uint16_t)(h + 30);
    m.clock = (uint32_t)m.htotal * m.vtotal * 60 / 1000;
    m.vrefresh = 60;
    m.type = DRM_MODE_TYPE_USERDEF;
    snprintf(m.name, sizeof m.name, "%dx%d", w, h);
    return m;
}

static void release(int fd, uint32_t fb_id, uint32_t handle, void *map, size_t len)
{
    if (map)
        munmap(map, len);
    if (fb_id)
        xioctl(fd, DRM_IOCTL_MODE_RMFB, &fb_id);
    if (handle) {
        struct drm_mode_destroy_dumb dd = {.handle = handle};
        xioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    }
}

/* Scans out a new buffer in mode m, then frees the old one (freeing first would blank the CRTC). */
static int show_mode(struct display *d, const struct probe *p, const struct drm_mode_modeinfo *m)
{
    struct drm_mode_create_dumb cd = {.width = m->hdisplay, .height = m->vdisplay, .bpp = 32};
    if (xioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
        return fail("create_dumb");
    struct drm_mode_fb_cmd fb = {.width = cd.width, .height = cd.height, .pitch = cd.pitch, .bpp = 32, .depth = 24,
                                 .handle = cd.handle};
    struct drm_mode_map_dumb md = {.handle = cd.handle};
    void *map = MAP_FAILED;
    if (xioctl(d->fd, DRM_IOCTL_MODE_ADDFB, &fb) || xioctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) ||
        (map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, (off_t)md.offset)) == MAP_FAILED) {
        int e = fail("buffer");
        release(d->fd, fb.fb_id, cd.handle, NULL, 0);
        return e;
    }
    uint32_t conn = p->conn_id;
    struct drm_mode_crtc crtc = {.set_connectors_ptr = (uintptr_t)&conn, .count_connectors = 1, .crtc_id = p->crtc_id,
                                 .fb_id = fb.fb_id, .mode_valid = 1, .mode = *m};
    if (xioctl(d->fd, DRM_IOCTL_MODE_SETCRTC, &crtc)) {
        int e = fail("setcrtc");
        release(d->fd, fb.fb_id, cd.handle, map, cd.size);
        return e;
    }
    mirror_heads(d->fd, p, fb.fb_id, m);
    release(d->fd, d->fb_id, d->handle, d->map, d->map_len);
    d->conn_id = p->conn_id;
    d->crtc_id = p->crtc_id;
    d->fb_id = fb.fb_id;
    d->handle = cd.handle;
    d->map = map;
    d->map_len = cd.size;
    d->surf = (struct surface){.px = map, .width = m->hdisplay, .height = m->vdisplay, .stride = (int)(cd.pitch / 4),
                               .roff = 16, .goff = 8, .boff = 0};
    return 0;
}

int drm_open(struct display *d, int w, int h, int follow)
{
    static struct probe p;
    *d = (struct display){.kind = DISPLAY_DRM, .follow = follow};
    d->fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
    if (d->fd < 0)
        return fail("open /dev/dri/card0");
    /* the first opener is master already; this only makes a failure to be one visible */
    if (xioctl(d->fd, DRM_IOCTL_SET_MASTER, NULL))
        fail("set_master");
    struct drm_mode_modeinfo m;
    if (probe(d->fd, &p) || (m = pick_mode(&p, w, h), show_mode(d, &p, &m))) {
        close(d->fd);
        d->kind = DISPLAY_NONE;
        return -1;
    }
    return 0;
}

int drm_set_mode(struct display *d, int w, int h)
{
    static struct probe p;
    if (probe(d->fd, &p))
        return -1;
    struct drm_mode_modeinfo m = pick_mode(&p, w, h);
    if (show_mode(d, &p, &m))
        return -1;
    d->follow = 0;
    return 0;
}

int drm_poll_change(struct display *d)
{
    static struct probe p;
    if (!d->follow || probe(d->fd, &p))
        return 0;
    const struct drm_mode_modeinfo *m = preferred(&p);
    if (m->hdisplay == d->surf.width && m->vdisplay == d->surf.height)
        return 0;
    return show_mode(d, &p, m) == 0;
}

void drm_flush(struct display *d, int x, int y, int w, int h)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > d->surf.width ? d->surf.width : x + w, y1 = y + h > d->surf.height ? d->surf.height : y + h;
    if (x0 >= x1 || y0 >= y1)
        return;
    struct drm_clip_rect clip = {.x1 = (unsigned short)x0, .y1 = (unsigned short)y0, .x2 = (unsigned short)x1,
                                 .y2 = (unsigned short)y1};
    struct drm_mode_fb_dirty_cmd cmd = {.fb_id = d->fb_id, .num_clips = 1, .clips_ptr = (uintptr_t)&clip};
    /* bochs scans out VRAM and has no dirty hook (ENOSYS); virtio-gpu needs it to send anything */
    xioctl(d->fd, DRM_IOCTL_MODE_DIRTYFB, &cmd);
}

#define CURSOR_SIZE 64

/* An arrow with its tip at 0,0: white, outlined in black, transparent around (premultiplied ARGB). */
static int in_arrow(int x, int y)
{
    return x >= 0 && y >= 0 && y < 22 && 3 * x <= 2 * y && x + y <= 30;
}

static int make_cursor(struct display *d)
{
    struct drm_mode_create_dumb cd = {.width = CURSOR_SIZE, .height = CURSOR_SIZE, .bpp = 32};
    if (xioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
        return fail("cursor create_dumb");
    struct drm_mode_map_dumb md = {.handle = cd.handle};
    uint32_t *px;
    if (xioctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) ||
        (px = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, (off_t)md.offset)) == MAP_FAILED) {
        int e = fail("cursor map");
        release(d->fd, 0, cd.handle, NULL, 0);
        return e;
    }
    for (int y = 0; y < CURSOR_SIZE; y++)
        for (int x = 0; x < CURSOR_SIZE; x++) {
            int edge = !in_arrow(x - 1, y) || !in_arrow(x + 1, y) || !in_arrow(x, y - 1) || !in_arrow(x, y + 1);
            px[y * (int)(cd.pitch / 4) + x] = !in_arrow(x, y) ? 0 : edge ? 0xff000000 : 0xffffffff;
        }
    munmap(px, cd.size);
    d->cursor_handle = cd.handle;
    return 0;
}

int drm_cursor(struct display *d, int x, int y)
{
    if (d->cursor_refused)
        return -1;
    int first = !d->cursor_handle;
    if (first && make_cursor(d)) {
        d->cursor_refused = 1;
        return -1;
    }
    struct drm_mode_cursor2 c = {.flags = DRM_MODE_CURSOR_MOVE | (first ? DRM_MODE_CURSOR_BO : 0), .crtc_id = d->crtc_id,
                                 .x = x, .y = y, .width = CURSOR_SIZE, .height = CURSOR_SIZE,
                                 .handle = d->cursor_handle};
    if (xioctl(d->fd, DRM_IOCTL_MODE_CURSOR2, &c)) {
        if (first) { /* bochs has no cursor plane: ENXIO */
            release(d->fd, 0, d->cursor_handle, NULL, 0);
            d->cursor_handle = 0;
            d->cursor_refused = 1;
        }
        return -1;
    }
    return first;
}

void drm_close(struct display *d)
{
    release(d->fd, 0, d->cursor_handle, NULL, 0);
    release(d->fd, d->fb_id, d->handle, d->map, d->map_len);
    close(d->fd); /* the kernel then gives the CRTC back to fbdev */
    d->map = NULL;
}
