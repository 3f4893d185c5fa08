import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { type Compressed, type EncodingRequest, jobPriority } from '../../../codecs/image/compress-job.js';
import { shared } from '../../../runtime/envelope.js';
import type { Link } from '../../../runtime/link.js';
import type { Logger } from '../../../runtime/log.js';
import type { PoolJobId, SharedEncodingRequest, WorkerToPool } from '../../contracts.js';

/**
 * The red-worker's end of the shared compressor pool: submits a snapshot (shared memory, read in
 * place by a pool thread) with its priority and resolves with what the pool made of it. It keeps
 * within the display's share of the pool (`free`), so the pool never has to refuse this display.
 */
export class PoolClient {
  private readonly pending = new Map<PoolJobId, { resolve: (c: Compressed) => void; reject: (e: Error) => void }>();
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
      if (m.kind === 'compressed') {
        const r = m.result;
        job.resolve(r.encoding === 'raw' ? r : { ...r, data: r.data.value });
      } else if (m.kind === 'job-failed') job.reject(new Error(m.error));
      else job.reject(new Error(`pool answered a ${m.kind} to an image`));
    });
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
  compress(bitmap: Bitmap32, request: EncodingRequest): Promise<Compressed> {
    if (this.free <= 0) return Promise.reject(new Error(`red-worker: ${this.share} pool jobs in flight already, its share`));
    const id = this.nextId++ as PoolJobId;
    const { pixels, width, height, stride } = bitmap;
    const job = {
      pixels: shared(pixels.buffer as SharedArrayBuffer),
      byteOffset: pixels.byteOffset,
      width,
      height,
      stride,
      format: 'rgb32' as const,
    };
    const wired: SharedEncodingRequest =
      request.encoding === 'auto' && request.glzDictionary
        ? { ...request, glzDictionary: shared(request.glzDictionary) }
        : (request as SharedEncodingRequest);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.link.send({ kind: 'compress', id, priority: jobPriority(width, height), job: { ...job, ...wired } }).catch((err: unknown) => {
        this.settled(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
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

  private settled(id: PoolJobId): void {
    this.pending.delete(id);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}
