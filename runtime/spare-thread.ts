import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { SpareData } from './system.js';
import { buildModule } from './build-root.js';
import { commonJsBuildOf } from './cached-script.cjs';

/**
 * Actor threads booted before their actor is spawned: the isolate starts and loads the actor's
 * module while the main thread is still loading its own (the settings schema, the logger), and
 * the supervisor hands it the actor's data when it spawns that actor. On two cores this takes
 * an isolate's boot off the way to the port opening. Only imports node: the entry point uses it
 * before loading anything else.
 */

const actorHostModule = buildModule('runtime/actor-host.js');
const threadLoader = buildModule('runtime/thread-loader.cjs');

/**
 * The file a thread of `module` (an actor's, or the compressor threads' task) starts from: where
 * the build has the module's CommonJS build beside it (the bundled build; for an actor, the actor
 * host and the actor in one file), the loader that runs that from V8's code cache, which finds it
 * by the `module` (or `preload`) of the thread's data; else `otherwise`.
 */
export function threadEntry(module: URL, otherwise: URL = actorHostModule): URL {
  return module.pathname.endsWith('.js') && existsSync(new URL(commonJsBuildOf(module.href))) ? threadLoader : otherwise;
}

interface Spare {
  readonly worker: Worker;
  /** Died before it was taken (its module failed to load): a fresh thread reports why. */
  dead: boolean;
}

const spares = new Map<string, Spare>();

/** Boots a thread for the actor module `module`; it does not keep the process alive until taken. */
export function prestartActorThread(module: URL): void {
  if (spares.has(module.href)) return;
  const worker = new Worker(threadEntry(module), { workerData: { preload: module.href } satisfies SpareData });
  const spare: Spare = { worker, dead: false };
  worker.unref();
  worker.once('error', () => {});
  worker.once('exit', () => {
    spare.dead = true;
  });
  spares.set(module.href, spare);
}

/** The thread booted for `module`, once: the caller posts it the actor's HostData. */
export function takeSpareThread(module: URL): Worker | undefined {
  const spare = spares.get(module.href);
  if (!spare) return undefined;
  spares.delete(module.href);
  if (spare.dead) return undefined;
  spare.worker.ref();
  return spare.worker;
}
