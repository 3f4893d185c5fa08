import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli } from './helpers/cli.js';

/** Spawn to exit of `node -e 0`, the median of three, in ms. */
function bareNodeMs(): number {
  const runs = [0, 1, 2].map(() => {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - t0;
  });
  return Math.round(runs.sort((a, b) => a - b)[1]!);
}

// The README's command and `npx spice-companion` in a built checkout while a companion runs from
// it: npx used to install the checkout into its cache, which ran `prepare` (the native build and
// tsc) in place, deleting the addon under the running companion.

const checkout = fileURLToPath(new URL('../../', import.meta.url));

/** A built checkout of its own, so that whatever npx would rebuild is this copy's, never the one the tests run from. */
function builtCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'spice-checkout-'));
  cpSync(join(checkout, 'package.json'), join(copy, 'package.json'));
  cpSync(join(checkout, 'native'), join(copy, 'native'), { recursive: true, filter: (p) => basename(p) !== 'obj.target' });
  cpSync(join(checkout, 'dist'), join(copy, 'dist'), { recursive: true, filter: (p) => basename(p) !== 'guest-image' });
  symlinkSync(join(checkout, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

const identity = (path: string) => {
  const s = statSync(path);
  return { ino: s.ino, mtimeMs: s.mtimeMs };
};

test('npx spice-companion in a built checkout rebuilds nothing under a running companion; the README command starts at once', async (t) => {
  const copy = builtCopy();
  const cache = mkdtempSync(join(tmpdir(), 'npm-cache-'));
  // Teardowns run last-registered first: the companions are killed before their files go.
  t.teardown(() => [copy, cache].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const cli = join(copy, 'dist/bundle/actors/root/cli.js');
  const addon = join(copy, 'native/build/Release/spice_native.node');
  const running = startCli(['--port', '0', '--disable-ticketing', '--demo', 'still'], { entry: cli });
  t.teardown(() => running.child.kill('SIGKILL'));
  await running.lineWith('listening');
  const before = { addon: identity(addon), cli: identity(cli) };

  // A first npx in this checkout (an empty npm cache): the path that ran `prepare`.
  const npxStart = Date.now();
  const npx = spawnSync(join(dirname(process.execPath), 'npx'), ['--offline', 'spice-companion', '--version'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 100_000,
    env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' },
  });
  t.log(`npx spice-companion --version: ${Date.now() - npxStart} ms`);
  t.deepEqual({ addon: identity(addon), cli: identity(cli) }, before, 'the addon and the entry point are the same files as before');
  t.is(npx.status, 0, npx.stderr);
  t.is(npx.stdout.trim(), '0.1.0');
  t.deepEqual(
    readdirSync(copy).filter((f) => f.startsWith('.native-build-')),
    [],
    'no build was staged',
  );
  t.is(running.child.exitCode, null, 'the running companion still runs');

  // The README's command beside it: listening within 1 s, more on a machine whose cores are all
  // busy. The load average lags a burst (other tests start beside this one), so a bare node
  // process timed just before is the reference too: 130 ms on this machine idle.
  const bare = bareNodeMs();
  const loaded = Math.max(1, loadavg()[0] / availableParallelism(), bare / 130);
  const started = Date.now();
  const second = startCli(['--port', '0', '--disable-ticketing'], { entry: cli });
  t.teardown(() => second.child.kill('SIGKILL'));
  await second.lineWith('listening');
  const ms = Date.now() - started;
  t.log(
    `node dist/bundle/actors/root/cli.js: listening after ${ms} ms (load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores; a bare node process ${bare} ms)`,
  );
  t.true(ms < 1000 * loaded, `listening after ${ms} ms`);
});
