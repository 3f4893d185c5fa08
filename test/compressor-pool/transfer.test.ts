import test from 'ava';
import { Piscina } from 'piscina';
import type { CompressJob, TaskReply } from '../../actors/pipeline/red-worker/compressor-pool/job.js';
import { gradient } from '../helpers/images.js';
import { inSharedMemory } from './shared-bitmap.js';

// The result's bytes must leave the pool thread by transfer: seen from that thread, the buffer it
// answered with is detached afterwards. The control run posts the same reply as a plain value
// and must leave it intact, or this probe could not tell a copy from a transfer.
test('encoded bytes are transferred out of the pool thread, not copied', async (t) => {
  const piscina = new Piscina({ filename: new URL('./fixtures/transfer-probe.js', import.meta.url).href, minThreads: 1, maxThreads: 1 });
  try {
    const job = { ...inSharedMemory(gradient(64, 64), 'rgb32'), encoding: 'lz' } satisfies CompressJob;

    const moved = (await piscina.run(job, { name: 'compress' })) as TaskReply;
    t.is(moved.result.encoding, 'lz');
    const size = 'data' in moved.result ? moved.result.data.byteLength : 0;
    t.true(size > 0);
    t.is(await piscina.run(null, { name: 'lastDataByteLength' }), 0, 'detached in the pool thread');

    const cloned = (await piscina.run(job, { name: 'compressCloned' })) as TaskReply;
    t.is('data' in cloned.result && cloned.result.data.byteLength, size);
    t.is(await piscina.run(null, { name: 'lastDataByteLength' }), size, 'control: a cloned reply leaves the source intact');
  } finally {
    await piscina.close();
  }
});
