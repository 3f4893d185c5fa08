/**
 * The instrument: our TypeScript SPICE client (client/session.ts) on a worker thread, so that
 * its decoding does not delay the main thread's timestamps of the guest's serial lines. It
 * counts bytes per channel socket and drawings, decodes every drawing into its canvas and reads
 * the latency marker wherever a drawing touched it.
 */
import { Worker } from 'node:worker_threads';
import type { DisplayTally } from '../../client/display.js';
import type { RowFigures } from './moved-rows.js';
import type { Box } from '../../codecs/box.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';

/** Milliseconds on a clock shared by the threads (epoch based, sub-millisecond). */
export const wallClock = (): number => performance.timeOrigin + performance.now();

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** Gives up connecting after this long. */
  readonly connectTimeoutMs: number;
  /** The stream codecs the client advertises (it decodes each); none: no stream caps. */
  readonly videoCodecs?: readonly VideoCodec[];
}

export type ChannelName = 'main' | 'display' | 'cursor' | 'inputs' | 'playback';

export interface ProbeSample {
  readonly at: number;
  /** Bytes read so far from each channel's socket. */
  readonly bytes: Readonly<Record<ChannelName, number>>;
  /** Drawings applied to the primary surface so far. */
  readonly draws: number;
  /** What the display channel brought so far: images by type, COPY_BITS, fills. */
  readonly tally: DisplayTally;
  /** Where the rows of those images already were on the screen (moved-rows.ts). */
  readonly rows: RowFigures;
  /** Video stream frames decoded and drawn so far. */
  readonly streamFrames: number;
  /** What went wrong on a channel or in the display, if anything. */
  readonly errors: readonly string[];
}

/** Worker -> main. */
export type ProbeEvent =
  | { readonly kind: 'connected'; readonly at: number }
  | { readonly kind: 'first-draw'; readonly at: number }
  | { readonly kind: 'mark'; readonly n: number; readonly at: number }
  /** The onset of a tone burst heard in the playback channel's audio (beep.ts). */
  | { readonly kind: 'beep'; readonly at: number }
  | { readonly kind: 'playback-linked'; readonly id: number }
  | { readonly kind: 'sample'; readonly id: number; readonly sample: ProbeSample }
  | { readonly kind: 'captured'; readonly n: number; readonly bitmap: Bitmap32 }
  | { readonly kind: 'failed'; readonly error: string };

/** Main -> worker. */
export type ProbeRequest =
  | { readonly kind: 'sample'; readonly id: number }
  /** Links the playback channel again asking for Opus or raw PCM (a server takes the newest link). */
  | { readonly kind: 'playback'; readonly id: number; readonly opus: boolean }
  /** The client's pixels in `box` when it first shows marker n (never, if it skips it). */
  | { readonly kind: 'capture'; readonly n: number; readonly box: Box }
  | { readonly kind: 'close' };

/** The client, connecting (with retries) as soon as it is made. */
export class ClientProbe {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, (s: ProbeSample) => void>();
  private readonly relinks = new Map<number, () => void>();
  /** The playback channel's mode; it starts with Opus. */
  private opus = true;
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  connectedAt: number | null = null;
  firstDrawAt: number | null = null;
  private firstDrawWaiters: Array<() => void> = [];
  private readonly captures = new Map<number, (b: Bitmap32) => void>();

  constructor(
    target: ProbeTarget,
    private readonly onMark: (n: number, at: number) => void,
    private readonly onBeep: (at: number) => void,
  ) {
    this.worker = new Worker(new URL('./client-probe-worker.js', import.meta.url), { workerData: target });
    let fail!: (e: Error) => void;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => {});
    const die = (e: Error) => {
      this.failure ??= e;
      fail(this.failure);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`client probe exited (${code})`)));
    this.worker.on('message', (e: ProbeEvent) => {
      switch (e.kind) {
        case 'connected':
          this.connectedAt = e.at;
          return;
        case 'first-draw':
          this.firstDrawAt = e.at;
          this.firstDrawWaiters.forEach((w) => w());
          this.firstDrawWaiters = [];
          return;
        case 'mark':
          return this.onMark(e.n, e.at);
        case 'beep':
          return this.onBeep(e.at);
        case 'playback-linked':
          this.relinks.get(e.id)?.();
          this.relinks.delete(e.id);
          return;
        case 'sample':
          this.pending.get(e.id)?.(e.sample);
          this.pending.delete(e.id);
          return;
        case 'captured':
          this.captures.get(e.n)?.(e.bitmap);
          this.captures.delete(e.n);
          return;
        case 'failed':
          return die(new Error(`client probe: ${e.error}`));
      }
    });
  }

  /** Resolves at the first drawing the client decoded; rejects when the probe failed. */
  firstDraw(): Promise<void> {
    if (this.firstDrawAt !== null) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => this.firstDrawWaiters.push(resolve)), this.failed]);
  }

  sample(): Promise<ProbeSample> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const answer = new Promise<ProbeSample>((resolve) => this.pending.set(id, resolve));
    this.worker.postMessage({ kind: 'sample', id } satisfies ProbeRequest);
    return Promise.race([answer, this.failed]);
  }

  /** The playback channel in Opus or raw PCM: linked again when it is in the other mode. */
  async playbackMode(opus: boolean): Promise<void> {
    if (this.failure) throw this.failure;
    if (opus === this.opus) return;
    this.opus = opus;
    const id = this.nextId++;
    const linked = new Promise<void>((resolve) => this.relinks.set(id, resolve));
    this.worker.postMessage({ kind: 'playback', id, opus } satisfies ProbeRequest);
    await Promise.race([linked, this.failed]);
  }

  /** The client's pixels in `box` as it first shows marker `n`; null if it has not after `timeoutMs`. */
  capture(n: number, box: Box, timeoutMs: number): Promise<Bitmap32 | null> {
    const got = new Promise<Bitmap32 | null>((resolve) => {
      const timer = setTimeout(() => {
        this.captures.delete(n);
        resolve(null);
      }, timeoutMs);
      this.captures.set(n, (b) => {
        clearTimeout(timer);
        resolve(b);
      });
    });
    this.worker.postMessage({ kind: 'capture', n, box } satisfies ProbeRequest);
    return got;
  }

  /** Closes the client and ends the worker. */
  async close(): Promise<void> {
    this.failure ??= new Error('closed');
    this.worker.postMessage({ kind: 'close' } satisfies ProbeRequest);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void this.worker.terminate(), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
