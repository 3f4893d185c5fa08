import test from 'ava';
import { readdirSync } from 'node:fs';
import { eventually, settle } from '../helpers/eventually.js';
import { startDisplayTestServer } from '../helpers/server.js';

/** The OS threads of this process (the companion runs in it, every actor and pool thread a thread). */
const threads = () => readdirSync('/proc/self/task').length;

/** Threads once a companion with `--compressor-threads n` and one display is up and settled. */
async function threadsWith(n: number): Promise<number> {
  const server = await startDisplayTestServer(['--disable-ticketing', '--compressor-threads', String(n)], { width: 64, height: 48 });
  try {
    let last = -1;
    let stable = 0;
    // Threads start in the background: wait until the count holds still.
    await eventually('a steady thread count', async () => {
      const now = threads();
      stable = now === last ? stable + 1 : 0;
      last = now;
      await settle(100);
      return stable >= 5;
    }, 20_000);
    return last;
  } finally {
    await server.stop();
  }
}

test.serial('compressor-threads sets the size of a display\'s compressor pool', async (t) => {
  const one = await threadsWith(1);
  const three = await threadsWith(3);
  t.is(three - one, 2, `${one} threads with one compressor, ${three} with three`);
});
