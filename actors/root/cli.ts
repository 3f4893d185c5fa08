#!/usr/bin/env node
// The command-line entry: `control` talks to a running companion and loads nothing of the
// server; anything else starts one.
import { setFlagsFromString } from 'node:v8';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Alone, it needs no settings: the settings' schema (zod) is most of the start-up it would cost.
  process.stdout.write(`${(await import('./version.js')).version}\n`);
} else if (argv[0] === 'control') {
  const { runControl } = await import('./control/client.js');
  process.exitCode = await runControl(argv.slice(1));
} else {
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
  // The server actor's thread boots on the other core while this one loads the settings and the
  // supervisor (a command that serves nothing lets it go unused).
  const answersOnly = ['--help', '-h', '--version', '-V', '--print-config', '--print-capabilities', '--dump-frame'];
  if (!argv.some((a) => answersOnly.includes(a.split('=')[0]!))) {
    const { prestartActorThread } = await import('../../runtime/spare-thread.js');
    const { buildModule } = await import('../../runtime/build-root.js');
    prestartActorThread(buildModule('actors/server/actor.js'));
  }
  await import('./serve.js');
}
