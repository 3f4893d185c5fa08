import type { MessagePort } from 'node:worker_threads';
import type { Moved, Shared } from '../runtime/envelope.js';
import type { HistogramSummary } from '../runtime/histogram.js';
import type { MergeRules } from '../runtime/merge-rules.js';
import { port, type Port } from '../runtime/port.js';
import type { ImageCompressionMode } from '../codecs/image/choose.js';
import type { Compressed, EncodingRequest, JobPriority, PixelsRef, StreamEncoding } from '../codecs/image/compress-job.js';
import { ChannelType, channelTypeName } from '../codecs/protocol/enums.js';
import type { MemSlot } from '../codecs/qxl/memslot.js';
import type { Config } from '../config/settings.js';
import type { StreamReport } from '../codecs/protocol/channels/display.js';
import type { VideoCodec } from '../codecs/video/encoder.js';

/**
 * The companion's actors as the others see them, declared in one place: each actor's contract
 * with its owner (`…Contract`), and the typed ports between peers. A `…Link` type (`ServerToChannel`,
 * ...) is one end of a peer link as its port's first-named actor sees it (the other end takes
 * `flip(port)`). Types come only from runtime/, codecs/ and the settings schema (config/), never
 * from an actor or a library built on them.
 */

// ---- Names -------------------------------------------------------------------------------

/** A channel as it exists on this server: type number and id (e.g. display 0, cursor 0). */
export interface ChannelAddress {
  readonly type: number;
  readonly id: number;
}

/** The actors with one instance; display, cursor and red-worker actors are one per display. */
export const actorName = {
  server: 'server',
  main: 'main',
  inputs: 'inputs',
  host: 'host',
  dispatcher: 'dispatcher',
  compressorPool: 'compressor-pool',
  agent: 'agent',
  tunnels: 'tunnels',
} as const;
export const redWorkerName = (display: number): string => `red-worker-${display}`;

/** The spicevmc channels: every one is served by the one tunnels actor. */
export const tunnelChannelTypes: readonly number[] = [ChannelType.smartcard, ChannelType.usbredir, ChannelType.port, ChannelType.webdav];

/** The actor serving a channel: one per channel type, or per display for display and cursor; the tunnels actor for every spicevmc channel. */
export function channelActorName({ type, id }: ChannelAddress): string {
  if (tunnelChannelTypes.includes(type)) return actorName.tunnels;
  const name = channelTypeName(type);
  return type === ChannelType.display || type === ChannelType.cursor ? `${name}-${id}` : name;
}

/** Displays a host may drive: SPICE's display channel ids are a byte, and spice-gtk shows up to 16 monitors. */
export const maxDisplays = 16;

// ---- Server and channels -------------------------------------------------------------------

/** What the link stage learnt about a connection, handed with it to its channel's actor. */
export interface LinkedChannel {
  readonly session: number;
  readonly channelType: number;
  readonly channelId: number;
  readonly commonCaps: readonly number[];
  readonly channelCaps: readonly number[];
  readonly secure: boolean;
  /** The client's address and port, for logs. */
  readonly peer: string;
}

/**
 * A linked connection passed from the server actor to a channel actor: either its socket fd
 * (the channel's thread adopts it; `leftover` holds bytes the link stage read past the link)
 * or, for TLS, a port carrying the plaintext (TLS state cannot leave the thread that made it).
 */
export type Handoff =
  | { readonly kind: 'connection'; readonly link: LinkedChannel; readonly fd: number; readonly leftover: Moved<Uint8Array> }
  | { readonly kind: 'relayed-connection'; readonly link: LinkedChannel; readonly port: Moved<MessagePort> };

/** The server actor hands linked connections to a channel actor and hears when they end. */
export interface ServerToChannel {
  send: Handoff | { kind: 'end-session'; session: number } | { kind: 'notify'; session: number; text: string };
  recv: ChannelClosed;
  asks: {};
  answers: {};
}

/** A channel actor tells the server actor that a connection it was handed closed; a main channel's closing ends its session. */
export type ChannelClosed = { kind: 'channel-closed'; session: number; channelType: number; channelId: number; peer: string };

export const serverToChannel = (channel: ChannelAddress): Port<ServerToChannel> => port(actorName.server, channelActorName(channel));

/** How a channel's sends share its client's link: its own rate, its priority, and the link's budget (`runtime/qos/shared-budget.ts`) when the link has a limit. */
export interface ChannelQos {
  readonly priority: number;
  readonly maxBandwidth: number;
  readonly budget?: SharedArrayBuffer;
}

export interface ServerInit {
  readonly config: Config;
  /** The channels this server offers; each is served by the actor `channelActorName(address)`. */
  readonly channels: readonly ChannelAddress[];
}

/** A linked channel connection, as the control plane lists it (QEMU's SpiceChannel). */
export interface LiveChannel {
  readonly host: string;
  readonly port: string;
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly session: number;
  readonly channelType: number;
  readonly channelId: number;
  readonly tls: boolean;
}

/** What a client already connected meets when the password changes, as QEMU's set_password `connected`. */
export type OnConnected = 'keep' | 'fail' | 'disconnect';

/** A request the server actor may refuse, with why. */
export type Done = { ok: true } | { ok: false; error: string };

export interface ServerContract {
  init: ServerInit;
  in:
    | { kind: 'set-password'; password: string | null; connected: OnConnected }
    /** Null: never expires; else seconds from now (0 or less: expired now). */
    | { kind: 'expire-password'; inS: number | null }
    | { kind: 'query-channels' }
    /** Ends a client's session (null: the connected one). */
    | { kind: 'disconnect'; session: number | null }
    | { kind: 'add-channels'; channels: readonly ChannelAddress[] };
  out:
    | { kind: 'listening'; port: number | null; tlsPort: number | null }
    | { kind: 'link-refused'; peer: string; reason: string }
    /** The listeners could not open: a problem the operator fixes, in one line. */
    | { kind: 'start-failed'; reason: string };
  replies: { 'set-password': Done; 'expire-password': Done; 'query-channels': readonly LiveChannel[]; disconnect: Done };
}

export interface MainInit {
  readonly config: Pick<Config, 'name' | 'uuid'>;
  /** The other channels a client may open, in the order they were registered. */
  readonly channels: readonly ChannelAddress[];
  readonly displayChannels: number;
  /**
   * The host takes client monitor layouts: the main channel announces an agent that serves them
   * (actors/channels/main/agent); 'host-says': only while the host reports that QEMU may take them
   * (untried until a client's first layout, or taken).
   */
  readonly agent: boolean | 'host-says';
  /** `agent-mouse`: client mouse mode through the guest's agent while it runs, without an absolute device. */
  readonly agentMouse: boolean;
  readonly qos: ChannelQos;
}

/** The main channel reports each client's measured link to its owner, for logs and tests. */
/** What the main channel's net test measured of a client's link. */
export interface NetTest {
  readonly latencyMs: number;
  /** Null when no payload took longer than an empty ping: too fast to tell (spice-server then assumes a fast link). */
  readonly bitsPerSecond: number | null;
  readonly lowBandwidth: boolean;
}

export interface MainContract {
  init: MainInit;
  /**
   * Channels started after the first list (a display the host announced later); the mouse mode in
   * use; sending the connected clients to another server (MIGRATE_SWITCH_HOST; ports 0: none).
   */
  in:
    | { kind: 'add-channels'; channels: readonly ChannelAddress[] }
    | { kind: 'mouse-mode' }
    | { kind: 'migrate-switch'; host: string; port: number; tlsPort: number; certSubject: string | null }
    /** The host's audio started or stopped: after it, clients keep time by MULTI_MEDIA_TIME again. */
    | { kind: 'audio'; playing: boolean };
  out: { kind: 'net-test'; session: number } & NetTest;
  /** migrate-switch: how many clients were sent. */
  replies: { 'mouse-mode': 'client' | 'server'; 'migrate-switch': number };
}

/** A session's net test waiting for a busy owner: only its latest result is worth reading. */
export const mainReports: MergeRules<MainContract['out']> = { 'net-test': { latest: true, key: ['session'] } };

/**
 * The inputs channel: keys (set-1 scancodes), lock-key modifiers both ways, relative and
 * absolute mouse and buttons, in order to the host.
 */
export interface InputsContract {
  init: { qos: ChannelQos };
  in: never;
  out: never;
  replies: {};
}

/** The cursor channel of display `id`; `source` reports its cursor (the host, or the display's red-worker). */
export interface CursorContract {
  init: { id: number; source: Port<CursorFromSource>; qos: ChannelQos };
  in: never;
  out: never;
  replies: {};
}

export interface DisplayContract {
  init: { id: number; qos: ChannelQos };
  in: never;
  out: never;
  replies: {};
}

/**
 * The playback channel; `compression`: Opus to clients that have the cap (`playback-compression`).
 * It says when the host's voice starts and stops (while it plays, clients keep time by its
 * packets: video frames are stamped on the same clock), and takes the playback latency the
 * video streams need (LATENCY to clients).
 */
export interface PlaybackContract {
  init: { compression: boolean; qos: ChannelQos };
  in: { kind: 'latency'; ms: number };
  out: { kind: 'playing'; on: boolean };
  replies: {};
}

export interface RecordContract {
  init: { qos: ChannelQos };
  in: never;
  out: never;
  replies: {};
}

// ---- Hosts -------------------------------------------------------------------------------

/** Input events for the VDI host (QEMU bridge, demo host). Key codes are PC set-1 scancodes, E0-prefixed ones as 0xE0xx. */
export type InputEvent =
  | { kind: 'key'; code: number; down: boolean }
  | { kind: 'mouse-motion'; dx: number; dy: number; buttons: number }
  | { kind: 'mouse-position'; x: number; y: number; buttons: number; display: number }
  | { kind: 'mouse-buttons'; buttons: number; button: number; down: boolean }
  | { kind: 'lock-keys'; modifiers: number };

/** The inputs channel feeds the host; the host reports keyboard LEDs back. */
export interface InputsToHost {
  send: InputEvent;
  recv: { kind: 'leds'; modifiers: number };
  asks: {};
  answers: {};
}

/**
 * What may merge while input waits for the host: a pointer position per display only the
 * latest, relative motion summed while the buttons stay; keys, buttons and lock keys are never
 * merged, dropped nor passed (a merge never reaches past them), so every press has its release,
 * in order.
 */
export const inputsToHost = port<InputsToHost>(actorName.inputs, actorName.host, {
  rules: {
    'mouse-position': { latest: true, key: ['display'] },
    'mouse-motion': { sum: ['dx', 'dy'], key: ['buttons'] },
  },
});

/** A monitor the client asks for: display channel `display` at that size (and place, and physical size when known). */
export interface MonitorRequest {
  readonly display: number;
  readonly width: number;
  readonly height: number;
  readonly x: number;
  readonly y: number;
  /** 0 when the client gave none. */
  readonly widthMm: number;
  readonly heightMm: number;
}

/** What QEMU said of client layouts (MainToHost 'layouts'). */
export type LayoutsAnswer = 'untried' | 'taken' | 'refused' | 'away';

/**
 * The main channel passes on the monitor layout a client asks for (its agent's
 * VD_AGENT_MONITORS_CONFIG), one entry per display channel; the host tells the main channel
 * whether it takes absolute pointer positions (client mouse mode).
 */
export interface MainToHost {
  send:
    | { kind: 'monitors-config'; monitors: readonly MonitorRequest[] }
    /** The client whose layouts were applied left: the displays go back to their sizes from before. */
    | { kind: 'monitors-config-undo' };
  recv:
    | { kind: 'mouse-absolute'; absolute: boolean }
    /**
     * Whether QEMU takes client layouts: untried until a client's first layout (nothing is asked
     * of QEMU before, since any SetUIInfo reaches the guest as its preferred size), then as
     * SetUIInfo answered it; away while QEMU is.
     */
    | { kind: 'layouts'; answer: LayoutsAnswer }
    /** The VM's name and UUID (8-4-4-4-12 hex), as QEMU has them (-name, -uuid). */
    | { kind: 'vm'; name: string; uuid: string };
  asks: {};
  answers: {};
}

export const mainToHost = port<MainToHost>(actorName.main, actorName.host);

/** PCM as the host's audio voices carry it: signed 16-bit little-endian samples, interleaved. */
export interface PcmFormat {
  readonly frequency: number;
  readonly channels: number;
}

/** A voice's volume: 0..255 per channel, as QEMU's SetVolume gives it, and whether it is muted. */
export type AudioVolume = { kind: 'volume'; volume: readonly number[]; mute: boolean };

/** The host's audio output, as the playback channel hears it. */
export type PlaybackEvent = { kind: 'start'; format: PcmFormat } | { kind: 'stop' } | { kind: 'pcm'; pcm: Moved<Uint8Array> } | AudioVolume;

/** The playback channel hears the host's audio output. */
export interface PlaybackFromHost {
  send: never;
  recv: PlaybackEvent;
  asks: {};
  answers: {};
}

/**
 * A short link: the host offers PCM and drops it when the window is full (old audio is worth
 * nothing); only the latest volume counts.
 */
export const playbackFromHost = port<PlaybackFromHost>(channelActorName({ type: ChannelType.playback, id: 0 }), actorName.host, {
  window: 8,
  maxQueue: 4,
  backRules: { volume: { latest: true } },
});

/** The host's audio input, as the record channel hears it (start: a client should record). */
export type RecordEvent = { kind: 'start'; format: PcmFormat } | { kind: 'stop' } | AudioVolume;

/** The record channel passes the client's PCM (in the format the host's start gave) to the host's jitter buffer. */
export interface RecordToHost {
  send: { kind: 'pcm'; pcm: Moved<Uint8Array> };
  recv: RecordEvent;
  asks: {};
  answers: {};
}

export const recordToHost = port<RecordToHost>(channelActorName({ type: ChannelType.record, id: 0 }), actorName.host, {
  window: 8,
  maxQueue: 4,
  backRules: { volume: { latest: true } },
});

/** A cursor shape as the host defines it; `data` is exact (ALPHA: w*h*4 B,G,R,A; MONO: AND then XOR masks, ((w+7)/8)*h each). */
export interface CursorShape {
  /** Non-zero: the same shape comes back with the same id, so clients may cache it. */
  readonly unique: bigint;
  readonly type: 'alpha' | 'mono';
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly data: Moved<Uint8Array>;
}

/** The cursor of one display, as its source (the red-worker, a host) reports it. */
export type CursorEvent =
  | { kind: 'cursor-set'; shape: CursorShape; x: number; y: number; visible: boolean }
  | { kind: 'cursor-move'; x: number; y: number }
  | { kind: 'cursor-hide' }
  | { kind: 'cursor-trail'; length: number; frequency: number }
  | { kind: 'cursor-reset' };

/** The cursor channel hears its display's cursor. */
export interface CursorFromSource {
  send: never;
  recv: CursorEvent;
  asks: {};
  answers: {};
}

/** A cursor position waiting for the cursor channel is worth only the latest (one port per display). */
const cursorRules = { backRules: { 'cursor-move': { latest: true } } } as const;

/** Without QXL devices, the host reports display 0's cursor itself. */
export const cursorFromHost = port<CursorFromSource>(channelActorName({ type: ChannelType.cursor, id: 0 }), actorName.host, cursorRules);

/** What a red-worker needs to consume a device: fds of this process, valid in any of its threads. */
export interface DeviceHandoff {
  readonly memoryFd: number;
  readonly size: number;
  readonly slot: MemSlot;
  /** The red-worker polls this one; the host signals it. */
  readonly consumerEventFd: number;
  /** The host polls this one; the red-worker signals it. */
  readonly producerEventFd: number;
}

/**
 * A client is shown the display (its red-worker has one), or no longer is. `findDrags`: whether
 * window drags are worth finding in the host's damage for that client: not on a slow link (the
 * net test's), where a drag's COPY_BITS each frame keep the pipe from replacing the frames the
 * link cannot take by newer ones (measured: 7-26 % more bytes, p95 latency x2).
 */
export type DisplayWatched = { kind: 'watched'; display: number; watched: boolean; findDrags: boolean };

/** A VDI host announces each display device it drives to the dispatcher (the host's view). */
export interface HostToDispatcher {
  send: { kind: 'device'; display: number; device: DeviceHandoff };
  /** Whether a client is shown display `display` now: a host may stop drawing for nobody. */
  recv: DisplayWatched;
  asks: {};
  answers: {};
}

export const hostToDispatcher = port<HostToDispatcher>(actorName.host, actorName.dispatcher);

export interface DemoHostContract {
  init: { readonly mode: 'live' | 'still'; readonly width: number; readonly height: number; readonly fps?: number };
  in: never;
  out: { kind: 'frame'; tMs: number };
  replies: {};
}

/** Frame reports waiting for a busy owner: only the latest. */
export const demoHostReports: MergeRules<DemoHostContract['out']> = { frame: { latest: true } };

/** One display's figures in the QEMU bridge. */
export interface ScanoutStats {
  readonly width: number;
  readonly height: number;
  readonly scanouts: number;
  readonly updates: number;
  /** Times the device was full and damage had to wait for room. */
  readonly deferred: number;
  /** Update (or Scanout) received → its pixels pushed as DRAW_COPY, in microseconds. */
  readonly latencyUs: HistogramSummary;
}

export interface BridgeStats {
  /** Attached to a QEMU now. */
  readonly attached: boolean;
  /** Attachments so far (a QEMU restart makes one more). */
  readonly attachments: number;
  readonly absolute: boolean;
  /** Display 0's figures (the first console's). */
  readonly display: ScanoutStats;
  /** Every display's, by display channel id. */
  readonly displays: Readonly<Record<number, ScanoutStats>>;
  /** SetUIInfo calls QEMU took (client monitor layouts passed on). */
  readonly uiInfo: number;
  /** Client layouts the layout guard undid (the guest scanned out smaller, or a crop of its old picture). */
  readonly layoutsPutBack: number;
  readonly audio: AudioStats;
}

/** The bridge's audio figures. */
export interface AudioStats {
  /** PCM bytes QEMU wrote (playback) and bytes of them the playback channel's link refused (dropped). */
  readonly written: number;
  readonly dropped: number;
  /** QEMU's Read calls, and those answered (partly) with silence: the jitter buffer ran dry. */
  readonly reads: number;
  readonly underruns: number;
  /** Read call received → answer handed to the socket, in microseconds: QEMU's main loop waits that long. */
  readonly readUs: HistogramSummary;
}

/** Where QEMU's display is reached. */
export type QemuLink =
  /** The D-Bus address of the bus QEMU's `-display dbus,addr=` is on (`unix:path=...`). */
  | { readonly address: string }
  /** The QMP unix socket of a QEMU with `-display dbus,p2p=yes`: a peer-to-peer link is handed to it there. */
  | { readonly qmp: string };

export interface QemuBridgeContract {
  init: QemuLink & {
    /** Wait between attempts to reach QEMU (default 1000 ms). */
    readonly retryMs?: number;
  };
  /** The figures so far; `reset` starts the latency histograms afresh after reading them. */
  in: { kind: 'stats'; reset?: boolean };
  /**
   * QEMU has audio (bus mode): the root starts the playback and record channels. QEMU has the guest agent's chardev (`org.spice-space.vdagent.0`): the owner starts the agent actor.
   * QEMU has chardevs for spicevmc channels: the owner starts the tunnels actor and lists those channels.
   */
  out: { kind: 'audio' } | { kind: 'agent-port' } | { kind: 'tunnels'; channels: readonly ChannelAddress[] };
  replies: { stats: BridgeStats };
}

// ---- Guest agent ------------------------------------------------------------------------

/** The agent actor relays the guest's vdagent port (actors/agent/); the settings it filters by. */
export interface AgentContract {
  init: { readonly copyPaste: boolean; readonly fileTransfer: boolean; readonly agentMouse: boolean };
  in: never;
  out: never;
  replies: {};
}

/** A client pointer position for the guest's agent (VD_AGENT_MOUSE_STATE): buttons as SPICE's mask. */
export type AgentMouse = { kind: 'mouse'; x: number; y: number; buttons: number; display: number };

/**
 * The host hands the agent actor the guest agent's port (a stream socket fd of this process, the
 * other end registered with QEMU's Chardev) and says whether the guest has it open (FEOpened);
 * with `agent-mouse`, client positions while QEMU has no absolute device. The agent says when it
 * wants those positions (its guest agent runs).
 */
export interface HostToAgent {
  send: { kind: 'port'; fd: number } | { kind: 'guest-open'; open: boolean } | AgentMouse;
  recv: { kind: 'mouse-wanted'; wanted: boolean };
  asks: {};
  answers: {};
}

/** Positions for the guest agent are worth only the latest; a lagging agent never holds up the host. */
export const hostToAgent = port<HostToAgent>(actorName.host, actorName.agent, { rules: { mouse: { latest: true } } });

/**
 * The main channel relays each client's agent traffic (AGENT_START, AGENT_DATA, AGENT_TOKEN, its
 * leaving) to the agent actor, and back: the guest agent's coming and going, AGENT_DATA and
 * AGENT_TOKEN for a client, or a client to close for breaking the agent protocol. Bounded by the
 * tokens both ways (a client's window of 10 pieces, the client's own tokens for ours).
 */
export interface MainToAgent {
  send:
    | { kind: 'start'; session: number; tokens: number }
    | { kind: 'data'; session: number; data: Uint8Array }
    | { kind: 'tokens'; session: number; n: number }
    | { kind: 'gone'; session: number };
  recv:
    | { kind: 'guest'; connected: boolean }
    | { kind: 'data'; session: number; data: Uint8Array }
    | { kind: 'tokens'; session: number; n: number }
    | { kind: 'close'; session: number; why: string };
  asks: {};
  answers: {};
}

export const mainToAgent = port<MainToAgent>(actorName.main, actorName.agent);

// ---- Tunnels (spicevmc channels) --------------------------------------------------------

/** A character device of the VM (QEMU's `-chardev dbus`) served as a spicevmc channel. */
export interface TunnelChardev {
  readonly channel: ChannelAddress;
  /** The chardev's name: a port channel's name in PORT_INIT. */
  readonly name: string;
  /** The guest has its end open (FEOpened: a program holds the virtio port). */
  readonly guestOpen: boolean;
}

/** The tunnels actor relays each spicevmc channel's client to its chardev; the `qos` of each channel by its settings name. */
export interface TunnelsContract {
  init: { readonly qos: Readonly<Record<'usbredir' | 'port' | 'webdav' | 'smartcard', ChannelQos>> };
  in: never;
  out: never;
  replies: {};
}

/** A chardev's socket for one client: an fd of this process (the other end registered with QEMU's Chardev), or why not. */
export type ChardevOpened = { ok: true; fd: number } | { ok: false; error: string };

/**
 * The host tells the tunnels actor which chardevs QEMU has (all of them each time; none while
 * QEMU is away) and when the guest opens or closes its end; the tunnels actor asks for a
 * chardev's socket when a client links its channel (QEMU's device sees a new connection per
 * client, as with spice-server) and passes a client's BREAK on.
 */
export interface HostToTunnels {
  send: { kind: 'chardevs'; chardevs: readonly TunnelChardev[] } | { kind: 'guest-open'; channel: ChannelAddress; open: boolean };
  recv: { kind: 'open'; channel: ChannelAddress } | { kind: 'break'; channel: ChannelAddress };
  asks: {};
  answers: { open: ChardevOpened };
}

export const hostToTunnels = port<HostToTunnels>(actorName.host, actorName.tunnels);

// ---- Display pipeline ----------------------------------------------------------------------

export interface DispatcherContract {
  init: {};
  in: never;
  /** Asks the supervising root to start the red-worker and channels of display `display`. */
  out: { kind: 'display-needed'; display: number };
  replies: {};
}

/** The dispatcher routes each display's device to its red-worker, and whether a client watches it back to the host (the red-worker's view). */
export interface WorkerFromHost {
  send: DisplayWatched;
  recv: { kind: 'device'; device: DeviceHandoff };
  asks: {};
  answers: {};
}

export const workerFromDispatcher = (display: number): Port<WorkerFromHost> => port(redWorkerName(display), actorName.dispatcher);

export interface RedWorkerContract {
  init: {
    readonly id: number;
    readonly imageCompression: ImageCompressionMode;
    /** Its share of the compressor pool: jobs it may have there at once (`poolShare`). */
    readonly poolShare: number;
    readonly streaming: Config['streaming-video'];
    /** The codecs streams may use, best first (the `video-codecs` setting). */
    readonly videoCodecs: readonly VideoCodec[];
    readonly jpegWan: Config['jpeg-wan-compression'];
    readonly zlibGlzWan: Config['zlib-glz-wan-compression'];
  };
  /**
   * The client's link as the main channel's net test measured it: streams start at a bit rate it
   * allows; the WAN encodings' auto. The client's caches, shared by its displays, as asked: the GLZ
   * dictionary and the pixmap cache's table (none when the client offered no cache).
   * Whether audio plays: its packets set the client's media clock then.
   */
  in:
    | ({ kind: 'net-test' } & NetTest)
    | {
        kind: 'client-caches';
        session: number;
        glz: Shared<SharedArrayBuffer>;
        pixmaps: Shared<SharedArrayBuffer> | null;
      }
    | { kind: 'audio'; playing: boolean };
  /**
   * client-caches: a client's DISPLAY_INIT sizes (clamped), for its caches; caches-release: that display no longer uses them.
   * playback-latency: while audio plays, the delay the display's streams need the client's audio to keep (ms).
   */
  out:
    | { kind: 'first-drawing' }
    | { kind: 'client-caches'; session: number; windowPixels: number; pixmapCacheId: number; pixmapCachePixels: number }
    | { kind: 'caches-release'; session: number }
    | { kind: 'playback-latency'; ms: number };
  replies: {};
}

/** A restarted red-worker says it again; of the latencies only the latest counts. */
export const redWorkerReports: MergeRules<RedWorkerContract['out']> = {
  'first-drawing': { latest: true },
  'playback-latency': { latest: true },
};

/**
 * The display channel and its red-worker (the display's view). The red-worker feeds it: display messages encoded beside their images (moved,
 * never copied), in order. The display channel says when a client is ready for a picture
 * (after DISPLAY_INIT) and when it has gone.
 */
export interface DisplayToWorker {
  send:
    | {
        kind: 'client';
        session: number;
        caps: readonly number[];
        compression?: number;
        /** The GLZ window the client's DISPLAY_INIT asked for, in pixels, already clamped to the companion's bounds. */
        glzWindowPixels: number;
        /** The pixmap cache size the client's DISPLAY_INIT offered, in pixels (the i64 as sent: the red-worker clamps it). */
        pixmapCachePixels: number;
        /** The pixmap cache's id: the client's displays that give the same id share one cache. */
        pixmapCacheId: number;
        /** The SentCell of the client's connection: the serials of tracked messages as they go. */
        sent: Shared<SharedArrayBuffer>;
      }
    | { kind: 'client-gone'; session: number }
    | { kind: 'preferred-compression'; session: number; compression: number }
    /** PREFERRED_VIDEO_CODEC_TYPE: SpiceVideoCodecType numbers, best first. */
    | { kind: 'preferred-video-codecs'; session: number; codecs: readonly number[] }
    | { kind: 'stream-report'; session: number; report: StreamReport };
  /** Display messages in order, several a link message when they were ready together (one credit, one wake-up for them all). */
  recv: { kind: 'wire'; session: number; messages: readonly EncodedMessage[] };
  asks: {};
  answers: {};
}

/**
 * A display message the red-worker encoded. `track`: write its serial in the client's SentCell
 * once it goes (for the pixmap cache's WAIT_FOR_CHANNELS).
 */
export interface EncodedMessage {
  readonly type: number;
  readonly body: Moved<Uint8Array>;
  readonly track?: number;
}

/** A short link: compressed images wait in the red-worker's pipe, where newer ones can replace them. */
export const displayToWorker = (display: number): Port<DisplayToWorker> =>
  port(channelActorName({ type: ChannelType.display, id: display }), redWorkerName(display), { window: 2, maxQueue: 2 });

/** With QXL devices, a display's cursor comes through its red-worker (the cursor ring). */
export const cursorFromWorker = (display: number): Port<CursorFromSource> =>
  port(channelActorName({ type: ChannelType.cursor, id: display }), redWorkerName(display), cursorRules);

// ---- Compressor pool ---------------------------------------------------------------------

export interface CompressorPoolContract {
  /** Threads at most (started on demand). */
  init: { readonly threads: number };
  in: never;
  out: never;
  replies: {};
}

/**
 * Jobs one display may have in the pool at once, running or waiting: enough to keep every
 * thread busy with a queue behind each, so one display alone uses every core; bounded, so the
 * pool holds a known amount per display. The pool refuses a job past it.
 */
export const poolShare = (threads: number): number => threads * 3;

/** A red-worker's number for one of its pool jobs, unique among its jobs in flight. */
export type PoolJobId = number & { readonly __brand: 'PoolJobId' };

/** A snapshot in shared memory: a pool thread reads it in place, the red-worker keeps it until the answer. */
export type SharedPixels = Omit<PixelsRef, 'pixels'> & { readonly pixels: Shared<SharedArrayBuffer> };

/** A StreamFrame on the link: its pixels shared memory, wrapped as such. */
export type SharedStreamFrame = SharedPixels & StreamEncoding;

/** An EncodingRequest on the link: the GLZ dictionary (shared memory) wrapped as such. */
export type SharedEncodingRequest =
  | Exclude<EncodingRequest, { encoding: 'auto' }>
  | (Omit<Extract<EncodingRequest, { encoding: 'auto' }>, 'glzDictionary'> & { readonly glzDictionary?: Shared<SharedArrayBuffer> });

/** What the pool made of an image: 'raw' carries no bytes (the bitmap is sent as it is); the encoded bytes are moved. */
export type PoolCompressed = OnLink<Compressed>;
/** Distributes over the union: each kind keeps its fields (jpegBytes, glzBytes), its bytes moved, no job buffer (shared memory never left). */
type OnLink<C> = C extends { readonly data: Uint8Array }
  ? Omit<C, 'data' | 'pixels'> & { readonly data: Moved<Uint8Array> }
  : Omit<C, 'pixels'>;

/**
 * A red-worker's jobs for the shared compressor pool (the red-worker's view), each with its
 * priority (`priorityRule`); a stream's frames (stateful encoders) run in order on one pool
 * thread until the stream is closed. Answers come back by job id.
 */
export interface WorkerToPool {
  send:
    | { kind: 'compress'; id: PoolJobId; priority: JobPriority; job: SharedPixels & SharedEncodingRequest }
    | { kind: 'encode-frame'; id: PoolJobId; priority: JobPriority; stream: number; frame: SharedStreamFrame }
    | { kind: 'close-stream'; stream: number };
  recv:
    | { kind: 'compressed'; id: PoolJobId; result: PoolCompressed }
    | { kind: 'frame-encoded'; id: PoolJobId; data: Moved<Uint8Array>; frameRate?: number; torn?: true }
    | { kind: 'job-failed'; id: PoolJobId; error: string };
  asks: {};
  answers: {};
}

/**
 * Never merged nor dropped: every job is answered. The red-worker keeps within its `poolShare`,
 * so the link holds no more than that: room for the most, with `compressor-threads` at 256.
 */
export const workerToPool = (display: number): Port<WorkerToPool> =>
  port(redWorkerName(display), actorName.compressorPool, { maxQueue: poolShare(256) });
