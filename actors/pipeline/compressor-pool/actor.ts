import { type Compressed, type CompressJob, isJobPriority, type StreamFrame } from '../../../codecs/image/compress-job.js';
import { defineActor } from '../../../runtime/actor.js';
import { moved } from '../../../runtime/envelope.js';
import type { Link } from '../../../runtime/link.js';
import type { Flip } from '../../../runtime/message.js';
import { flip } from '../../../runtime/port.js';
import {
  maxDisplays,
  poolShare,
  workerToPool,
  type CompressorPoolContract,
  type PoolCompressed,
  type PoolJobId,
  type WorkerToPool,
} from '../../contracts.js';
import { CompressorPool } from './pool.js';

/**
 * The compressor pool every display's red-worker shares: its threads (pool.ts) compress images
 * and run stream encoders, scheduled by priority with a bounded, fair share per display. This
 * thread only schedules and relays: pixels stay in the red-workers' shared memory and the
 * encoded bytes are moved, never copied, on their way back.
 */
export default defineActor<CompressorPoolContract>((ctx) => {
  const { threads } = ctx.init;
  const pool = new CompressorPool({ threads, maxQueue: poolShare(threads) - threads });
  const { meter } = ctx;
  meter.gauge('spice_compressor_threads', 'Compressor threads running now.', {}, () => pool.threadIds.length);
  meter.gauge('spice_compressor_peak_running', 'Most jobs the compressor threads have run at once.', {}, () => pool.peakRunning);
  meter.counter('spice_compressor_refused_total', 'Jobs refused: past a display’s share of the pool.', {}, () => pool.counts.refused);
  meter.counter(
    'spice_compressor_encode_seconds_total',
    'Time the compressor threads spent choosing and encoding.',
    {},
    () => pool.stages.encodeUs.sum / 1e6,
  );

  /** One display's message: a job goes to the pool, its answer back to that display's red-worker. */
  const serve = (display: number, worker: Link<Flip<WorkerToPool>>, m: WorkerToPool['send'], done: () => void) => {
    const fail = (id: PoolJobId, err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      ctx.log.warn({ display, error }, 'compressor job failed');
      void worker.send({ kind: 'job-failed', id, error });
    };
    if (m.kind === 'close-stream') {
      pool.closeStream(m.stream, display).catch((err: unknown) => ctx.log.warn({ display, err }, 'stream close failed'));
      return;
    }
    // From another thread: a priority outside the rule is that red-worker's bug, answered for that job only.
    if (!isJobPriority(m.priority)) return fail(m.id, new Error(`compressor-pool: bad job: unknown priority ${String(m.priority)}`));
    const at = { source: display, priority: m.priority };
    // A field missing altogether (no pixels) fails here, before the pool: that job only.
    const pixels = (ref?: { pixels?: { value?: unknown } }) => ref?.pixels?.value as SharedArrayBuffer;
    if (m.kind === 'compress') {
      const { glzDictionary, ...request } = m.job as typeof m.job & { glzDictionary?: { value?: unknown } };
      const glz = glzDictionary?.value instanceof SharedArrayBuffer ? { glzDictionary: glzDictionary.value } : {};
      pool.compress({ ...request, ...glz, pixels: pixels(m.job) } as CompressJob, at).then(
        (r) => {
          done();
          void worker.send({ kind: 'compressed', id: m.id, result: onLink(r) });
        },
        (err: unknown) => fail(m.id, err),
      );
    } else {
      pool.encodeFrame(m.stream, { ...m.frame, pixels: pixels(m.frame) } as StreamFrame, at).then(
        (r) => {
          done();
          void worker.send({
            kind: 'frame-encoded',
            id: m.id,
            data: moved(r.data),
            ...(r.frameRate && { frameRate: r.frameRate }),
            ...(r.torn && { torn: r.torn }),
          });
        },
        (err: unknown) => fail(m.id, err),
      );
    }
  };

  /** A result as the link carries it: its bytes moved, each kind with its own fields. */
  const onLink = (r: Compressed): PoolCompressed => {
    const common = { chosen: r.chosen, ...(r.graduality && { graduality: r.graduality }) };
    switch (r.encoding) {
      case 'raw':
        return { ...common, encoding: r.encoding };
      case 'jpeg-alpha':
        return { ...common, encoding: r.encoding, jpegBytes: r.jpegBytes, data: moved(r.data) };
      case 'zlib-glz':
        return { ...common, encoding: r.encoding, glzBytes: r.glzBytes, data: moved(r.data) };
      default:
        return { ...common, encoding: r.encoding, data: moved(r.data) };
    }
  };

  // Every display a host may drive has its port, connected when its red-worker starts.
  for (let display = 0; display < maxDisplays; display++) {
    const worker = ctx.peer(flip(workerToPool(display)));
    // Made at the display's first job: a series only for displays there are.
    const done = () => meter.counter('spice_compressor_jobs_total', 'Jobs done, by display.', { display: String(display) }).value++;
    worker.messages$.subscribe((m) => serve(display, worker, m, done));
  }

  ctx.onStop(() => pool.destroy());
});
