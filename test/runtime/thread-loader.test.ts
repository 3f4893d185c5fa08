import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { eventually, settle } from '../helpers/eventually.js';

const loader = new URL('../../runtime/thread-loader.cjs', import.meta.url);

/** A folder with an actor's `actor.cjs` (the CommonJS build of its `actor.js`) that answers where it runs from, and stays up until terminated. */
function actorFolder(): { dir: string; module: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'thread-loader-'));
  writeFileSync(
    join(dir, 'actor.cjs'),
    [
      "const { parentPort } = require('node:worker_threads');",
      'const square = (n) => n * n;',
      "parentPort.postMessage({ filename: __filename, dirname: __dirname, square: square(7), fs: typeof require('node:fs').readFileSync });",
      'parentPort.on("message", () => {});',
    ].join('\n'),
  );
  return { dir, module: pathToFileURL(join(dir, 'actor.js')).href, cache: join(dir, 'actor.cjs.v8cache') };
}

/** Starts a thread from the loader with the supervisor's data (`module`, or a spare thread's `preload`); resolves with its first message. */
async function start(data: Record<string, string>): Promise<{ worker: Worker; said: Record<string, unknown> }> {
  const worker = new Worker(loader, { workerData: data });
  const said = await new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, said };
}

test("runs the CommonJS build beside the thread's module (actor.js -> actor.cjs), and writes V8's code cache of it once it has run a while", async (t) => {
  const a = actorFolder();
  t.teardown(() => rmSync(a.dir, { recursive: true, force: true }));
  const first = await start({ module: a.module });
  t.deepEqual(first.said, { filename: join(a.dir, 'actor.cjs'), dirname: a.dir, square: 49, fs: 'function' });
  t.false(existsSync(a.cache), 'not at once: the cache holds what the start compiled');
  await eventually('the code cache', () => existsSync(a.cache), 10_000);
  await first.worker.terminate();
  t.true(statSync(a.cache).size > 0);

  // A spare thread names its module as preload; with the cache V8 takes, nothing is written again.
  const written = statSync(a.cache).mtimeMs;
  const second = await start({ preload: a.module });
  t.is(second.said.square, 49);
  await settle(2_500);
  await second.worker.terminate();
  t.is(statSync(a.cache).mtimeMs, written, 'the cache was taken, not made again');
});

test('a cache V8 refuses (garbage) is compiled past and made again', async (t) => {
  const a = actorFolder();
  t.teardown(() => rmSync(a.dir, { recursive: true, force: true }));
  const bad = Buffer.from('not a code cache, just bytes of the right sort of size'.repeat(20));
  writeFileSync(a.cache, bad);
  const { worker, said } = await start({ module: a.module });
  t.is(said.square, 49);
  await eventually('a new cache', () => !readFileSync(a.cache).equals(bad), 10_000);
  await worker.terminate();
});

test('a thread with no module to run fails with a message that says so', async (t) => {
  // A worker's error crosses the thread as a copy, not an instance of this realm's Error.
  await t.throwsAsync(start({}), { any: true, message: /no module to run/ });
});
