import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Histogram } from '../../../runtime/histogram.js';
import {
  type CompressJob,
  type Compressed,
  jobPriority,
  type JobPriority,
  type StreamEncoded,
  type StreamFrame,
} from '../../../codecs/image/compress-job.js';
import { buildModule } from '../../../runtime/build-root.js';
import { type CompressorThreadData, compressorThread, monotonicNs, stopThread, type ThreadReply, type Work } from './thread-protocol.js';
import { threadEntry } from '../../../runtime/spare-thread.js';

/** A pool thread ends after this long without a job, unless it is the last or holds a stream's state. */
const IDLE_THREAD_MS = 10_000;

/** Streams one source may hold open: their state lives in the pool's threads. */
export const maxStreamsPerSource = 32;

export interface CompressorPoolOptions {
  /** Pool threads at most; default: every core (`os.availableParallelism()`). */
  readonly threads?: number;
  /** Jobs of one source allowed to wait for a thread, beyond one running on each; default 2 per thread. */
  readonly maxQueue?: number;
}

/** Refused because the source already has `capacity` jobs in flight (or its most streams open): wait for `drained()`. */
export class PoolFullError extends Error {
  override readonly name = 'PoolFullError';
}

export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
}

/** Per-job stage timings, in microseconds. */
export interface PoolStages {
  /** From submission to a pool thread starting the job: the queue plus the hop there. */
  readonly queueWaitUs: Histogram;
  /** Checking, choosing and encoding, in the pool thread. */
  readonly encodeUs: Histogram;
  /** From submission to the result being back on the pool's owner's thread. */
  readonly roundTripUs: Histogram;
}

/** Who submits a job (a display) and how soon it should run (priorityRule; by default from its size). */
export interface Submitter {
  readonly source: number;
  readonly priority?: JobPriority;
}

interface Job {
  readonly id: number;
  readonly source: number;
  readonly priority: JobPriority;
  /** Submission order: among equals, the older first. */
  readonly seq: number;
  readonly work: Work;
  readonly transfer: ArrayBuffer[];
  /** Counts against its source's capacity (a stream's close does not). */
  readonly counted: boolean;
  readonly submittedNs: number;
  readonly resolve: (result: Compressed | StreamEncoded | null) => void;
  readonly reject: (error: Error) => void;
}

interface PoolThread {
  readonly worker: Worker;
  readonly threadId: number;
  running: Job | null;
  /** Jobs of the streams bound to this thread, in their order. */
  readonly pinned: Job[];
  /** The streams bound to it: key → source. */
  readonly streams: Map<string, number>;
  idle: NodeJS.Timeout | null;
  /** Jobs it has finished, for metrics and tests. */
  jobs: number;
  /** What ended it, if it crashed. */
  error?: string;
}

/**
 * The compressor pool's threads and their scheduling, shared by every display (the sources):
 * images go by reference (shared memory read in place; an ArrayBuffer moved there and back),
 * results come back transferred.
 * - Threads start on demand: one from the start, another while a job waits and every thread is
 *   busy, up to `threads`; one beyond the first ends after 10 s without work.
 * - Back-pressure is per source and exact: at most `capacity` = threads + maxQueue jobs of one
 *   source are in flight; beyond that a job is refused at once (PoolFullError) and `full()` /
 *   `drained()` let a producer wait instead. So one source alone can keep every thread busy, and
 *   the memory every source holds here is bounded.
 * - A free thread takes the waiting job of the best priority; among equals, that of the source
 *   with the fewest jobs running, then of the source served least recently (so busy sources
 *   take turns: a fair share), then the oldest.
 * - A stream's jobs (stateful encoders) run on the thread the stream was bound to at its first
 *   frame (the one holding fewest streams, a new one while the pool may grow), in order; closing
 *   the stream drops its state there.
 */
export class CompressorPool {
  readonly threads: number;
  readonly maxQueue: number;
  /** Jobs of one source in flight at most. */
  readonly capacity: number;
  readonly stages: PoolStages = { queueWaitUs: new Histogram(), encodeUs: new Histogram(), roundTripUs: new Histogram() };
  readonly counts = { completed: 0, failed: 0, refused: 0 };
  /** Most jobs running at once (each on its own thread) so far. */
  peakRunning = 0;

  private readonly pool: PoolThread[] = [];
  /** Jobs not bound to a thread, waiting for any. */
  private readonly unbound: Job[] = [];
  private readonly inFlightBySource = new Map<number, number>();
  private readonly streamThreads = new Map<string, PoolThread>();
  private readonly streamsBySource = new Map<number, number>();
  /** When each source last had a job started (a count of jobs started): the least recent goes first among equals. */
  private readonly lastServed = new Map<number, number>();
  private started = 0;
  private drainWaiters: { source: number; wake: () => void }[] = [];
  private settledWaiters: (() => void)[] = [];
  private unsettled = 0;
  private nextId = 1;
  private closing = false;

  constructor(options: CompressorPoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.maxQueue = options.maxQueue ?? this.threads * 2;
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new RangeError(`compressor pool: threads ${this.threads} must be a positive integer`);
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0)
      throw new RangeError(`compressor pool: maxQueue ${this.maxQueue} must be a non-negative integer`);
    this.capacity = this.threads + this.maxQueue;
    // One thread from the start, booting beside the other actors rather than on the way to a
    // client's first image; the others only while there is work for them.
    this.rest(this.spawn());
  }

  /** Thread ids of the pool's live threads. */
  get threadIds(): number[] {
    return this.pool.map((t) => t.threadId);
  }

  /** Jobs finished by each live thread, by thread id. */
  get jobsByThread(): ReadonlyMap<number, number> {
    return new Map(this.pool.map((t) => [t.threadId, t.jobs]));
  }

  /** Jobs waiting for a thread. */
  get waiting(): number {
    return this.unbound.length + this.pool.reduce((n, t) => n + t.pinned.length, 0);
  }

  /** The source's jobs accepted and not settled yet, running or waiting. */
  inFlight(source = 0): number {
    return this.inFlightBySource.get(source) ?? 0;
  }

  /** True while a job of `source` would be refused. */
  full(source = 0): boolean {
    return this.inFlight(source) >= this.capacity;
  }

  /** Resolves once a job of `source` can be accepted again (at once if it can now, or when the pool closes). */
  drained(source = 0): Promise<void> {
    if (!this.full(source) || this.closing) return Promise.resolve();
    return new Promise((wake) => this.drainWaiters.push({ source, wake }));
  }

  /**
   * Compresses one image in a pool thread. The pixels are read in place (shared memory) or moved
   * there (an ArrayBuffer: detached here when the job leaves for a thread, handed back in the
   * result; the owner lets go of it at this call). Rejects with PoolFullError when the source is
   * full, PoolClosedError once closing, or the thread's error for a bad job (that job only).
   */
  compress(job: CompressJob, { source, priority }: Submitter = { source: 0 }): Promise<Compressed> {
    const transfer = job.pixels instanceof ArrayBuffer ? [job.pixels] : [];
    return this.submit(source, priority ?? jobPriority(job.width, job.height), { kind: 'image', job }, transfer) as Promise<Compressed>;
  }

  /**
   * Encodes the next frame of stream `stream` of `source` with its stateful encoder, on the
   * thread the stream is bound to, after every frame submitted before it. The pixels are read in
   * place: `frame.pixels` must be shared memory.
   */
  encodeFrame(stream: number, frame: StreamFrame, { source, priority }: Submitter = { source: 0 }): Promise<StreamEncoded> {
    if (!(frame.pixels instanceof SharedArrayBuffer))
      return Promise.reject(new TypeError('compressor pool: a frame must be in shared memory'));
    const key = streamKey(source, stream);
    if (!this.streamThreads.has(key) && (this.streamsBySource.get(source) ?? 0) >= maxStreamsPerSource) {
      this.counts.refused++;
      return Promise.reject(new PoolFullError(`compressor pool: source ${source} has ${maxStreamsPerSource} streams open, the limit`));
    }
    return this.submit(
      source,
      priority ?? jobPriority(frame.width, frame.height),
      { kind: 'frame', stream: key, frame },
      [],
    ) as Promise<StreamEncoded>;
  }

  /** Drops stream `stream` of `source`: its state goes, after the frames already submitted. A stream never opened closes at once. */
  async closeStream(stream: number, source = 0): Promise<void> {
    const key = streamKey(source, stream);
    const thread = this.streamThreads.get(key);
    if (!thread) return;
    this.unbind(key, source, thread);
    await this.submit(source, 0, { kind: 'close', stream: key }, [], thread);
  }

  /** Refuses new jobs, lets those in flight finish, then stops the threads. */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeDrainWaiters(() => true);
    while (this.unsettled > 0) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    await this.stopThreads();
  }

  /** Stops the threads now: jobs in flight reject. */
  async destroy(): Promise<void> {
    this.closing = true;
    this.wakeDrainWaiters(() => true);
    const destroyed = new PoolClosedError('compressor pool: destroyed');
    for (const job of this.unbound.splice(0)) this.settle(job, destroyed);
    // Failed here, not at 'exit': a result can still arrive while terminate() is under way.
    for (const thread of this.pool) {
      for (const job of [...(thread.running ? [thread.running] : []), ...thread.pinned.splice(0)]) this.settle(job, destroyed);
      thread.running = null;
    }
    await this.stopThreads();
  }

  private submit(source: number, priority: JobPriority, work: Work, transfer: ArrayBuffer[], pinTo?: PoolThread): Promise<unknown> {
    if (this.closing) return Promise.reject(new PoolClosedError('compressor pool: closed'));
    const counted = work.kind !== 'close';
    if (counted && this.full(source)) {
      this.counts.refused++;
      return Promise.reject(
        new PoolFullError(`compressor pool: source ${source} has ${this.inFlight(source)} jobs in flight, the limit (threads + maxQueue)`),
      );
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const job: Job = { id, source, priority, seq: id, work, transfer, counted, submittedNs: monotonicNs(), resolve, reject };
      this.unsettled++;
      if (counted) this.inFlightBySource.set(source, this.inFlight(source) + 1);
      const thread = pinTo ?? (work.kind === 'frame' ? this.bind(work.stream, source) : undefined);
      if (thread) thread.pinned.push(job);
      else this.unbound.push(job);
      this.dispatch();
    });
  }

  /** The thread a stream's jobs run on: the one it is bound to, or one holding fewest streams (a new one while the pool may grow). */
  private bind(key: string, source: number): PoolThread {
    const bound = this.streamThreads.get(key);
    if (bound) return bound;
    let thread = this.pool.reduce<PoolThread | undefined>((best, t) => (!best || t.streams.size < best.streams.size ? t : best), undefined);
    if (!thread || (thread.streams.size > 0 && this.pool.length < this.threads)) thread = this.spawn();
    thread.streams.set(key, source);
    this.streamThreads.set(key, thread);
    this.streamsBySource.set(source, (this.streamsBySource.get(source) ?? 0) + 1);
    return thread;
  }

  private unbind(key: string, source: number, thread: PoolThread): void {
    thread.streams.delete(key);
    this.streamThreads.delete(key);
    this.streamsBySource.set(source, (this.streamsBySource.get(source) ?? 1) - 1);
  }

  /** Gives every free thread a job, and starts threads while jobs wait for one. */
  private dispatch(): void {
    for (const t of this.pool) if (!t.running) this.feed(t);
    while (this.unbound.length > 0 && this.pool.length < this.threads) this.feed(this.spawn());
  }

  private feed(thread: PoolThread): void {
    const job = this.pick(thread);
    if (!job) return this.rest(thread);
    if (thread.idle) clearTimeout(thread.idle);
    thread.idle = null;
    thread.running = job;
    this.lastServed.set(job.source, ++this.started);
    thread.worker.ref();
    thread.worker.postMessage({ id: job.id, work: job.work }, job.transfer);
    this.peakRunning = Math.max(this.peakRunning, this.pool.filter((t) => t.running).length);
  }

  /** The job a free thread takes next: the best of its own streams' next job and the best unbound one. */
  private pick(thread: PoolThread): Job | undefined {
    const running = new Map<number, number>();
    for (const t of this.pool) if (t.running) running.set(t.running.source, (running.get(t.running.source) ?? 0) + 1);
    const rank = (j: Job) => [j.priority, running.get(j.source) ?? 0, this.lastServed.get(j.source) ?? 0, j.seq] as const;
    let best = -1;
    for (let i = 0; i < this.unbound.length; i++) {
      if (best < 0 || before(rank(this.unbound[i]!), rank(this.unbound[best]!))) best = i;
    }
    const own = thread.pinned[0];
    // A stream's job goes first among equals: the thread is the only one that can run it.
    if (own && (best < 0 || own.priority <= this.unbound[best]!.priority)) return thread.pinned.shift();
    return best < 0 ? undefined : this.unbound.splice(best, 1)[0];
  }

  /** A thread without work: unref'd (it keeps no process alive), and ended after a while if the pool can spare it. */
  private rest(thread: PoolThread): void {
    thread.worker.unref();
    if (thread.idle || this.closing) return;
    thread.idle = setTimeout(() => {
      thread.idle = null;
      if (thread.running || thread.pinned.length > 0 || thread.streams.size > 0 || this.pool.length <= 1) return;
      this.pool.splice(this.pool.indexOf(thread), 1);
      void stopGently(thread.worker);
    }, IDLE_THREAD_MS);
    thread.idle.unref();
  }

  private spawn(): PoolThread {
    const task = buildModule('actors/pipeline/compressor-pool/task.js');
    const worker = new Worker(threadEntry(task, task), {
      workerData: { thread: compressorThread, module: task.href } satisfies CompressorThreadData,
    });
    const thread: PoolThread = { worker, threadId: worker.threadId, running: null, pinned: [], streams: new Map(), idle: null, jobs: 0 };
    worker.on('message', (reply: ThreadReply) => this.onReply(thread, reply));
    // An uncaught error ends the thread; 'exit' follows and fails what it held.
    worker.on('error', (err) => (thread.error = err.message));
    worker.on('exit', (code) => this.onExit(thread, code));
    this.pool.push(thread);
    return thread;
  }

  private onReply(thread: PoolThread, reply: ThreadReply): void {
    const job = thread.running;
    if (!job || job.id !== reply.id) return;
    thread.running = null;
    thread.jobs++;
    if (reply.ok) {
      if (job.work.kind !== 'close') {
        this.stages.queueWaitUs.record((reply.startedNs - job.submittedNs) / 1e3);
        this.stages.encodeUs.record(reply.encodeNs / 1e3);
        this.stages.roundTripUs.record((monotonicNs() - job.submittedNs) / 1e3);
      }
      this.settle(job, reply.result);
    } else this.settle(job, new Error(reply.error));
    this.feed(thread);
  }

  /** A thread ended (stopped, idle, or crashed): what it held fails, its streams are unbound (their next frame starts afresh). */
  private onExit(thread: PoolThread, code: number): void {
    if (thread.idle) clearTimeout(thread.idle);
    const at = this.pool.indexOf(thread);
    if (at >= 0) this.pool.splice(at, 1);
    const error = new Error(`compressor pool: thread ${thread.threadId} exited (code ${code}${thread.error ? `: ${thread.error}` : ''})`);
    for (const job of [...(thread.running ? [thread.running] : []), ...thread.pinned.splice(0)]) this.settle(job, error);
    thread.running = null;
    for (const [key, source] of [...thread.streams]) this.unbind(key, source, thread);
    if (!this.closing) {
      if (this.pool.length === 0) this.spawn();
      this.dispatch();
    }
  }

  private settle(job: Job, outcome: Compressed | StreamEncoded | null | Error): void {
    this.unsettled--;
    if (job.counted) {
      this.inFlightBySource.set(job.source, this.inFlight(job.source) - 1);
      if (outcome instanceof Error) this.counts.failed++;
      else this.counts.completed++;
    }
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
    if (this.unsettled === 0) for (const wake of this.settledWaiters.splice(0)) wake();
    if (!this.full(job.source)) this.wakeDrainWaiters((source) => source === job.source);
  }

  private wakeDrainWaiters(which: (source: number) => boolean): void {
    const woken = this.drainWaiters.filter((w) => which(w.source));
    this.drainWaiters = this.drainWaiters.filter((w) => !which(w.source));
    for (const { wake } of woken) wake();
  }

  private async stopThreads(): Promise<void> {
    await Promise.all(this.pool.map((t) => stopGently(t.worker)));
    this.pool.length = 0;
  }
}

/** A thread asked to stop gets this long to end its job before it is terminated. */
const STOP_GRACE_MS = 2000;

/** Ends a pool thread once its current job is done (terminated only if it does not end in time). */
function stopGently(worker: Worker): Promise<void> {
  // Gone already (its threadId is -1 once it exited): nothing to wait for.
  if (worker.threadId < 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), STOP_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage(stopThread);
  });
}

const streamKey = (source: number, stream: number): string => `${source}/${stream}`;

const before = (a: readonly number[], b: readonly number[]): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
};
