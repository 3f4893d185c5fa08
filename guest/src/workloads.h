/* What the guest shows. Each workload draws into the display and flushes what it changed. */
#ifndef GUEST_WORKLOADS_H
#define GUEST_WORKLOADS_H
#include "display.h"
#include "input.h"

struct workload {
    const char *name;
    int period_ms;        /* time between frames; 0: none after the first */
    int redraw_on_input;  /* draws again when a key or the pointer changed */
    /* full: everything (first frame, new mode); otherwise the next frame `frame` */
    void (*draw)(struct display *d, const struct pointer *p, unsigned frame, int full);
};

/* NULL for an unknown name. */
const struct workload *workload_find(const char *name);
/* "idle|text|..." for messages. */
const char *workload_names(void);

#endif
