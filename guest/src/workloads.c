/* The workloads. The idle layout is a contract with test/guest/guest.test.ts (exact colours
 * at exact places, relative to the screen size); the others only promise motion. */
#include "workloads.h"

#include <stdio.h>
#include <string.h>

#include "font.h"
#include "movie.h"

static void flush_all(struct display *d)
{
    display_flush(d, 0, 0, d->surf.width, d->surf.height);
}

/* idle: one frame. Background 0x102030; 64x64 squares 32 px in from each corner: red top-left,
 * green top-right, blue bottom-left, white bottom-right; a 128x64 yellow box in the centre. */
static void idle_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    (void)p, (void)frame;
    if (!full)
        return;
    struct surface *s = &d->surf;
    int w = s->width, h = s->height;
    char label[48];
    surface_fill(s, 0, 0, w, h, 0x102030);
    surface_fill(s, 32, 32, 64, 64, 0xff0000);
    surface_fill(s, w - 96, 32, 64, 64, 0x00ff00);
    surface_fill(s, 32, h - 96, 64, 64, 0x0000ff);
    surface_fill(s, w - 96, h - 96, 64, 64, 0xffffff);
    surface_fill(s, (w - 128) / 2, (h - 64) / 2, 128, 64, 0xffff00);
    snprintf(label, sizeof label, "IDLE %dX%d", w, h);
    font_draw(s, 32, 112, 2, 0xc0c0c0, label);
    flush_all(d);
}

/* text: a terminal scrolling one line of text a frame. */
#define TEXT_SCALE 2
#define TEXT_LINE (FONT_ADV_Y * TEXT_SCALE)

static void text_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    static const uint32_t colours[] = {0xe0e0e0, 0x80ff80, 0xffc040, 0x80c0ff, 0xff8080};
    (void)p;
    struct surface *s = &d->surf;
    if (full)
        surface_fill(s, 0, 0, s->width, s->height, 0x000000);
    else if (s->height > TEXT_LINE) {
        for (int y = 0; y < s->height - TEXT_LINE; y++)
            memcpy(s->px + (long)y * s->stride, s->px + (long)(y + TEXT_LINE) * s->stride, (size_t)s->width * 4);
        surface_fill(s, 0, s->height - TEXT_LINE, s->width, TEXT_LINE, 0x000000);
    }
    char line[96];
    snprintf(line, sizeof line, "%06u THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 +-=/:()", frame);
    font_draw(s, 4, s->height - TEXT_LINE + 1, TEXT_SCALE, colours[frame % 5], line);
    flush_all(d);
}

/* desktop: three windows sliding over a gradient, each frame repainting where they were, and a busy icon. */
struct window {
    int w, h, vx, vy;
    uint32_t colour;
};
static const struct window windows[] = {
    {240, 160, 3, 2, 0x3050c0},
    {200, 200, -2, 3, 0xc04040},
    {300, 120, 4, -1, 0x30a050},
};
#define N_WINDOWS (int)(sizeof windows / sizeof windows[0])

static int bounce(long t, int range)
{
    if (range <= 0)
        return 0;
    long p = ((t % (2L * range)) + 2L * range) % (2L * range);
    return (int)(p > range ? 2L * range - p : p);
}

static void window_rect(const struct surface *s, int i, unsigned frame, int r[4])
{
    const struct window *win = &windows[i];
    int w = win->w < s->width ? win->w : s->width, h = win->h < s->height ? win->h : s->height;
    long t = (long)frame + 97L * i;
    r[0] = bounce(t * win->vx, s->width - w);
    r[1] = bounce(t * win->vy, s->height - h);
    r[2] = w;
    r[3] = h;
}

static void desktop_background(struct surface *s, int x, int y, int w, int h)
{
    for (int row = y < 0 ? 0 : y; row < y + h && row < s->height; row++)
        surface_fill(s, x, row, w, 1, 0x204080 + (uint32_t)(row * 96 / (s->height ? s->height : 1) << 8));
}

static void window_draw(struct surface *s, int i, const int r[4], unsigned frame)
{
    char text[32];
    surface_fill(s, r[0], r[1], r[2], r[3], 0x000000);
    surface_fill(s, r[0] + 1, r[1] + 1, r[2] - 2, 18, windows[i].colour);
    surface_fill(s, r[0] + 1, r[1] + 20, r[2] - 2, r[3] - 21, 0xe0e0e0);
    snprintf(text, sizeof text, "WINDOW %d", i + 1);
    font_draw(s, r[0] + 6, r[1] + 3, 2, 0xffffff, text);
    snprintf(text, sizeof text, "FRAME %06u", frame);
    font_draw(s, r[0] + 8, r[1] + 28, 2, 0x202020, text);
    surface_fill(s, r[0] + 8, r[1] + 50, (int)(frame * 4 % (unsigned)(r[2] > 16 ? r[2] - 16 : 1)), 8, windows[i].colour);
}

/* A busy icon in the top-right corner cycling through four phases, drawn over everything and
 * flushed on its own each frame: the same few images again and again, as a desktop's spinners,
 * clocks and blinking carets are (what a pixmap cache finds). */
#define ICON 48
static int busy_icon(struct surface *s, unsigned frame, int r[4])
{
    if (s->width < ICON + 16 || s->height < ICON + 16)
        return 0;
    r[0] = s->width - ICON - 8, r[1] = 8, r[2] = ICON, r[3] = ICON;
    surface_fill(s, r[0], r[1], ICON, ICON, 0x404040);
    for (unsigned q = 0; q < 4; q++)
        surface_fill(s, r[0] + 4 + (int)(q % 2) * 22, r[1] + 4 + (int)(q / 2) * 22, 18, 18, q == frame % 4 ? 0xffd000 : 0x606060);
    return 1;
}

static void desktop_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    (void)p;
    struct surface *s = &d->surf;
    int old[N_WINDOWS][4], now[N_WINDOWS][4];
    for (int i = 0; i < N_WINDOWS; i++) {
        window_rect(s, i, frame - 1, old[i]);
        window_rect(s, i, frame, now[i]);
    }
    if (full)
        desktop_background(s, 0, 0, s->width, s->height);
    else
        for (int i = 0; i < N_WINDOWS; i++)
            desktop_background(s, old[i][0], old[i][1], old[i][2], old[i][3]);
    for (int i = 0; i < N_WINDOWS; i++)
        window_draw(s, i, now[i], frame);
    int icon[4];
    int has_icon = busy_icon(s, frame, icon);
    if (full) {
        flush_all(d);
        return;
    }
    if (has_icon)
        display_flush(d, icon[0], icon[1], icon[2], icon[3]);
    for (int i = 0; i < N_WINDOWS; i++) {
        int x0 = old[i][0] < now[i][0] ? old[i][0] : now[i][0], y0 = old[i][1] < now[i][1] ? old[i][1] : now[i][1];
        int x1 = old[i][0] > now[i][0] ? old[i][0] : now[i][0], y1 = old[i][1] > now[i][1] ? old[i][1] : now[i][1];
        display_flush(d, x0, y0, x1 - x0 + now[i][2], y1 - y0 + now[i][3]);
    }
}

/* video: a 320x240 region of moving gradients, noise and a bouncing box over a still frame. */
static void video_region(const struct surface *s, int r[4])
{
    r[2] = s->width < 320 ? s->width : 320;
    r[3] = s->height < 240 ? s->height : 240;
    r[0] = (s->width - r[2]) / 2;
    r[1] = (s->height - r[3]) / 2;
}

static void video_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    (void)p;
    struct surface *s = &d->surf;
    int r[4];
    video_region(s, r);
    if (full) {
        surface_fill(s, 0, 0, s->width, s->height, 0x303030);
        surface_fill(s, r[0] - 2, r[1] - 2, r[2] + 4, r[3] + 4, 0xffffff);
        font_draw(s, 32, 32, 2, 0xe0e0e0, "VIDEO 320X240 25 FPS");
        flush_all(d);
    }
    static uint32_t seed = 2463534242u;
    for (int y = 0; y < r[3]; y++) {
        uint32_t *row = s->px + (long)(r[1] + y) * s->stride + r[0];
        for (int x = 0; x < r[2]; x++) {
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            int n = (int)(seed & 31) - 16;
            int cr = (int)((x + frame * 3) & 255) + n, cg = (int)((y + frame * 2) & 255) + n;
            int cb = (int)(((x + y) / 2 + frame * 5) & 255) + n;
            cr = cr < 0 ? 0 : cr > 255 ? 255 : cr;
            cg = cg < 0 ? 0 : cg > 255 ? 255 : cg;
            cb = cb < 0 ? 0 : cb > 255 ? 255 : cb;
            row[x] = surface_pixel(s, (uint32_t)cr << 16 | (uint32_t)cg << 8 | (uint32_t)cb);
        }
    }
    int bx = r[0] + bounce((long)frame * 7, r[2] - 32), by = r[1] + bounce((long)frame * 5, r[3] - 32);
    surface_fill(s, bx, by, 32, 32, 0xffffff);
    display_flush(d, r[0], r[1], r[2], r[3]);
}

/* input: the last key and the pointer position as text, a magenta cross at the pointer, and
 * on DRM drivers with a cursor plane (virtio-gpu) the hardware cursor there too. */
#define INPUT_PANEL_H 40
#define MARK 7 /* half the cross's length */

static void input_draw(struct display *d, const struct pointer *p, unsigned frame, int full)
{
    static int mx = -1, my = -1;
    (void)frame;
    struct surface *s = &d->surf;
    char text[64];
    if (full)
        surface_fill(s, 0, 0, s->width, s->height, 0x202020);
    else if (mx >= 0)
        surface_fill(s, mx - MARK, my - MARK, 2 * MARK + 1, 2 * MARK + 1, 0x202020);
    surface_fill(s, 0, 0, s->width, INPUT_PANEL_H, 0x404040);
    if (p->last_key >= 0)
        snprintf(text, sizeof text, "KEY %d %d POS %d,%d", p->last_key, p->last_value, p->x, p->y);
    else
        snprintf(text, sizeof text, "KEY NONE POS %d,%d", p->x, p->y);
    font_draw(s, 8, 12, 2, 0xffffff, text);
    surface_fill(s, p->x - MARK, p->y - 1, 2 * MARK + 1, 3, 0xff00ff);
    surface_fill(s, p->x - 1, p->y - MARK, 3, 2 * MARK + 1, 0xff00ff);
    if (full) {
        flush_all(d);
    } else {
        display_flush(d, 0, 0, s->width, INPUT_PANEL_H);
        if (mx >= 0)
            display_flush(d, mx - MARK, my - MARK, 2 * MARK + 1, 2 * MARK + 1);
        display_flush(d, p->x - MARK, p->y - MARK, 2 * MARK + 1, 2 * MARK + 1);
    }
    mx = p->x;
    my = p->y;
    if (display_cursor(d, p->x, p->y) == 1)
        printf("GUEST-CURSOR 64x64 hot 0,0\n");
}

static const struct workload workloads[] = {
    {"idle", 0, 0, idle_draw},
    {"text", 100, 0, text_draw},
    {"desktop", 50, 0, desktop_draw},
    {"video", 40, 0, video_draw},
    {"movie", 33, 0, movie_draw},
    {"input", 0, 1, input_draw},
    {"tone", 0, 0, idle_draw}, /* the idle frame while main.c plays a tone (sound.h) */
    {"beep", 0, 0, idle_draw}, /* the idle frame while main.c plays bursts (sound.h) */
};

const struct workload *workload_find(const char *name)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (!strcmp(workloads[i].name, name))
            return &workloads[i];
    return NULL;
}

const char *workload_names(void)
{
    return "idle|text|desktop|video|movie|input|tone|beep";
}
