import { ChannelType, hasCap, MainCap, MouseMode, NotifySeverity, NotifyVisibility } from '../../../codecs/protocol/enums.js';
import { mainProtocol as protocol } from '../../../codecs/protocol/channels/main.js';
import { defineActor } from '../../../runtime/actor.js';
import { CompanionAgent } from './agent/companion-agent.js';
import type { AgentEndpoint } from './agent/endpoint.js';
import { flip } from '../../../runtime/port.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { mainReports, mainToHost, serverToChannel, type MainContract } from '../../contracts.js';
import { mmTimeDeltaMs, mmTimeNow } from './mm-time.js';
import { runNetTest, type NetTest } from './net-test.js';

type Main = typeof protocol;
type Connection = ChannelConnection<Main['server']['defs'], Main['client']['defs']>;

/** A session's main connection and what is known of its client's link. */
interface Client {
  readonly connection: Connection;
  /** The net test's result once it has run: the link's speed for the choices that depend on it (JPEG, video bit rate). */
  link: NetTest | null;
}

/** spice-server's REDS_AGENT_WINDOW_SIZE: what INIT says when there is no agent. */
const noAgentTokens = 10;
/** spice-server's main-channel receive buffer; the ACK window of its other channels. */
const maxBody = 26_624;
const ackWindow = 20;

/**
 * The main channel: the session's first connection. It sends INIT, the channel list once the
 * client attaches, mouse modes (client mode only while the host takes absolute positions),
 * the VM's name and UUID, and measures the link. Its closing ends the session. When the host
 * takes client monitor layouts, each client gets an agent endpoint (agent/) whose layouts
 * go to the host.
 */
export default defineActor<MainContract>(
  (ctx) => {
    const meter = channelMeter(ctx.meter);
    const { config, displayChannels, agent: serveAgent } = ctx.init;
    const channels = [...ctx.init.channels];
    /** Clients that attached, so they hear of channels added later (spice-server sends a one-entry list each). */
    const attachedClients = new Set<Connection>();
    ctx.parent.messages$.subscribe((m) => {
      if (m.kind !== 'add-channels') return;
      channels.push(...m.channels);
      for (const c of attachedClients)
        c.send({ name: 'channels_list', body: { channels: m.channels.map(({ type, id }) => ({ type, id })) } });
    });
    const server = ctx.peer(flip(serverToChannel({ type: ChannelType.main, id: 0 })));
    const host = ctx.peer(mainToHost);
    const clients = new Map<number, Client>();
    let absolute = false;
    let mode: number = MouseMode.server;
    const supported = () => MouseMode.server | (absolute ? MouseMode.client : 0);
    /** The VM's name and UUID: as configured, else as the host reports them (QEMU's -name, -uuid); unknown until then. */
    let vmName = config.name;
    let vmUuid = config.uuid;
    /** NAME and UUID, to a client that takes them (spice-server sends them at connect; a host's come when it attaches to its VM). */
    const sendVm = (c: Connection, which = { name: true, uuid: true }) => {
      if (!hasCap(c.link.channelCaps, MainCap.nameAndUuid)) return;
      if (which.name && vmName !== undefined) c.send({ name: 'name', body: { name: Buffer.from(vmName + '\0', 'utf8') } });
      const uuid = vmUuid === undefined ? undefined : Buffer.from(vmUuid.replace(/-/g, ''), 'hex');
      if (which.uuid && uuid?.length === 16) c.send({ name: 'uuid', body: { uuid } });
    };

    const announceMouseMode = () => {
      for (const { connection: c } of clients.values())
        c.send({ name: 'mouse_mode', body: { supported_modes: supported(), current_mode: mode } });
    };
    host.messages$.subscribe((m) => {
      if (m.kind === 'vm') {
        const [name, uuid] = [config.name ?? m.name, config.uuid ?? m.uuid];
        const changed = { name: name !== vmName, uuid: uuid !== vmUuid };
        [vmName, vmUuid] = [name, uuid];
        if (changed.name || changed.uuid) for (const { connection } of clients.values()) sendVm(connection, changed);
        return;
      }
      absolute = m.absolute;
      if (!absolute && mode === MouseMode.client) mode = MouseMode.server;
      announceMouseMode();
    });

    ctx.parent.serve({
      'mouse-mode': () => (mode === MouseMode.client ? 'client' : 'server'),
      // spice-server's switch-host migration: each client reconnects to the target by itself (spice-gtk
      // links afresh there), so nothing is closed here.
      'migrate-switch': ({ host: to, port, tlsPort, certSubject }) => {
        const target = {
          port,
          sport: tlsPort,
          host_data: Buffer.from(to + '\0', 'utf8'),
          cert_subject_data: certSubject === null ? null : Buffer.from(certSubject + '\0', 'utf8'),
        };
        for (const { connection: c } of clients.values()) c.send({ name: 'migrate_switch_host', body: target });
        ctx.log.info({ host: to, port, tlsPort, clients: clients.size }, 'clients sent to another server (switch-host)');
        return clients.size;
      },
    });

    serveHandoffs(server, {
      connected(socket, link, leftover) {
        // The ACK window spice-server leaves off on main (it is asked for here): SET_ACK after INIT.
        const c: Connection = new ChannelConnection(socket, link, protocol, {
          log: ctx.log,
          maxBody,
          ackWindow,
          ackAfterFirst: true,
          qos: ctx.init.qos,
          meter,
        });
        clients.get(link.session)?.connection.close({ by: 'session', why: 'replaced by a new main connection' });
        const client: Client = { connection: c, link: null };
        clients.set(link.session, client);
        c.onClose(() => {
          attachedClients.delete(c);
          if (clients.get(link.session) === client) clients.delete(link.session);
        });
        const agent: AgentEndpoint | null = serveAgent
          ? new CompanionAgent(
              {
                data: (chunk) => c.send({ name: 'agent_data', body: { data: chunk } }),
                tokens: (n) => c.send({ name: 'agent_token', body: { num_tokens: n } }),
                close: (why) => c.close({ by: 'server', why }),
              },
              ctx.log.child({ peer: c.peer }),
              (monitors) => void host.send({ kind: 'monitors-config', monitors }),
            )
          : null;
        c.send({
          name: 'init',
          body: {
            session_id: link.session,
            // The displays known by now (a host announces them as it finds them), as spice-server counts its QXL instances.
            display_channels_hint: Math.max(displayChannels, channels.filter((ch) => ch.type === ChannelType.display).length),
            supported_mouse_modes: supported(),
            current_mouse_mode: mode,
            agent_connected: agent ? 1 : 0,
            agent_tokens: agent?.initialTokens ?? noAgentTokens,
            multi_media_time: (mmTimeNow() - mmTimeDeltaMs) >>> 0,
            ram_hint: 0,
          },
        });
        c.startAcks();
        sendVm(c);
        let attached = false;
        c.onMessage((m) => {
          switch (m.name) {
            case 'attach_channels':
              if (attached) return;
              attached = true;
              attachedClients.add(c);
              // spice-server lists the newest channel first.
              c.send({ name: 'channels_list', body: { channels: [...channels].reverse().map(({ type, id }) => ({ type, id })) } });
              return;
            case 'mouse_mode_request': {
              const wanted = m.body.mode;
              if (wanted !== MouseMode.server && wanted !== MouseMode.client)
                return c.close({ by: 'server', why: `mouse mode ${wanted} does not exist` });
              if ((supported() & wanted) === 0) {
                ctx.log.info({ peer: c.peer, wanted }, 'mouse mode refused: the host takes no absolute positions');
                return;
              }
              mode = wanted;
              announceMouseMode();
              return;
            }
            case 'agent_start':
              return agent ? agent.start(m.body.num_tokens) : undefined;
            case 'agent_token':
              return agent ? agent.tokens(m.body.num_tokens) : undefined;
            case 'agent_data':
              if (agent) return agent.data(m.body.data);
              // No agent announced: what a client sends for one has no one to go to.
              ctx.log.debug({ peer: c.peer }, 'no agent; agent data dropped');
              return;
            case 'client_info':
            case 'quality_indicator':
              return;
            default:
              return c.close({ by: 'server', why: `unexpected ${m.name} on the main channel` });
          }
        });
        c.feed(leftover);
        runNetTest((payload) => c.ping(payload, 'us')).then(
          (r) => {
            client.link = r;
            const mbitPerS = r.bitsPerSecond === null ? null : +(r.bitsPerSecond / 1e6).toFixed(1); // null: too fast to tell
            ctx.log.info({ peer: c.peer, latencyMs: +r.latencyMs.toFixed(3), mbitPerS, lowBandwidth: r.lowBandwidth }, 'net test');
            void ctx.parent.send({ kind: 'net-test', session: link.session, ...r });
            // The client's media clock, now that the link is known (spice-server re-sends it when latency changes).
            c.send({ name: 'multi_media_time', body: { time: (mmTimeNow() - mmTimeDeltaMs) >>> 0 } });
          },
          () => {},
        );
        return c;
      },
      sessionEnded(session) {
        clients.get(session)?.connection.close({ by: 'session', why: 'session ended' });
      },
      notify(session, text) {
        // spice-server writes the length without the NUL, then the text with it.
        const message = Buffer.from(text + '\0', 'utf8');
        clients.get(session)?.connection.send({
          name: 'notify',
          body: {
            time_stamp: BigInt(Date.now()),
            severity: NotifySeverity.warn,
            visibility: NotifyVisibility.high,
            what: 0,
            message_len: message.length - 1,
            message,
          },
        });
      },
    });
  },
  { rules: mainReports },
);
