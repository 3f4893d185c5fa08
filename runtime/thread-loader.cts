import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module = require('node:module');
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { threadId, workerData } from 'node:worker_threads';

// The entry of an actor's thread in the bundled build. It runs the actor's `thread.cjs` (the actor
// host and the actor in one CommonJS file, beside the actor's module) with V8's code cache of it:
// a thread that compiles its code from the cache instead of from the source starts on about
// two-thirds of the CPU (bench/README.md, tenth pass), and six of them start before the first
// drawing, on two cores beside QEMU's own start. The cache is made by a thread that had none (or one V8 refused: another
// V8, other flags, another build) once its actor has run for a while, so that it holds the
// functions the start and the first pictures compile, not only the file's top level; it is
// written beside the file under a temporary name and renamed, so a reader never sees half of
// one. Where it cannot be written (a read-only install) threads compile from the source.

/** How long after its start a thread writes the cache: past its actor's start and first pictures. */
const cacheAfterMs = 2_000;

const data = workerData as { readonly module?: string; readonly preload?: string };
const actorModule = data.preload ?? data.module;
if (actorModule === undefined) throw new Error('an actor thread with no actor module');
const file = fileURLToPath(new URL('thread.cjs', actorModule));
const cacheFile = `${file}.v8cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // None yet: this thread makes it.
}
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const body = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  body.exports,
  body.exports,
  Module.createRequire(file),
  body,
  file,
  dirname(file),
);
if (cachedData === undefined || script.cachedDataRejected === true) {
  setTimeout(() => {
    const temporary = `${cacheFile}.${process.pid}.${threadId}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      rmSync(temporary, { force: true });
    }
  }, cacheAfterMs).unref();
}
