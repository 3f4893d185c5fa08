import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import {
  actorName,
  hostToAgent,
  hostToDispatcher,
  hostToTunnels,
  inputsToHost,
  mainToHost,
  maxDisplays,
  playbackFromHost,
  recordToHost,
  type LayoutsAnswer,
  type MonitorRequest,
  type QemuBridgeContract,
  type QemuLink,
} from '../../contracts.js';
import { QxlDevice } from '../../../native/qxl/device.js';
import { QemuInput } from './input.js';
import { ScanoutFeed } from './scanout.js';
import type { DBusConnection } from './dbus/connection.js';
import { AudioBridge } from './audio.js';
import { attach, connectBus, connectP2p, waitForQemu, type Session } from './session.js';
import { AgentMouseRoute } from './agent-mouse.js';
import { followChardev, listChardevs, registerChardev, type ChardevInfo } from './dbus/chardev.js';
import { getProperty } from './dbus/properties.js';
import { Chardev } from './dbus/display1.js';
import { chardevRole } from './chardev-names.js';
import { BridgeTunnels } from './tunnels.js';
import { LayoutGuard } from './layout-guard.js';
import { motionSecondsHelp } from '../../../codecs/motion/plan.js';

/**
 * Device memory: the console's surface lives there, and two 8K ones (133 MB each) fit at once,
 * as a resize has them, beside the commands; the memfd's pages are only touched as the heap is used.
 */
const DEVICE_BYTES = 288 * 1024 * 1024;

/** One display: a QXL device for its red-worker, fed from its console's listener calls. */
interface Head {
  readonly device: QxlDevice;
  readonly feed: ScanoutFeed;
}

/**
 * The QEMU bridge, a VDI host like the demo: it attaches to QEMU's D-Bus display, draws what
 * QEMU's listener calls show into QXL devices for the red-workers (one device per graphic
 * console, display channel N for Console_N, as QEMU's own SPICE display numbers them), sends the
 * client's keyboard and mouse to QEMU and its monitor layout to each console (SetUIInfo). When
 * QEMU goes, the surfaces go (clients see the displays disabled) and the bridge tries again every
 * second until a QEMU is back on the bus (or its QMP socket answers again, in p2p mode); the
 * devices stay, so a client keeps its display channels across QEMU restarts.
 */
export default defineActor<QemuBridgeContract>((ctx) => {
  const { init } = ctx;
  const where: QemuLink = 'qmp' in init ? { qmp: init.qmp } : { address: init.address };
  const retryMs = ctx.init.retryMs ?? 1000;
  const dispatcher = ctx.peer(hostToDispatcher);
  const main = ctx.peer(flip(mainToHost));
  const inputs = ctx.peer(flip(inputsToHost));
  const audio = new AudioBridge(ctx.log, ctx.peer(flip(playbackFromHost)), ctx.peer(flip(recordToHost)));
  let audioAnnounced = false;
  if ('qmp' in where)
    ctx.log.warn(
      where,
      'no sound: QEMU 7.2 crashes when an audio listener registers over a peer-to-peer link; audio needs a bus (--qemu-dbus, or --qemu, which runs one)',
    );
  const agent = ctx.peer(hostToAgent);
  const agentMouse = new AgentMouseRoute();
  agent.messages$.subscribe((m) => (agentMouse.wanted = m.wanted));

  let session: Session | null = null;
  let input: QemuInput | null = null;
  let attachments = 0;
  let absolute = false;
  let leds = 0;
  let uiInfo = 0;
  let layoutsPutBack = 0;
  let stopped = false;

  const heads = new Map<number, Head>();
  /** Display `display`'s head, made (and its device announced) the first time it is needed. */
  const head = (display: number): Head => {
    let h = heads.get(display);
    if (!h) {
      const device = QxlDevice.create(DEVICE_BYTES);
      const feed = new ScanoutFeed(device, ctx.log.child({ display }), () => session?.refreshSize(display));
      feed.disable(); // nothing to show until QEMU's first Scanout
      ctx.meter.counter('spice_display_motion_seconds_total', motionSecondsHelp, { display: String(display) }, () => feed.motionSeconds);
      h = { device, feed };
      heads.set(display, h);
      void dispatcher.send({ kind: 'device', display, device: device.handoff });
    }
    return h;
  };
  // Display 0 exists from the start: a client may wait on it for QEMU to come.
  head(0);
  // No client on a display: its damage waits in the feed, the red-worker is not woken for nobody.
  dispatcher.messages$.subscribe((m) => heads.get(m.display)?.feed.watch(m.watched, m.findDrags));

  const tellAbsolute = (a: boolean) => {
    if (input) input.absolute = a;
    if (a === absolute) return;
    absolute = a;
    void main.send({ kind: 'mouse-absolute', absolute: a });
  };

  inputs.messages$.subscribe((e) => {
    const toAgent = agentMouse.route(e, absolute);
    if (toAgent) void agent.send(toAgent);
    else input?.handle(e);
  });

  /**
   * The guest agent's port, if QEMU has one: the owner is asked for the agent actor, which gets
   * our end of the socket registered with the chardev, and the guest's opening and closing of it.
   */
  const agentPort = async (s: Session, conn: DBusConnection, chardevs: readonly ChardevInfo[]) => {
    const port = chardevs.find((c) => chardevRole(c.name).role === 'agent');
    if (!port) return void ctx.log.debug({ chardevs: chardevs.map((c) => c.name) }, 'no guest agent port');
    void ctx.parent.send({ kind: 'agent-port' });
    await followChardev(conn, s.qemu, port.path, (open) => void agent.send({ kind: 'guest-open', open }));
    const register = async () => {
      const fd = await registerChardev(conn, s.qemu, port.path);
      void agent.send({ kind: 'port', fd });
      const target = s.qemu === undefined ? { path: port.path } : { destination: s.qemu, path: port.path };
      void agent.send({ kind: 'guest-open', open: await getProperty(conn, target, Chardev.feOpened) });
      ctx.log.info({ name: port.name }, 'guest agent port registered');
    };
    reregisterAgent = () => void register().catch((e: Error) => ctx.log.warn({ err: e.message }, 'guest agent port not registered again'));
    await register();
  };
  /** Registers the guest agent's port again, for an agent actor that restarted (the socket went with it); null while QEMU is away. */
  let reregisterAgent: (() => void) | null = null;
  let agentDown = false;
  ctx.peers$.subscribe((e) => {
    if (e.peer !== actorName.agent) return;
    if (e.type === 'down') agentDown = true;
    else if (agentDown) {
      agentDown = false;
      reregisterAgent?.();
    }
  });
  const tunnels = new BridgeTunnels(ctx.log, ctx.peer(hostToTunnels), (channels) => void ctx.parent.send({ kind: 'tunnels', channels }));
  /** The chardevs QEMU has: the agent's port and the spicevmc channels'. */
  const chardevs = async (s: Session, conn: DBusConnection) => {
    const list = await listChardevs(conn, s.qemu);
    await Promise.all([
      agentPort(s, conn, list).catch((e: Error) => ctx.log.warn({ err: e.message }, 'guest agent port not taken')),
      tunnels.attach(conn, s.qemu, list).catch((e: Error) => ctx.log.warn({ err: e.message }, 'chardevs not served')),
    ]);
  };
  main.messages$.subscribe((m) => {
    if (m.kind === 'monitors-config') applyLayout(m.monitors);
    else undoLayout();
  });
  ctx.parent.serve({
    stats: (m) => {
      const displays = Object.fromEntries([...heads].map(([d, h]) => [d, h.feed.stats(m.reset === true)]));
      return {
        attached: session !== null,
        attachments,
        absolute,
        display: displays[0]!,
        displays,
        uiInfo,
        layoutsPutBack,
        audio: audio.stats(m.reset === true),
      };
    },
  });

  /**
   * Whether QEMU takes client layouts, learnt from a client's first one: no SetUIInfo is made
   * before (QEMU passes each one that changes its record to the guest as its preferred size, so
   * a probe at attach with the console's size, still QEMU's 640x480 placeholder while the guest
   * boots, shrank it); std VGA refuses it, and the companion's agent is withdrawn then.
   */
  let layouts: LayoutsAnswer = 'away';
  const tellLayouts = (answer: LayoutsAnswer) => {
    if (answer === layouts) return;
    layouts = answer;
    if (answer === 'taken' || answer === 'refused')
      ctx.log.info({ answer }, answer === 'taken' ? 'QEMU takes client monitor layouts' : 'QEMU takes no client monitor layouts');
    void main.send({ kind: 'layouts', answer });
  };
  /** Consoles that refused SetUIInfo, so that a device without it (std VGA) costs one log line. */
  const refusedUiInfo = new Set<number>();
  /** Each display's size before the first client layout changed it: what `undoLayout` puts back. */
  const before = new Map<number, { width: number; height: number }>();
  const guard = new LayoutGuard((display, size, asked, seen) => {
    layoutsPutBack++;
    ctx.log.warn(
      {
        display,
        asked: `${asked.width}x${asked.height}`,
        seen: `${seen.width}x${seen.height}`,
        stride: seen.stride,
        back: `${size.width}x${size.height}`,
      },
      'the guest did not follow the client layout (a smaller mode, or a crop of its old framebuffer): put back, and that size not asked again',
    );
    const c = session?.consoles.find((x) => x.display === display);
    c?.console
      .setUIInfo({ widthMm: 0, heightMm: 0, xoff: 0, yoff: 0, ...size })
      .catch((err: Error) => ctx.log.debug({ display, err: err.message }, 'layout not put back'));
  });
  /** The client's monitor layout: each monitor's size (and place) to its display's console. */
  const applyLayout = (monitors: readonly MonitorRequest[]) => {
    const s = session;
    if (!s) return void ctx.log.info({ monitors: monitors.length }, 'monitor layout while QEMU is away: not applied');
    for (const m of monitors) {
      const c = s.consoles.find((x) => x.display === m.display);
      if (!c) {
        ctx.log.debug({ display: m.display }, 'monitor for a display QEMU does not have: ignored');
        continue;
      }
      const size = head(m.display).feed.size();
      if (!guard.allows(m.display, m)) {
        ctx.log.debug(
          { display: m.display, width: m.width, height: m.height },
          'monitor size the guest could not follow before: not asked',
        );
        continue;
      }
      if (!before.has(m.display) && size.width > 0) before.set(m.display, { ...size });
      if (size.width > 0) guard.proposed(m.display, m, size);
      c.console.setUIInfo({ widthMm: m.widthMm, heightMm: m.heightMm, xoff: m.x, yoff: m.y, width: m.width, height: m.height }).then(
        () => {
          uiInfo++;
          if (session === s) tellLayouts('taken');
          ctx.log.debug({ display: m.display, width: m.width, height: m.height }, 'monitor layout passed to QEMU');
        },
        (err: Error) => {
          // The first console's answer is QEMU's (a second head may be another device).
          if (session === s && layouts === 'untried' && c === s.consoles[0]) tellLayouts('refused');
          if (refusedUiInfo.has(m.display)) return;
          refusedUiInfo.add(m.display);
          ctx.log.warn(
            { display: m.display, label: c.info.label, err: err.message },
            'QEMU refused the client monitor layout (the device does not follow the host window size)',
          );
        },
      );
    }
  };

  /** The client that laid the displays out left: each goes back to its size from before (QEMU's own spice never changed it). */
  const undoLayout = () => {
    const s = session;
    for (const [display, size] of before) {
      const c = s?.consoles.find((x) => x.display === display);
      c?.console
        .setUIInfo({ widthMm: 0, heightMm: 0, xoff: 0, yoff: 0, ...size })
        .then(() => ctx.log.info({ display, ...size }, 'client layout undone'))
        .catch((err: Error) => ctx.log.debug({ display, err: err.message }, 'client layout not undone'));
    }
    before.clear();
  };

  const listener = (display: number) => {
    const { feed } = head(display);
    return {
      scanout: (s: Parameters<ScanoutFeed['scanout']>[0]) => {
        // Before the feed takes it: a crop is told by the picture it replaces.
        guard.scanout(display, s.width, s.height, s.stride, () => feed.compareTop(s));
        feed.scanout(s);
      },
      update: feed.update.bind(feed),
      place: feed.place.bind(feed),
      cursorDefine: feed.cursorDefine.bind(feed),
      mouseSet: feed.mouseSet.bind(feed),
      disable: feed.disable.bind(feed),
    };
  };
  const events = {
    listener,
    size: (display: number, width: number, height: number) => head(display).feed.resize(width, height),
    absolute: tellAbsolute,
    leds: (modifiers: number) => {
      leds = modifiers;
      if (input) input.leds = modifiers;
      void inputs.send({ kind: 'leds', modifiers });
    },
    audio: {
      out: audio.outHandlers,
      in: audio.inHandlers,
      found: () => {
        // The root starts the playback and record channels the first time only.
        if (audioAnnounced) return;
        audioAnnounced = true;
        void ctx.parent.send({ kind: 'audio' });
      },
    },
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  let bus: DBusConnection | null = null;

  /** Serves QEMU after QEMU: attaches, waits until it goes, starts over; says each change of state once. */
  const run = async () => {
    let lastProblem = '';
    while (!stopped) {
      try {
        bus = 'qmp' in where ? await connectP2p(where.qmp, retryMs) : await connectBus(where.address);
        if (stopped) {
          bus.close();
          break;
        }
        let qemu: string | undefined;
        if ('address' in where) {
          const waiting = setTimeout(() => ctx.log.info(where, 'no QEMU on the bus yet; waiting for one'), retryMs);
          qemu = await waitForQemu(bus, retryMs).finally(() => clearTimeout(waiting));
        }
        const s = await attach(bus, qemu, events, ctx.log, (display) => display < maxDisplays);
        session = s;
        const screens = new Map(s.consoles.map((c) => [c.display, c.console]));
        input = new QemuInput(s.consoles[0]!.console, ctx.log, (display) => {
          const target = screens.get(display);
          return target && { target, size: head(display).feed.size() };
        });
        input.absolute = absolute;
        input.leds = leds;
        attachments++;
        lastProblem = '';
        ctx.log.info(
          { ...where, qemu: s.qemu, vm: s.vmName, consoles: s.consoles.map((c) => `${c.display}:${c.info.label}`) },
          'attached to QEMU',
        );
        void main.send({ kind: 'vm', name: s.vmName, uuid: s.vmUuid });
        chardevs(s, bus).catch((e: Error) => ctx.log.warn({ err: e.message }, 'chardevs not listed'));
        tellLayouts('untried');
        const reason = await s.closed;
        session = null;
        input = null;
        audio.detach();
        refusedUiInfo.clear();
        before.clear();
        guard.clear();
        reregisterAgent = null;
        tunnels.detach();
        tellLayouts('away');
        for (const h of heads.values()) h.feed.disable();
        tellAbsolute(false);
        if (!stopped) ctx.log.warn({ ...where, reason: reason?.message }, 'QEMU is gone; the displays are disabled until it is back');
      } catch (e) {
        bus?.close();
        const problem = e instanceof Error ? e.message : String(e);
        if (problem !== lastProblem && !stopped) ctx.log.warn({ ...where, err: problem }, 'cannot attach to QEMU; retrying');
        lastProblem = problem;
        if (!stopped) await sleep(retryMs);
      }
    }
  };

  void run();
  ctx.onStop(() => {
    stopped = true;
    session?.close();
    bus?.close();
    for (const h of heads.values()) {
      h.feed.close();
      h.device.close();
    }
  });
});
