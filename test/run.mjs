#!/usr/bin/env node
// Runs ava over the compiled tests and ends with the plain "N passed, N failed" line CI reads.
// ava's own footer is indented prose, and with a crashing file its TAP footer says "# tests 0",
// so the summary counts the TAP result lines themselves. The failed tests are named again above
// it, so the tail of a long log says which.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let passed = 0,
  failed = 0,
  skipped = 0;
const failures = [];
const lines = createInterface({ input: ava.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^ok \d+/.test(line)) {
    if (/# SKIP|# TODO/.test(line)) skipped++;
    else passed++;
  } else if (/^not ok \d+/.test(line)) {
    if (/# TODO/.test(line)) skipped++;
    else {
      failed++;
      failures.push(line);
    }
  }
});
ava.on('close', (code) => {
  // ava itself failing (a file that hung past the timeout, a crash) is a failure too.
  if (code !== 0 && failed === 0) {
    process.stdout.write(`# ava exited with code ${code}\n`);
    failed = 1;
  }
  for (const line of failures) process.stdout.write(`# failed: ${line}\n`);
  const ok = code === 0 && failed === 0 && passed > 0;
  process.stdout.write(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '') + '\n');
  process.exit(ok ? 0 : 1);
});
