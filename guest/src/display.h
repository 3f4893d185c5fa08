/* Where the workloads draw: the fbdev emulation of the DRM driver (/dev/fb0), or a DRM dumb
 * buffer on the first connected connector when a test wants another mode than fbdev's. */
#ifndef GUEST_DISPLAY_H
#define GUEST_DISPLAY_H
#include <stddef.h>
#include <stdint.h>
#include "surface.h"

enum display_kind { DISPLAY_NONE, DISPLAY_FBDEV, DISPLAY_DRM };

struct display {
    enum display_kind kind;
    struct surface surf;
    int fd;
    void *map;
    size_t map_len;
    /* fbdev: the geometry last mapped, to notice a mode change */
    uint32_t fb_xoff, fb_yoff, fb_line;
    /* drm */
    uint32_t conn_id, crtc_id, fb_id, handle;
    int follow;  /* track the connector's preferred mode (virtio-gpu: the host's window size) */
    uint32_t cursor_handle;  /* the hardware cursor's buffer, once shown */
    int cursor_refused;      /* the driver has no cursor plane (bochs) */
};

/* Each returns 0, or -1 after a line on stderr. */
int fbdev_open(struct display *d);
int drm_open(struct display *d, int w, int h, int follow);  /* w = h = 0: the preferred mode */
int drm_set_mode(struct display *d, int w, int h);
/* On: drm_open and mode changes scan the buffer out on every connected connector. */
void drm_mirror(int on);

/* Switches to DRM at w x h (from fbdev if needed); 0 or -1 with the old display kept. */
int display_set_mode(struct display *d, int w, int h);
/* 1 when the geometry changed since the last call (the surface is then remapped). */
int display_poll_change(struct display *d);
/* Puts the hardware cursor (an arrow, hotspot at its tip) at x,y: 1 the first time it shows,
 * 0 after, -1 where there is none (fbdev, bochs). */
int display_cursor(struct display *d, int x, int y);
/* Tells the device which rectangle changed (DRM dirtyfb; fbdev tracks its mapping itself). */
void display_flush(struct display *d, int x, int y, int w, int h);
void display_close(struct display *d);

int fbdev_poll_change(struct display *d);
int drm_poll_change(struct display *d);
void drm_flush(struct display *d, int x, int y, int w, int h);
int drm_cursor(struct display *d, int x, int y);
void fbdev_close(struct display *d);
void drm_close(struct display *d);

#endif
