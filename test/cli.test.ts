import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { leaves } from '../config/settings.js';

const cli = fileURLToPath(new URL('../actors/server/cli.js', import.meta.url));

test('--help lists every configuration key as a flag', (t) => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  t.is(r.status, 0);
  for (const { path } of leaves()) t.true(r.stdout.includes(`--${path} `), `--${path} is listed`);
  t.true(r.stdout.includes('--config FILE'));
});

test('a bad value stops start-up with exit code 2 and names the key', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '70000'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.regex(r.stderr, /port: '70000' from --port is not valid: expected an integer 0\.\.65535/);
});

test('a --qemu-dbus that is no D-Bus address stops start-up at once with exit code 2', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--qemu-dbus', 'garbage'], { encoding: 'utf8', timeout: 10_000 });
  t.is(r.status, 2);
  t.regex(r.stderr, /^spice-companion: invalid configuration:\n  - qemu-dbus: 'garbage' from --qemu-dbus is not valid: expected a D-Bus address/);
});

test('--qemu with a QEMU program that does not exist: exit code 1 at once, with one line saying so', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--disable-ticketing', '--qemu', '--', '/no/such/qemu', '-m', '64'], { encoding: 'utf8', timeout: 10_000 });
  t.is(r.status, 1);
  t.regex(r.stderr, /^spice-companion: QEMU exited at start \(exit code 127\): .*\/no\/such\/qemu: No such file or directory\n$/);
});

test('the server logs JSON lines, listens, answers a link, and stops cleanly on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [cli, '--port', '0', '--disable-ticketing'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const lines: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const lineWith = async (msg: string) => {
    for (;;) {
      const found = lines.find((l) => l.msg === msg);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const started = await lineWith('spice-companion started');
  t.is(typeof started.port, 'number');
  // Garbage instead of "REDQ": spice-server answers with a link reply carrying INVALID_MAGIC (2).
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const s = connect(started.port as number, '127.0.0.1', () => s.write(Buffer.alloc(16, 0xa5)));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  t.is(reply.subarray(0, 4).toString('latin1'), 'REDQ');
  t.is(reply.readUInt32LE(16), 2);
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  t.is(await exit, 0);
  t.truthy(lines.find((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
  t.truthy(lines.find((l) => l.msg === 'stopped'));
  t.true(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number'));
});
