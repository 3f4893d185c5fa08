/* /dev/fb0: the DRM driver's fbdev emulation. It cannot change the mode (the kernel refuses
 * a larger fb and does not push a smaller one to KMS), but the geometry is re-read on every
 * poll so that a remap follows whatever the kernel did. */
#include "display.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int map_geometry(struct display *d)
{
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    if (ioctl(d->fd, FBIOGET_VSCREENINFO, &var) || ioctl(d->fd, FBIOGET_FSCREENINFO, &fix)) {
        fprintf(stderr, "fbdev: get screeninfo: %s\n", strerror(errno));
        return -1;
    }
    if (var.bits_per_pixel != 32) {
        fprintf(stderr, "fbdev: %u bpp, only 32 is handled\n", var.bits_per_pixel);
        return -1;
    }
    size_t need = (size_t)(var.yoffset + var.yres) * fix.line_length;
    if (need > fix.smem_len || (var.xoffset + var.xres) * 4 > fix.line_length) {
        fprintf(stderr, "fbdev: visible area outside the buffer\n");
        return -1;
    }
    if (d->map)
        munmap(d->map, d->map_len);
    d->map = mmap(NULL, fix.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
    if (d->map == MAP_FAILED) {
        d->map = NULL;
        d->surf = (struct surface){0};
        fprintf(stderr, "fbdev: mmap: %s\n", strerror(errno));
        return -1;
    }
    d->map_len = fix.smem_len;
    d->fb_xoff = var.xoffset;
    d->fb_yoff = var.yoffset;
    d->fb_line = fix.line_length;
    d->surf = (struct surface){
        .px = (uint32_t *)((char *)d->map + (size_t)var.yoffset * fix.line_length) + var.xoffset,
        .width = (int)var.xres,
        .height = (int)var.yres,
        .stride = (int)(fix.line_length / 4),
        .roff = (int)var.red.offset,
        .goff = (int)var.green.offset,
        .boff = (int)var.blue.offset,
    };
    return 0;
}

int fbdev_open(struct display *d)
{
    *d = (struct display){.kind = DISPLAY_FBDEV};
    d->fd = open("/dev/fb0", O_RDWR | O_CLOEXEC);
    if (d->fd < 0) {
        fprintf(stderr, "fbdev: open /dev/fb0: %s\n", strerror(errno));
        return -1;
    }
    if (map_geometry(d)) {
        close(d->fd);
        return -1;
    }
    return 0;
}

int fbdev_poll_change(struct display *d)
{
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    if (ioctl(d->fd, FBIOGET_VSCREENINFO, &var) || ioctl(d->fd, FBIOGET_FSCREENINFO, &fix))
        return 0;
    if ((int)var.xres == d->surf.width && (int)var.yres == d->surf.height && var.xoffset == d->fb_xoff &&
        var.yoffset == d->fb_yoff && fix.line_length == d->fb_line && fix.smem_len == d->map_len)
        return 0;
    return map_geometry(d) == 0;
}

void fbdev_close(struct display *d)
{
    if (d->map)
        munmap(d->map, d->map_len);
    close(d->fd);
    d->map = NULL;
}
