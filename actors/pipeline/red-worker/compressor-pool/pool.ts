import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { Histogram } from '../../../../runtime/histogram.js';
import { type CompressJob, type Compressed, monotonicNs, type TaskReply } from './job.js';

/** A pool thread beyond the first ends after this long without a job. */
const IDLE_THREAD_MS = 10_000;

export interface CompressorPoolOptions {
  /** Pool threads at most; default: every core (`os.availableParallelism()`). */
  readonly threads?: number;
  /** Jobs allowed to wait for a thread, beyond one running on each; default 2 per thread. */
  readonly maxQueue?: number;
}

/** Refused because `threads + maxQueue` jobs are already in flight: wait for `drained()`. */
export class PoolFullError extends Error {
  override readonly name = 'PoolFullError';
}

export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
}

/** Per-job stage timings, in microseconds. */
export interface PoolStages {
  /** From `compress()` to the pool thread starting the job: the queue plus the hop there. */
  readonly queueWaitUs: Histogram;
  /** Checking, choosing and encoding, in the pool thread. */
  readonly encodeUs: Histogram;
  /** From `compress()` to the result being back on the owner's thread. */
  readonly roundTripUs: Histogram;
}

/**
 * The owner's side of the compressor pool: whole images (or tiles) go to piscina threads by
 * reference, results come back transferred. Back-pressure is explicit and exact: at most
 * `capacity` = threads + maxQueue jobs are in flight; beyond that `compress()` refuses at once
 * (PoolFullError) rather than queueing without bound, and `needsDrain` / `drained()` let a
 * producer wait instead. The bound is counted here, not left to piscina alone, whose own limit
 * stretches while threads start.
 */
export class CompressorPool {
  readonly threads: number;
  readonly maxQueue: number;
  readonly capacity: number;
  readonly stages: PoolStages = { queueWaitUs: new Histogram(), encodeUs: new Histogram(), roundTripUs: new Histogram() };
  readonly counts = { completed: 0, failed: 0, refused: 0 };

  private readonly piscina: Piscina<CompressJob, TaskReply>;
  private inFlightJobs = 0;
  private drainWaiters: (() => void)[] = [];
  private settledWaiters: (() => void)[] = [];
  private closing = false;

  constructor(options: CompressorPoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.maxQueue = options.maxQueue ?? this.threads * 2;
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new RangeError(`compressor pool: threads ${this.threads} must be a positive integer`);
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0)
      throw new RangeError(`compressor pool: maxQueue ${this.maxQueue} must be a non-negative integer`);
    this.capacity = this.threads + this.maxQueue;
    this.piscina = new Piscina<CompressJob, TaskReply>({
      filename: new URL('./task.js', import.meta.url).href,
      // One thread from the start, booting beside the other actors rather than on the way to a
      // client's first image; the others only while there is work for them.
      minThreads: 1,
      maxThreads: this.threads,
      // piscina's own bound, as a backstop behind ours (a 0 there would mean "no queue at all").
      maxQueue: Math.max(1, this.maxQueue),
      idleTimeout: IDLE_THREAD_MS,
      // Our stage histograms replace piscina's.
      recordTiming: false,
    });
  }

  /** Jobs accepted and not settled yet, running or waiting. */
  get inFlight(): number {
    return this.inFlightJobs;
  }

  /** Jobs waiting for a thread (piscina's queue). */
  get waiting(): number {
    return this.piscina.queueSize;
  }

  /** True while `compress()` would refuse. */
  get needsDrain(): boolean {
    return this.inFlightJobs >= this.capacity;
  }

  /** Resolves once a job can be accepted again (at once if it can now, or when the pool closes). */
  drained(): Promise<void> {
    if (!this.needsDrain || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Thread ids of the pool's live threads. */
  get threadIds(): number[] {
    return this.piscina.threads.map((w) => w.threadId);
  }

  /**
   * Compresses one image in a pool thread. The pixels are read in place (shared memory) or moved
   * there (an ArrayBuffer: detached here when the job leaves for a thread, handed back in the
   * result; the owner lets go of it at this call). Rejects with
   * PoolFullError when full, PoolClosedError once closing, or the thread's error for a bad job
   * (that job only).
   */
  compress(job: CompressJob): Promise<Compressed> {
    if (this.closing) return Promise.reject(new PoolClosedError('compressor pool: closed'));
    if (this.needsDrain) {
      this.counts.refused++;
      return Promise.reject(new PoolFullError(`compressor pool: ${this.inFlightJobs} jobs in flight, the limit (threads + maxQueue)`));
    }
    this.inFlightJobs++;
    const submittedNs = monotonicNs();
    const transferList = job.pixels instanceof ArrayBuffer ? [job.pixels] : [];
    return this.piscina.run(job, { transferList }).then(
      ({ result, startedNs, encodeNs }) => {
        this.settle();
        this.counts.completed++;
        this.stages.queueWaitUs.record((startedNs - submittedNs) / 1e3);
        this.stages.encodeUs.record(encodeNs / 1e3);
        this.stages.roundTripUs.record((monotonicNs() - submittedNs) / 1e3);
        return result;
      },
      (error: unknown) => {
        this.settle();
        this.counts.failed++;
        throw error;
      },
    );
  }

  /** Refuses new jobs, lets those in flight finish, then stops the threads. */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeDrainWaiters();
    while (this.inFlightJobs > 0) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    await this.piscina.close();
  }

  /** Stops the threads now: jobs in flight reject. */
  async destroy(): Promise<void> {
    this.closing = true;
    this.wakeDrainWaiters();
    await this.piscina.destroy();
  }

  private settle(): void {
    this.inFlightJobs--;
    for (const wake of this.settledWaiters.splice(0)) wake();
    if (!this.needsDrain) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }
}
