import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { commonJsBuildOf, runCached } from './cached-script.cjs';

// The entry of an actor's thread (and of a compressor thread) in the bundled build: runs the
// CommonJS build of its module, beside it (`actor.js` -> `actor.cjs`: for an actor the actor host
// and the actor in one file), from V8's code cache.

const data = workerData as { readonly module?: unknown; readonly preload?: unknown } | undefined;
const target = data?.preload ?? data?.module;
if (typeof target !== 'string' || !target.endsWith('.js')) throw new Error('a thread with no module to run');
runCached(fileURLToPath(commonJsBuildOf(target)));
