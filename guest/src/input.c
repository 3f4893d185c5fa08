#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct device {
    int fd;
    char node[16];
    struct input_absinfo abs[2]; /* X, Y ranges, for scaling to the screen */
};

static struct device devs[INPUT_MAX_DEVS];
static int n_devs;

static int is_open(const char *node)
{
    for (int i = 0; i < n_devs; i++)
        if (!strcmp(devs[i].node, node))
            return 1;
    return 0;
}

void input_scan(void)
{
    DIR *dir = opendir("/dev/input");
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) && n_devs < INPUT_MAX_DEVS) {
        if (strncmp(e->d_name, "event", 5) || strlen(e->d_name) >= sizeof devs[0].node || is_open(e->d_name))
            continue;
        char path[64], name[128] = "";
        snprintf(path, sizeof path, "/dev/input/%s", e->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct device *d = &devs[n_devs++];
        *d = (struct device){.fd = fd};
        strcpy(d->node, e->d_name);
        ioctl(fd, EVIOCGNAME(sizeof name - 1), name);
        ioctl(fd, EVIOCGABS(ABS_X), &d->abs[0]);
        ioctl(fd, EVIOCGABS(ABS_Y), &d->abs[1]);
        printf("GUEST-INPUT %s %s\n", d->node, name);
    }
    closedir(dir);
}

int input_pollfds(struct pollfd *fds, int max)
{
    int n = n_devs < max ? n_devs : max;
    for (int i = 0; i < n; i++)
        fds[i] = (struct pollfd){.fd = devs[i].fd, .events = POLLIN};
    return n;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int scale_abs(const struct input_absinfo *a, int v, int size)
{
    long range = (long)a->maximum - a->minimum;
    return range > 0 ? clamp((int)(((long)v - a->minimum) * (size - 1) / range), 0, size - 1) : 0;
}

static const char *axis_name(int type, int code)
{
    if (type == EV_REL)
        return code == REL_X ? "x" : code == REL_Y ? "y" : code == REL_WHEEL ? "wheel" : code == REL_HWHEEL ? "hwheel" : NULL;
    return code == ABS_X ? "x" : code == ABS_Y ? "y" : NULL;
}

static int is_button(int code)
{
    return (code >= BTN_MISC && code < KEY_OK) || (code >= BTN_DPAD_UP && code < KEY_ALS_TOGGLE);
}

static int apply(const struct device *d, const struct input_event *ev, struct pointer *p, int width, int height)
{
    const char *axis;
    switch (ev->type) {
    case EV_KEY:
        printf("%s %d %d\n", is_button(ev->code) ? "BTN" : "KEY", ev->code, ev->value);
        p->last_key = ev->code;
        p->last_value = ev->value;
        return 1;
    case EV_REL:
    case EV_ABS:
        axis = axis_name(ev->type, ev->code);
        if (axis)
            printf("%s %s %d\n", ev->type == EV_REL ? "REL" : "ABS", axis, ev->value);
        else
            printf("%s %d %d\n", ev->type == EV_REL ? "REL" : "ABS", ev->code, ev->value);
        if (ev->type == EV_REL && ev->code == REL_X)
            p->x = clamp(p->x + ev->value, 0, width - 1);
        else if (ev->type == EV_REL && ev->code == REL_Y)
            p->y = clamp(p->y + ev->value, 0, height - 1);
        else if (ev->type == EV_ABS && ev->code == ABS_X)
            p->x = scale_abs(&d->abs[0], ev->value, width);
        else if (ev->type == EV_ABS && ev->code == ABS_Y)
            p->y = scale_abs(&d->abs[1], ev->value, height);
        else
            return 0;
        return 1;
    default:
        return 0;
    }
}

int input_read(int i, struct pointer *p, int width, int height)
{
    if (i < 0 || i >= n_devs)
        return 0;
    struct device *d = &devs[i];
    struct input_event evs[32];
    int changed = 0;
    for (;;) {
        ssize_t n = read(d->fd, evs, sizeof evs);
        if (n < (ssize_t)sizeof evs[0]) {
            if (n < 0 && errno == ENODEV) { /* unplugged: forget it, a rescan may find it again */
                close(d->fd);
                *d = devs[--n_devs];
            }
            break;
        }
        for (size_t k = 0; k < (size_t)n / sizeof evs[0]; k++)
            changed |= apply(d, &evs[k], p, width, height);
    }
    fflush(stdout);
    return changed;
}
