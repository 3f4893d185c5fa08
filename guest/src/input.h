/* Keyboard and pointer events from every /dev/input/event* node, echoed on stdout (the serial
 * console) one line each, in a form the tests match:
 *   KEY <code> <value>   BTN <code> <value>   REL x|y|wheel|hwheel|<code> <v>   ABS x|y|<code> <v>
 * with linux/input-event-codes.h numbers (KEY_A = 30, BTN_LEFT = 272; value 1 press, 0 release). */
#ifndef GUEST_INPUT_H
#define GUEST_INPUT_H
#include <poll.h>

#define INPUT_MAX_DEVS 16

struct pointer {
    int x, y;        /* on screen, clamped to the surface */
    int last_key;    /* the last KEY/BTN code and value, -1 before any */
    int last_value;
};

/* Opens event nodes not open yet (devices such as a USB tablet appear after boot); prints
 * "GUEST-INPUT eventN <name>" for each. */
void input_scan(void);
/* Fills pollfds for the open devices; returns how many. */
int input_pollfds(struct pollfd *fds, int max);
/* Reads what is pending on the device behind fds[i] of the last input_pollfds; returns 1 when
 * the pointer or the last key changed. */
int input_read(int i, struct pointer *p, int width, int height);

#endif
