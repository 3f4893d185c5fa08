#include "surface.h"

void surface_fill_px(struct surface *s, int x, int y, int w, int h, uint32_t px)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > s->width ? s->width : x + w, y1 = y + h > s->height ? s->height : y + h;
    for (int r = y0; r < y1; r++) {
        uint32_t *row = s->px + (long)r * s->stride;
        for (int c = x0; c < x1; c++)
            row[c] = px;
    }
}
