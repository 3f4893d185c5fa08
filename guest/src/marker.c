#include "marker.h"

#include <stdio.h>

static int enabled;
static unsigned n;
static long next_ms;

static uint32_t marker_rgb(unsigned v)
{
    uint32_t r = v >> 8 & 0xff, g = v & 0xff, b = (r * 31 + g * 17 + 0x5a) & 0xff;
    return r << 16 | g << 8 | b;
}

static void draw(struct display *d)
{
    struct surface *s = &d->surf;
    int x = s->width - MARKER_RIGHT;
    surface_fill(s, x, MARKER_TOP, MARKER_SIZE, MARKER_SIZE, marker_rgb(n));
    display_flush(d, x, MARKER_TOP, MARKER_SIZE, MARKER_SIZE);
}

void marker_enable(long now_ms)
{
    enabled = 1;
    next_ms = now_ms + MARKER_PERIOD_MS;
}

long marker_due(void)
{
    return enabled ? next_ms : -1;
}

int marker_tick(struct display *d, long now_ms)
{
    if (!enabled || now_ms < next_ms)
        return 0;
    n = (n + 1) & 0xffff;
    draw(d);
    printf("GUEST-MARK %u\n", n);
    next_ms += MARKER_PERIOD_MS;
    if (next_ms < now_ms) /* fell behind: skip, do not burst */
        next_ms = now_ms + MARKER_PERIOD_MS;
    return 1;
}

unsigned marker_count(void)
{
    return n;
}

void marker_restamp(struct display *d)
{
    if (enabled)
        draw(d);
}
