import { ChannelType, hasCap, MainCap, MouseMode, NotifySeverity, NotifyVisibility } from '../../../codecs/protocol/enums.js';
import { mainProtocol as protocol } from '../../../codecs/protocol/channels/main.js';
import { defineActor } from '../../../runtime/actor.js';
import { CompanionAgent } from './agent/companion-agent.js';
import type { AgentEndpoint } from './agent/endpoint.js';
import { GuestAgentRelay } from './agent/guest-relay.js';
import { agentWindow } from '../../../codecs/protocol/agent.js';
import { flip } from '../../../runtime/port.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { actorName, mainReports, mainToAgent, mainToHost, serverToChannel, type MainContract } from '../../contracts.js';
import { mmTimeDeltaMs, mmTimeNow } from '../../../channel/mm-time.js';
import { runNetTest, type NetTest } from './net-test.js';

type Main = typeof protocol;
type Connection = ChannelConnection<Main['server']['defs'], Main['client']['defs']>;

/** A session's main connection and what is known of its client's link. */
interface Client {
  readonly connection: Connection;
  /** The net test's result once it has run: the link's speed for the choices that depend on it (JPEG, video bit rate). */
  link: NetTest | null;
  /** Its agent: the guest's relayed, the companion's own, or none. */
  agent: AgentEndpoint | null;
  /** The companion's agent passed a layout of its to the host (undone when it leaves). */
  laidOut: boolean;
}
/** spice-server's main-channel receive buffer; the ACK window of its other channels. */
const maxBody = 26_624;
const ackWindow = 20;

/**
 * The main channel: the session's first connection. It sends INIT, the channel list once the
 * client attaches, mouse modes (client mode only while the host takes absolute positions),
 * the VM's name and UUID, and measures the link. Its closing ends the session. When the host
 * takes client monitor layouts, each client gets an agent endpoint (agent/) whose layouts
 * go to the host; while the guest's agent runs, the client's agent traffic is relayed to the
 * agent actor instead (AGENT_DISCONNECTED and AGENT_CONNECTED_TOKENS tell the client of the switch).
 */
export default defineActor<MainContract>(
  (ctx) => {
    const meter = channelMeter(ctx.meter);
    const { config, displayChannels } = ctx.init;
    /** The host may take client layouts now (untried or taken): the companion's own agent is announced only then. */
    let layoutsServed = ctx.init.agent === true;
    const channels = [...ctx.init.channels];
    /** Clients that attached, so they hear of channels added later (spice-server sends a one-entry list each). */
    const attachedClients = new Set<Connection>();
    /** While the host's audio plays, clients keep time by its packets, and MULTI_MEDIA_TIME waits (spice-server's reds_disable_mm_time). */
    let audioPlaying = false;
    const sendMmTime = (c: Connection) => c.send({ name: 'multi_media_time', body: { time: (mmTimeNow() - mmTimeDeltaMs) >>> 0 } });
    ctx.parent.messages$.subscribe((m) => {
      if (m.kind === 'audio') {
        audioPlaying = m.playing;
        // The clients' clocks followed the audio: back to the display's.
        if (!m.playing) for (const c of attachedClients) sendMmTime(c);
        return;
      }
      if (m.kind !== 'add-channels') return;
      channels.push(...m.channels);
      for (const c of attachedClients)
        c.send({ name: 'channels_list', body: { channels: m.channels.map(({ type, id }) => ({ type, id })) } });
    });
    const server = ctx.peer(flip(serverToChannel({ type: ChannelType.main, id: 0 })));
    const host = ctx.peer(mainToHost);
    const guestAgent = ctx.peer(mainToAgent);
    const clients = new Map<number, Client>();
    let absolute = false;
    /** The guest's agent runs (the agent actor says so; it exists only when QEMU has the port). */
    let guestConnected = false;
    let mode: number = MouseMode.server;
    // With agent-mouse, the guest's agent takes client positions when no absolute device does.
    const supported = () => MouseMode.server | (absolute || (ctx.init.agentMouse && guestConnected) ? MouseMode.client : 0);
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
      if (m.kind === 'layouts') {
        // Untried is served: a client's first layout is what tells (QEMU is asked nothing before it).
        const served = m.answer === 'untried' || m.answer === 'taken';
        if (served === layoutsServed) return;
        layoutsServed = served;
        return reassignAgents();
      }
      absolute = m.absolute;
      mouseModesChanged();
    });
    const mouseModesChanged = () => {
      if ((supported() & mode) === 0) mode = MouseMode.server;
      announceMouseMode();
    };

    /** A client's agent now: the guest's while it runs, else the companion's where the host takes layouts. */
    const agentFor = (session: number, c: Connection): AgentEndpoint | null => {
      if (guestConnected) return new GuestAgentRelay(session, (m) => void guestAgent.send(m));
      if (!layoutsServed) return null;
      return new CompanionAgent(
        {
          data: (chunk) => c.send({ name: 'agent_data', body: { data: chunk } }),
          tokens: (n) => c.send({ name: 'agent_token', body: { num_tokens: n } }),
          close: (why) => c.close({ by: 'server', why }),
        },
        ctx.log.child({ peer: c.peer }),
        (monitors) => {
          const client = clients.get(session);
          if (client) client.laidOut = true;
          void host.send({ kind: 'monitors-config', monitors });
        },
      );
    };
    /** Each client's agent as things are now; a client whose agent changed hears it went and which came. */
    const reassignAgents = () => {
      for (const [session, client] of clients) {
        const c = client.connection;
        const wanted = guestConnected ? GuestAgentRelay : layoutsServed ? CompanionAgent : null;
        if (wanted === null ? client.agent === null : client.agent instanceof wanted) continue;
        if (client.agent) c.send({ name: 'agent_disconnected', body: { error_code: 0 } });
        client.agent = agentFor(session, c);
        if (!client.agent) continue;
        if (hasCap(c.link.channelCaps, MainCap.agentConnectedTokens))
          c.send({ name: 'agent_connected_tokens', body: { num_tokens: client.agent.initialTokens } });
        else c.send({ name: 'agent_connected', body: {} });
      }
    };
    const guestAgentIs = (connected: boolean) => {
      if (connected === guestConnected) return;
      guestConnected = connected;
      reassignAgents();
      mouseModesChanged();
    };
    // An agent actor that crashed took the relay's state with it: its clients start afresh when it is back.
    ctx.peers$.subscribe((e) => e.type === 'down' && e.peer === actorName.agent && guestAgentIs(false));
    guestAgent.messages$.subscribe((m) => {
      if (m.kind === 'guest') return guestAgentIs(m.connected);
      const c = clients.get(m.session)?.connection;
      if (!c) return;
      if (m.kind === 'data') c.send({ name: 'agent_data', body: { data: m.data } });
      else if (m.kind === 'tokens') c.send({ name: 'agent_token', body: { num_tokens: m.n } });
      else {
        ctx.log.warn({ peer: c.peer, why: m.why }, 'agent protocol broken by the client');
        c.close({ by: 'server', why: m.why });
      }
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
        const client: Client = { connection: c, link: null, agent: null, laidOut: false };
        clients.set(link.session, client);
        client.agent = agentFor(link.session, c);
        c.onClose(() => {
          attachedClients.delete(c);
          if (client.agent instanceof GuestAgentRelay) void guestAgent.send({ kind: 'gone', session: link.session });
          // QEMU's own spice leaves the display as it was: a client's layout goes with it.
          if (client.laidOut) void host.send({ kind: 'monitors-config-undo' });
          if (clients.get(link.session) === client) clients.delete(link.session);
        });
        const agent = client.agent;
        c.send({
          name: 'init',
          body: {
            session_id: link.session,
            // The displays known by now (a host announces them as it finds them), as spice-server counts its QXL instances.
            display_channels_hint: Math.max(displayChannels, channels.filter((ch) => ch.type === ChannelType.display).length),
            supported_mouse_modes: supported(),
            current_mouse_mode: mode,
            agent_connected: agent ? 1 : 0,
            agent_tokens: agent?.initialTokens ?? agentWindow,
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
              return client.agent?.start(m.body.num_tokens);
            case 'agent_token':
              return client.agent?.tokens(m.body.num_tokens);
            case 'agent_data':
              if (client.agent) return client.agent.data(m.body.data);
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
            if (!audioPlaying) sendMmTime(c);
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
