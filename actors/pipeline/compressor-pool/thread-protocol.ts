import type { CompressJob, Compressed, StreamEncoded, StreamFrame } from '../../../codecs/image/compress-job.js';

// Between the pool (pool.ts) and its threads (task.ts): plain postMessage, buffers transferred or
// shared, never copied. Kept apart so the pool's own thread does not load the encoders.

/** What the pool posts to one of its threads. A stream is named by the pool's key for it. */
export type Work =
  | { readonly kind: 'image'; readonly job: CompressJob }
  | { readonly kind: 'frame'; readonly stream: string; readonly frame: StreamFrame }
  | { readonly kind: 'close'; readonly stream: string };

export interface ThreadJob {
  readonly id: number;
  readonly work: Work;
}

/** A thread's answer to a job; times in ns on the process-wide monotonic clock. */
export type ThreadReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly result: Compressed | StreamEncoded | null;
      readonly startedNs: number;
      readonly encodeNs: number;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * Posted to a thread to end it: it finishes the job it runs, closes its encoders and its port,
 * and exits. terminate() instead would stop it inside a native encoder, whose error while the
 * thread is being torn down aborts the whole process (seen in CI: lzEncode, "Error::New
 * napi_get_last_error_info").
 */
export const stopThread = 'stop';

/** Marks the pool's own threads in their workerData (the bench runs task.ts inline, on its own thread). */
export const compressorThread = 'compressor-pool-thread';

/** A pool thread's workerData: the mark, and its module (what runtime/thread-loader.cts runs in the bundled build). */
export interface CompressorThreadData {
  readonly thread: typeof compressorThread;
  readonly module: string;
}

/** Nanoseconds on `process.hrtime`, the one monotonic clock every thread of the process shares. */
export const monotonicNs = (): number => Number(process.hrtime.bigint());
