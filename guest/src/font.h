/* A 5x7 bitmap font (digits, capitals, a little punctuation) drawn at any integer scale. */
#ifndef GUEST_FONT_H
#define GUEST_FONT_H
#include "surface.h"

#define FONT_W 5
#define FONT_H 7
/* Advance between characters and lines at scale 1 (one blank column / row around a glyph). */
#define FONT_ADV_X 6
#define FONT_ADV_Y 9

/* Draws `text` (lower case shown as capitals, unknown characters as a box) with its top-left
 * at x,y; only the glyph pixels are written, the background is left as it is. */
void font_draw(struct surface *s, int x, int y, int scale, uint32_t rgb, const char *text);

#endif
