#!/usr/bin/env node
// The command-line entry: `control` talks to a running companion and loads nothing of the
// server; anything else starts one.
if (process.argv[2] === 'control') {
  const { runControl } = await import('./control/client.js');
  process.exitCode = await runControl(process.argv.slice(3));
} else {
  await import('./serve.js');
}
