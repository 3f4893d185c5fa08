/** The figures of a run, as they go to the JSON file, and the our/theirs ratios between them. */
import type { ImageTypeName } from '../../client/display.js';
import type { BeepLatency } from './beep.js';
import type { ChannelName } from './client-probe.js';
import type { MarkerLatency } from './marker.js';
import type { RowFigures } from './moved-rows.js';
import type { ImageProfile, ImageSettings, ServerKind } from './servers.js';

export type LinkName = 'plain' | 'shaped';
/**
 * `idle`: the idle frame, and the latency marker (a 16x16 square, 7 a second); `still`: the idle
 * frame with the guest paused, markers too: an idle guest, nothing drawn, a client connected.
 * `tone` and `tone-raw`: the guest's beep workload (the idle frame, bursts of a tone), the
 * client's playback channel in Opus, then raw PCM.
 */
export type BenchWorkload = 'text' | 'desktop' | 'video' | 'idle' | 'still' | 'tone' | 'tone-raw' | 'movie';
import type { MovieFigures } from './movie.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';

export interface CpuFigures {
  /** CPU seconds per second: theirs spice-server's "SPICE Worker" thread, ours the companion process (all threads). */
  readonly serverThreads: number;
  /** QEMU's threads but its vCPUs and spice-server's worker: the main loop (display refresh; spice-server's main and inputs channels for theirs, whose display channel runs in its worker; D-Bus for ours). */
  readonly qemuNonVcpu: number;
  readonly sum: number;
  /** The guest's vCPU threads, for reference (the same guest work on both). */
  readonly vcpu: number;
}

/** What the display channel brought in the window, per second, as the client saw it. */
export interface DisplayFigures {
  /** DRAW_COPY images by type: how many, and their payload bytes (FROM_CACHE: pixmap-cache hits, no payload). */
  readonly images: Readonly<Partial<Record<ImageTypeName, { readonly perS: number; readonly bytesPerS: number }>>>;
  readonly copyBitsPerS: number;
  readonly fillsPerS: number;
  /** Where the images' rows already were on the client's screen (bench/e2e/moved-rows.ts), in payload bytes per second. */
  readonly rows: RowFigures;
}

export interface WorkloadFigures {
  readonly workload: BenchWorkload;
  /** From the switch to this workload to the window's start: at least the plan's settling
   * time, longer while the client was still behind (the previous workload's backlog). */
  readonly settleS: number;
  readonly windowS: number;
  /** Bytes per second the client read, per channel socket, and their total. */
  readonly bytesPerS: Readonly<Record<ChannelName | 'total', number>>;
  /** Drawings (DRAW_COPY, DRAW_FILL, COPY_BITS) the client applied per second. */
  readonly drawsPerS: number;
  readonly display: DisplayFigures;
  readonly cpu: CpuFigures;
  /** Ours: the companion's CPU seconds per second by thread name (each actor's thread bears its name, "compressor" sums the pool's, "node" is V8's and libuv's helpers); empty for theirs. */
  readonly companionCpuByThread: Readonly<Record<string, number>>;
  /** Times per second each server thread was put on a CPU (its wake-ups, and preemptions; schedstat): ours by thread as above, theirs "SPICE Worker". */
  readonly serverRunsByThread: Readonly<Record<string, number>>;
  readonly latency: MarkerLatency;
  /** The tone workloads: guest write -> client receive of each burst (beep.ts); null otherwise. */
  readonly audio: BeepLatency | null;
  /** The movie rows' frames and SSIM. */
  readonly movie?: MovieFigures;
}

export interface BootFigures {
  readonly server: ServerKind;
  readonly profile: ImageProfile;
  /** The image settings this server had (ours: a value not implemented yet replaced by never). */
  readonly images: ImageSettings;
  readonly link: LinkName;
  readonly width: number;
  readonly height: number;
  /** The movie rows: the movie's size and the codec the client advertised (theirs streams MJPEG). */
  readonly movie?: { readonly width: number; readonly height: number; readonly codec: VideoCodec };
  /** First process spawned -> first drawing decoded at the client. */
  readonly firstDrawMs: number;
  /** First process spawned -> first frame of the guest's own (its first marker) decoded at the client. */
  readonly firstGuestFrameMs: number | null;
  readonly workloads: readonly WorkloadFigures[];
  /** What the client or a server reported as wrong (nothing, in a good run). */
  readonly errors: readonly string[];
}

export interface Ratios {
  readonly profile: ImageProfile;
  readonly link: LinkName;
  readonly width: number;
  readonly height: number;
  readonly workload: BenchWorkload;
  /** ours / theirs for each figure; null where theirs is 0 or a figure is missing. */
  readonly bytesPerS: Readonly<Record<ChannelName | 'total', number | null>>;
  readonly drawsPerS: number | null;
  readonly cpu: Readonly<Record<keyof CpuFigures, number | null>>;
  readonly latencyP50: number | null;
  readonly latencyP95: number | null;
  readonly audioLatencyP50: number | null;
  readonly audioLatencyP95: number | null;
}

export const ratio = (ours: number | null | undefined, theirs: number | null | undefined): number | null =>
  ours === null || ours === undefined || theirs === null || theirs === undefined || theirs === 0 ? null : ours / theirs;

export function ratios(ours: BootFigures, theirs: BootFigures): Ratios[] {
  return ours.workloads.flatMap((o) => {
    const t = theirs.workloads.find((w) => w.workload === o.workload);
    if (!t) return [];
    const per = <K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>) =>
      Object.fromEntries(Object.keys(a).map((k) => [k, ratio(a[k as K], b[k as K])])) as Record<K, number | null>;
    return [
      {
        profile: ours.profile,
        link: ours.link,
        width: ours.width,
        height: ours.height,
        workload: o.workload,
        bytesPerS: per(o.bytesPerS, t.bytesPerS),
        drawsPerS: ratio(o.drawsPerS, t.drawsPerS),
        cpu: per(o.cpu, t.cpu),
        latencyP50: ratio(o.latency.p50Ms, t.latency.p50Ms),
        latencyP95: ratio(o.latency.p95Ms, t.latency.p95Ms),
        audioLatencyP50: ratio(o.audio?.p50Ms, t.audio?.p50Ms),
        audioLatencyP95: ratio(o.audio?.p95Ms, t.audio?.p95Ms),
      },
    ];
  });
}
