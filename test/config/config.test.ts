import test from 'ava';
import { readFileSync } from 'node:fs';
import { exampleYaml } from '../../config/docs.js';
import { parseArgs } from '../../config/flags.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { leaves } from '../../config/settings.js';
import { envName } from '../../config/sources.js';

const load = (argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) =>
  loadConfig({
    args: parseArgs(argv),
    env,
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: ${p}`);
      return files[p]!;
    },
  });

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
};

test('defaults follow spice-server where it has them', (t) => {
  const { config } = load([]);
  t.is(config.port, 5900);
  t.is(config.addr, '127.0.0.1');
  t.is(config['disable-ticketing'], false);
  t.is(config.password, undefined);
  t.is(config.channels.inputs.priority, 0);
  t.true(config.channels.display.priority > config.channels.cursor.priority);
  t.is(config.channels.display['max-bandwidth'], Infinity);
});

test('flags win over the environment, which wins over the file', (t) => {
  const file = 'port: 5901\naddr: 0.0.0.0\nimage-compression: lz\nchannels:\n  display:\n    priority: 5\n';
  const { config, sources } = load(
    ['--config', 'c.yaml', '--port', '5930', '--disable-ticketing'],
    { SPICE_COMPANION_PORT: '5920', SPICE_COMPANION_ADDR: '::1' },
    { 'c.yaml': file },
  );
  t.is(config.port, 5930);
  t.is(config.addr, '::1');
  t.is(config['image-compression'], 'lz');
  t.is(config.channels.display.priority, 5);
  t.true(config['disable-ticketing']);
  t.deepEqual(sources.get('port'), { kind: 'flag', flag: '--port' });
  t.deepEqual(sources.get('addr'), { kind: 'env', name: 'SPICE_COMPANION_ADDR' });
  t.deepEqual(sources.get('image-compression'), { kind: 'file', file: 'c.yaml' });
});

test('values are coerced from text the same way from every source', (t) => {
  const { config } = load(
    [
      '--agent-mouse',
      'off',
      '--no-playback-compression',
      '--secure-channels=main,inputs',
      '--max-bandwidth',
      '10mbit',
      '--channels.display.max-bandwidth=2MiB',
      '--tls-port',
      '5931',
      '--x509-dir',
      '/pki',
    ],
    { SPICE_COMPANION_DISABLE_TICKETING: 'yes' },
  );
  t.false(config['agent-mouse']);
  t.false(config['playback-compression']);
  t.true(config['disable-ticketing']);
  t.deepEqual(config['secure-channels'], ['main', 'inputs']);
  t.is(config['max-bandwidth'], 1_250_000);
  t.is(config.channels.display['max-bandwidth'], 2 * 1024 * 1024);
  t.is(config['tls-port'], 5931);
});

test('a bad value is refused with a message naming the key, the value and where it came from', (t) => {
  const [flag] = problems(() => load(['--port', 'abc']));
  t.is(flag, "port: 'abc' from --port is not valid: expected an integer 0..65535");
  const [env] = problems(() => load([], { SPICE_COMPANION_IMAGE_COMPRESSION: 'zip' }));
  t.regex(
    env!,
    /^image-compression: 'zip' from environment variable SPICE_COMPANION_IMAGE_COMPRESSION is not valid: expected one of auto_glz/,
  );
  const [file] = problems(() => load(['-c', 'x.yaml'], {}, { 'x.yaml': 'channels:\n  cursor:\n    priority: 9\n' }));
  t.is(file, 'channels.cursor.priority: 9 from config file x.yaml is not valid: expected an integer 0..7');
});

test('unknown keys, missing values and broken files are refused, all problems at once', (t) => {
  const all = problems(() => load(['--prot', '1', '--addr', '--config', 'y.yaml'], {}, { 'y.yaml': 'port: 1\nchanels: {}\n' }));
  t.true(all.includes('unknown option --prot (see --help)'));
  t.true(all.includes("unexpected argument '1' (options start with --; see --help)"));
  t.true(all.some((p) => p.startsWith('--addr needs a value')));
  t.true(all.includes("config file y.yaml: unknown key 'chanels'"));
  t.regex(problems(() => load(['-c', 'z.yaml'], {}, { 'z.yaml': 'port: [1' }))[0]!, /z.yaml is not valid YAML/);
  t.regex(problems(() => load(['-c', 'missing.yaml']))[0]!, /cannot read config file missing.yaml/);
});

test('values that do nothing yet are refused, naming the key and what works instead; the defaults are what happens', (t) => {
  const refused: Array<[string[], RegExp]> = [
    [['--jpeg-wan-compression', 'sometimes'], /^jpeg-wan-compression: 'sometimes' from --jpeg-wan-compression is not valid/],
    [['--video-codecs', 'mjpeg;vp9'], /^video-codecs: 'mjpeg;vp9' from --video-codecs is not valid: expected codecs separated by ';'/],
    [['--video-codecs', 'x264:h264'], /^video-codecs: 'x264:h264' from --video-codecs is not valid/],
    [['--seamless-migration', 'on'], /seamless migration is not implemented yet/],
  ];
  for (const [argv, message] of refused) t.regex(problems(() => load(argv)).join('\n'), message, argv.join(' '));
  t.regex(
    problems(() => load([], { SPICE_COMPANION_SEAMLESS_MIGRATION: 'on' }))[0]!,
    /from environment variable SPICE_COMPANION_SEAMLESS_MIGRATION: seamless migration is not implemented yet/,
  );
  const { config } = load(['--jpeg-wan-compression', 'always', '--zlib-glz-wan-compression', 'never', '--streaming-video', 'all']);
  t.is(config['streaming-video'], 'all');
  t.is(config['jpeg-wan-compression'], 'always');
  t.is(config['zlib-glz-wan-compression'], 'never');
  t.is(load(['--video-codecs', 'gstreamer:vp8;spice:mjpeg']).config['video-codecs'], 'gstreamer:vp8;spice:mjpeg');
  const defaults = load([]).config;
  for (const { path, setting } of leaves()) {
    if (setting.notYet)
      t.false(
        setting.notYet.values.includes(path.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], defaults)),
        `${path}'s default works`,
      );
  }
});

test('channels that do not exist are refused in secure-channels and channels.*', (t) => {
  t.regex(
    problems(() => load(['--secure-channels', 'main,tunnel', '--tls-port', '1', '--x509-dir', '/p']))[0]!,
    /^secure-channels: 'main,tunnel' from --secure-channels is not valid: expected a list of main, display, inputs, cursor, playback, record/,
  );
  t.regex(problems(() => load(['--channels.tunnel.priority', '4']))[0]!, /unknown option --channels.tunnel.priority/);
  // The spicevmc channels are channels of their own (QEMU's tls-channel names them too).
  t.is(load(['--channels.usbredir.priority', '4']).config.channels.usbredir.priority, 4);
});

test('unknown SPICE_COMPANION_ variables are refused like unknown keys and flags', (t) => {
  t.deepEqual(
    problems(() => load([], { SPICE_COMPANION_PROT: '1', SPICE_COMPANION_PORT: '5930', OTHER_VAR: 'x' })),
    ['environment variable SPICE_COMPANION_PROT names no configuration key (see --help)'],
  );
});

test('a password over 60 bytes is refused (spice-server refuses it), not cut', (t) => {
  t.is(load(['--password', 'x'.repeat(60)]).config.password, 'x'.repeat(60));
  t.deepEqual(
    problems(() => load(['--password', 'x'.repeat(61)])),
    ['password: (hidden) from --password is not valid: expected a non-empty string of at most 60 bytes'],
  );
  t.truthy(
    problems(() => load(['--password', 'é'.repeat(31)])),
    'counted in bytes',
  );
});

test('a password is never echoed in an error', (t) => {
  const [p] = problems(() => load(['--password', '']));
  t.false(p!.includes("''"));
  t.regex(p!, /password: \(hidden\)/);
});

test('rules between keys hold', (t) => {
  t.deepEqual(
    problems(() => load(['--tls-port', '5931'])),
    ['tls-port: TLS needs x509-dir (ca-cert.pem, server-cert.pem, server-key.pem), or x509-key-file, x509-cert-file and x509-cacert-file'],
  );
  t.deepEqual(
    problems(() => load(['--secure-channels', 'main'])),
    ['secure-channels: needs a tls-port to be reachable'],
  );
  t.deepEqual(
    problems(() => load(['--password-expiry', '10'])),
    ['password-expiry: there is no password to expire'],
  );
});

test("--qemu takes everything after -- as QEMU's arguments, untouched; the file and the environment give them as a list or text", (t) => {
  const { config } = load(['--port', '5930', '--qemu', '--', '-m', '2G', '--port', '1', '-drive', 'file=a b.qcow2']);
  t.deepEqual(config.qemu, ['-m', '2G', '--port', '1', '-drive', 'file=a b.qcow2']);
  t.is(config.port, 5930, "options after -- are not the companion's");
  t.deepEqual(load([], { SPICE_COMPANION_QEMU: '-m 2G  -vga std' }).config.qemu, ['-m', '2G', '-vga', 'std']);
  t.deepEqual(load(['-c', 'f.yaml'], {}, { 'f.yaml': 'qemu: [-m, 2G, -name, "my vm"]\n' }).config.qemu, ['-m', '2G', '-name', 'my vm']);
  t.is(load([]).config.qemu, undefined);
  t.regex(problems(() => load(['--qemu']))[0]!, /--qemu takes its arguments after --/);
  t.regex(problems(() => load(['--qemu', '--']))[0]!, /--qemu takes its arguments after --/);
  t.regex(problems(() => load(['--', '-m', '2G']))[0]!, /arguments after -- are QEMU's, for --qemu: -m 2G/);
  t.deepEqual(
    problems(() => load(['--qemu-qmp', '/q.sock', '--qemu', '--', '-m', '1G'])),
    ['qemu-qmp, qemu: give one way to reach QEMU'],
  );
});

test('every key is documented, and its example and default are valid values', (t) => {
  for (const { path, setting } of leaves()) {
    t.true(setting.doc.length > 10, `${path} has a description`);
    t.true(setting.range.length > 3, `${path} says what it accepts`);
    t.true(setting.schema.safeParse(setting.example).success, `${path}'s example ${setting.example} is valid`);
    if (setting.default !== undefined) t.true(setting.schema.safeParse(setting.default).success, `${path}'s default is valid`);
    t.regex(envName({ path, setting }), /^SPICE_COMPANION_[A-Z0-9_]+$/);
  }
});

test('the shipped example file is the generated one and loads to the defaults', (t) => {
  const shipped = readFileSync(new URL('../../../config/spice-companion.example.yaml', import.meta.url), 'utf8');
  t.is(shipped, exampleYaml(), 'run `npm run config:example` after changing config/settings.ts');
  for (const { path } of leaves()) t.true(shipped.includes(path.split('.').at(-1)!), `${path} appears in the example`);
  t.deepEqual(load(['-c', 'ex.yaml'], {}, { 'ex.yaml': shipped }).config, load([]).config);
});

test('a flag with a bare value: --demo alone is live, --demo still is still; sizes are checked', (t) => {
  const load = (argv: string[]) => loadConfig({ args: parseArgs(argv), env: {} }).config;
  t.is(load([]).demo, 'live');
  t.is(load(['--demo']).demo, 'live');
  t.is(load(['--demo', '--port', '1']).demo, 'live');
  t.is(load(['--demo', 'still']).demo, 'still');
  t.is(load(['--demo', 'off']).demo, 'off');
  t.is(load(['--demo-size', '801x599'])['demo-size'], '801x599');
  t.throws(() => load(['--demo-size', '0x10']), { instanceOf: ConfigError, message: /demo-size: '0x10' from --demo-size is not valid/ });
  t.throws(() => load(['--demo-size', '20000x10']), {
    instanceOf: ConfigError,
    message: /demo-size: '20000x10' from --demo-size is not valid: expected WIDTHxHEIGHT, each 1..16384/,
  });
});

test('qemu-dbus must be a D-Bus address the companion can connect to; a socket that is not there yet is fine', (t) => {
  const expected = 'expected a D-Bus address with a unix socket (unix:path=PATH or unix:abstract=NAME)';
  t.deepEqual(
    problems(() => load(['--qemu-dbus', 'garbage'])),
    [`qemu-dbus: 'garbage' from --qemu-dbus is not valid: ${expected}`],
  );
  t.deepEqual(
    problems(() => load([], { SPICE_COMPANION_QEMU_DBUS: 'tcp:host=localhost,port=4000' })),
    [`qemu-dbus: 'tcp:host=localhost,port=4000' from environment variable SPICE_COMPANION_QEMU_DBUS is not valid: ${expected}`],
  );
  t.is(problems(() => load(['--qemu-dbus', 'unix:path=/run/a b'])).length, 1, 'a space must be %-escaped');
  t.is(problems(() => load(['--qemu-dbus', 'unix:tmpdir=/tmp'])).length, 1, 'a listening address names no socket to connect to');
  t.is(load(['--qemu-dbus', 'unix:path=/no/such/dir/bus.sock']).config['qemu-dbus'], 'unix:path=/no/such/dir/bus.sock');
  t.is(load(['--qemu-dbus', 'tcp:host=h,port=1;unix:abstract=qemu-bus']).config['qemu-dbus'], 'tcp:host=h,port=1;unix:abstract=qemu-bus');
});

test("--spice takes QEMU's -spice string as is; flags of their own win over it", (t) => {
  const { config, sources } = load([
    '--spice',
    'port=5930,addr=0.0.0.0,disable-ticketing=on,image-compression=quic,tls-port=5931,x509-dir=/etc/pki/spice,tls-channel=main,tls-channel=inputs,tls-ciphers=HIGH:!aNULL,gl=off',
    '--port',
    '5940',
  ]);
  t.is(config.port, 5940, 'the flag wins');
  t.is(config.addr, '0.0.0.0');
  t.true(config['disable-ticketing']);
  t.is(config['image-compression'], 'quic');
  t.is(config['tls-port'], 5931);
  t.deepEqual(config['secure-channels'], ['main', 'inputs'], 'tls-channel repeats collect');
  t.is(config['tls-ciphers'], 'HIGH:!aNULL');
  t.deepEqual(sources.get('addr'), { kind: 'flag', flag: '--spice addr' });
  // QemuOpts: a bare key is on, ",," is a comma.
  t.deepEqual(load(['--spice', 'port=1,disable-ticketing,password=a,,b']).config.password, 'a,b');
  t.true(load(['--spice', 'port=1,disable-ticketing']).config['disable-ticketing']);
  // tls-channel=default and plaintext-channel as spice-server takes them.
  const d = load(['--spice', 'tls-port=5931,x509-dir=/p,tls-channel=default,plaintext-channel=cursor']).config;
  t.deepEqual(
    [d['secure-channels'], d['plaintext-channels'], d.port],
    [['default'], ['cursor'], undefined],
    'no plain port unless asked for',
  );
  const refused: Array<[string, RegExp]> = [
    ['port=1,password-secret=sec0', /^--spice password-secret: names a QEMU secret object.*give its file as password-file$/],
    ['port=1,ipv6=on', /^--spice ipv6: give addr=:: /],
    ['port=1,gl=on', /^--spice gl=on: .*only gl=off$/],
    ['port=1,rendernode=/dev/dri/renderD128', /^--spice rendernode: /],
    ['port=1,frobnicate=3', /^--spice frobnicate: not one of QEMU's -spice options/],
    ['port=1,video-codecs=mjpeg;av1', /^video-codecs: 'mjpeg;av1' from --spice video-codecs is not valid: expected codecs/],
    ['port=1,sasl=on', /^sasl: SASL is offered over TLS only; give tls-port$/],
  ];
  for (const [text, message] of refused) t.regex(problems(() => load(['--spice', text])).join('\n'), message, text);
});

test('the plain port: 5900 when nothing else is given, none for TLS only or unix', (t) => {
  t.is(load([]).config.port, 5900);
  t.is(load(['--tls-port', '5901', '--x509-dir', '/p']).config.port, undefined);
  t.is(load(['--unix', '--addr', '/run/s.sock']).config.port, undefined);
  t.deepEqual(
    problems(() => load(['--unix', '--port', '1'])),
    ['port: with unix, plain connections come through the socket at addr'],
  );
  t.deepEqual(
    problems(() => load(['--password', 'a', '--password-file', '/f'])),
    ['password, password-file: give one'],
  );
  t.is(
    load(['--tls-port', '1', '--x509-key-file', '/k', '--x509-cert-file', '/c', '--x509-cacert-file', '/ca']).config['x509-dir'],
    undefined,
    'x509 files without a directory',
  );
});
