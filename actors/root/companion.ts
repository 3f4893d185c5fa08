import type { Config } from '../../config/settings.js';
import type { Logger } from '../../runtime/log.js';
import type { Contract } from '../../runtime/message.js';
import { Supervisor, type ActorRef } from '../../runtime/supervisor.js';
import { ChannelType } from '../../codecs/protocol/enums.js';
import {
  actorName,
  channelActorName,
  cursorFromHost,
  cursorFromWorker,
  displayToWorker,
  hostToDispatcher,
  hostToAgent,
  hostToTunnels,
  inputsToHost,
  mainToAgent,
  mainToHost,
  poolShare,
  playbackFromHost,
  recordToHost,
  redWorkerName,
  serverToChannel,
  workerFromDispatcher,
  workerToPool,
  type AgentContract,
  type ChannelAddress,
  type CompressorPoolContract,
  type ChannelQos,
  type CursorContract,
  type CursorFromSource,
  type DemoHostContract,
  type DispatcherContract,
  type DisplayContract,
  type InputsContract,
  type MainContract,
  type PlaybackContract,
  type RecordContract,
  type QemuBridgeContract,
  type RedWorkerContract,
  type ServerContract,
  type TunnelsContract,
} from '../contracts.js';
import { SharedBudget } from '../../runtime/qos/shared-budget.js';
import { shared } from '../../runtime/envelope.js';
import { ClientCaches } from './client-caches.js';
import { processClock } from '../../runtime/clock.js';
import type { Port } from '../../runtime/port.js';
import type { ChannelName } from '../../config/settings.js';
import { parseSize } from '../../config/setting.js';
import { parseVideoCodecs } from '../../codecs/video/codec-list.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';
import type { HostProcess } from './qemu-launch.js';
import { StartError } from '../../runtime/start-error.js';
import type { ControlTarget } from './control/commands.js';
import { prestartActorThread } from '../../runtime/spare-thread.js';
import type { MetricsEndpoint } from './metrics.js';
import type { ControlSocket } from './control/socket.js';
import { availableParallelism } from 'node:os';
import { buildModule } from '../../runtime/build-root.js';

export { StartError };

export interface Companion {
  readonly port: number | null;
  readonly tlsPort: number | null;
  /** The port of the metrics endpoint (metrics-addr), null without one. */
  readonly metricsPort: number | null;
  readonly supervisor: Supervisor;
  readonly server: ActorRef<ServerContract>;
  /** The host actor (the VDI host: demo desktop, QEMU bridge, or a test's recording host). */
  readonly host: ActorRef<HostAsRoot> | null;
  readonly main: ActorRef<MainContract>;
  stop(): Promise<void>;
}

export interface HostSpec {
  readonly module: URL;
  readonly init?: unknown;
  /** The host drives a QXL device for display 0 (red-worker and display channel), or it reports the cursor itself. */
  readonly display?: boolean;
  /** The host takes the client's monitor layout (MainToHost monitors-config): the main channel serves an agent for it ('host-says': once the host reports QEMU takes them). */
  readonly monitorsConfig?: boolean | 'host-says';
  /** A process the host serves (QEMU launched by the companion): started before the host, stopped after it. */
  readonly process?: HostProcess;
}

/**
 * The host the configuration asks for: the QEMU bridge when a VM is given, else the demo desktop,
 * or none. The QEMU launcher (child_process, crypto: ~15 ms of the main thread's start) is
 * loaded only for `--qemu`.
 */
export async function configuredHost(config: Config): Promise<HostSpec | undefined> {
  const bridge = (init: QemuBridgeContract['init'], process?: HostProcess): HostSpec => ({
    module: buildModule('actors/hosts/qemu-bridge/actor.js'),
    init,
    display: true,
    monitorsConfig: 'host-says',
    ...(process ? { process } : {}),
  });
  if (config['qemu-dbus'] !== undefined) return bridge({ address: config['qemu-dbus'] });
  if (config['qemu-qmp'] !== undefined) return bridge({ qmp: config['qemu-qmp'] });
  if (config.qemu !== undefined) {
    const { QemuLauncher } = await import('./qemu-launch.js');
    const qemu = new QemuLauncher(config.qemu);
    return bridge({ address: qemu.busAddress }, qemu);
  }
  if (config.demo === 'off') return undefined;
  const [width, height] = parseSize(config['demo-size']);
  return { module: buildModule('actors/hosts/demo-host/actor.js'), init: { mode: config.demo, width, height }, display: true };
}

/** The host actor as the root sees it, whichever host runs: the QEMU bridge's reports are those it acts on. */
export type HostAsRoot = Contract & { out: QemuBridgeContract['out'] | DemoHostContract['out'] };

/** How long inputs and cursor 0 wait for display 0's first drawing once its actors are up (none comes without a client). */
const firstPictureWaitMs = 500;

/**
 * The process's root: a supervisor for the actors, and the reaction to an escalation (a crash
 * loop nobody below can fix ends the process, so that whatever runs it can restart it).
 * Actors: the server (listen, link), one per channel, and the host that feeds them.
 */
export async function startCompanion(config: Config, log: Logger, version: string, hostSpec?: HostSpec): Promise<Companion> {
  const supervisor = new Supervisor({ log, logLevel: config['log-level'] });
  supervisor.events$.subscribe((e) => {
    // The thread id names the actor's thread in per-thread profiles (node --cpu-prof files).
    if (e.type === 'started') log.debug({ actor: e.actor, threadId: e.threadId, generation: e.generation }, 'actor started');
    if (e.type === 'escalated') {
      log.fatal({ actor: e.actor, error: e.error }, 'actor escalated; exiting');
      void supervisor.stop().finally(() => process.exit(1));
    }
  });
  // The client's link budget, shared by its channels by priority, when `max-bandwidth` limits it.
  const budget = Number.isFinite(config['max-bandwidth'])
    ? SharedBudget.create(config['max-bandwidth'], processClock.now()).memory
    : undefined;
  const qos = (name: ChannelName): ChannelQos => ({
    priority: config.channels[name].priority,
    maxBandwidth: config.channels[name]['max-bandwidth'],
    ...(budget ? { budget } : {}),
  });
  await hostSpec?.process?.start(log);
  const display = hostSpec?.display === true;
  // Registration order; the main channel lists them newest first, as spice-server does. Display
  // channels join as the dispatcher starts their red-workers.
  const channels: ChannelAddress[] = [
    { type: ChannelType.inputs, id: 0 },
    { type: ChannelType.cursor, id: 0 },
  ];
  // The server starts alone, the other actors once it listens: each actor is an isolate and a
  // module graph to load, and all at once they kept the port closed for seconds on a busy
  // machine. A connection that comes first waits in the server's link to its channel's actor.
  const server = supervisor.spawn<ServerContract>({
    name: actorName.server,
    module: buildModule('actors/server/actor.js'),
    init: { config, channels: [{ type: ChannelType.main, id: 0 }, ...channels] },
  });
  // The host's thread boots beside the server's, on the core the main thread no longer needs: the
  // QEMU bridge's attach (D-Bus, QEMU's first scanout) is the longest step to the first picture.
  if (hostSpec) prestartActorThread(hostSpec.module);
  const stopProcess = () => hostSpec?.process?.stop() ?? Promise.resolve();
  const listening = await new Promise<{ port: number | null; tlsPort: number | null }>((resolve, reject) => {
    const sub = server.link.messages$.subscribe((m) => {
      if (m.kind === 'listening') {
        sub.unsubscribe();
        resolve({ port: m.port, tlsPort: m.tlsPort });
      }
      if (m.kind === 'start-failed') reject(new StartError(m.reason));
    });
    supervisor.next(actorName.server, 'crashed').then((e) => reject(new Error(`server failed to start: ${e.error}`)), reject);
  }).catch(async (err: unknown) => {
    await supervisor.stop().finally(stopProcess);
    throw err;
  });

  const host = hostSpec ? supervisor.spawn<HostAsRoot>({ name: actorName.host, module: hostSpec.module, init: hostSpec.init ?? {} }) : null;
  const main = supervisor.spawn<MainContract>({
    name: actorName.main,
    module: buildModule('actors/channels/main/actor.js'),
    init: {
      config: { name: config.name, uuid: config.uuid },
      channels,
      displayChannels: display ? 1 : 0,
      agent: hostSpec?.monitorsConfig ?? false,
      agentMouse: config['agent-mouse'],
      qos: qos('main'),
    },
  });
  supervisor.connect(serverToChannel({ type: ChannelType.main, id: 0 }));
  if (host) supervisor.connect(mainToHost);
  // The agent actor only once the host finds the guest agent's port (QEMU's vdagent chardev): a VM
  // without one costs no isolate.
  let agentStarted = false;
  const startAgent = () => {
    if (agentStarted || stopping) return;
    agentStarted = true;
    supervisor.spawn<AgentContract>({
      name: actorName.agent,
      module: buildModule('actors/agent/actor.js'),
      init: {
        copyPaste: !config['disable-copy-paste'],
        fileTransfer: !config['disable-agent-file-xfer'],
        agentMouse: config['agent-mouse'],
      },
    });
    supervisor.connect(hostToAgent);
    supervisor.connect(mainToAgent);
  };
  const cursor = (id: number, source: Port<CursorFromSource>) =>
    supervisor.spawn<CursorContract>({
      name: channelActorName({ type: ChannelType.cursor, id }),
      module: buildModule('actors/channels/cursor/actor.js'),
      init: { id, source, qos: qos('cursor') },
    });

  // One compressor pool for every display, its threads started as images wait for them.
  const poolThreads = config['compressor-threads'] > 0 ? config['compressor-threads'] : availableParallelism();
  /** Display 0's first drawing handed to its channel (the red-worker says so once). */
  let firstPicture: Promise<unknown> = Promise.resolve();
  const firstSent = (worker: ActorRef<RedWorkerContract>) =>
    new Promise<void>((resolve) => {
      const sub = worker.link.messages$.subscribe((m) => {
        if (m.kind !== 'first-drawing') return;
        sub.unsubscribe();
        // Beside 'actor started' and the host's 'attached to QEMU': the start-up's timeline (debug).
        log.debug({ display: 0 }, 'first drawing sent');
        resolve();
      });
    });
  // The settings checked the list's syntax.
  const videoCodecList = parseVideoCodecs(config['video-codecs']) as VideoCodec[];
  // The client's link, measured by main, sets where its video streams' bit rates start.
  const redWorkers: ActorRef<RedWorkerContract>[] = [];
  const clientCaches = new ClientCaches();
  main.link.messages$.subscribe((m) => {
    for (const w of redWorkers)
      void w.link.send({ kind: 'net-test', latencyMs: m.latencyMs, bitsPerSecond: m.bitsPerSecond, lowBandwidth: m.lowBandwidth });
  });
  // Audio/video sync: while the host's audio plays, the red-workers stamp stream frames on the
  // audio's clock and main holds MULTI_MEDIA_TIME back; the latency the streams need (the most
  // any display asks) goes to the playback channel as LATENCY.
  let playback: ActorRef<PlaybackContract> | null = null;
  let audioPlaying = false;
  const streamLatency = new Map<number, number>();
  const watchStreamLatency = (id: number, worker: ActorRef<RedWorkerContract>) => {
    if (audioPlaying) void worker.link.send({ kind: 'audio', playing: true });
    worker.link.messages$.subscribe((m) => {
      if (m.kind !== 'playback-latency') return;
      streamLatency.set(id, m.ms);
      void playback?.link.send({ kind: 'latency', ms: Math.max(...streamLatency.values()) });
    });
  };
  /** A display's red-worker and channels, once, as the dispatcher asks for them (a restarted dispatcher asks again). */
  const displaysStarted = new Set<number>();
  /** The compressor pool starts after a client's first picture; until then the red-workers compress themselves. */
  let poolStarted = false;
  const startDisplay = (id: number) => {
    if (displaysStarted.has(id)) return;
    displaysStarted.add(id);
    const added: ChannelAddress[] = [{ type: ChannelType.display, id }];
    if (id > 0) {
      cursor(id, cursorFromWorker(id));
      added.push({ type: ChannelType.cursor, id });
    }
    supervisor.spawn<DisplayContract>({
      name: channelActorName({ type: ChannelType.display, id }),
      module: buildModule('actors/channels/display/actor.js'),
      init: { id, qos: qos('display') },
    });
    const worker = supervisor.spawn<RedWorkerContract>({
      name: redWorkerName(id),
      module: buildModule('actors/pipeline/red-worker/actor.js'),
      init: {
        id,
        imageCompression: config['image-compression'],
        poolShare: poolShare(poolThreads),
        streaming: config['streaming-video'],
        videoCodecs: videoCodecList,
        jpegWan: config['jpeg-wan-compression'],
        zlibGlzWan: config['zlib-glz-wan-compression'],
      },
    });
    if (id === 0) firstPicture = firstSent(worker);
    redWorkers.push(worker);
    worker.link.messages$.subscribe((m) => {
      if (m.kind === 'client-caches') {
        const caches = clientCaches.take(m.session, id, m);
        void worker.link.send({
          kind: 'client-caches',
          session: m.session,
          glz: shared(caches.glz.memory),
          pixmaps: caches.pixmaps && shared(caches.pixmaps),
        });
      } else if (m.kind === 'caches-release') clientCaches.release(m.session, id);
    });
    watchStreamLatency(id, worker);
    supervisor.connect(displayToWorker(id));
    if (poolStarted) supervisor.connect(workerToPool(id));
    // Display 0's cursor actor starts later (see below) and connects its own link then.
    if (id > 0) supervisor.connect(cursorFromWorker(id));
    supervisor.connect(workerFromDispatcher(id));
    for (const c of added) supervisor.connect(serverToChannel(c));
    void server.link.send({ kind: 'add-channels', channels: added });
    void main.link.send({ kind: 'add-channels', channels: added });
  };
  /** The playback and record channels, once the host says it has audio (the QEMU bridge, once QEMU's audio listeners are registered). */
  let audioStarted = false;
  const startAudio = () => {
    if (audioStarted || stopping) return;
    audioStarted = true;
    const added: ChannelAddress[] = [
      { type: ChannelType.playback, id: 0 },
      { type: ChannelType.record, id: 0 },
    ];
    playback = supervisor.spawn<PlaybackContract>({
      name: channelActorName(added[0]!),
      module: buildModule('actors/channels/playback/actor.js'),
      init: { compression: config['playback-compression'], qos: qos('playback') },
    });
    playback.link.messages$.subscribe((m) => {
      audioPlaying = m.on;
      streamLatency.clear();
      for (const w of redWorkers) void w.link.send({ kind: 'audio', playing: m.on });
      void main.link.send({ kind: 'audio', playing: m.on });
    });
    supervisor.spawn<RecordContract>({
      name: channelActorName(added[1]!),
      module: buildModule('actors/channels/record/actor.js'),
      init: { qos: qos('record') },
    });
    supervisor.connect(playbackFromHost);
    supervisor.connect(recordToHost);
    for (const c of added) supervisor.connect(serverToChannel(c));
    void server.link.send({ kind: 'add-channels', channels: added });
    void main.link.send({ kind: 'add-channels', channels: added });
  };
  // What the host reports: the QEMU bridge's finds (the demo host's frame reports are not for the root).
  host?.link.messages$.subscribe((m) => {
    if (m.kind === 'audio') startAudio();
    else if (m.kind === 'agent-port') startAgent();
  });
  /** The spicevmc channels, as the host finds their chardevs: one tunnels actor for all of them, started with the first. */
  const tunnelChannels = new Set<string>();
  const startTunnels = (found: readonly ChannelAddress[]) => {
    if (stopping) return;
    const added = found.filter((c) => !tunnelChannels.has(`${c.type}:${c.id}`));
    if (added.length === 0) return;
    if (tunnelChannels.size === 0) {
      supervisor.spawn<TunnelsContract>({
        name: actorName.tunnels,
        module: buildModule('actors/channels/tunnels/actor.js'),
        init: { qos: { usbredir: qos('usbredir'), port: qos('port'), webdav: qos('webdav'), smartcard: qos('smartcard') } },
      });
      supervisor.connect(hostToTunnels);
      // One link from the server for every spicevmc channel: they share the actor.
      supervisor.connect(serverToChannel(added[0]!));
    }
    for (const c of added) tunnelChannels.add(`${c.type}:${c.id}`);
    void server.link.send({ kind: 'add-channels', channels: added });
    void main.link.send({ kind: 'add-channels', channels: added });
  };
  host?.link.messages$.subscribe((m) => {
    const t = m as { kind?: unknown; channels?: readonly ChannelAddress[] };
    if (t.kind === 'tunnels' && t.channels) startTunnels(t.channels);
  });
  if (display) {
    const dispatcher = supervisor.spawn<DispatcherContract>({
      name: actorName.dispatcher,
      module: buildModule('actors/pipeline/dispatcher/actor.js'),
      init: {},
    });
    supervisor.connect(hostToDispatcher);
    dispatcher.link.messages$.subscribe((m) => startDisplay(m.display));
    // Display 0's actors boot beside the host's instead of after its first device: they are on the
    // way to a client's first drawing.
    startDisplay(0);
  }

  // Inputs, display 0's cursor and the compressor pool once a client's first picture has left
  // (main, the host, display 0's actors up and its first drawing handed to the display channel), or
  // soon after those are up when nothing is drawn: booting beside them, they took the cores from
  // them (the first picture is compressed on the red-worker's thread).
  let stopping = false;
  const firstNeeds = [
    actorName.main,
    ...(host ? [actorName.host] : []),
    ...(display ? [actorName.dispatcher, channelActorName({ type: ChannelType.display, id: 0 }), redWorkerName(0)] : []),
  ];
  const allStarted = Promise.all(firstNeeds.map((name) => supervisor.next(name, 'started'))).then(async () => {
    await Promise.race([firstPicture, new Promise((resolve) => setTimeout(resolve, firstPictureWaitMs))]);
    if (stopping) return;
    const late = [
      supervisor.next(actorName.inputs, 'started'),
      supervisor.next(channelActorName({ type: ChannelType.cursor, id: 0 }), 'started'),
      ...(display ? [supervisor.next(actorName.compressorPool, 'started')] : []),
    ];
    if (display) {
      supervisor.spawn<CompressorPoolContract>({
        name: actorName.compressorPool,
        module: buildModule('actors/pipeline/compressor-pool/actor.js'),
        init: { threads: poolThreads },
      });
      poolStarted = true;
      for (const id of displaysStarted) supervisor.connect(workerToPool(id));
    }
    supervisor.spawn<InputsContract>({
      name: actorName.inputs,
      module: buildModule('actors/channels/inputs/actor.js'),
      init: { qos: qos('inputs') },
    });
    // With QXL devices a display's cursor comes through its red-worker (the cursor ring), else from the host.
    cursor(0, display ? cursorFromWorker(0) : cursorFromHost);
    for (const c of channels) supervisor.connect(serverToChannel(c));
    if (host) supervisor.connect(inputsToHost);
    if (display) supervisor.connect(cursorFromWorker(0));
    else if (host) supervisor.connect(cursorFromHost);
    return Promise.all(late);
  });
  // The operator's ends: the control socket and the metrics endpoint, once the ports are known.
  let control: ControlSocket | null = null;
  let metrics: MetricsEndpoint | null = null;
  const stop = async () => {
    stopping = true;
    await control?.close();
    await metrics?.close();
    await supervisor.stop().finally(stopProcess);
  };
  try {
    const target: ControlTarget = { config, version, ...listening, server, main, nowS: () => Date.now() / 1000, migration: null };
    if (config['control-socket'] !== undefined) {
      const [{ openControlSocket }, { execute }] = await Promise.all([import('./control/socket.js'), import('./control/commands.js')]);
      control = await openControlSocket(config['control-socket'], version, (command) => execute(command, target), log);
    }
    // Loaded only when asked for (the control socket and its commands above too): prom-client, and
    // the CPU clock's tick rate read at import.
    if (config['metrics-addr'] !== undefined)
      metrics = await (await import('./metrics.js')).openMetrics(config['metrics-addr'], supervisor, log);
  } catch (err) {
    await stop();
    throw err;
  }
  // Clients may link from the moment the server listens (their connections wait in its links);
  // the companion is started once every actor is: one stopped before then would leave the
  // connections handed to an actor that never came in those links, their fds open.
  await allStarted;
  log.info({ version, ...listening, addr: config.addr }, 'spice-companion started');
  return { ...listening, metricsPort: metrics?.port ?? null, supervisor, server, host, main, stop };
}
