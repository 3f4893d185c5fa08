import test from 'ava';
import { SpiceClient } from '../../client/session.js';
import { threadTimes } from '../../runtime/thread-times.js';
import { eventually } from '../helpers/eventually.js';
import { startDisplayTestServer } from '../helpers/server.js';

/** The pool threads of this process (the companion runs in it): they name themselves "compressor". */
const compressorThreads = () => threadTimes(process.pid).filter((t) => t.name === 'compressor').length;

// The shared pool starts one thread; `compressor-threads` bounds how far images waiting for one
// make it grow (a 256x192 frame is one image: 40 of them keep a red-worker's share of the pool busy).
test.serial('compressor-threads bounds the size of the compressor pool', async (t) => {
  for (const n of [1, 3]) {
    const server = await startDisplayTestServer(['--disable-ticketing', '--compressor-threads', String(n), '--image-compression', 'lz'], {
      width: 256,
      height: 192,
    });
    try {
      await eventually('the first compressor thread', () => compressorThreads() === 1, 20_000);
      const client = await SpiceClient.connect({ host: '127.0.0.1', port: server.port });
      const d = await client.displayReady();
      await server.host.link.ask({ kind: 'frames', count: 40, first: 0 });
      await eventually('the frames drawn', () => d.draws > 0, 20_000);
      // Extra threads stay 10 s after their last job: what is there now is the peak.
      const peak = compressorThreads();
      t.true(n === 1 ? peak === 1 : peak >= 1 && peak <= n, `${peak} threads with compressor-threads ${n}`);
      client.close();
    } finally {
      await server.stop();
    }
  }
  await eventually('the pools gone with their servers', () => compressorThreads() === 0, 20_000);
  t.is(compressorThreads(), 0);
});
