import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import {
  type Compressed,
  type EncodingRequest,
  jobPriority,
  type StreamEncoded,
  type StreamEncoding,
} from '../../../codecs/image/compress-job.js';
import { shared } from '../../../runtime/envelope.js';
import type { Link } from '../../../runtime/link.js';
import type { Logger } from '../../../runtime/log.js';
import type { PoolJobId, SharedEncodingRequest, WorkerToPool } from '../../contracts.js';

type Answer = WorkerToPool['recv'];
interface Pending {
  /** The answer this job expects. */
  readonly kind: 'compressed' | 'frame-encoded';
  readonly resolve: (a: Answer) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The red-worker's end of the shared compressor pool: submits a snapshot (shared memory, read in
 * place by a pool thread) with its priority and resolves with what the pool made of it: an image,
 * or a stream's frame (its encoder lives on the pool thread the stream is bound to). It keeps
 * within the display's share of the pool (`free`), so the pool never has to refuse this display.
 */
export class PoolClient {
  private readonly pending = new Map<PoolJobId, Pending>();
  private nextId = 1;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly link: Link<WorkerToPool>,
    /** Jobs this display may have in the pool at once. */
    readonly share: number,
    private readonly log: Logger,
  ) {
    link.messages$.subscribe((m) => {
      const job = this.pending.get(m.id);
      // A job of this red-worker's previous life, or of a pool that went down meanwhile.
      if (!job) return void log.debug({ id: m.id, kind: m.kind }, 'pool answer for no job here: dropped');
      this.settled(m.id);
      if (m.kind === 'job-failed') job.reject(new Error(m.error));
      else if (m.kind !== job.kind) job.reject(new Error(`pool answered a ${m.kind} to a ${job.kind} job`));
      else job.resolve(m);
    });
  }

  /** Whether the pool is there to take jobs (it starts after a client's first picture). */
  get up(): boolean {
    return this.link.state === 'up';
  }

  /** Jobs that may be submitted now. */
  get free(): number {
    return this.share - this.pending.size;
  }

  /** Resolves once a job may be submitted. */
  room(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((wake) => this.roomWaiters.push(wake));
  }

  /** Compresses a snapshot in shared memory; call only while `free` > 0. */
  async compress(bitmap: Bitmap32, request: EncodingRequest): Promise<Compressed> {
    const wired: SharedEncodingRequest =
      request.encoding === 'auto' && request.glzDictionary
        ? { ...request, glzDictionary: shared(request.glzDictionary) }
        : (request as SharedEncodingRequest);
    const m = await this.submit('compressed', (id) => ({
      kind: 'compress',
      id,
      priority: jobPriority(bitmap.width, bitmap.height),
      job: { ...pixelsOf(bitmap), ...wired },
    }));
    if (m.kind !== 'compressed') throw new Error(`pool answered a ${m.kind}`);
    const r = m.result;
    return r.encoding === 'raw' ? r : { ...r, data: r.data.value };
  }

  /**
   * Encodes the next frame of `stream` (a snapshot in shared memory) on the pool thread the
   * stream is bound to, after its frames before; call only while `free` > 0. Rejects on an
   * encoder error.
   */
  async encodeFrame(stream: number, bitmap: Bitmap32, request: StreamEncoding): Promise<StreamEncoded> {
    const m = await this.submit('frame-encoded', (id) => ({
      kind: 'encode-frame',
      id,
      priority: jobPriority(bitmap.width, bitmap.height),
      stream,
      frame: { ...pixelsOf(bitmap), ...request },
    }));
    if (m.kind !== 'frame-encoded') throw new Error(`pool answered a ${m.kind}`);
    return { data: m.data.value, ...(m.frameRate !== undefined && { frameRate: m.frameRate }), ...(m.torn && { torn: true as const }) };
  }

  /** Drops the stream's encoder state in the pool, after the frames submitted before. */
  closeStream(stream: number): void {
    this.link.send({ kind: 'close-stream', stream }).catch((err: unknown) => this.log.warn({ err, stream }, 'stream close not sent'));
  }

  /** The pool went down: what it held is lost, each job fails (the caller sends those images as they are). */
  failAll(why: string): void {
    if (this.pending.size > 0) this.log.warn({ jobs: this.pending.size, why }, 'compressor pool jobs lost');
    const lost = [...this.pending.keys()];
    for (const id of lost) {
      const job = this.pending.get(id)!;
      this.settled(id);
      job.reject(new Error(why));
    }
  }

  private submit(kind: Pending['kind'], make: (id: PoolJobId) => WorkerToPool['send']): Promise<Answer> {
    if (this.free <= 0) return Promise.reject(new Error(`red-worker: ${this.share} pool jobs in flight already, its share`));
    const id = this.nextId++ as PoolJobId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { kind, resolve, reject });
      this.link.send(make(id)).catch((err: unknown) => {
        this.settled(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  private settled(id: PoolJobId): void {
    this.pending.delete(id);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}

/** A snapshot's pixels as a pool job names them: the shared memory and where the bitmap is in it. */
function pixelsOf({ pixels, width, height, stride }: Bitmap32) {
  return {
    pixels: shared(pixels.buffer as SharedArrayBuffer),
    byteOffset: pixels.byteOffset,
    width,
    height,
    stride,
    format: 'rgb32' as const,
  };
}
