import test from 'ava';
import { Worker } from 'node:worker_threads';
import { SentCell } from '../../channel/sent-cell.js';

test('a SentCell reads nothing sent at first, then the newest track with a serial at least its own, from another thread too', async (t) => {
  const cell = new SentCell(SentCell.create());
  t.deepEqual(cell.read(), { track: 0, serial: 0 });
  cell.write(1, 10n);
  cell.write(2, 20n);
  t.deepEqual(cell.read(), { track: 2, serial: 20 });
  // A writer on another thread racing this reader: the serial read is never below the track's own (track k went as 10k).
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     import(workerData.url).then(({ SentCell }) => {
       const c = new SentCell(workerData.memory);
       for (let k = 3; k < 200000; k++) c.write(k, BigInt(10 * k));
       parentPort.postMessage('done');
     });`,
    { eval: true, workerData: { memory: cell.memory, url: new URL('../../channel/sent-cell.js', import.meta.url).href } },
  );
  let done = false;
  const finished = new Promise<void>((resolve) =>
    w.once('message', () => {
      done = true;
      resolve();
    }),
  );
  let reads = 0;
  let below = 0;
  // Reads race the writer until it is done (or for a bounded number of reads on a slow machine); the final read waits for it.
  while (!done && reads < 2_000_000) {
    const { track, serial } = cell.read();
    if (serial < 10 * track) below++;
    reads++;
    if (reads % 10000 === 0) await new Promise((r) => setImmediate(r));
  }
  await finished;
  await w.terminate();
  t.is(below, 0, `${reads} reads, none with a serial below its track's`);
  t.deepEqual(cell.read(), { track: 199999, serial: 1999990 });
});
