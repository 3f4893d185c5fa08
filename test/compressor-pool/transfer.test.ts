import test from 'ava';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { CompressJob } from '../../codecs/image/compress-job.js';
import { runJob } from '../../actors/pipeline/compressor-pool/task.js';
import type { ThreadReply } from '../../actors/pipeline/compressor-pool/thread-protocol.js';
import { gradient } from '../helpers/images.js';
import { inSharedMemory } from './shared-bitmap.js';

// A pool thread posts its reply with the transfer list runJob gives: the encoded bytes must be in
// it, so that they leave the thread moved (detached there), not copied. The control posts the
// same reply without the list and must leave it intact, or this could not tell a copy from a move.
test('encoded bytes leave a pool thread transferred, not copied', (t) => {
  const job = { ...inSharedMemory(gradient(64, 64), 'rgb32'), encoding: 'lz' } satisfies CompressJob;
  const { port1, port2 } = new MessageChannel();
  try {
    const dataOf = (reply: ThreadReply) => (reply.ok && reply.result && 'data' in reply.result ? reply.result.data : undefined);

    const moved = runJob({ id: 1, work: { kind: 'image', job } });
    const data = dataOf(moved.reply)!;
    const size = data.byteLength;
    t.true(size > 0);
    port1.postMessage(moved.reply, moved.transfer);
    t.is(data.byteLength, 0, 'detached on the sending side');
    t.is(dataOf(receiveMessageOnPort(port2)!.message as ThreadReply)?.byteLength, size, 'whole on the other');

    const cloned = runJob({ id: 2, work: { kind: 'image', job } });
    port1.postMessage(cloned.reply);
    t.is(dataOf(cloned.reply)?.byteLength, size, 'control: a cloned reply leaves the source intact');
  } finally {
    port1.close();
  }
});
