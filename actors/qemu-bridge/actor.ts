import { defineActor } from '../../runtime/actor.js';
import type { Flip } from '../../runtime/message.js';
import type { HostToDispatcher, InputsToHost, MainToHost } from '../contracts.js';
import { QxlDevice } from '../qxl-host/device.js';
import { QemuInput } from './input.js';
import { ScanoutFeed, type ScanoutStats } from './scanout.js';
import type { DBusConnection } from './dbus/connection.js';
import { attach, connectBus, connectP2p, waitForQemu, type Session } from './session.js';

export interface BridgeStats {
  /** Attached to a QEMU now. */
  readonly attached: boolean;
  /** Attachments so far (a QEMU restart makes one more). */
  readonly attachments: number;
  readonly absolute: boolean;
  readonly display: ScanoutStats;
}

/** Where QEMU's display is reached. */
export type QemuLink =
  /** The D-Bus address of the bus QEMU's `-display dbus,addr=` is on (`unix:path=...`). */
  | { readonly address: string }
  /** The QMP unix socket of a QEMU with `-display dbus,p2p=yes`: a peer-to-peer link is handed to it there. */
  | { readonly qmp: string };

export interface QemuBridgeContract {
  init: QemuLink & {
    /** Console_N to serve (default 0). */
    readonly console?: number;
    /** Wait between attempts to reach QEMU (default 1000 ms). */
    readonly retryMs?: number;
  };
  /** The figures so far; `reset` starts the latency histogram afresh after reading it. */
  in: { kind: 'stats'; reset?: boolean };
  out: never;
  replies: { stats: BridgeStats };
}

/**
 * Device memory: a 4K screen's full frame (33 MB) fits with room to spare; the memfd's pages
 * are only touched as the heap is used.
 */
const DEVICE_BYTES = 96 * 1024 * 1024;

/**
 * The QEMU bridge, a VDI host like the demo: it attaches to QEMU's D-Bus display, draws what
 * QEMU's listener calls show into its QXL device for the red-worker, and sends the client's
 * keyboard and mouse to QEMU. When QEMU goes, the surface goes (clients see the display
 * disabled) and the bridge tries again every second until a QEMU is back on the bus (or its
 * QMP socket answers again, in p2p mode).
 */
export default defineActor<QemuBridgeContract>((ctx) => {
  const { init } = ctx;
  const where: QemuLink = 'qmp' in init ? { qmp: init.qmp } : { address: init.address };
  const consoleId = ctx.init.console ?? 0;
  const retryMs = ctx.init.retryMs ?? 1000;
  const device = QxlDevice.create(DEVICE_BYTES);
  void ctx.peer<HostToDispatcher>('dispatcher').send({ kind: 'device', display: 0, device: device.handoff });
  const main = ctx.peer<Flip<MainToHost>>('main');
  const inputs = ctx.peer<Flip<InputsToHost>>('inputs');

  let session: Session | null = null;
  let input: QemuInput | null = null;
  let attachments = 0;
  let absolute = false;
  let leds = 0;
  let stopped = false;
  const feed = new ScanoutFeed(device, ctx.log, () => session?.refreshSize());

  const tellAbsolute = (a: boolean) => {
    if (input) input.absolute = a;
    if (a === absolute) return;
    absolute = a;
    void main.send({ kind: 'mouse-absolute', absolute: a });
  };

  inputs.messages$.subscribe((e) => input?.handle(e));
  ctx.parent.serve({
    stats: (m) => ({ attached: session !== null, attachments, absolute, display: feed.stats(m.reset === true) }),
  });

  const events = {
    scanout: feed.scanout.bind(feed),
    update: feed.update.bind(feed),
    cursorDefine: feed.cursorDefine.bind(feed),
    mouseSet: feed.mouseSet.bind(feed),
    disable: feed.disable.bind(feed),
    size: feed.resize.bind(feed),
    absolute: tellAbsolute,
    leds: (modifiers: number) => {
      leds = modifiers;
      if (input) input.leds = modifiers;
      void inputs.send({ kind: 'leds', modifiers });
    },
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  let bus: DBusConnection | null = null;

  /** Serves QEMU after QEMU: attaches, waits until it goes, starts over; says each change of state once. */
  const run = async () => {
    let lastProblem = '';
    while (!stopped) {
      try {
        bus = 'qmp' in where ? await connectP2p(where.qmp) : await connectBus(where.address);
        if (stopped) {
          bus.close();
          break;
        }
        let qemu: string | undefined;
        if ('address' in where) {
          const waiting = setTimeout(() => ctx.log.info(where, 'no QEMU on the bus yet; waiting for one'), retryMs);
          qemu = await waitForQemu(bus, retryMs).finally(() => clearTimeout(waiting));
        }
        const s = await attach(bus, qemu, consoleId, events, ctx.log);
        session = s;
        input = new QemuInput(s.console, ctx.log, () => feed.size());
        input.absolute = absolute;
        input.leds = leds;
        attachments++;
        lastProblem = '';
        ctx.log.info({ ...where, qemu: s.qemu, vm: s.vmName, console: consoleId }, 'attached to QEMU');
        const reason = await s.closed;
        session = null;
        input = null;
        feed.disable();
        tellAbsolute(false);
        if (!stopped) ctx.log.warn({ ...where, reason: reason?.message }, 'QEMU is gone; the display is disabled until it is back');
      } catch (e) {
        bus?.close();
        const problem = e instanceof Error ? e.message : String(e);
        if (problem !== lastProblem && !stopped) ctx.log.warn({ ...where, err: problem }, 'cannot attach to QEMU; retrying');
        lastProblem = problem;
        if (!stopped) await sleep(retryMs);
      }
    }
  };

  feed.disable(); // nothing to show until QEMU's first Scanout
  void run();
  ctx.onStop(() => {
    stopped = true;
    session?.close();
    bus?.close();
    feed.close();
    device.close();
  });
});
