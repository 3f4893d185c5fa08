/* The latency marker (kernel word marker=1), for bench/e2e: a 16x16 square near the top right
 * whose colour encodes a counter n. Every MARKER_PERIOD_MS n grows by one, the square is drawn
 * and flushed, then "GUEST-MARK n" goes out on the serial console. The bench times that line's
 * arrival and the client's first decoded frame showing n. Workloads may draw over the square
 * (text scrolls it away): marker_restamp puts it back after each of their frames.
 * Colour of n: R = n >> 8 & 0xff, G = n & 0xff, B = marker_check(R, G) (so that the background
 * or text under it does not read as a marker). bench/e2e/marker.ts decodes it. */
#ifndef GUEST_MARKER_H
#define GUEST_MARKER_H
#include "display.h"

#define MARKER_SIZE 16
#define MARKER_RIGHT 40 /* its left edge is this far from the right edge */
#define MARKER_TOP 8
#define MARKER_PERIOD_MS 137 /* not a multiple of QEMU's 30 ms display refresh: the phase sweeps */

/* Turns the marker on; until then the calls below do nothing. */
void marker_enable(long now_ms);
/* When the next marker is due (a poll deadline), or -1 when off. */
long marker_due(void);
/* Draws n + 1 and announces it when due (then returns 1). */
int marker_tick(struct display *d, long now_ms);
/* The current n. */
unsigned marker_count(void);
/* Draws the current n again, after a workload frame. */
void marker_restamp(struct display *d);

#endif
