/**
 * npm run bench:surface: what a QEMU frame's pixels cost from the bridge's listener call to the
 * snapshot the compressor pool reads, both sides in this thread: the bridge's (ScanoutFeed: the
 * Update into the device) and the red-worker's (its QXL reader, the surface, the snapshot), as
 * the actors do it, in CPU ms per frame; and the resident memory the path holds (`node
 * --expose-gc` for a steadier figure).
 */
import { Canvas } from '../codecs/image/canvas.js';
import { SharedBuffers } from '../codecs/image/shared-buffers.js';
import { boxAt, intersect, type Box } from '../codecs/box.js';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { eventfdSignal, type Fd } from '../native/index.js';
import { QxlConsumer } from '../native/qxl/endpoints.js';
import type { QxlCommand } from '../native/qxl/layout.js';
import { QxlDevice } from '../native/qxl/device.js';
import { QxlReader } from '../actors/pipeline/red-worker/qxl-reader.js';
import { ScanoutFeed } from '../actors/hosts/qemu-bridge/scanout.js';
import { createLogger } from '../runtime/log.js';
import { table } from './stats.js';

const X8R8G8B8 = 0x20020888;
const frames = Number(process.env.BENCH_FRAMES ?? 200);

/** A frame's updates, as QEMU sends them for each workload: boxes in a screen of that size. */
const workloads: Record<string, (w: number, h: number, i: number) => Box[]> = {
  // A window dragged and a clock: two mid-sized boxes moving a little each frame.
  desktop: (w, h, i) => [boxAt((i * 7) % (w - 480), (i * 5) % (h - 360), 480, 360), boxAt(w - 200, h - 40, 160, 24)],
  // A 640x360 video playing in the middle.
  video: (w, h) => [boxAt((w - 640) >> 1, (h - 360) >> 1, 640, 360)],
  full: (w, h) => [boxAt(0, 0, w, h)],
};

/** The red-worker's pixel work on its device: each drawing drawn on the surface, its box snapshotted for the pool. */
function redWorker(device: QxlDevice) {
  const h = device.handoff;
  const consumer = new QxlConsumer(device.memory, [h.slot], () => eventfdSignal(h.producerEventFd as Fd));
  const reader = new QxlReader(new Uint8Array(device.memory), consumer.slots);
  const snapshots = new SharedBuffers();
  let canvas: Canvas | null = null;
  let created: QxlCommand | undefined;
  return {
    surface: () => canvas,
    drain(): void {
      for (let cmd = consumer.commands.pop(); cmd !== undefined; cmd = consumer.commands.pop()) {
        if ('error' in cmd) throw new Error(cmd.error);
        const work = reader.read(cmd);
        if ('error' in work) throw new Error(work.error);
        if (work.kind === 'surface-create' || work.kind === 'surface-destroy') {
          if (created) consumer.release(created);
          created = undefined;
        }
        if (work.kind === 'surface-create') {
          canvas = new Canvas(work.width, work.height, work.pixels);
          created = cmd;
          continue;
        }
        if (canvas && (work.kind === 'copy' || work.kind === 'written')) {
          if (work.kind === 'copy') canvas.copy(work.box, work.src, work.srcX, work.srcY, work.clip);
          const snapshot = canvas.region(intersect(work.box, canvas.bounds), (n) => snapshots.take(n));
          snapshots.give(snapshot.pixels.buffer as SharedArrayBuffer);
        }
        consumer.release(cmd);
      }
      consumer.releases.flush();
    },
  };
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

const rows: string[][] = [];
for (const [width, height] of [
  [1024, 768],
  [1920, 1080],
] as const) {
  for (const [name, boxes] of Object.entries(workloads)) {
    // QEMU's frames: a few different pictures, its message buffers, taken in turn.
    const pictures: Bitmap32[] = Array.from({ length: 4 }, (_, k) => ({
      width,
      height,
      stride: width * 4,
      pixels: Uint8Array.from({ length: width * height * 4 }, (_, p) => (p * 31 + k * 97) & 0xff),
    }));
    // The rows before gone (array buffers are swept off the main thread: give it a moment).
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const rssBefore = process.memoryUsage().rss;
    const device = QxlDevice.create(288 * 1024 * 1024);
    const feed = new ScanoutFeed(device, createLogger('silent'));
    const worker = redWorker(device);
    feed.scanout({ width, height, stride: width * 4, format: X8R8G8B8, data: pictures[0]!.pixels });
    worker.drain();
    let bridge = 0;
    let red = 0;
    for (let i = 0; i < frames; i++) {
      const picture = pictures[i % pictures.length]!;
      const t0 = process.cpuUsage();
      for (const b of boxes(width, height, i)) {
        const data = picture.pixels.subarray(b.top * picture.stride + b.left * 4);
        feed.update({ ...b, stride: picture.stride, format: X8R8G8B8, data });
      }
      bridge += cpuMs(t0);
      const t1 = process.cpuUsage();
      worker.drain();
      red += cpuMs(t1);
      // The device's releases come back on its own wake-up: let them in.
      await new Promise((r) => setImmediate(r));
    }
    const surfaceBytes = width * height * 4;
    rows.push([
      `${width}x${height}`,
      name,
      (bridge / frames).toFixed(3),
      (red / frames).toFixed(3),
      ((bridge + red) / frames).toFixed(3),
      ((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1),
      (surfaceBytes / 2 ** 20).toFixed(1),
    ]);
    if (!worker.surface()) throw new Error('no surface');
    feed.close();
    device.close();
  }
}
console.log(`bench:surface: ${frames} frames per row, CPU ms per frame (process CPU while each side ran)`);
console.log(table(['size', 'workload', 'bridge ms', 'red-worker ms', 'both ms', 'pixel path RSS MiB', 'surface MiB'], rows));
