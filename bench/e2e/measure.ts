/**
 * One boot of one server: connect the client (retrying) as the processes start, time the first
 * drawing and the first guest frame, then for each workload switch the guest to it over the
 * serial console, let it settle, and measure a window: bytes per channel, drawings, CPU per
 * thread group, marker latency.
 */
import { ClientProbe, wallClock, type ChannelName, type ProbeSample } from './client-probe.js';
import { threadTimes, type ThreadTime } from '../../runtime/thread-times.js';
import { perSecondByName, qemuThreadKind, spent, sumSeconds } from './cpu.js';
import { BeepTimes } from './beep.js';
import { MarkerTimes } from './marker.js';
import type { BenchWorkload, BootFigures, CpuFigures, DisplayFigures, LinkName, WorkloadFigures } from './results.js';
import { startServer, type ImageProfile, type RunningServer, type ServerKind, type ServerOptions } from './servers.js';
import type { ImageTypeName } from '../../client/display.js';
import { guestFrame, sampleSsim, type MovieFigures } from './movie.js';
import { movieBox } from '../../guest/movie.js';

export interface Plan {
  readonly workloads: readonly BenchWorkload[];
  /** After the guest reports the workload drawn, before the window opens, at least... */
  readonly settleMs: number;
  /** ...and until the client shows a marker drawn in the last `caughtUpMs` (the previous
   * workload's backlog has drained), but no longer than this. */
  readonly settleMaxMs: number;
  readonly windowMs: number;
  /** Movie rows: markers (default 5) at which the client's picture is compared with the guest's. */
  readonly ssimSamples?: number;
  /** Told each window's bounds on the monotonic clock (process.hrtime, as node's --cpu-prof stamps samples), in ns. */
  readonly onWindow?: (workload: BenchWorkload, fromNs: bigint, toNs: bigint) => void;
}

export interface BootSetup extends ServerOptions {
  readonly link: LinkName;
  readonly profile: ImageProfile;
  /** Where the client connects (the server, or the delay relay in front of it). */
  readonly clientTarget: (server: ServerOptions) => Promise<{ host: string; port: number; close(): Promise<void> }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Markers announced at the end of a window get this long to reach the client. */
const markerGraceMs = 1_500;
/** The client has caught up when it shows a marker the guest drew this recently. */
const caughtUpMs = 500;

interface Reading {
  readonly at: number;
  readonly probe: ProbeSample;
  readonly qemu: ThreadTime[];
  readonly companion: ThreadTime[];
}

export async function measureBoot(kind: ServerKind, setup: BootSetup, plan: Plan): Promise<BootFigures> {
  const marks = new MarkerTimes();
  const beeps = new BeepTimes();
  const guestErrors: string[] = [];
  const target = await setup.clientTarget(setup);
  let server: RunningServer | null = null;
  let probe: ClientProbe | null = null;
  try {
    // The client connects while the processes start: it retries until the server answers.
    const starting = startServer(kind, setup);
    probe = new ClientProbe(
      { host: target.host, port: target.port, connectTimeoutMs: 60_000, videoCodecs: setup.movie ? [setup.movie.codec] : [] },
      (n, at) => marks.show(n, at),
      (at) => beeps.heard(at),
    );
    server = await starting;
    const s = server;
    s.guest.onLine((line) => {
      const m = /^GUEST-MARK (\d+)$/.exec(line);
      if (m) marks.announce(Number(m[1]), wallClock());
      const b = /^GUEST-BEEP \d+ queued (\d+)$/.exec(line);
      if (b) beeps.announce(wallClock(), Number(b[1]));
      // The guest's sound going wrong (a stalled stream prepared again, a device refused) says why bursts went unheard.
      if (/^GUEST-(ERROR|SOUND stream)/.test(line)) guestErrors.push(line);
    });
    await s.guest.waitReady();
    await probe.firstDraw();
    const firstDrawMs = probe.firstDrawAt! - s.startedAt;

    const read = async (): Promise<Reading> => ({
      probe: await probe!.sample(),
      at: wallClock(),
      qemu: threadTimes(s.qemuPid),
      companion: s.companionPid === null ? [] : threadTimes(s.companionPid, 'root'),
    });
    const windows: Array<{ workload: BenchWorkload; settleS: number; start: Reading; end: Reading; movie?: MovieFigures }> = [];
    // The client shows no marker the guest drew in the last caughtUpMs (a backlog not yet drained).
    const markersBehind = () => (marks.newestShownAnnouncedAt() ?? 0) < wallClock() - caughtUpMs;
    for (const workload of plan.workloads) {
      const tone = isTone(workload);
      if (tone) await probe.playbackMode(workload === 'tone');
      const still = workload === 'still';
      const from = s.guest.mark();
      // A guest paused by the workload before (still) draws again, markers too.
      s.guest.sendSerial('resume');
      s.guest.sendSerial(`workload ${tone ? 'beep' : still ? 'idle' : workload}`);
      await s.guest.waitReady({ from, timeoutMs: 20_000 });
      if (still) {
        // Caught up first (the idle frame shown), then nothing more is drawn.
        const ready = wallClock();
        while (wallClock() - ready < plan.settleMaxMs && markersBehind()) await sleep(50);
        const paused = s.guest.mark();
        s.guest.sendSerial('pause');
        await s.guest.waitForLine(/GUEST-PAUSED/, { from: paused, timeoutMs: 20_000 });
      }
      const switched = wallClock();
      await sleep(plan.settleMs);
      // Caught up: a marker drawn lately shown, and in the tone rows a burst begun since the switch heard (the sound card's stream starts late).
      const behind = () => (!still && markersBehind()) || (tone && (beeps.newestHeardAnnouncedAt() ?? 0) < switched);
      while (wallClock() - switched < plan.settleMaxMs && behind()) await sleep(50);
      const movie = workload === 'movie' && setup.movie;
      const framesBefore = movie ? await guestFrame(s.guest) : 0;
      const start = await read();
      const fromNs = process.hrtime.bigint();
      await sleep(plan.windowMs);
      plan.onWindow?.(workload, fromNs, process.hrtime.bigint());
      const end = await read();
      const window = { workload, settleS: (start.at - switched) / 1000, start, end };
      if (!movie) {
        windows.push(window);
        continue;
      }
      const seconds = (end.at - start.at) / 1000;
      const guestFps = ((await guestFrame(s.guest)) - framesBefore) / seconds;
      // After the window, so that the screendumps do not disturb its figures.
      const box = movieBox(setup, movie);
      const sampled = await sampleSsim(s.guest, probe, box, plan.ssimSamples ?? 5);
      windows.push({
        ...window,
        movie: {
          framesShownPerS: (end.probe.streamFrames - start.probe.streamFrames) / seconds,
          guestFps,
          ssim: sampled.ssim,
          ssimMissed: sampled.missed,
        },
      });
    }
    await sleep(markerGraceMs);
    const last = await probe.sample();
    const firstShown = Math.min(...marks.shown.values());
    return {
      server: kind,
      profile: setup.profile,
      images: setup.images,
      link: setup.link,
      width: setup.width,
      height: setup.height,
      firstDrawMs,
      firstGuestFrameMs: Number.isFinite(firstShown) ? firstShown - s.startedAt : null,
      ...(setup.movie && { movie: setup.movie }),
      workloads: windows.map((w) => ({
        ...figures(w.workload, w.settleS, w.start, w.end, marks, beeps),
        ...(w.movie && { movie: w.movie }),
      })),
      errors: [...last.errors, ...guestErrors],
    };
  } finally {
    await probe?.close();
    await target.close();
    await server?.stop();
  }
}

const isTone = (w: BenchWorkload) => w === 'tone' || w === 'tone-raw';

function figures(
  workload: BenchWorkload,
  settleS: number,
  start: Reading,
  end: Reading,
  marks: MarkerTimes,
  beeps: BeepTimes,
): WorkloadFigures {
  const seconds = (end.at - start.at) / 1000;
  const channels = Object.keys(end.probe.bytes) as ChannelName[];
  const bytes = Object.fromEntries(channels.map((c) => [c, (end.probe.bytes[c] - start.probe.bytes[c]) / seconds])) as Record<
    ChannelName,
    number
  >;
  const total = channels.reduce((s, c) => s + bytes[c], 0);
  const companion = spent(start.companion, end.companion);
  const qemu = spent(start.qemu, end.qemu);
  return {
    workload,
    settleS,
    windowS: seconds,
    bytesPerS: { ...bytes, total },
    drawsPerS: (end.probe.draws - start.probe.draws) / seconds,
    display: displayFigures(start.probe, end.probe, seconds),
    cpu: cpuFigures(qemu, companion, seconds),
    companionCpuByThread: perSecondByName(companion, seconds),
    serverRunsByThread: perSecondByName(
      companion.length > 0 ? companion : qemu.filter((t) => qemuThreadKind(t.name) === 'spice-worker'),
      seconds,
      'runs',
    ),
    latency: marks.latency(start.at, end.at),
    audio: isTone(workload) ? beeps.latency(start.at, end.at) : null,
  };
}

function displayFigures(start: ProbeSample, end: ProbeSample, seconds: number): DisplayFigures {
  const images = Object.fromEntries(
    (Object.keys(end.tally.images) as ImageTypeName[]).map((type) => {
      const [a, b] = [start.tally.images[type] ?? { count: 0, bytes: 0 }, end.tally.images[type]!];
      return [type, { perS: (b.count - a.count) / seconds, bytesPerS: (b.bytes - a.bytes) / seconds }];
    }),
  );
  const rows = Object.fromEntries(
    Object.entries(end.rows).map(([k, v]) => [k, (v - start.rows[k as keyof typeof start.rows]) / seconds]),
  ) as unknown as DisplayFigures['rows'];
  return {
    images,
    copyBitsPerS: (end.tally.copyBits - start.tally.copyBits) / seconds,
    fillsPerS: (end.tally.fills - start.tally.fills) / seconds,
    rows,
  };
}

/** Per second of the window; theirs has no companion threads, ours no SPICE Worker. */
function cpuFigures(qemu: readonly ThreadTime[], companion: readonly ThreadTime[], seconds: number): CpuFigures {
  const of = (kind: ReturnType<typeof qemuThreadKind>) => sumSeconds(qemu.filter((t) => qemuThreadKind(t.name) === kind)) / seconds;
  const serverThreads = of('spice-worker') + sumSeconds(companion) / seconds;
  const qemuNonVcpu = of('qemu-other');
  return { serverThreads, qemuNonVcpu, sum: serverThreads + qemuNonVcpu, vcpu: of('vcpu') };
}
