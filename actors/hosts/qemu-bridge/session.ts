/**
 * One attachment to a running QEMU's D-Bus display, for as long as that QEMU lives: a bus
 * connection (QEMU's unique name, console properties, input calls) and the listener link
 * QEMU pushes the display on. It ends when either link closes; the owner then attaches again.
 *
 * Every graphic console is served, each on a listener link of its own; the owner gives each
 * one a QXL device (red-worker, display channel) and sends it the client's monitor layout with
 * SetUIInfo.
 */
import type { Logger } from '../../../runtime/log.js';
import { close, socketPair } from '../../../native/index.js';
import { DBusConnection } from './dbus/connection.js';
import { UnixTransport } from './dbus/transport.js';
import { Qmp } from './qmp.js';
import { Bus, BUS_NAME, BUS_PATH } from './dbus/bus.js';
import { QEMU_BUS_NAME } from './dbus/display1.js';
import { findQemu, QemuDisplay, type ConsoleInfo, type QemuConsole } from './dbus/display1-proxy.js';
import { openListener, type ListenerHandlers } from './dbus/display1-listener.js';
import type { Variant } from '../../../codecs/dbus/types.js';
import { openAudio, type AudioInHandlers, type AudioOutHandlers } from './dbus/audio-listener.js';

/** What the session reports: each display's listener calls, and the rest. */
export interface SessionEvents {
  /** The handlers of display `display`'s listener link. */
  listener(display: number): ListenerHandlers;
  /** A console's surface size, as QEMU reports it on the bus. */
  size(display: number, width: number, height: number): void;
  /** Mouse.IsAbsolute: QEMU takes SetAbsPosition (a tablet is active) or RelMotion. */
  absolute(absolute: boolean): void;
  /** Keyboard.Modifiers: the guest's lock-key LEDs (Scroll 1, Num 2, Caps 4). */
  leds(modifiers: number): void;
  /** QEMU's audio voices (bus mode only); `found` once the listeners are registered. */
  readonly audio?: { readonly out: AudioOutHandlers; readonly in: AudioInHandlers; found(): void };
}

export interface Session {
  /** QEMU's name on the bus (none on a peer-to-peer link), the VM's name and UUID. */
  readonly qemu: string | undefined;
  readonly vmName: string;
  readonly vmUuid: string;
  /** The graphic consoles served, the first one taking keys and relative motion. */
  readonly consoles: readonly SessionConsole[];
  /** Settles when QEMU (or the bus, or any listener link) goes, with the reason if there is one. */
  readonly closed: Promise<Error | undefined>;
  /** Reads a display's console size again (after an Update fell outside the known one). */
  refreshSize(display: number): void;
  close(): void;
}

const CONSOLE_IFACE = 'org.qemu.Display1.Console';
const MOUSE_IFACE = 'org.qemu.Display1.Mouse';
const KEYBOARD_IFACE = 'org.qemu.Display1.Keyboard';
/** Console.Type of a console with a surface (the other kind is "Text"). */
const GRAPHIC = 'Graphic';

const numberIn = (changed: ReadonlyMap<string, Variant>, name: string): number | undefined => {
  const v = changed.get(name)?.value;
  return typeof v === 'number' ? v : undefined;
};

const TIMEOUTS = { openTimeoutMs: 5_000, callTimeoutMs: 5_000 } as const;

/** Connects to the bus QEMU's display is on. */
export const connectBus = (address: string): Promise<DBusConnection> => DBusConnection.connect(address, { bus: true, ...TIMEOUTS });

/** The name the handed-over fd has in QEMU's fd table between getfd and add_client. */
const P2P_FD_NAME = 'spice-companion-dbus';

/**
 * A peer-to-peer link to a QEMU started with `-display dbus,p2p=yes`: one end of a socketpair
 * goes to QEMU through its QMP socket (getfd, with the fd as SCM_RIGHTS, then add_client), the
 * other end carries D-Bus without a bus (no Hello). QMP is only needed for the handover.
 * The socket is tried again every 50 ms for `waitMs`: a QEMU started with the companion makes it
 * a moment after the bridge is up, and a first drawing should not wait the owner's whole retry.
 */
export async function connectP2p(qmpPath: string, waitMs: number): Promise<DBusConnection> {
  const qmp = await Qmp.connect(qmpPath, waitMs);
  // QMP commands have no timeout of their own: a QEMU that stops answering ends the handover.
  const busy = setTimeout(() => qmp.close(), TIMEOUTS.openTimeoutMs);
  const [ours, theirs] = socketPair();
  const conn = new DBusConnection(UnixTransport.fromFd(ours), { bus: false, ...TIMEOUTS });
  try {
    try {
      await qmp.execute('getfd', { fdname: P2P_FD_NAME }, [theirs]);
    } finally {
      close(theirs); // QEMU holds its own copy now
    }
    await qmp.execute('add_client', { protocol: '@dbus-display', fdname: P2P_FD_NAME });
    await conn.ready;
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  } finally {
    clearTimeout(busy);
    qmp.close();
  }
}

/**
 * QEMU's unique name on `bus`, once one owns org.qemu: looked up at once, then again whenever
 * the name changes owner (NameOwnerChanged) and every `pollMs` in case a signal was missed.
 * Rejects if the bus connection closes first.
 */
export async function waitForQemu(bus: DBusConnection, pollMs: number): Promise<string> {
  let changes = 0;
  let wake: () => void = () => {};
  const unsubscribe = await bus.subscribeTo({ sender: BUS_NAME, path: BUS_PATH }, Bus.nameOwnerChanged, ([name, , owner]) => {
    if (name !== QEMU_BUS_NAME || owner === '') return;
    changes++;
    wake();
  });
  const closed = new Promise<never>((_, reject) => bus.onClose((reason) => reject(reason ?? new Error('bus connection closed'))));
  closed.catch(() => {});
  try {
    for (;;) {
      const seen = changes;
      const qemu = await Promise.race([findQemu(bus), closed]);
      if (qemu !== undefined) return qemu;
      if (changes !== seen) continue;
      let timer: NodeJS.Timeout | undefined;
      const next = new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
      await Promise.race([next, closed]).finally(() => clearTimeout(timer));
    }
  } finally {
    if (!bus.closed) await unsubscribe().catch(() => {});
  }
}

/** A graphic console served as a display: its channel id is the console's index, as QEMU's own SPICE display numbers its QXL instances (ui/spice-core.c). */
export interface SessionConsole {
  readonly display: number;
  readonly console: QemuConsole;
  readonly info: ConsoleInfo;
}

/**
 * Attaches to the QEMU named `qemu` on `bus` (or the peer at the other end of a p2p link, when
 * `qemu` is undefined); the session owns the connection from here on
 * (closed when the session ends, or at once if attaching fails). Every graphic console becomes
 * a display (`accept` may refuse one, e.g. beyond the displays a client can show), each with
 * its own listener link. The property subscriptions come before the first reads, so no change
 * is missed between them.
 */
export async function attach(
  bus: DBusConnection,
  qemu: string | undefined,
  events: SessionEvents,
  log: Logger,
  accept: (display: number) => boolean = () => true,
): Promise<Session> {
  const links: DBusConnection[] = [];
  const closeAll = () => {
    for (const l of links) l.close();
    bus.close();
  };
  try {
    const display = new QemuDisplay(bus, qemu);
    const vm = await display.vm();
    const consoles: SessionConsole[] = [];
    for (const id of vm.consoleIds) {
      const con = display.console(id);
      const info = await con.info();
      if (info.type !== GRAPHIC) continue;
      if (!accept(id)) {
        log.warn({ console: id, label: info.label }, 'console not served: no display for it');
        continue;
      }
      consoles.push({ display: id, console: con, info });
    }
    const first = consoles[0];
    if (!first) throw new Error(`QEMU has no graphic console (consoles ${vm.consoleIds.join(', ')})`);

    const sizes = new Map<number, { width: number; height: number }>();
    const size = (d: number, w: number | undefined, h: number | undefined) => {
      const s = sizes.get(d) ?? { width: 0, height: 0 };
      s.width = w ?? s.width;
      s.height = h ?? s.height;
      sizes.set(d, s);
      if (s.width > 0 && s.height > 0) events.size(d, s.width, s.height);
    };
    for (const c of consoles) {
      // Mouse and keyboard are the VM's: read and followed on the first console only.
      const vmWide = c === first;
      await c.console.onPropertiesChanged((iface, changed) => {
        if (iface === CONSOLE_IFACE) size(c.display, numberIn(changed, 'Width'), numberIn(changed, 'Height'));
        else if (!vmWide) return;
        else if (iface === MOUSE_IFACE && typeof changed.get('IsAbsolute')?.value === 'boolean')
          events.absolute(changed.get('IsAbsolute')!.value as boolean);
        else if (iface === KEYBOARD_IFACE) {
          const m = numberIn(changed, 'Modifiers');
          if (m !== undefined) events.leds(m);
        }
      });
    }
    events.absolute(await first.console.mouseIsAbsolute());
    events.leds(await first.console.keyboardModifiers());
    // QEMU calls GetAll on each listener and waits for it on its main loop: the listener
    // answers in the same turn (display1-listener.ts), whatever else this thread is doing.
    for (const c of consoles) links.push(await openListener(c.console, events.listener(c.display), { openTimeoutMs: 5_000 }));
    // Audio only on a bus: a listener registered over a peer-to-peer link crashes QEMU 7.2.
    if (events.audio && qemu !== undefined) {
      try {
        links.push(...(await openAudio(bus, qemu, events.audio.out, events.audio.in, { openTimeoutMs: 5_000 })));
        events.audio.found();
      } catch (e) {
        log.info({ err: (e as Error).message }, 'QEMU has no D-Bus audio (-audiodev dbus and -display dbus,audiodev=): no sound');
      }
    }
    const closed = new Promise<Error | undefined>((resolve) => {
      const gone = (what: string) => (reason: Error | undefined) => resolve(reason ?? new Error(`${what} closed`));
      links.forEach((l, i) => l.onClose(gone(consoles[i] ? `listener link of console ${consoles[i].display}` : 'audio listener link')));
      bus.onClose(gone('bus connection'));
    });
    void closed.then(closeAll);

    const reading = new Set<number>();
    const again = new Set<number>();
    const refreshSize = (d: number) => {
      const c = consoles.find((x) => x.display === d);
      if (!c) return;
      if (reading.has(d)) return void again.add(d);
      reading.add(d);
      c.console
        .info()
        .then((info) => size(d, info.width, info.height))
        .catch((e: Error) => log.debug({ console: d, err: e.message }, 'console size not read'))
        .finally(() => {
          reading.delete(d);
          if (again.delete(d) && !bus.closed) refreshSize(d);
        });
    };
    return { qemu, vmName: vm.name, vmUuid: vm.uuid, consoles, closed, refreshSize, close: closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}
