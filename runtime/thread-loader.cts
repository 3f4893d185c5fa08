import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { runCached } from './cached-script.cjs';

// The entry of an actor's thread in the bundled build: runs the actor's `thread.cjs` (the actor
// host and the actor in one CommonJS file, beside the actor's module) from V8's code cache.

const data = workerData as { readonly module?: string; readonly preload?: string };
const actorModule = data.preload ?? data.module;
if (actorModule === undefined) throw new Error('an actor thread with no actor module');
runCached(fileURLToPath(new URL('thread.cjs', actorModule)));
