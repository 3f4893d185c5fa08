#include "display.h"

int display_set_mode(struct display *d, int w, int h)
{
    if (d->kind == DISPLAY_DRM)
        return drm_set_mode(d, w, h);
    struct display next = {0};
    if (drm_open(&next, w, h, 0))
        return -1;
    display_close(d);
    *d = next;
    return 0;
}

int display_poll_change(struct display *d)
{
    switch (d->kind) {
    case DISPLAY_FBDEV: return fbdev_poll_change(d);
    case DISPLAY_DRM: return drm_poll_change(d);
    default: return 0;
    }
}

void display_flush(struct display *d, int x, int y, int w, int h)
{
    if (d->kind == DISPLAY_DRM)
        drm_flush(d, x, y, w, h);
}

int display_cursor(struct display *d, int x, int y)
{
    return d->kind == DISPLAY_DRM ? drm_cursor(d, x, y) : -1;
}

void display_close(struct display *d)
{
    if (d->kind == DISPLAY_FBDEV)
        fbdev_close(d);
    else if (d->kind == DISPLAY_DRM)
        drm_close(d);
    d->kind = DISPLAY_NONE;
}
