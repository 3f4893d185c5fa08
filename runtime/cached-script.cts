import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module = require('node:module');
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { threadId } from 'node:worker_threads';

// Runs a CommonJS file of the bundled build (the CLI's, an actor thread's) with V8's code cache of
// it: a thread that compiles its code from the cache instead of from the source starts on about
// two-thirds of the CPU (bench/README.md, tenth pass), and the main thread and six actor threads
// start before the first drawing, on two cores beside QEMU's own start. The cache is made by a
// run that had none (or one V8 refused: another V8, other flags, another build) once it has run
// for a while, so that it holds the functions the start and the first pictures compile, not only
// the file's top level. It is written beside the file under a temporary name and renamed, so a
// reader never sees half of one; where it cannot be written (a read-only install) the file is
// compiled from its source each time. V8 keys a cache by its flags: they must be set before the
// file is run (actors/root/cli.ts).

/** How long after its start a run writes the cache: past its start and first pictures. */
const cacheAfterMs = 2_000;

/** Where the bundled build has the CommonJS build of module `module` (a path or URL): beside it, `X.js` -> `X.cjs`. */
export const commonJsBuildOf = (module: string): string => module.replace(/\.js$/, '.cjs');

/** Runs `file` (a path) as a CommonJS module, compiled from its code cache where V8 takes it. */
export function runCached(file: string): void {
  const cacheFile = `${file}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // None yet: this run makes it.
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
  if (cachedData !== undefined && script.cachedDataRejected !== true) return;
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
