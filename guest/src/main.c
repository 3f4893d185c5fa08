/* guestdraw: the test guest's one program. Takes the kernel command line's words as arguments
 * (unknown ones are ignored):
 *   workload=idle|text|desktop|video|movie|input|tone|beep   what to draw (default idle); tone and
 *                                            beep draw the idle frame and play (sound.h)
 *   movie=WxH                                the movie workload's region (default 640x360)
 *   mode=WxH | mode=follow                   draw through DRM in that mode, or in the connector's
 *                                            preferred mode, followed as it changes
 *   draw=fbdev|drm|mirror                    where to draw without mode= (default fbdev); mirror:
 *                                            DRM, the same pixels on every connected head
 *   marker=1                                 the latency marker of bench/e2e (marker.h)
 *   tone=HZ                                  workload=tone's frequency (default 440; sound.h)
 *   sound=1                                  the sound card's drivers (init loads them; implied
 *                                            by workload=tone and workload=beep)
 * Serial console lines out: "GUEST-READY workload=NAME WxH" once a workload's first frame is
 * drawn, "GUEST-MODE WxH" after a mode change, "GUEST-INPUT eventN NAME" per input device, the
 * input echo (input.h), "GUEST-CURSOR 64x64 hot 0,0" when the input workload first shows a
 * hardware cursor (DRM drawing on virtio-gpu), "GUEST-ERROR ..." for a refused command.
 * Commands in (one a line on stdin, the serial console): "workload NAME", "mode WxH",
 * "mode follow", "ping" (answered "PONG"), "stats" (answered "GUEST-STATS workload=NAME
 * frame=N WxH": N counts frames drawn since boot, for a frame rate), "pause" (no more frames nor
 * markers; answered "GUEST-PAUSED frame=N" once the last frame is drawn), "hold" (the same right
 * after the next marker is drawn, answered "GUEST-HELD mark=M frame=N": the screen then is frame N
 * with marker M, for a client's picture to be compared with it) and "resume", for sound
 * (sound.h) "record" (answered "GUEST-TONE HZ ..."), "volume PERCENT", "mute 0|1", "tone HZ" (a
 * tone over whatever is drawn, 0 to stop; a workload switch ends it); "clipboard ...",
 * "clipboard-big N" and "agent restart" go to the guest agent (agent.h). Run as "guestagent",
 * it is that agent; as "guestport", the SPICE port ends (ports.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ports.h"
#include "display.h"
#include "input.h"
#include "marker.h"
#include "sound.h"
#include "movie.h"
#include "workloads.h"

#define CHECK_MS 500 /* how often to look for new input devices and a mode change */

struct state {
    struct display display;
    const struct workload *workload;
    struct pointer pointer;
    unsigned frame;
    int paused;
    int hold; /* pause after the next marker */
    int tone; /* workload=tone's frequency */
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int parse_size(const char *text, int *w, int *h)
{
    char tail;
    return sscanf(text, "%dx%d%c", w, h, &tail) == 2 && *w >= 64 && *w <= 8192 && *h >= 64 && *h <= 8192;
}

/* fbcon would keep drawing its text console (and blinking cursor) over ours. */
static void silence_console(void)
{
    int fd = open("/dev/tty0", O_RDWR | O_CLOEXEC);
    if (fd >= 0 && ioctl(fd, KDSETMODE, KD_GRAPHICS))
        fprintf(stderr, "KDSETMODE: %s\n", strerror(errno));
    /* kept open: the mode lasts as long as someone holds the VT */
}

/* Line mode without echo, so that commands do not come back as output. */
static void quiet_stdin(void)
{
    struct termios t;
    if (tcgetattr(0, &t) == 0) {
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        tcsetattr(0, TCSANOW, &t);
    }
}

static void clamp_pointer(struct state *st)
{
    struct surface *s = &st->display.surf;
    if (st->pointer.x >= s->width)
        st->pointer.x = s->width - 1;
    if (st->pointer.y >= s->height)
        st->pointer.y = s->height - 1;
}

static void start_workload(struct state *st, const struct workload *w)
{
    st->workload = w;
    if (!strcmp(w->name, "tone"))
        sound_tone(st->tone);
    else if (!strcmp(w->name, "beep"))
        sound_beep();
    else
        sound_stop();
    w->draw(&st->display, &st->pointer, st->frame, 1);
    marker_restamp(&st->display);
    printf("GUEST-READY workload=%s %dx%d\n", w->name, st->display.surf.width, st->display.surf.height);
}

static void mode_changed(struct state *st)
{
    clamp_pointer(st);
    st->workload->draw(&st->display, &st->pointer, st->frame, 1);
    marker_restamp(&st->display);
    printf("GUEST-MODE %dx%d\n", st->display.surf.width, st->display.surf.height);
}

static void command(struct state *st, char *line)
{
    char *arg = strchr(line, ' ');
    if (arg)
        *arg++ = 0;
    int w, h;
    const struct workload *wl;
    if (!strcmp(line, "ping")) {
        printf("PONG\n");
    } else if (!strcmp(line, "stats")) {
        printf("GUEST-STATS workload=%s frame=%u %dx%d\n", st->workload->name, st->frame, st->display.surf.width,
               st->display.surf.height);
    } else if (!strcmp(line, "record")) {
        sound_record();
    } else if (!strcmp(line, "volume") && arg) {
        sound_volume(atoi(arg));
    } else if (!strcmp(line, "mute") && arg) {
        sound_mute(atoi(arg));
    } else if (!strcmp(line, "tone") && arg) {
        sound_tone(atoi(arg));
    } else if (!strcmp(line, "pause")) {
        st->paused = 1;
        printf("GUEST-PAUSED frame=%u\n", st->frame);
    } else if (!strcmp(line, "hold")) {
        st->hold = 1;
    } else if (!strcmp(line, "resume")) {
        st->paused = 0;
    } else if (!strcmp(line, "workload") && arg && (wl = workload_find(arg))) {
        start_workload(st, wl);
    } else if (!strcmp(line, "mode") && arg && !strcmp(arg, "follow")) {
        if (st->display.kind == DISPLAY_DRM) {
            st->display.follow = 1;
        } else {
            struct display next;
            if (drm_open(&next, 0, 0, 1)) {
                printf("GUEST-ERROR mode follow: no DRM\n");
                return;
            }
            display_close(&st->display);
            st->display = next;
            mode_changed(st);
        }
    } else if (!strcmp(line, "mode") && arg && parse_size(arg, &w, &h)) {
        if (display_set_mode(&st->display, w, h))
            printf("GUEST-ERROR mode %dx%d refused\n", w, h);
        else
            mode_changed(st);
    } else if (!strcmp(line, "clipboard") || !strcmp(line, "clipboard-big") || !strcmp(line, "agent")) {
        char whole[300];
        snprintf(whole, sizeof whole, "%s %s", line, arg ? arg : "");
        if (agent_forward(whole))
            printf("GUEST-ERROR no guest agent runs\n");
    } else if (*line) {
        printf("GUEST-ERROR unknown command: %s%s%s (workloads: %s)\n", line, arg ? " " : "", arg ? arg : "",
               workload_names());
    }
}

/* One read a wakeup: stdin stays blocking, because it shares its file description with stdout
 * (both are /dev/console) and a non-blocking stdout could drop echo lines. */
static void read_commands(struct state *st)
{
    static char buf[256];
    static size_t len;
    ssize_t n = read(0, buf + len, sizeof buf - 1 - len);
    if (n <= 0)
        return;
    len += (size_t)n;
    char *start = buf, *end;
    while ((end = memchr(start, '\n', len - (size_t)(start - buf)))) {
        *end = 0;
        if (end > start && end[-1] == '\r')
            end[-1] = 0;
        command(st, start);
        start = end + 1;
    }
    len -= (size_t)(start - buf);
    memmove(buf, start, len);
    if (len == sizeof buf - 1) /* a line too long to be a command */
        len = 0;
}

int main(int argc, char **argv)
{
    static struct state st;
    const char *workload = "idle", *mode = NULL, *draw = "fbdev";
    const char *self = strrchr(argv[0], '/');
    if (!strcmp(self ? self + 1 : argv[0], "guestagent"))
        return agent_main();
    if (!strcmp(self ? self + 1 : argv[0], "guestport"))
        return ports_main();
    st.tone = 440;
    int w = 0, h = 0, opened;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "workload=", 9))
            workload = argv[i] + 9;
        else if (!strncmp(argv[i], "mode=", 5))
            mode = argv[i] + 5;
        else if (!strncmp(argv[i], "draw=", 5))
            draw = argv[i] + 5;
        else if (!strncmp(argv[i], "tone=", 5))
            st.tone = atoi(argv[i] + 5);
        else if (!strncmp(argv[i], "movie=", 6) && parse_size(argv[i] + 6, &w, &h))
            movie_set_size(w, h);
        else if (!strcmp(argv[i], "marker=1"))
            marker_enable(now_ms());
    }
    const struct workload *wl = workload_find(workload);
    if (!wl) {
        printf("GUEST-ERROR unknown workload %s (workloads: %s)\n", workload, workload_names());
        return 2;
    }
    w = h = 0;
    if (mode && strcmp(mode, "follow") && !parse_size(mode, &w, &h)) {
        printf("GUEST-ERROR bad mode %s (WxH or follow)\n", mode);
        return 2;
    }
    silence_console();
    if (mode)
        opened = drm_open(&st.display, w, h, !strcmp(mode, "follow"));
    else if (!strcmp(draw, "drm") || !strcmp(draw, "mirror")) {
        drm_mirror(!strcmp(draw, "mirror"));
        opened = drm_open(&st.display, 0, 0, 0);
    }
    else
        opened = fbdev_open(&st.display);
    if (opened) {
        printf("GUEST-ERROR no display\n");
        return 1;
    }
    quiet_stdin();
    st.pointer = (struct pointer){st.display.surf.width / 2, st.display.surf.height / 2, -1, 0};
    input_scan();
    start_workload(&st, wl);

    long next_frame = now_ms() + st.workload->period_ms, next_check = now_ms() + CHECK_MS;
    for (;;) {
        struct pollfd fds[1 + INPUT_MAX_DEVS] = {{.fd = 0, .events = POLLIN}};
        int n = 1 + input_pollfds(fds + 1, INPUT_MAX_DEVS);
        long now = now_ms(), until = next_check;
        if (st.workload->period_ms && !st.paused && next_frame < until)
            until = next_frame;
        if (marker_due() >= 0 && !st.paused && marker_due() < until)
            until = marker_due();
        poll(fds, (nfds_t)n, until > now ? (int)(until - now) : 0);
        if (fds[0].revents & POLLIN)
            read_commands(&st);
        int moved = 0;
        for (int i = 1; i < n; i++)
            if (fds[i].revents & POLLIN)
                moved |= input_read(i - 1, &st.pointer, st.display.surf.width, st.display.surf.height);
        if (moved && st.workload->redraw_on_input) {
            st.workload->draw(&st.display, &st.pointer, st.frame, 0);
            marker_restamp(&st.display);
        }
        now = now_ms();
        if (now >= next_check) {
            next_check = now + CHECK_MS;
            input_scan();
            if (display_poll_change(&st.display))
                mode_changed(&st);
        }
        if (st.workload->period_ms && !st.paused && now >= next_frame) {
            st.frame++;
            st.workload->draw(&st.display, &st.pointer, st.frame, 0);
            marker_restamp(&st.display);
            next_frame += st.workload->period_ms;
            if (next_frame < now) /* fell behind (TCG is slow): skip, do not burst */
                next_frame = now + st.workload->period_ms;
        }
        if (!st.paused && marker_tick(&st.display, now_ms()) && st.hold) {
            st.hold = 0;
            st.paused = 1;
            printf("GUEST-HELD mark=%u frame=%u\n", marker_count(), st.frame);
        }
        if (st.paused)
            next_frame = now_ms() + st.workload->period_ms;
    }
}
