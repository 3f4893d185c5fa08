import test from 'ava';
import { statSync } from 'node:fs';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { rgbAt } from '../helpers/images.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { abs, button, inputSendEvent, rel, sendKey } from '../../guest/qmp.js';

// One build for the file; later calls find the cache.
let built: Promise<GuestImage> | undefined;
const image = (): Promise<GuestImage> => (built ??= buildGuest());

/** What guestdraw's idle workload promises (src/workloads.c): colours at places relative to the size. */
function idleSpots(w: number, h: number): Array<{ what: string; x: number; y: number; rgb: number }> {
  const bg = 0x102030;
  return [
    { what: 'background', x: w >> 1, y: 16, rgb: bg },
    { what: 'background left of the red square', x: 31, y: 64, rgb: bg },
    { what: 'red square, first pixel', x: 32, y: 32, rgb: 0xff0000 },
    { what: 'red square, last pixel', x: 95, y: 95, rgb: 0xff0000 },
    { what: 'background right of the red square', x: 96, y: 64, rgb: bg },
    { what: 'green square', x: w - 64, y: 64, rgb: 0x00ff00 },
    { what: 'blue square', x: 64, y: h - 64, rgb: 0x0000ff },
    { what: 'white square', x: w - 64, y: h - 64, rgb: 0xffffff },
    { what: 'yellow box', x: w >> 1, y: h >> 1, rgb: 0xffff00 },
    { what: 'background left of the yellow box', x: ((w - 128) >> 1) - 1, y: h >> 1, rgb: bg },
  ];
}

const idleDrawn = (img: Bitmap32): boolean => idleSpots(img.width, img.height).every((s) => rgbAt(img, s.x, s.y) === s.rgb);

function assertIdle(t: { is: (a: string, b: string, m: string) => void }, img: Bitmap32): void {
  for (const s of idleSpots(img.width, img.height))
    t.is(rgbAt(img, s.x, s.y).toString(16), s.rgb.toString(16), `${s.what} at ${s.x},${s.y}`);
}

/** Pixels that differ between two dumps of the same size, inside the rectangle. */
function changed(a: Bitmap32, b: Bitmap32, x0 = 0, y0 = 0, w = a.width, h = a.height): number {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (rgbAt(a, x, y) !== rgbAt(b, x, y)) n++;
  return n;
}

test.serial('the builder is cached: a second run leaves its products untouched', async (t) => {
  const first = await image();
  const before = statSync(first.initrd).mtimeMs;
  const again = await buildGuest();
  t.deepEqual(again, first);
  t.is(statSync(again.initrd).mtimeMs, before);
});

test.serial('std VGA (bochs-drm, fbdev): the idle frame, keyboard and PS/2 mouse echo, text and desktop move', async (t) => {
  const guest = await Guest.start({ image: await image(), workload: 'idle', vga: 'std' });
  t.teardown(() => guest.stop());
  const ready = await guest.waitReady();
  t.deepEqual(ready, { workload: 'idle', width: 1280, height: 800 });

  const idle = await guest.screendumpUntil(idleDrawn);
  t.deepEqual([idle.width, idle.height], [1280, 800]);
  assertIdle(t, idle);

  let from = guest.mark();
  await sendKey(guest.qmp, ['shift', 'a']);
  for (const line of [/^KEY 42 1$/, /^KEY 30 1$/, /^KEY 30 0$/, /^KEY 42 0$/])
    t.truthy(await guest.waitForLine(line, { from, timeoutMs: 10_000 }));

  from = guest.mark();
  await inputSendEvent(guest.qmp, [rel('x', 5), rel('y', -3)]);
  await inputSendEvent(guest.qmp, [button('left', true)]);
  await inputSendEvent(guest.qmp, [button('left', false)]);
  for (const line of [/^REL x 5$/, /^REL y -3$/, /^BTN 272 1$/, /^BTN 272 0$/])
    t.truthy(await guest.waitForLine(line, { from, timeoutMs: 10_000 }));

  from = guest.mark();
  guest.sendSerial('workload text');
  await guest.waitReady({ from });
  const lit = (img: Bitmap32) => {
    let n = 0;
    for (let y = img.height - 18; y < img.height; y++) for (let x = 0; x < img.width; x++) if (rgbAt(img, x, y) !== 0) n++;
    return n;
  };
  const text1 = await guest.screendumpUntil((img) => lit(img) > 500);
  t.true(lit(text1) > 500, 'the newest line has text');
  const text2 = await guest.screendumpUntil((img) => changed(text1, img) > 0);
  t.true(changed(text1, text2) > 1000, 'the text scrolled');

  from = guest.mark();
  guest.sendSerial('workload desktop');
  await guest.waitReady({ from });
  const desk1 = await guest.screendump();
  const desk2 = await guest.screendumpUntil((img) => changed(desk1, img) > 0);
  t.true(changed(desk1, desk2) > 1000, 'the windows moved');
});

test.serial('virtio-vga (virtio-gpu, DRM): tablet pointer drawn where sent, hardware cursor, mode change, video region', async (t) => {
  const guest = await Guest.start({
    image: await image(),
    workload: 'input',
    vga: 'virtio',
    kernelArgs: ['draw=drm'],
    qemuArgs: ['-device', 'virtio-tablet-pci'],
  });
  t.teardown(() => guest.stop());
  const ready = await guest.waitReady();
  t.deepEqual(ready, { workload: 'input', width: 1280, height: 800 });
  t.truthy(await guest.waitForLine(/^GUEST-INPUT event\d+ QEMU Virtio Tablet$/));
  t.truthy(await guest.waitForLine(/^GUEST-CURSOR 64x64 hot 0,0$/));

  let from = guest.mark();
  await inputSendEvent(guest.qmp, [abs('x', 0x4000), abs('y', 0x2000)]);
  t.truthy(await guest.waitForLine(/^ABS x 16384$/, { from, timeoutMs: 10_000 }));
  t.truthy(await guest.waitForLine(/^ABS y 8192$/, { from, timeoutMs: 10_000 }));
  const mx = Math.floor((0x4000 * 1279) / 0x7fff),
    my = Math.floor((0x2000 * 799) / 0x7fff);
  const marked = await guest.screendumpUntil((img) => rgbAt(img, mx, my) === 0xff00ff);
  t.is(rgbAt(marked, mx, my).toString(16), 'ff00ff', 'the marker is at the tablet position');
  t.is(rgbAt(marked, 640, 400).toString(16), '202020', 'and no longer at the centre');

  from = guest.mark();
  guest.sendSerial('mode 800x600');
  t.truthy(await guest.waitForLine(/^GUEST-MODE 800x600$/, { from }));
  from = guest.mark();
  guest.sendSerial('workload idle');
  t.deepEqual(await guest.waitReady({ from }), { workload: 'idle', width: 800, height: 600 });
  const idle = await guest.screendumpUntil((img) => img.width === 800 && idleDrawn(img));
  t.deepEqual([idle.width, idle.height], [800, 600]);
  assertIdle(t, idle);

  from = guest.mark();
  guest.sendSerial('workload video');
  await guest.waitReady({ from });
  const [rx, ry] = [(800 - 320) >> 1, (600 - 240) >> 1];
  const video1 = await guest.screendumpUntil((img) => rgbAt(img, rx - 1, ry + 10) === 0xffffff);
  // A screendump may catch the guest mid-frame (a busy host): wait for one that shows a new frame.
  const video2 = await guest.screendumpUntil((img) => changed(video1, img, rx, ry, 320, 240) > 320 * 240 * 0.5);
  t.is(rgbAt(video1, rx - 1, ry + 10).toString(16), 'ffffff', 'the region has its white frame');
  t.true(changed(video1, video2, rx, ry, 320, 240) > 320 * 240 * 0.5, 'the region is animated');
  t.is(changed(video1, video2, 0, 0, 800, ry - 2), 0, 'the background above it is still');
});
