#!/usr/bin/env node
// The command-line entry. It sets V8's flags, then runs the command line (cli-main): in the
// bundled build its one CommonJS file from V8's code cache, which V8 keys by its flags, so they
// come first (a control command or --version gets them too, and does not notice).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// Before any actor's isolate starts: V8's memory reducer runs full collections once a heap
// stops growing, and on a dozen isolates of a few MB each it was most of an idle companion's
// CPU (bench:e2e idle, 1080p: 4.4 % of a core, 2.1 of it in V8's GC threads; without it 1.5).
setFlagsFromString('--no-memory-reducer-for-small-heaps');
// Each isolate optimises its own copy of the shared code (links, codecs, wire encoding), a
// dozen times over: with V8's default budget, TurboFan compiling lukewarm functions was the
// largest thread of a workload's first seconds (bench:e2e desktop, 10 s after the switch: 5.7-6.3 %
// of a core, 1.5-2 after 30 s). Four times the budget optimises what stays hot: 3.3-3.9 %, and
// the companion's CPU 10-20 % lower on text, desktop and video.
setFlagsFromString('--interrupt-budget=270336');

const bundled = fileURLToPath(new URL('cli-main.cjs', import.meta.url));
if (existsSync(bundled)) {
  const { runCached } = createRequire(import.meta.url)(
    '../../runtime/cached-script.cjs',
  ) as typeof import('../../runtime/cached-script.cjs');
  runCached(bundled);
} else await import('./cli-main.js');
