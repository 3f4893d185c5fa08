/**
 * The bridge's display path without QEMU: listener calls go into a real QXL device, and a
 * consumer in this thread (the red-worker's reader, a canvas) shows what a client would get.
 */
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { createLogger } from '../../runtime/log.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { Canvas } from '../../codecs/image/canvas.js';
import { eventfdSignal, type Fd } from '../../native/index.js';
import { QxlConsumer } from '../../native/qxl/endpoints.js';
import { HEAP_OFFSET, SURFACE_READERS_OFFSET, WRITE_GENERATION_OFFSET, type QxlCommand } from '../../native/qxl/layout.js';
import { QxlReader, type QxlWork } from '../../actors/pipeline/red-worker/qxl-reader.js';
import { QxlDevice } from '../../native/qxl/device.js';
import { PHOTO_RECHECK, ScanoutFeed } from '../../actors/hosts/qemu-bridge/scanout.js';
import type { Update } from '../../actors/hosts/qemu-bridge/dbus/display1-listener.js';
import { sameBytes } from '../demo-host/frames.js';
import { eventually, settle } from '../helpers/eventually.js';
import { gradient, noise } from '../helpers/images.js';
import { boxAt } from '../../codecs/box.js';

const X8R8G8B8 = 0x20020888;
const X8B8G8R8 = 0x20030888;
const R8G8B8A8 = 0x20098888;
const R5G6B5 = 0x10020565;
const silent = createLogger('silent');

/** The red-worker's side of a device, driven by hand: `drain` applies every waiting command. */
function consumerOf(device: QxlDevice) {
  const h = device.handoff;
  const memory = device.memory;
  const consumer = new QxlConsumer(memory, [h.slot], () => eventfdSignal(h.producerEventFd as Fd));
  const reader = new QxlReader(new Uint8Array(memory), consumer.slots);
  let canvas: Canvas | null = null;
  // The live surface's create command, held as the red-worker holds it: its memory is the surface.
  let created: QxlCommand | undefined;
  const log: QxlWork['kind'][] = [];
  const cursor: QxlWork[] = [];
  const moves: QxlWork[] = [];
  const written: QxlWork[] = [];
  const drain = () => {
    for (const ring of [consumer.commands, consumer.cursor]) {
      for (let cmd = ring.pop(); cmd !== undefined; cmd = ring.pop()) {
        if ('error' in cmd) throw new Error(cmd.error);
        const w = reader.read(cmd);
        if ('error' in w) throw new Error(w.error);
        log.push(w.kind);
        if (w.kind === 'surface-create' || w.kind === 'surface-destroy') {
          if (created) consumer.release(created);
          created = undefined;
        }
        if (w.kind === 'surface-create') {
          canvas = new Canvas(w.width, w.height, w.pixels);
          created = cmd;
          continue;
        }
        if (w.kind === 'surface-destroy') canvas = null;
        else if (w.kind.startsWith('cursor')) cursor.push(w);
        else if (w.kind === 'moved') moves.push(w);
        else if (w.kind === 'written') written.push(w);
        consumer.release(cmd);
      }
    }
    consumer.releases.flush();
  };
  return { drain, log, cursor, moves, written, canvas: () => canvas };
}

/** A bitmap's pixels tightly packed with the 4th byte zeroed: the device's surface is xRGB, its 4th byte unused. */
function xrgb(b: Bitmap32): Uint8Array {
  const out = new Uint8Array(b.width * b.height * 4);
  for (let y = 0; y < b.height; y++) out.set(b.pixels.subarray(y * b.stride, y * b.stride + b.width * 4), y * b.width * 4);
  for (let i = 3; i < out.length; i += 4) out[i] = 0;
  return out;
}

/** Paints `patch` at (x, y) into `expected`, xRGB rows `width` wide: what the surface then holds. */
function paint(expected: Uint8Array, width: number, patch: Bitmap32, x: number, y: number): void {
  const px = xrgb(patch);
  const row = patch.width * 4;
  for (let r = 0; r < patch.height; r++) expected.set(px.subarray(r * row, r * row + row), ((y + r) * width + x) * 4);
}

/** A surface's pixels with the unused 4th byte zeroed, to compare with `xrgb`. */
const surface = (c: Canvas | null): Uint8Array => {
  if (!c) return new Uint8Array(0);
  const out = c.bitmap.pixels.slice();
  for (let i = 3; i < out.length; i += 4) out[i] = 0;
  return out;
};

const updateOf = (b: Bitmap32, x: number, y: number, format = X8R8G8B8): Update => ({
  ...boxAt(x, y, b.width, b.height),
  stride: b.stride,
  format,
  data: b.pixels,
});

function setup(deviceBytes = 16 * 1024 * 1024) {
  const device = QxlDevice.create(deviceBytes);
  const grows: number[] = [];
  const feed = new ScanoutFeed(device, silent, () => grows.push(1));
  const c = consumerOf(device);
  return { device, feed, grows, ...c, close: () => (feed.close(), device.close()) };
}

test('a Scanout makes the surface and fills it; Updates land where they say, rows padded or not', (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(64, 48, 1, 12); // padded rows, as QEMU's surfaces may have
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  s.drain();
  t.deepEqual(s.log.slice(0, 2), ['surface-create', 'written']);
  const expected = xrgb(screen);
  t.true(sameBytes(surface(s.canvas()), expected));

  const patch = noise(10, 7, 2);
  s.feed.update(updateOf(patch, 50, 40));
  s.drain();
  paint(expected, 64, patch, 50, 40);
  t.true(sameBytes(surface(s.canvas()), expected));
  t.deepEqual(s.grows, []);
  t.like(s.feed.stats(), { width: 64, height: 48, scanouts: 1, updates: 1 });
});

test('while no client watches, damage waits (nothing reaches the device); watched again, what waited goes', (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(64, 48, 1);
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  s.drain();
  s.feed.watch(false);
  s.log.length = 0;
  const expected = xrgb(screen);
  for (const [i, [x, y]] of [
    [2, 3],
    [40, 30],
    [20, 10],
  ].entries()) {
    const patch = noise(8, 8, 10 + i);
    s.feed.update(updateOf(patch, x!, y!));
    paint(expected, 64, patch, x!, y!);
  }
  s.drain();
  t.deepEqual(s.log, [], 'no command for nobody');
  // The surface is the device's: a client's first picture taken now is already right.
  t.true(sameBytes(surface(s.canvas()), expected));
  s.feed.watch(true);
  s.drain();
  t.true(s.log.length > 0 && s.log.every((k) => k === 'written'), 'the damage that waited goes once watched');
  t.true(sameBytes(surface(s.canvas()), expected));
});

test("rows an Update moved go to the device as moves of the write's generation, before the damage of the rest; unchanged rows as nothing", (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(64, 48, 1);
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  s.drain();
  // A terminal's scroll of 8 rows, a new line at the bottom, the top 4 rows (a status bar) kept.
  const next = new Uint8Array(screen.pixels);
  next.copyWithin(4 * 256, 12 * 256, 48 * 256);
  next.set(noise(64, 8, 2).pixels, 40 * 256);
  s.log.length = 0;
  s.feed.update(updateOf({ width: 64, height: 48, stride: 256, pixels: next }, 0, 0));
  s.drain();
  t.deepEqual(s.log, ['moved', 'written']);
  // The count after a write is one more than the write's own (its end is counted too).
  const generation = new Uint32Array(s.device.memory, WRITE_GENERATION_OFFSET, 1)[0]! - 1;
  t.deepEqual(s.moves, [{ kind: 'moved', box: boxAt(0, 4, 64, 36), srcX: 0, srcY: 12, generation }]);
  t.true(sameBytes(surface(s.canvas()), xrgb({ width: 64, height: 48, stride: 256, pixels: next })));
});

test('a box scrolling update after update: each goes as moves, planned from the row hashes its last update left; a write into the box in between hashes its few rows again, or drops them all', (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = new Uint8Array(noise(64, 48, 1).pixels);
  s.feed.scanout({ width: 64, height: 48, stride: 256, format: X8R8G8B8, data: screen });
  s.drain();
  /** The screen scrolled up 8 rows, a new line at the bottom, as one Update of the whole box. */
  const scroll = (seed: number) => {
    screen.copyWithin(0, 8 * 256, 48 * 256);
    screen.set(noise(64, 8, seed).pixels, 40 * 256);
    s.moves.length = 0;
    s.feed.update(updateOf({ width: 64, height: 48, stride: 256, pixels: screen.slice() }, 0, 0));
    s.drain();
    t.true(sameBytes(surface(s.canvas()), xrgb({ width: 64, height: 48, stride: 256, pixels: screen })));
    return s.moves.map((m) => m.kind === 'moved' && [m.box.top, m.box.bottom, m.srcY]);
  };
  t.deepEqual(scroll(2), [[0, 40, 8]]);
  t.deepEqual(scroll(3), [[0, 40, 8]], 'from the hashes the first scroll left');
  // Rows drawn anew between two scrolls, 8 (too few to plan: only written; hashed again) then 20
  // (planned, a box of its own; too many to hash again). Hashes kept from before would not match
  // them, and the next scroll would send them again instead of moving them.
  const drawn = (seed: number, top: number, height: number) => {
    const rows = noise(64, height, seed);
    screen.set(rows.pixels, top * 256);
    s.feed.update(updateOf(rows, 0, top));
    s.drain();
  };
  drawn(4, 16, 8);
  t.deepEqual(scroll(5), [[0, 40, 8]], 'the 8 rows drawn in between moved too');
  drawn(6, 20, 20);
  t.deepEqual(scroll(7), [[0, 40, 8]], 'the 20 rows drawn in between moved too');
});

test('a box found photo-like is taken for one, unsearched, for its next PHOTO_RECHECK updates; then it is checked again and its moves are found', (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(64, 48, 1);
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  s.feed.update(updateOf(gradient(64, 48), 0, 0));
  s.drain();
  // Then the box shows text scrolling 8 rows an update (noise, as in the test above).
  let current = new Uint8Array(noise(64, 48, 2).pixels);
  s.feed.update(updateOf({ width: 64, height: 48, stride: 256, pixels: current }, 0, 0));
  const kinds: string[][] = [];
  for (let i = 0; i < PHOTO_RECHECK; i++) {
    s.drain();
    s.log.length = 0;
    current = current.slice();
    current.copyWithin(0, 8 * 256);
    current.set(noise(64, 8, 10 + i).pixels, 40 * 256);
    s.feed.update(updateOf({ width: 64, height: 48, stride: 256, pixels: current }, 0, 0));
    s.drain();
    kinds.push([...s.log]);
    // Something else drawn between the box's updates (a marker over the video) does not end the trust.
    s.feed.update(updateOf(noise(16, 16, 99), 40, 0));
    paint(current, 64, noise(16, 16, 99), 40, 0);
  }
  t.deepEqual(kinds.slice(0, -1), Array(PHOTO_RECHECK - 1).fill(['written']), 'taken for the photo, not searched');
  t.deepEqual(kinds.at(-1), ['moved', 'written'], 'checked again: the scroll is found');
  t.true(sameBytes(surface(s.canvas()), xrgb({ width: 64, height: 48, stride: 256, pixels: current })));
});

test('a window dragged diagonally (one damaged box over where it was and where it is) goes to the device as moves from where it was; for a client on a slow link, as damage', (t) => {
  for (const findDrags of [true, false]) {
    const s = setup();
    t.teardown(s.close);
    s.feed.watch(true, findDrags);
    const screen = noise(256, 192, 1);
    const window = noise(96, 80, 3);
    const place = (pixels: Uint8Array, x: number, y: number) => {
      for (let r = 0; r < 80; r++)
        pixels.set(window.pixels.subarray(r * window.stride, r * window.stride + 96 * 4), ((y + r) * 256 + x) * 4);
    };
    const before = new Uint8Array(screen.pixels);
    place(before, 40, 40);
    s.feed.scanout({ width: 256, height: 192, stride: 1024, format: X8R8G8B8, data: before });
    s.drain();
    // Dragged by (6, 4): the background where it was, the window where it is, one Update of both.
    const after = new Uint8Array(screen.pixels);
    place(after, 46, 44);
    const box = boxAt(40, 40, 102, 84);
    const region = new Uint8Array(102 * 84 * 4);
    for (let r = 0; r < 84; r++) region.set(after.subarray(((40 + r) * 256 + 40) * 4, ((40 + r) * 256 + 142) * 4), r * 102 * 4);
    s.log.length = 0;
    s.feed.update(updateOf({ width: 102, height: 84, stride: 102 * 4, pixels: region }, box.left, box.top));
    s.drain();
    if (findDrags) {
      t.true(s.moves.length > 0, 'moves reach the device');
      t.is(s.log.indexOf('moved'), 0, 'moves before the damage');
      for (const m of s.moves) if (m.kind === 'moved') t.deepEqual([m.srcX - m.box.left, m.srcY - m.box.top], [-6, -4]);
    } else t.is(s.moves.length, 0, 'not looked for: the box is damage');
    t.true(sameBytes(surface(s.canvas()), xrgb({ width: 256, height: 192, stride: 1024, pixels: after })));
  }
});

test('a drag over several Updates goes as moves each time (the move finder first while a window moves sideways); a scroll after it is still found', (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(256, 192, 1);
  const window = noise(96, 80, 3);
  const place = (pixels: Uint8Array, x: number, y: number) => {
    for (let r = 0; r < 80; r++) pixels.set(window.pixels.subarray(r * window.stride, r * window.stride + 96 * 4), ((y + r) * 256 + x) * 4);
  };
  const send = (pixels: Uint8Array, box: ReturnType<typeof boxAt>) => {
    const w = box.right - box.left;
    const h = box.bottom - box.top;
    const region = new Uint8Array(w * h * 4);
    for (let r = 0; r < h; r++)
      region.set(pixels.subarray(((box.top + r) * 256 + box.left) * 4, ((box.top + r) * 256 + box.right) * 4), r * w * 4);
    s.log.length = 0;
    s.moves.length = 0;
    s.feed.update(updateOf({ width: w, height: h, stride: w * 4, pixels: region }, box.left, box.top));
    s.drain();
  };
  let current = new Uint8Array(screen.pixels);
  place(current, 40, 40);
  s.feed.scanout({ width: 256, height: 192, stride: 1024, format: X8R8G8B8, data: current });
  s.drain();
  for (let step = 1; step <= 3; step++) {
    const [x, y] = [40 + 8 * (step - 1), 40 + 2 * (step - 1)];
    current = new Uint8Array(screen.pixels);
    place(current, x + 8, y + 2);
    send(current, boxAt(x, y, 104, 82));
    t.true(s.moves.length > 0, `step ${step}: moves`);
    for (const m of s.moves) if (m.kind === 'moved') t.deepEqual([m.srcX - m.box.left, m.srcY - m.box.top], [-8, -2], `step ${step}`);
  }
  // The whole screen scrolls up 16 rows, a new strip at the bottom.
  current = current.slice();
  current.copyWithin(0, 16 * 1024);
  current.set(noise(256, 16, 7).pixels, 176 * 1024);
  send(current, boxAt(0, 0, 256, 192));
  t.true(s.moves.length > 0, 'the scroll: moves');
  for (const m of s.moves) if (m.kind === 'moved') t.deepEqual([m.srcX - m.box.left, m.srcY - m.box.top], [0, 16]);
  t.true(sameBytes(surface(s.canvas()), xrgb({ width: 256, height: 192, stride: 1024, pixels: current })));
});

test('the other 32-bit channel orders are converted; a format with other bits is dropped, not drawn', (t) => {
  const s = setup();
  t.teardown(s.close);
  const black = new Uint8Array(4 * 4 * 4);
  s.feed.scanout({ width: 4, height: 4, stride: 16, format: X8R8G8B8, data: black });
  // One pixel, red 0x11 green 0x22 blue 0x33, in memory order for each format.
  s.feed.update({ ...boxAt(0, 0, 1, 1), stride: 4, format: X8B8G8R8, data: Uint8Array.of(0x11, 0x22, 0x33, 0xff) });
  s.feed.update({ ...boxAt(1, 0, 1, 1), stride: 4, format: R8G8B8A8, data: Uint8Array.of(0xff, 0x33, 0x22, 0x11) });
  s.feed.update({ ...boxAt(2, 0, 1, 1), stride: 2, format: R5G6B5, data: Uint8Array.of(0xff, 0xff) });
  s.drain();
  const px = s.canvas()!.bitmap.pixels;
  t.deepEqual([...px.subarray(0, 12)], [0x33, 0x22, 0x11, 0, 0x33, 0x22, 0x11, 0, 0, 0, 0, 0]);
  t.is(s.feed.stats().updates, 2);
});

test('an Update beyond the surface grows it (QEMU 7.2 sends no Scanout in text mode) and asks for the real size, which then wins', (t) => {
  const s = setup();
  t.teardown(s.close);
  const first = noise(640, 480, 3);
  s.feed.scanout({ width: 640, height: 480, stride: first.stride, format: X8R8G8B8, data: first.pixels });
  const row = noise(720, 16, 4);
  s.feed.update(updateOf(row, 0, 0));
  t.is(s.grows.length, 1);
  t.like(s.feed.stats(), { width: 720, height: 480 });
  s.feed.resize(720, 400); // Console Width/Height
  s.drain();
  t.deepEqual(s.log, [
    'surface-create',
    'written',
    'surface-destroy',
    'surface-create',
    'written',
    'surface-destroy',
    'surface-create',
    'written',
  ]);
  const canvas = s.canvas()!;
  t.deepEqual([canvas.width, canvas.height], [720, 400]);
  const px = surface(canvas);
  t.true(sameBytes(px.subarray(0, 720 * 16 * 4), xrgb(row)), 'the new row is there');
  // Below the row and left of 640: what the first surface had there.
  t.true(sameBytes(px.subarray(720 * 16 * 4, 720 * 16 * 4 + 640 * 4), xrgb(first).subarray(640 * 16 * 4, 640 * 17 * 4)));
});

test('a full device never blocks the caller: damage waits merged, and goes once there is room', async (t) => {
  // A heap that holds a few full frames: the consumer is stalled, so it fills.
  const s = setup(HEAP_OFFSET + 1024 * 1024);
  t.teardown(s.close);
  const frame = (i: number) => noise(256, 256, 100 + i);
  s.feed.scanout({ width: 256, height: 256, stride: 1024, format: X8R8G8B8, data: frame(0).pixels });
  let last = frame(0);
  for (let i = 1; i <= 40; i++) {
    last = frame(i);
    s.feed.update(updateOf(last, 0, 0));
    // Small ones too, all inside the big one, each also on the surface.
    s.feed.update(updateOf(noise(8, 8, 1000 + i), i * 4, i * 4));
  }
  t.true(s.feed.stats().deferred > 0, 'the device filled up');
  // The stalled consumer wakes up: it takes what was pushed, and releases make room for the rest.
  // Each whole frame covers the small update before it: the last frame and the last small one are left.
  const expected = xrgb(last);
  paint(expected, 256, noise(8, 8, 1040), 160, 160);
  // The pixels are on the surface at once; the damage reaches the red-worker as releases make room.
  await eventually('the latest frame on the surface, every damage taken', async () => {
    s.drain();
    await settle(5);
    return s.canvas() !== null && sameBytes(surface(s.canvas()), expected) && s.feed.stats().latencyUs.count === 81;
  });
  const copies = s.log.filter((k) => k === 'written').length;
  t.true(copies < 80, `${copies} copies for 80 updates: what waited was merged`);
  t.is(s.feed.stats().latencyUs.count, 81);
});

test("QEMU's pixels go once into the device's surface; a new size the device has no room for yet waits aside and arrives whole", async (t) => {
  // Room for one surface of either size, not for both: the old one is the red-worker's until it takes the destroy.
  const s = setup(HEAP_OFFSET + 1024 * 1024);
  t.teardown(s.close);
  const first = noise(300, 300, 6);
  s.feed.scanout({ width: 300, height: 300, stride: first.stride, format: X8R8G8B8, data: first.pixels });
  s.drain();
  t.is(s.canvas()!.bitmap.pixels.buffer, s.device.memory, 'the surface the red-worker draws and snapshots from is the device memory');
  t.true(sameBytes(surface(s.canvas()), xrgb(first)));

  const second = noise(420, 420, 7);
  s.feed.scanout({ width: 420, height: 420, stride: second.stride, format: X8R8G8B8, data: second.pixels });
  const patch = noise(20, 10, 8);
  s.feed.update(updateOf(patch, 400, 410));
  const expected = xrgb(second);
  paint(expected, 420, patch, 400, 410);
  await eventually('the new surface with every pixel written meanwhile', async () => {
    s.drain();
    await settle(5);
    return s.canvas()?.width === 420 && sameBytes(surface(s.canvas()), expected);
  });
  t.deepEqual(s.log.slice(0, 5), ['surface-create', 'written', 'surface-destroy', 'surface-create', 'written']);
});

test('the cursor: its shape with the hot spot, positions as the hot spot, hidden and shown again; disable hides it and drops the surface', (t) => {
  const s = setup();
  t.teardown(s.close);
  s.feed.scanout({ width: 32, height: 32, stride: 128, format: X8R8G8B8, data: new Uint8Array(32 * 32 * 4) });
  const data = noise(16, 16, 5).pixels;
  s.feed.cursorDefine({ width: 16, height: 16, hotX: 3, hotY: 4, data });
  s.feed.mouseSet(10, 20, true);
  s.feed.mouseSet(11, 20, true);
  s.feed.mouseSet(11, 20, false);
  s.feed.mouseSet(12, 21, true);
  s.drain();
  t.deepEqual(
    s.cursor.map((w) =>
      w.kind === 'cursor-set' ? { kind: w.kind, x: w.x, y: w.y, visible: w.visible, hot: [w.shape.hotX, w.shape.hotY] } : w,
    ),
    [
      { kind: 'cursor-set', x: 3, y: 4, visible: false, hot: [3, 4] },
      { kind: 'cursor-set', x: 13, y: 24, visible: true, hot: [3, 4] },
      { kind: 'cursor-move', x: 14, y: 24 },
      { kind: 'cursor-hide' },
      { kind: 'cursor-set', x: 15, y: 25, visible: true, hot: [3, 4] },
    ],
  );
  s.cursor.length = 0;
  s.feed.disable();
  s.drain();
  t.is(s.canvas(), null);
  t.deepEqual(s.cursor, [{ kind: 'cursor-hide' }]);
  t.like(s.feed.stats(), { width: 0, height: 0 });
});

test("a video's Update is placed: its pixels read straight into the surface's rows (the write counted from then to its end), and it comes with them there; other shapes are not placed, and a placed Update that never came leaves its write ended and the surface damaged whole", (t) => {
  const s = setup();
  t.teardown(s.close);
  const count = new Uint32Array(s.device.memory, WRITE_GENERATION_OFFSET, 1);
  const screen = noise(64, 48, 1);
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  const whole = { ...boxAt(0, 0, 64, 48), stride: 256, format: X8R8G8B8 };
  const place = (u: typeof whole, bytes: number) => s.feed.place({ kind: 'update', box: u, stride: u.stride, format: u.format }, bytes);
  t.is(place(whole, 256 * 48), null, 'not a video yet: its moves are looked for against the picture before');
  s.feed.update(updateOf(gradient(64, 48), 0, 0));
  s.drain();
  s.log.length = 0;

  for (const [why, u, bytes] of [
    ['part of the rows', { ...whole, ...boxAt(8, 0, 56, 48), stride: 224 }, 224 * 48],
    ['another format', { ...whole, format: X8B8G8R8 }, 256 * 48],
    ['padded rows', { ...whole, stride: 260 }, 260 * 48],
    ['bytes that are not its rows', whole, 256 * 48 - 4],
    ['another box', { ...whole, ...boxAt(0, 8, 64, 40) }, 256 * 40],
  ] as const)
    t.is(place(u, bytes), null, why);
  const before = count[0]!;
  t.is(before % 2, 0);
  // A pool thread reading the surface in place (an MJPEG frame): the pixels come into a buffer of their own.
  const readers = new Uint32Array(s.device.memory, SURFACE_READERS_OFFSET, 1);
  Atomics.store(readers, 0, 1);
  t.is(place(whole, 256 * 48), null, 'read in place now');
  Atomics.store(readers, 0, 0);

  const next = gradient(64, 48).pixels.map((b, i) => (b + i) & 0xff);
  const into = place(whole, 256 * 48)!;
  t.is(into.buffer, s.device.memory, 'the device memory itself');
  t.is(count[0], before + 1, 'a write is on while the bytes come');
  into.set(next);
  s.feed.update({ ...whole, data: into });
  t.is(count[0], before + 2);
  s.drain();
  t.deepEqual(s.log, ['written']);
  t.true(sameBytes(surface(s.canvas()), xrgb({ width: 64, height: 48, stride: 256, pixels: next })));

  // A page flip: the next frame as a Scanout of the same size, placed too; one of another size is not.
  const scanoutPlace = (width: number, height: number) =>
    s.feed.place({ kind: 'scanout', box: boxAt(0, 0, width, height), stride: width * 4, format: X8R8G8B8 }, width * height * 4);
  t.is(scanoutPlace(64, 40), null);
  const flipped = scanoutPlace(64, 48)!;
  const third = next.map((b) => b ^ 0x55);
  flipped.set(third);
  s.log.length = 0;
  s.feed.scanout({ width: 64, height: 48, stride: 256, format: X8R8G8B8, data: flipped });
  s.drain();
  t.deepEqual(s.log, ['written']);
  t.true(sameBytes(surface(s.canvas()), xrgb({ width: 64, height: 48, stride: 256, pixels: third })));

  // Placed, then the link fails before the Update is whole: the next call ends the write, and the whole surface goes.
  const half = place(whole, 256 * 48)!;
  half.fill(7, 0, 256 * 10);
  s.log.length = 0;
  s.feed.update(updateOf(noise(8, 8, 5), 0, 0));
  t.is(count[0]! % 2, 0);
  s.drain();
  t.true(s.log.length > 0 && s.log.every((k) => k === 'written'));
  t.like(s.written.at(-1), { box: boxAt(0, 0, 64, 48) }, 'the whole surface goes again');
  t.true(
    sameBytes(
      surface(s.canvas()).subarray(256 * 8, 256 * 10),
      new Uint8Array(512).fill(7).map((b, i) => (i % 4 === 3 ? 0 : b)),
    ),
  );
});

test('a write into the surface waits, blocked, while a pool thread reads it in place (an MJPEG frame), at most 10 ms: the read sees no write', async (t) => {
  const s = setup();
  t.teardown(s.close);
  const screen = noise(64, 48, 1);
  s.feed.scanout({ width: 64, height: 48, stride: screen.stride, format: X8R8G8B8, data: screen.pixels });
  s.drain();
  // A reader as the pool thread is one: counted, the write count read before and after. It reads on
  // for 5 ms from the moment the write is about to start (`go`), so however late its 'reading' is
  // delivered here, the write meets a reader still reading.
  const go = new Int32Array(new SharedArrayBuffer(4));
  const reader = new Worker(
    `const { workerData: w, parentPort } = require('node:worker_threads');
    const readers = new Int32Array(w.memory, w.readersAt, 1);
    const writes = new Uint32Array(w.memory, w.writesAt, 1);
    Atomics.add(readers, 0, 1);
    const before = Atomics.load(writes, 0);
    parentPort.postMessage('reading');
    Atomics.wait(w.go, 0, 0);
    const until = performance.now() + 5;
    while (performance.now() < until) {}
    const after = Atomics.load(writes, 0);
    if (Atomics.sub(readers, 0, 1) === 1) Atomics.notify(readers, 0);
    parentPort.postMessage({ before, after });`,
    {
      eval: true,
      workerData: { memory: s.device.memory, readersAt: SURFACE_READERS_OFFSET, writesAt: WRITE_GENERATION_OFFSET, go },
    },
  );
  t.teardown(() => reader.terminate());
  const messages: unknown[] = [];
  const next = () => new Promise((r) => reader.once('message', r));
  messages.push(await next());
  const read = next();
  const started = performance.now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  s.feed.update(updateOf(noise(8, 8, 3), 0, 0));
  const waited = performance.now() - started;
  const { before, after } = (await read) as { before: number; after: number };
  // The wait is bounded (10 ms): a reader descheduled past it on a loaded machine (a CI run's) is
  // written under, by design; only a write that went before the bound had to wait for the read.
  if (waited < 9.5) t.is(after, before, 'no write while it read');
  else t.log(`the reader held the surface past the bound (the write waited ${waited.toFixed(1)} ms): written under, by design`);
  t.true(waited >= 3 && waited < 100, `the write waited ${waited.toFixed(1)} ms`);
  // A reader that never leaves holds a write back 10 ms at most.
  const readers = new Int32Array(s.device.memory, SURFACE_READERS_OFFSET, 1);
  Atomics.store(readers, 0, 1);
  const again = performance.now();
  s.feed.update(updateOf(noise(8, 8, 4), 0, 0));
  const held = performance.now() - again;
  Atomics.store(readers, 0, 0);
  t.true(held >= 9 && held < 100, `held ${held.toFixed(1)} ms`);
  s.drain();
  t.deepEqual(messages, ['reading']);
});
