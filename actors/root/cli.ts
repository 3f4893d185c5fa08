#!/usr/bin/env node
// The command-line entry: `control` talks to a running companion and loads nothing of the
// server; anything else starts one.
if (process.argv[2] === 'control') {
  const { runControl } = await import('./control/client.js');
  process.exitCode = await runControl(process.argv.slice(3));
} else {
  // The server actor's thread boots on the other core while this one loads the settings and the
  // supervisor (a command that serves nothing lets it go unused).
  const answersOnly = ['--help', '-h', '--version', '-V', '--print-config', '--print-capabilities', '--dump-frame'];
  if (!process.argv.some((a) => answersOnly.includes(a.split('=')[0]!))) {
    const { prestartActorThread } = await import('../../runtime/spare-thread.js');
    prestartActorThread(new URL('../server/actor.js', import.meta.url));
  }
  await import('./serve.js');
}
