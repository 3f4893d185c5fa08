#include "sound.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sound/asound.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define CHANNELS 2
#define PERIOD 480 /* frames: 10 ms */

/* The card's devices appear some time after its driver loads (the codec probes in the background);
 * a device the sound job before is still closing is busy a moment. */
static int open_retry(const char *path, int flags)
{
    for (int i = 0; i < 100; i++) {
        int fd = open(path, flags | O_CLOEXEC);
        if (fd >= 0 || (errno != ENOENT && errno != EBUSY))
            return fd;
        usleep(100000);
    }
    return -1;
}

static struct snd_mask *mask(struct snd_pcm_hw_params *p, int param)
{
    return &p->masks[param - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}

static struct snd_interval *interval(struct snd_pcm_hw_params *p, int param)
{
    return &p->intervals[param - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

static void mask_only(struct snd_pcm_hw_params *p, int param, unsigned bit)
{
    struct snd_mask *m = mask(p, param);
    memset(m, 0, sizeof *m);
    m->bits[bit / 32] = 1u << (bit % 32);
}

static void interval_is(struct snd_pcm_hw_params *p, int param, unsigned v)
{
    struct snd_interval *i = interval(p, param);
    i->min = i->max = v;
    i->integer = 1;
}

/* A PCM device in 48 kHz stereo S16, interleaved, periods of 10 ms; the kernel picks the rest. */
static int pcm_open(const char *path, int flags)
{
    int fd = open_retry(path, flags);
    if (fd < 0)
        return -1;
    struct snd_pcm_hw_params p;
    memset(&p, 0, sizeof p);
    for (int k = SNDRV_PCM_HW_PARAM_FIRST_MASK; k <= SNDRV_PCM_HW_PARAM_LAST_MASK; k++)
        memset(mask(&p, k), 0xff, sizeof(struct snd_mask));
    for (int k = SNDRV_PCM_HW_PARAM_FIRST_INTERVAL; k <= SNDRV_PCM_HW_PARAM_LAST_INTERVAL; k++)
        interval(&p, k)->max = UINT_MAX;
    p.rmask = ~0u;
    p.info = ~0u;
    mask_only(&p, SNDRV_PCM_HW_PARAM_ACCESS, SNDRV_PCM_ACCESS_RW_INTERLEAVED);
    mask_only(&p, SNDRV_PCM_HW_PARAM_FORMAT, SNDRV_PCM_FORMAT_S16_LE);
    mask_only(&p, SNDRV_PCM_HW_PARAM_SUBFORMAT, SNDRV_PCM_SUBFORMAT_STD);
    interval_is(&p, SNDRV_PCM_HW_PARAM_CHANNELS, CHANNELS);
    interval_is(&p, SNDRV_PCM_HW_PARAM_RATE, RATE);
    interval_is(&p, SNDRV_PCM_HW_PARAM_PERIOD_SIZE, PERIOD);
    struct snd_interval *periods = interval(&p, SNDRV_PCM_HW_PARAM_PERIODS);
    periods->min = 4;
    periods->max = 8;
    periods->integer = 1;
    if (ioctl(fd, SNDRV_PCM_IOCTL_HW_PARAMS, &p) || ioctl(fd, SNDRV_PCM_IOCTL_PREPARE)) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Prepares the stream again; refused (seen as EIO right after the player before was killed, its
 * stream still stopping), tried again every 10 ms for up to a second. */
static int prepare_retry(int fd)
{
    for (int i = 0;; i++) {
        if (ioctl(fd, SNDRV_PCM_IOCTL_PREPARE) == 0)
            return 0;
        if (i == 0)
            printf("GUEST-SOUND prepare refused (%s); trying again\n", strerror(errno));
        if (i == 100)
            return -1;
        usleep(10000);
    }
}

/* Frames moved by a read or write ioctl. An overrun or underrun (EPIPE), and a stream that
 * stalled past the kernel's timeout (EIO: seen under TCG on a loaded host, QEMU's HDA timer
 * starved), are recovered by preparing again: a tone with a gap, never a tone that ends. A start
 * refused as busy (EBUSY: seen once the player before was killed, its stream still stopping) is
 * tried again for up to a second. */
static int transfer(int fd, unsigned long request, int16_t *buf, unsigned frames)
{
    struct snd_xferi x = {.buf = buf, .frames = frames};
    for (int busy = 0; ioctl(fd, request, &x) != 0;) {
        int err = errno;
        if (err == EBUSY && busy++ < 100) {
            if (busy == 1)
                printf("GUEST-SOUND device busy; trying again\n");
            usleep(10000);
            continue;
        }
        if ((err == EPIPE || err == EIO) && prepare_retry(fd) == 0) {
            if (err == EIO)
                printf("GUEST-SOUND stream stalled; prepared again\n");
            if (request == SNDRV_PCM_IOCTL_READI_FRAMES)
                ioctl(fd, SNDRV_PCM_IOCTL_START);
            return 0;
        }
        errno = err;
        return -1;
    }
    return (int)x.result;
}

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

/* Runs `job` in a child process; the parent returns at once with its pid (-1 if none). */
static pid_t in_child(void (*job)(int), int arg)
{
    signal(SIGCHLD, reap);
    pid_t pid = fork();
    if (pid == 0) {
        job(arg);
        _exit(0);
    }
    if (pid < 0)
        printf("GUEST-ERROR fork: %s\n", strerror(errno));
    return pid;
}

/* The child playing now, if any. */
static pid_t player = -1;

/* One period of a sine of `hz` (silence for 0) into `buf`, continuing from `*phase`. */
static void sine(int16_t *buf, int hz, double *phase)
{
    double step = 2 * M_PI * hz / RATE;
    for (int i = 0; i < PERIOD; i++) {
        int16_t v = hz ? (int16_t)(12000 * sin(*phase)) : 0;
        *phase += step;
        if (*phase > 2 * M_PI)
            *phase -= 2 * M_PI;
        for (int c = 0; c < CHANNELS; c++)
            buf[i * CHANNELS + c] = v;
    }
}

static int open_playback(const char *what)
{
    int fd = pcm_open("/dev/snd/pcmC0D0p", O_WRONLY);
    if (fd < 0)
        printf("GUEST-ERROR %s: %s\n", what, strerror(errno));
    return fd;
}

static void play(int hz)
{
    int fd = open_playback("tone");
    if (fd < 0)
        return;
    printf("GUEST-SOUND tone %d Hz\n", hz);
    static int16_t buf[PERIOD * CHANNELS];
    double phase = 0;
    for (;;) {
        sine(buf, hz, &phase);
        if (transfer(fd, SNDRV_PCM_IOCTL_WRITEI_FRAMES, buf, PERIOD) < 0) {
            printf("GUEST-ERROR tone: %s\n", strerror(errno));
            return;
        }
    }
}

/* Bursts of BEEP_HZ, BEEP_ON periods of tone every BEEP_EVERY periods, silence between: the
 * stream never stops, so a burst's onset is the only change a client hears. Each burst's first
 * period is announced once the kernel has taken it, with the frames queued ahead of it (the
 * buffer it waits behind). */
#define BEEP_HZ 1000
#define BEEP_ON 10
#define BEEP_EVERY 50

static void beep(int unused)
{
    (void)unused;
    int fd = open_playback("beep");
    if (fd < 0)
        return;
    static int16_t buf[PERIOD * CHANNELS];
    double phase = 0;
    for (unsigned period = 0, n = 0;; period++) {
        unsigned at = period % BEEP_EVERY;
        if (at == 0)
            phase = 0;
        sine(buf, at < BEEP_ON ? BEEP_HZ : 0, &phase);
        snd_pcm_sframes_t queued = 0;
        if (at == 0)
            ioctl(fd, SNDRV_PCM_IOCTL_DELAY, &queued);
        if (transfer(fd, SNDRV_PCM_IOCTL_WRITEI_FRAMES, buf, PERIOD) < 0) {
            printf("GUEST-ERROR beep: %s\n", strerror(errno));
            return;
        }
        if (at == 0)
            printf("GUEST-BEEP %u queued %ld\n", n++, (long)queued);
    }
}

/* Power of `hz` in the first channel (Goertzel). */
static double power(const int16_t *s, int frames, double hz)
{
    double k = 2 * cos(2 * M_PI * hz / RATE), s1 = 0, s2 = 0;
    for (int i = 0; i < frames; i++) {
        double v = s[i * CHANNELS] + k * s1 - s2;
        s2 = s1;
        s1 = v;
    }
    return s1 * s1 + s2 * s2 - k * s1 * s2;
}

static double strongest(const int16_t *s, int frames, double from, double to, double step)
{
    double best = from, most = -1;
    for (double hz = from; hz <= to; hz += step) {
        double p = power(s, frames, hz);
        if (p > most) {
            most = p;
            best = hz;
        }
    }
    return best;
}

/* One second into `pcm`; 0, or -1 with errno. */
static int record_second(int16_t *pcm)
{
    int fd = pcm_open("/dev/snd/pcmC0D0c", O_RDONLY);
    if (fd < 0 || ioctl(fd, SNDRV_PCM_IOCTL_START)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int got = 0;
    while (got < RATE) {
        int n = transfer(fd, SNDRV_PCM_IOCTL_READI_FRAMES, pcm + got * CHANNELS, PERIOD);
        if (n < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        got += n;
    }
    close(fd);
    return 0;
}

static void record(int unused)
{
    (void)unused;
    static int16_t pcm[RATE * CHANNELS];
    if (record_second(pcm)) {
        printf("GUEST-ERROR record: %s\n", strerror(errno));
        return;
    }
    double peak = 0;
    for (int i = 0; i < RATE; i++)
        if (abs(pcm[i * CHANNELS]) > peak)
            peak = abs(pcm[i * CHANNELS]);
    double coarse = strongest(pcm, RATE, 50, 5000, 10);
    printf("GUEST-TONE %.1f peak %.0f\n", strongest(pcm, RATE, coarse - 10, coarse + 10, 0.5), peak);
}

/* The first mixer element whose name ends with `suffix`, its info filled in; -1 if none. */
static int find_control(int fd, const char *suffix, struct snd_ctl_elem_info *info)
{
    struct snd_ctl_elem_id ids[128];
    struct snd_ctl_elem_list list = {.space = 128, .pids = ids};
    if (ioctl(fd, SNDRV_CTL_IOCTL_ELEM_LIST, &list))
        return -1;
    for (unsigned i = 0; i < list.used; i++) {
        const char *name = (const char *)ids[i].name;
        size_t n = strlen(name), m = strlen(suffix);
        if (n < m || strcmp(name + n - m, suffix))
            continue;
        memset(info, 0, sizeof *info);
        info->id = ids[i];
        if (ioctl(fd, SNDRV_CTL_IOCTL_ELEM_INFO, info) == 0)
            return 0;
    }
    return -1;
}

/* Sets every channel of the element ending with `suffix` to the value `percent` of its range gives (a switch: 0 or 1). */
static void set_control(const char *suffix, int percent)
{
    int fd = open_retry("/dev/snd/controlC0", O_RDWR);
    struct snd_ctl_elem_info info;
    if (fd < 0 || find_control(fd, suffix, &info)) {
        printf("GUEST-ERROR mixer: no control \"...%s\"\n", suffix);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct snd_ctl_elem_value v;
    memset(&v, 0, sizeof v);
    v.id = info.id;
    long value = percent;
    if (info.type == SNDRV_CTL_ELEM_TYPE_INTEGER)
        value = info.value.integer.min + (info.value.integer.max - info.value.integer.min) * percent / 100;
    for (unsigned c = 0; c < info.count && c < 128; c++)
        v.value.integer.value[c] = value;
    if (ioctl(fd, SNDRV_CTL_IOCTL_ELEM_WRITE, &v))
        printf("GUEST-ERROR mixer %s: %s\n", (const char *)info.id.name, strerror(errno));
    else
        printf("GUEST-SOUND %s = %ld\n", (const char *)info.id.name, value);
    close(fd);
}

void sound_stop(void)
{
    /* Gone, its device closed, before the next job opens it (reap() may have waited for it first). */
    if (player > 0 && kill(player, SIGKILL) == 0)
        while (waitpid(player, NULL, 0) < 0 && errno == EINTR) {
        }
    player = -1;
}

void sound_tone(int hz)
{
    sound_stop();
    if (hz > 0)
        player = in_child(play, hz);
}

void sound_beep(void)
{
    sound_stop();
    player = in_child(beep, 0);
}

void sound_record(void)
{
    (void)in_child(record, 0);
}

void sound_volume(int percent)
{
    set_control("Playback Volume", percent < 0 ? 0 : percent > 100 ? 100 : percent);
}

void sound_mute(int on)
{
    /* The switch is "on" when sound plays. */
    set_control("Playback Switch", on ? 0 : 1);
}
