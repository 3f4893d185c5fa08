import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaves } from '../config/settings.js';
import { cliPath as cli, startCli } from './helpers/cli.js';
import { makeTestCa } from './helpers/test-ca.js';

test('--help lists every configuration key as a flag', (t) => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  t.is(r.status, 0);
  for (const { path } of leaves()) t.true(r.stdout.includes(`--${path} `), `--${path} is listed`);
  t.true(r.stdout.includes('--config FILE'));
});

test('--version and -V print the package version, alone (the short path) or beside other flags (the settings path)', (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const args of [['--version'], ['-V'], ['--version', '--port', '0']]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    t.is(r.status, 0, args.join(' '));
    t.is(r.stdout, `${version}\n`, args.join(' '));
    t.is(r.stderr, '', args.join(' '));
  }
});

test('a bad value stops start-up with exit code 2 and names the key', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '70000'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.regex(r.stderr, /port: '70000' from --port is not valid: expected an integer 0\.\.65535/);
});

test('a --qemu-dbus that is no D-Bus address stops start-up at once with exit code 2', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--qemu-dbus', 'garbage'], { encoding: 'utf8', timeout: 10_000 });
  t.is(r.status, 2);
  t.regex(
    r.stderr,
    /^spice-companion: invalid configuration:\n {2}- qemu-dbus: 'garbage' from --qemu-dbus is not valid: expected a D-Bus address/,
  );
});

test('--qemu with a QEMU program that does not exist: exit code 1 at once, with one line saying so', (t) => {
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--disable-ticketing', '--qemu', '--', '/no/such/qemu', '-m', '64'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.is(r.status, 1);
  t.regex(r.stderr, /^spice-companion: QEMU exited at start \(exit code 127\): .*\/no\/such\/qemu: No such file or directory\n$/);
});

test('the server logs JSON lines, listens, answers a link, and stops cleanly on SIGTERM', async (t) => {
  const { child, lines, lineWith, exited } = startCli(['--port', '0', '--disable-ticketing']);
  t.teardown(() => child.kill('SIGKILL'));
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
  child.kill('SIGTERM');
  t.is(await exited, 0);
  t.truthy(lines.find((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
  t.truthy(lines.find((l) => l.msg === 'stopped'));
  t.true(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number'));
});

test('start-up problems after the config checks end the process with one line naming the problem', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as AddressInfo).port;
  const ca = makeTestCa();
  const mismatched = mkdtempSync(join(tmpdir(), 'spice-x509-'));
  for (const f of ['ca-cert.pem', 'server-cert.pem']) copyFileSync(join(ca.dir, f), join(mismatched, f));
  copyFileSync(join(ca.dir, 'ca-key.pem'), join(mismatched, 'server-key.pem'));
  const notPem = mkdtempSync(join(tmpdir(), 'spice-x509-'));
  for (const f of ['ca-cert.pem', 'server-key.pem']) copyFileSync(join(ca.dir, f), join(notPem, f));
  writeFileSync(join(notPem, 'server-cert.pem'), 'not a certificate\n');
  const tls = (dir: string) => ['--port', '0', '--tls-port', '0', '--x509-dir', dir];
  const cases: Array<[string[], RegExp]> = [
    [['--port', String(busyPort)], new RegExp(`^spice-companion: cannot listen on 127\\.0\\.0\\.1 port ${busyPort}: the port is in use$`)],
    [
      ['--port', '0', '--addr', '192.0.2.7'],
      /^spice-companion: cannot listen on 192\.0\.2\.7 port 0: the address is not one of this host$/,
    ],
    [
      ['--port', '0', '--addr', 'no-such-host.invalid'],
      /^spice-companion: cannot listen on no-such-host\.invalid port 0: the address does not resolve$/,
    ],
    [tls('/no/such/dir'), /^spice-companion: x509-dir: cannot read \/no\/such\/dir\/server-key\.pem: no such file or directory$/],
    [tls(mismatched), /^spice-companion: x509-dir: .*: server-key\.pem is not the key of server-cert\.pem$/],
    [tls(notPem), /^spice-companion: x509-dir: .*: a file is not PEM$/],
  ];
  for (const [args, message] of cases) {
    // Generous: each case starts the actors before the listeners fail, slow on a loaded machine.
    const r = spawnSync(process.execPath, [cli, ...args, '--disable-ticketing', '--demo', 'off', '--log-level', 'silent'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.is(r.status, 1, `${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
    t.regex(r.stderr.trimEnd(), message, args.join(' '));
    t.is(r.stderr.trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}`);
  }
});

test('--print-capabilities answers JSON at once, listing only features that work', (t) => {
  const r = spawnSync(process.execPath, [cli, '--print-capabilities'], { encoding: 'utf8' });
  t.is(r.status, 0);
  const caps = JSON.parse(r.stdout) as { type: string; features: string[]; 'not-yet': Record<string, unknown[]> };
  t.is(caps.type, 'spice');
  for (const f of ['dbus-address', 'qmp-p2p', 'launch-qemu', 'tls', 'unix', 'password-file', 'opus-playback'])
    t.true(caps.features.includes(f), f);
  t.deepEqual(caps['not-yet']['seamless-migration'], [true]);
  t.false('playback-compression' in caps['not-yet'], 'Opus playback works');
  t.false('streaming-video' in caps['not-yet'], 'video streams work');
  t.false('jpeg-wan-compression' in caps['not-yet'] || 'zlib-glz-wan-compression' in caps['not-yet'], 'JPEG and ZLIB_GLZ work');
  const refused = Object.keys(caps['not-yet']);
  t.false(caps.features.includes('sasl') && refused.includes('sasl'), 'a refused feature is not offered');
});
