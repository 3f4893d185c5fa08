import type { Logger } from '../../../runtime/log.js';
import type { Link } from '../../../runtime/link.js';
import { close } from '../../../native/index.js';
import { channelTypeName, ChannelType } from '../../../codecs/protocol/enums.js';
import type { ChannelAddress, ChardevOpened, HostToTunnels, TunnelChardev } from '../../contracts.js';
import type { DBusConnection, Target } from './dbus/connection.js';
import { followChardev, registerChardev, type ChardevInfo } from './dbus/chardev.js';
import { Chardev } from './dbus/display1.js';
import { chardevRole } from './chardev-names.js';

/** QEMU takes a new socket only once it has seen the last one close: a reconnecting client's Register is tried again this often. */
const registerTries = 10;
const registerRetryMs = 100;

interface Served {
  readonly info: ChardevInfo;
  readonly chardev: TunnelChardev;
}

const key = (c: ChannelAddress) => `${c.type}:${c.id}`;

/**
 * The QEMU bridge's side of the spicevmc channels: which of QEMU's chardevs are tunnels (by
 * name, chardev-names.ts) and the channel each becomes (ids per type in object path order; one
 * smartcard reader, as spice-server's channel serves), the guest opening and closing its end, a
 * socket registered with a chardev for each client the tunnels actor relays, and BREAK.
 */
export class BridgeTunnels {
  private served = new Map<string, Served>();
  private conn: { bus: DBusConnection; qemu: string | undefined } | null = null;

  constructor(
    private readonly log: Logger,
    private readonly tunnels: Link<HostToTunnels>,
    /** Each channel the first time QEMU has its chardev: the owner starts the tunnels actor and lists it. */
    private readonly found: (channels: readonly ChannelAddress[]) => void,
  ) {
    tunnels.serve({ open: (m) => this.open(m.channel) });
    tunnels.messages$.subscribe((m) => {
      if (m.kind === 'break') this.sendBreak(m.channel);
    });
  }

  /** A QEMU attached with these chardevs. */
  async attach(bus: DBusConnection, qemu: string | undefined, chardevs: readonly ChardevInfo[]): Promise<void> {
    this.conn = { bus, qemu };
    const ids = new Map<number, number>();
    const served = new Map<string, Served>();
    for (const info of [...chardevs].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const r = chardevRole(info.name);
      if (r.role !== 'tunnel') continue;
      const id = ids.get(r.type) ?? 0;
      if (r.type === ChannelType.smartcard && id > 0) {
        this.log.warn({ name: info.name, path: info.path }, 'a second smartcard chardev: not served (one reader, as spice-server)');
        continue;
      }
      ids.set(r.type, id + 1);
      const channel = { type: r.type, id };
      served.set(key(channel), { info, chardev: { channel, name: info.name, guestOpen: info.feOpened } });
    }
    this.served = served;
    if (served.size === 0) return;
    for (const s of served.values()) {
      await followChardev(
        bus,
        qemu,
        s.info.path,
        (open) => void this.tunnels.send({ kind: 'guest-open', channel: s.chardev.channel, open }),
      );
      this.log.info(
        { name: s.info.name, channel: `${channelTypeName(s.chardev.channel.type)}:${s.chardev.channel.id}` },
        'chardev served as a spicevmc channel',
      );
    }
    this.found([...served.values()].map((s) => s.chardev.channel));
    void this.tunnels.send({ kind: 'chardevs', chardevs: [...served.values()].map((s) => s.chardev) });
  }

  /** QEMU went: no chardevs until the next one. */
  detach(): void {
    this.conn = null;
    if (this.served.size === 0) return;
    this.served = new Map();
    void this.tunnels.send({ kind: 'chardevs', chardevs: [] });
  }

  private target(s: Served): Target {
    return this.conn?.qemu === undefined ? { path: s.info.path } : { destination: this.conn.qemu, path: s.info.path };
  }

  private async open(channel: ChannelAddress): Promise<ChardevOpened> {
    const s = this.served.get(key(channel));
    const conn = this.conn;
    if (!s || !conn) return { ok: false, error: 'QEMU has no such chardev now' };
    let last = '';
    for (let i = 0; i < registerTries; i++) {
      try {
        const fd = await registerChardev(conn.bus, conn.qemu, s.info.path);
        if (this.conn !== conn) {
          close(fd);
          return { ok: false, error: 'QEMU went' };
        }
        return { ok: true, fd };
      } catch (e) {
        last = (e as Error).message;
        await new Promise((r) => setTimeout(r, registerRetryMs));
      }
    }
    this.log.warn({ name: s.info.name, err: last }, 'chardev not registered');
    return { ok: false, error: last };
  }

  private sendBreak(channel: ChannelAddress): void {
    const s = this.served.get(key(channel));
    if (!s || !this.conn) return;
    this.conn.bus
      .call(this.target(s), Chardev.sendBreak, [])
      .catch((e: Error) => this.log.debug({ name: s.info.name, err: e.message }, 'break not passed to the chardev'));
  }
}
