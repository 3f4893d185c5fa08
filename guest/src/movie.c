#include "movie.h"

#include <stdio.h>
#include <stdlib.h>

#include "font.h"

#define FPS 30
#define UI_GAP 16 /* between the region and the text: damage apart stays apart */

static int want_w = 640, want_h = 360;
/* The picture, 0xRRGGBB, a half larger than the region each way so that there is room to pan. */
static uint32_t *photo;
static int photo_w, photo_h;

void movie_set_size(int w, int h)
{
    want_w = w;
    want_h = h;
}

static uint32_t rng = 2463534242u;
static uint32_t next_random(void)
{
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return rng;
}

static int clamp8(int v)
{
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* Value noise: a random lattice every `cell` pixels, bilinear between (fixed point). */
static int noise_at(const uint8_t *lattice, int lw, int cell, int x, int y)
{
    int gx = x / cell, gy = y / cell, fx = (x % cell) * 256 / cell, fy = (y % cell) * 256 / cell;
    int a = lattice[gy * lw + gx], b = lattice[gy * lw + gx + 1];
    int c = lattice[(gy + 1) * lw + gx], d = lattice[(gy + 1) * lw + gx + 1];
    int top = a * (256 - fx) + b * fx, bottom = c * (256 - fx) + d * fx;
    return (top * (256 - fy) + bottom * fy) >> 16;
}

/* A landscape: sky fading to the horizon, hills of layered noise, a sun, fine grain. */
static int make_photo(int w, int h)
{
    static const int cells[] = {97, 41, 13};
    photo = malloc((size_t)w * h * sizeof *photo);
    uint8_t *lattice[3];
    int lw[3];
    if (!photo)
        return -1;
    for (int o = 0; o < 3; o++) {
        lw[o] = w / cells[o] + 2;
        int lh = h / cells[o] + 2;
        lattice[o] = malloc((size_t)lw[o] * lh);
        if (!lattice[o])
            return -1;
        for (int i = 0; i < lw[o] * lh; i++)
            lattice[o][i] = (uint8_t)next_random();
    }
    int sun_x = w * 2 / 3, sun_y = h / 5, sun_r = h / 10;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int n = (noise_at(lattice[0], lw[0], cells[0], x, y) * 4 + noise_at(lattice[1], lw[1], cells[1], x, y) * 2 +
                     noise_at(lattice[2], lw[2], cells[2], x, y)) / 7;
            int horizon = h / 2 + (noise_at(lattice[0], lw[0], cells[0], x, 0) - 128) * h / 640;
            int r, g, b;
            if (y < horizon) {
                int t = y * 255 / (horizon > 0 ? horizon : 1);
                r = 70 + t / 3 + (n - 128) / 8, g = 120 + t / 4 + (n - 128) / 8, b = 230 - t / 5;
                int dx = x - sun_x, dy = y - sun_y, d2 = dx * dx + dy * dy;
                if (d2 < sun_r * sun_r * 4) {
                    int glow = 255 - d2 * 255 / (sun_r * sun_r * 4);
                    r += glow, g += glow * 9 / 10, b += glow / 3;
                }
            } else {
                int depth = (y - horizon) * 255 / (h - horizon > 0 ? h - horizon : 1);
                r = 40 + n / 3 + depth / 6, g = 90 + n / 2 - depth / 8, b = 30 + n / 6;
            }
            int grain = (int)(next_random() % 5) - 2; /* a light film grain: heavier, it is what a codec smooths first */
            photo[(long)y * w + x] = (uint32_t)clamp8(r + grain) << 16 | (uint32_t)clamp8(g + grain) << 8 | (uint32_t)clamp8(b + grain);
        }
    }
    for (int o = 0; o < 3; o++)
        free(lattice[o]);
    photo_w = w;
    photo_h = h;
    return 0;
}

static void region(const struct surface *s, int r[4])
{
    r[2] = want_w < s->width ? want_w : s->width;
    r[3] = want_h < s->height ? want_h : s->height;
    /* Top right, 8 px in, so that the latency marker (MARKER_RIGHT from the right edge) is inside. */
    r[0] = s->width - r[2] - 8 >= 0 ? s->width - r[2] - 8 : 0;
    r[1] = 0;
}

/* A triangle wave over 0..range. */
static int sweep(long t, int range)
{
    if (range <= 0)
        return 0;
    long p = t % (2L * range);
    return (int)(p < range ? p : 2L * range - p);
}

/* A shaded ball: lighter towards its top left. */
static void ball(struct surface *s, const int r[4], int cx, int cy, int rad, uint32_t rgb)
{
    for (int y = cy - rad; y < cy + rad; y++) {
        if (y < r[1] || y >= r[1] + r[3])
            continue;
        for (int x = cx - rad; x < cx + rad; x++) {
            int dx = x - cx, dy = y - cy;
            if (x < r[0] || x >= r[0] + r[2] || dx * dx + dy * dy >= rad * rad)
                continue;
            int light = 80 - (dx + dy) * 60 / rad;
            int cr = clamp8((int)(rgb >> 16 & 0xff) + light), cg = clamp8((int)(rgb >> 8 & 0xff) + light),
                cb = clamp8((int)(rgb & 0xff) + light);
            s->px[(long)y * s->stride + x] = surface_pixel(s, (uint32_t)cr << 16 | (uint32_t)cg << 8 | (uint32_t)cb);
        }
    }
}

static void draw_ui(struct display *d, const int r[4], unsigned frame)
{
    struct surface *s = &d->surf;
    int y = r[1] + r[3] + UI_GAP, h = FONT_ADV_Y * 2 * 2;
    if (y + h > s->height)
        return;
    char text[64];
    surface_fill(s, 0, y, s->width, h, 0x202428);
    snprintf(text, sizeof text, "MOVIE %dX%d %d FPS", r[2], r[3], FPS);
    font_draw(s, 16, y + 2, 2, 0xe0e0e0, text);
    snprintf(text, sizeof text, "TIME %u S", frame / FPS);
    font_draw(s, 16, y + 2 + FONT_ADV_Y * 2, 2, 0x80ff80, text);
    display_flush(d, 0, y, s->width, h);
}

void movie_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    (void)p;
    struct surface *s = &d->surf;
    int r[4];
    region(s, r);
    if (!photo && make_photo(want_w * 3 / 2, want_h * 3 / 2)) {
        printf("GUEST-ERROR movie: out of memory\n");
        return;
    }
    if (full) {
        surface_fill(s, 0, 0, s->width, s->height, 0x181818);
        display_flush(d, 0, 0, s->width, s->height);
    }
    if (full || frame % FPS == 0)
        draw_ui(d, r, frame);
    /* Zoom between 1 and 1.5 (a window of the photo 256/zoom256 the region's size), panning
     * across: 16.16 fixed-point steps through the photo. */
    int zoom256 = 256 + sweep(frame, 128);
    int win_w = r[2] * 384 / zoom256, win_h = r[3] * 384 / zoom256;
    if (win_w > photo_w)
        win_w = photo_w;
    if (win_h > photo_h)
        win_h = photo_h;
    int ox = sweep((long)frame * 3, photo_w - win_w), oy = sweep((long)frame * 2, photo_h - win_h);
    long step_x = ((long)win_w << 16) / r[2], step_y = ((long)win_h << 16) / r[3];
    for (int y = 0; y < r[3]; y++) {
        const uint32_t *src = photo + (long)(oy + (int)((y * step_y) >> 16)) * photo_w + ox;
        uint32_t *row = s->px + (long)(r[1] + y) * s->stride + r[0];
        long sx = 0;
        for (int x = 0; x < r[2]; x++, sx += step_x)
            row[x] = surface_pixel(s, src[sx >> 16]);
    }
    ball(s, r, r[0] + sweep((long)frame * 7, r[2]), r[1] + sweep((long)frame * 5, r[3]), r[3] / 8, 0xc03020);
    ball(s, r, r[0] + sweep((long)frame * 4 + 200, r[2]), r[1] + sweep((long)frame * 6 + 90, r[3]), r[3] / 12, 0x2050c0);
    ball(s, r, r[0] + r[2] - sweep((long)frame * 5, r[2]), r[1] + r[3] * 2 / 3, r[3] / 10, 0xe0c020);
    display_flush(d, r[0], r[1], r[2], r[3]);
}
