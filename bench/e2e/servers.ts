/**
 * The two servers under test, each with the same QEMU device and test guest (booted straight
 * into DRM drawing at the run's size, with the latency marker):
 *  - theirs: QEMU's built-in `-spice` (libspice-server inside QEMU);
 *  - ours: QEMU with `-display dbus,p2p=yes` and the companion as its own process, attached
 *    through a QMP socket of its own (`--qemu-qmp`); both processes are spawned together.
 * Each runs with one of the image profiles below; the servers listen on `addr`; on a shaped
 * link they run in its namespace.
 * With `audio`, the guest has an HDA sound card: QEMU's `-audiodev spice` for theirs, and for
 * ours `-audiodev dbus` on a private bus (QEMU 7.2's audio needs one; the companion joins it
 * with `--qemu-dbus` instead of the QMP socket).
 * Video streams only in the movie rows (`streaming-video=filter` on both).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Guest, type GuestImage } from '../../guest/guest.js';
import { wallClock } from './client-probe.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';

export type ServerKind = 'theirs' | 'ours';

export type ImageProfile = 'auto_lz' | 'defaults';
export type ImageSettings = Readonly<
  Record<'image-compression' | 'jpeg-wan-compression' | 'zlib-glz-wan-compression' | 'streaming-video', string>
>;

/**
 * The image settings a profile gives both servers (QEMU's `-spice` names; the companion takes
 * the same keys). auto_lz: lossless LZ/QUIC only. defaults: what QEMU gives spice-server when
 * `-spice` says nothing of images, streaming off included (QEMU's default; the movie rows of
 * streams are another bench).
 */
export const imageProfiles: Readonly<Record<ImageProfile, ImageSettings>> = {
  auto_lz: {
    'image-compression': 'auto_lz',
    'jpeg-wan-compression': 'never',
    'zlib-glz-wan-compression': 'never',
    'streaming-video': 'off',
  },
  defaults: {
    'image-compression': 'auto_glz',
    'jpeg-wan-compression': 'auto',
    'zlib-glz-wan-compression': 'auto',
    'streaming-video': 'off',
  },
};

const companionCli = fileURLToPath(new URL('../../bundle/actors/root/cli.js', import.meta.url));

/**
 * What the companion is given for a profile: the same settings, but a value it refuses as not
 * implemented yet (`--print-capabilities`' not-yet list) becomes `never`, the value of these keys
 * that means off; `substituted` names those, for the notes.
 */
export function companionImageSettings(profile: ImageProfile): { settings: ImageSettings; substituted: string[] } {
  const caps = JSON.parse(execFileSync(process.execPath, [companionCli, '--print-capabilities'], { encoding: 'utf8' })) as {
    'not-yet': Record<string, unknown[]>;
  };
  const settings: Record<string, string> = { ...imageProfiles[profile] };
  const substituted: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!caps['not-yet'][key]?.includes(value)) continue;
    settings[key] = 'never';
    substituted.push(`${key}=${value} (not implemented yet: never)`);
  }
  return { settings: settings as ImageSettings, substituted };
}

export interface ServerOptions {
  readonly image: GuestImage;
  readonly width: number;
  readonly height: number;
  readonly vga: 'std' | 'virtio';
  /** The image settings this server gets. */
  readonly images: ImageSettings;
  /** Where the server listens. */
  readonly addr: string;
  readonly port: number;
  /** Runs the processes inside a network namespace (ShapedLink.wrap). */
  readonly wrap?: readonly string[];
  /** The guest gets a sound card (the tone workloads). */
  readonly audio?: boolean;
  /**
   * The movie rows: `streaming-video=filter` on both, the guest playing a movie of this size;
   * ours streams with `codec` alone (`video-codecs`), theirs with its MJPEG (the client
   * advertises only the codec, and QEMU 7.2's -spice takes no video-codecs).
   */
  readonly movie?: { readonly width: number; readonly height: number; readonly codec: VideoCodec };
  /** Ours only: how node is run for the companion (default node itself), e.g. under a profiler (bench/profile). */
  readonly companionNode?: CompanionNode;
}

export interface CompanionNode {
  /** The command that runs `node`, with its arguments before the companion's script. */
  readonly command: readonly string[];
  /** How the command is asked to stop, and how long it may take (clinic analyses after the companion exits). */
  readonly stopSignal: NodeJS.Signals;
  /** The process to signal, when the command is not the companion itself (under clinic, its child). */
  readonly stopPid?: () => number | undefined;
  readonly stopGraceMs: number;
  readonly logLevel?: string;
  /** Every line the companion prints. */
  readonly onOutput?: (chunk: string) => void;
}

const plainNode: CompanionNode = { command: [process.execPath], stopSignal: 'SIGTERM', stopGraceMs: 5_000 };

export interface RunningServer {
  readonly kind: ServerKind;
  readonly guest: Guest;
  /** When the first process was spawned (wallClock ms). */
  readonly startedAt: number;
  readonly qemuPid: number;
  /** The companion's pid (ours); null for theirs, whose server is threads of QEMU. */
  readonly companionPid: number | null;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now, for a server on the plain link. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** QEMU's sound card for the guest, on the audiodev `snd0` (48 kHz both ways: Opus's rate, no resampling). */
const soundCard = (backend: 'spice' | 'dbus') => [
  '-audiodev',
  `${backend},id=snd0,out.frequency=48000,in.frequency=48000`,
  '-device',
  'intel-hda',
  '-device',
  'hda-duplex,audiodev=snd0',
];

/** The image settings and the streaming mode a server gets for this run. */
const settingsFor = (o: ServerOptions) => ({ ...o.images, ...(o.movie && { 'streaming-video': 'filter' }) });

function guestOptions(o: ServerOptions, display: readonly string[], qemuArgs: readonly string[] = []) {
  return {
    image: o.image,
    workload: 'idle' as const,
    vga: o.vga,
    kernelArgs: [
      'draw=drm',
      `mode=${o.width}x${o.height}`,
      'marker=1',
      ...(o.audio ? ['sound=1'] : []),
      ...(o.movie ? [`movie=${o.movie.width}x${o.movie.height}`] : []),
    ],
    display,
    // debug-threads: QEMU names its threads ("CPU 0/TCG", ...), which cpu.ts sorts by.
    qemuArgs: ['-name', 'bench,debug-threads=on', ...qemuArgs],
    wrap: o.wrap,
  };
}

/** A session dbus-daemon of the bench's own on `path`, once it listens. */
async function startBus(path: string): Promise<ChildProcess> {
  const bus = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      'dbus-daemon',
      '--session',
      `--address=unix:path=${path}`,
      '--nofork',
      '--nopidfile',
      '--print-address=1',
    ],
    {
      // Its one complaint as root (no fd limit of 65536 to set) is noise.
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [line] = (await Promise.race([
    once(bus.stdout!, 'data'),
    once(bus, 'exit').then(([code]) => {
      throw new Error(`dbus-daemon exited at start (${code})`);
    }),
  ])) as [Buffer];
  if (!String(line).includes(path)) throw new Error(`dbus-daemon: ${String(line)}`);
  return bus;
}

export async function startServer(kind: ServerKind, o: ServerOptions): Promise<RunningServer> {
  return kind === 'theirs' ? startTheirs(o) : startOurs(o);
}

async function startTheirs(o: ServerOptions): Promise<RunningServer> {
  const spice = [
    `port=${o.port}`,
    `addr=${o.addr}`,
    'disable-ticketing=on',
    ...Object.entries(settingsFor(o)).map(([k, v]) => `${k}=${v}`),
  ].join(',');
  const startedAt = wallClock();
  const guest = await Guest.start(guestOptions(o, ['-display', 'none', '-spice', spice], o.audio ? soundCard('spice') : []));
  return { kind: 'theirs', guest, startedAt, qemuPid: guest.pid, companionPid: null, stop: () => guest.stop() };
}

async function startOurs(o: ServerOptions): Promise<RunningServer> {
  const node = o.companionNode ?? plainNode;
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const qmp = join(dir, 'companion-qmp.sock');
  const busPath = join(dir, 'bus.sock');
  const bus = o.audio ? await startBus(busPath) : null;
  const flags = [
    '--port',
    String(o.port),
    '--addr',
    o.addr,
    '--disable-ticketing',
    ...Object.entries(settingsFor(o)).flatMap(([k, v]) => [`--${k}`, v]),
    ...(o.movie ? ['--video-codecs', o.movie.codec] : []),
    ...(bus ? ['--qemu-dbus', `unix:path=${busPath}`] : ['--qemu-qmp', qmp]),
    '--log-level',
    node.logLevel ?? 'warn',
  ];
  const startedAt = wallClock();
  // setpriv: the companion dies with the bench; `wrap` (ip netns exec) execs it, keeping the pid.
  const companion = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...(o.wrap ?? []), ...node.command, companionCli, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (s: string) => {
    output = (output + s).slice(-8192);
    node.onOutput?.(s);
  };
  companion.stdout!.setEncoding('utf8').on('data', keep);
  companion.stderr!.setEncoding('utf8').on('data', keep);
  let guest: Guest;
  try {
    guest = await Guest.start(
      bus
        ? guestOptions(o, ['-display', `dbus,addr=unix:path=${busPath},audiodev=snd0`], soundCard('dbus'))
        : guestOptions(o, ['-display', 'dbus,p2p=yes'], ['-qmp', `unix:${qmp},server=on,wait=off`]),
    );
  } catch (e) {
    await stopProcess(companion, node);
    bus?.kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  if (companion.exitCode !== null) throw new Error(`companion exited (${companion.exitCode}): ${output}`);
  return {
    kind: 'ours',
    guest,
    startedAt,
    qemuPid: guest.pid,
    companionPid: companion.pid!,
    async stop() {
      const early = companion.exitCode !== null ? `companion exited early (${companion.exitCode}): ${output}` : null;
      await stopProcess(companion, node);
      await guest.stop();
      bus?.kill();
      rmSync(dir, { recursive: true, force: true });
      if (early) throw new Error(early);
    },
  };
}

/** SIGTERM (the companion shuts down cleanly) or the profiler's signal, SIGKILL if it lingers. */
async function stopProcess(child: ChildProcess, { stopSignal, stopGraceMs, stopPid }: CompanionNode): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = stopPid?.();
  if (pid !== undefined) process.kill(pid, stopSignal);
  else child.kill(stopSignal);
  const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
  await gone;
  clearTimeout(timer);
}
