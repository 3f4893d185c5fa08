/**
 * The two servers under test, each with the same QEMU device and test guest (booted straight
 * into DRM drawing at the run's size, with the latency marker):
 *  - theirs: QEMU's built-in `-spice` (libspice-server inside QEMU);
 *  - ours: QEMU with `-display dbus,p2p=yes` and the companion as its own process, attached
 *    through a QMP socket of its own (`--qemu-qmp`); both processes are spawned together.
 * Both send only what our client decodes: lossless LZ/QUIC (auto_lz), no GLZ nor JPEG; video
 * streams only in the movie rows. The servers listen on `addr`; on a shaped link they run in its namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Guest, type GuestImage } from '../../guest/guest.js';
import { wallClock } from './client-probe.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';

export type ServerKind = 'theirs' | 'ours';

/** The image settings both servers get (QEMU's `-spice` names; the companion takes the same keys). */
export const imageSettings = {
  'image-compression': 'auto_lz',
  'jpeg-wan-compression': 'never',
  'zlib-glz-wan-compression': 'never',
  'streaming-video': 'off',
} as const;

export interface ServerOptions {
  readonly image: GuestImage;
  readonly width: number;
  readonly height: number;
  readonly vga: 'std' | 'virtio';
  /** Where the server listens. */
  readonly addr: string;
  readonly port: number;
  /** Runs the processes inside a network namespace (ShapedLink.wrap). */
  readonly wrap?: readonly string[];
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

const companionCli = fileURLToPath(new URL('../../actors/root/cli.js', import.meta.url));

/** The image settings and the streaming mode a server gets for this run. */
const settingsFor = (o: ServerOptions) => ({ ...imageSettings, ...(o.movie && { 'streaming-video': 'filter' }) });

function guestOptions(o: ServerOptions, display: readonly string[], qemuArgs: readonly string[] = []) {
  return {
    image: o.image,
    workload: 'idle' as const,
    vga: o.vga,
    kernelArgs: ['draw=drm', `mode=${o.width}x${o.height}`, 'marker=1', ...(o.movie ? [`movie=${o.movie.width}x${o.movie.height}`] : [])],
    display,
    // debug-threads: QEMU names its threads ("CPU 0/TCG", ...), which cpu.ts sorts by.
    qemuArgs: ['-name', 'bench,debug-threads=on', ...qemuArgs],
    wrap: o.wrap,
  };
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
  const guest = await Guest.start(guestOptions(o, ['-display', 'none', '-spice', spice]));
  return { kind: 'theirs', guest, startedAt, qemuPid: guest.pid, companionPid: null, stop: () => guest.stop() };
}

async function startOurs(o: ServerOptions): Promise<RunningServer> {
  const node = o.companionNode ?? plainNode;
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const qmp = join(dir, 'companion-qmp.sock');
  const flags = [
    '--port',
    String(o.port),
    '--addr',
    o.addr,
    '--disable-ticketing',
    ...Object.entries(settingsFor(o)).flatMap(([k, v]) => [`--${k}`, v]),
    ...(o.movie ? ['--video-codecs', o.movie.codec] : []),
    '--qemu-qmp',
    qmp,
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
    guest = await Guest.start(guestOptions(o, ['-display', 'dbus,p2p=yes'], ['-qmp', `unix:${qmp},server=on,wait=off`]));
  } catch (e) {
    await stopProcess(companion, node);
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
