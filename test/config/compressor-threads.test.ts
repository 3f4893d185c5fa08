import test from 'ava';
import { threadTimes } from '../../runtime/thread-times.js';
import { eventually } from '../helpers/eventually.js';
import { startDisplayTestServer } from '../helpers/server.js';

/** The pool threads of this process (the companion runs in it): they name themselves "compressor". */
const compressorThreads = () => threadTimes(process.pid).filter((t) => t.name === 'compressor').length;

test.serial("compressor-threads sets the size of a display's compressor pool", async (t) => {
  for (const n of [1, 3]) {
    const server = await startDisplayTestServer(['--disable-ticketing', '--compressor-threads', String(n)], { width: 64, height: 48 });
    try {
      await eventually(`${n} compressor threads`, () => compressorThreads() === n, 20_000);
      t.is(compressorThreads(), n);
    } finally {
      await server.stop();
    }
  }
  await eventually('the pools gone with their servers', () => compressorThreads() === 0, 20_000);
  t.is(compressorThreads(), 0);
});
