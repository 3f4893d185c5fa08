/* A 32 bpp pixel view (an fbdev mapping or a DRM dumb buffer) and clipped fills. */
#ifndef GUEST_SURFACE_H
#define GUEST_SURFACE_H
#include <stdint.h>

struct surface {
    uint32_t *px;          /* the top-left visible pixel */
    int width, height;
    int stride;            /* pixels from one row to the next */
    int roff, goff, boff;  /* bit offsets of the 8-bit channels in a pixel */
};

/* A 0xRRGGBB colour in the surface's pixel layout. */
static inline uint32_t surface_pixel(const struct surface *s, uint32_t rgb)
{
    return ((rgb >> 16 & 0xff) << s->roff) | ((rgb >> 8 & 0xff) << s->goff) | ((rgb & 0xff) << s->boff);
}

/* Fills the rectangle, clipped to the surface, with a pixel value already in surface layout. */
void surface_fill_px(struct surface *s, int x, int y, int w, int h, uint32_t px);

static inline void surface_fill(struct surface *s, int x, int y, int w, int h, uint32_t rgb)
{
    surface_fill_px(s, x, y, w, h, surface_pixel(s, rgb));
}

#endif
