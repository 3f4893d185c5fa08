/* movie: natural video for the stream tests. A region (movie=WxH, default 640x360) at the top
 * right, holding the latency marker, pans and zooms over a photo-like picture generated at start
 * and moves objects over it at 30 fps; UI text below it changes once a second. */
#ifndef GUEST_MOVIE_H
#define GUEST_MOVIE_H
#include "display.h"
#include "input.h"

/* The region's size (from movie=WxH); before the workload first draws. */
void movie_set_size(int w, int h);
void movie_draw(struct display *d, const struct pointer *p, unsigned frame, int full);

#endif
