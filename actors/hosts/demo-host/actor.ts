import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { demoHostReports, hostToDispatcher, inputsToHost, type DemoHostContract } from '../../contracts.js';
import { QxlDevice } from '../../../native/qxl/device.js';
import { arrowCursor } from './cursor-shape.js';
import { mergeBoxes, type Box } from '../../../codecs/box.js';
import { DemoScene } from './scene.js';

/**
 * The built-in demo desktop, a VDI host like the QEMU bridge: it owns a QXL device, draws the
 * demo scene and hands what changed to the red-worker as DRAW_COPY commands through the rings.
 * `still` draws one deterministic frame (t = 0) and nothing after it; `live` animates only while
 * a client is shown the display (a frame nobody sees costs the host and the red-worker each).
 */
export default defineActor<DemoHostContract>(
  (ctx) => {
    const { mode, width, height } = ctx.init;
    const fps = ctx.init.fps ?? 25;
    const device = QxlDevice.create(Math.max(32 * 1024 * 1024, width * height * 4 * 3 + 8 * 1024 * 1024));
    const scene = new DemoScene(width, height);
    const staging: Bitmap32 = { width, height, stride: width * 4, pixels: new Uint8Array(width * height * 4) };
    const screen: Box = { left: 0, top: 0, right: width, bottom: height };
    let pending: Box[] = [];
    let waiting = false;

    const dispatcher = ctx.peer(hostToDispatcher);
    void dispatcher.send({ kind: 'device', display: 0, device: device.handoff });
    // Input has nowhere to go on a desktop that is a picture; it is read so it does not queue.
    ctx.peer(flip(inputsToHost)).messages$.subscribe(() => {});

    /** Pushes the pending damage; when the device is full, waits for releases and goes on. */
    const flush = async () => {
      if (waiting) return;
      while (pending.length > 0) {
        const r = pending[0]!;
        if (device.drawCopy(r, staging, r.left, r.top)) {
          pending.shift();
          continue;
        }
        waiting = true;
        await device.room();
        waiting = false;
      }
    };

    const frame = (tMs: number) => {
      pending = mergeBoxes([...pending, ...scene.draw(staging, tMs)], screen);
      void flush();
      void ctx.parent.send({ kind: 'frame', tMs });
    };

    device.surfaceCreate(width, height);
    device.cursorSet(arrowCursor(), Math.floor(width / 2), Math.floor(height / 2), true);
    frame(0);
    if (mode === 'live') {
      const start = performance.now();
      let timer: NodeJS.Timeout | undefined;
      dispatcher.messages$.subscribe(({ display, watched }) => {
        if (display !== 0 || watched === (timer !== undefined)) return;
        clearInterval(timer);
        timer = undefined;
        if (!watched) return;
        // The scene as it is now, then on at the frame rate.
        frame(performance.now() - start);
        timer = setInterval(() => frame(performance.now() - start), 1000 / fps);
      });
      ctx.onStop(() => clearInterval(timer));
    }
    ctx.onStop(() => device.close());
  },
  { rules: demoHostReports },
);
