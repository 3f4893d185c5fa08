/**
 * Against the reference implementations: a private dbus-daemon, and GLib's gdbus tool calling
 * objects we export (it introspects them to learn the argument types), passing an fd, emitting
 * signals we receive.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { close, mapShared, memfdCreate } from '../../../native/index.js';
import { Bus, BUS_NAME, BUS_PATH } from '../../../actors/hosts/qemu-bridge/dbus/bus.js';
import { DBusConnection } from '../../../actors/hosts/qemu-bridge/dbus/connection.js';
import { DBusError } from '../../../actors/hosts/qemu-bridge/dbus/errors.js';
import { implement, readOnly } from '../../../actors/hosts/qemu-bridge/dbus/exported.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { methodSpec, NO_ARGS, signalSpec } from '../../../codecs/dbus/spec.js';
import { args, T, variant, type Variant } from '../../../codecs/dbus/types.js';
import { startBus, type PrivateBus } from '../../helpers/dbus-daemon.js';
import { eventually } from '../../helpers/eventually.js';

const run = promisify(execFile);
const IFACE = 'org.example.Interop';
const path = objectPath('/org/example/Interop');
const Spec = {
  all: methodSpec(
    IFACE,
    'All',
    args(T.byte, T.bool, T.i16, T.u16, T.i32, T.u32, T.i64, T.u64, T.double, T.string, T.path, T.signature),
    args(T.byte, T.bool, T.i16, T.u16, T.i32, T.u32, T.i64, T.u64, T.double, T.string, T.path, T.signature),
  ),
  containers: methodSpec(
    IFACE,
    'Containers',
    args(T.bytes, T.dict(T.string, T.variant), T.array(T.struct(T.i32, T.string)), T.variant),
    args(T.u32, T.string),
  ),
  readFd: methodSpec(IFACE, 'ReadFd', args(T.fd), args(T.string)),
  fail: methodSpec(IFACE, 'Fail', NO_ARGS, NO_ARGS),
  echo: methodSpec(IFACE, 'Echo', args(T.bytes), args(T.bytes)),
  changed: signalSpec(IFACE, 'Changed', args(T.u32, T.string)),
};

async function setup(t: { teardown: (f: () => void) => void }): Promise<{ bus: PrivateBus; conn: DBusConnection }> {
  const bus = await startBus();
  const conn = await DBusConnection.connect(bus.address);
  t.teardown(() => {
    conn.close();
    bus.stop();
  });
  return { bus, conn };
}

function serve(conn: DBusConnection): { received: unknown[] } {
  const received: unknown[] = [];
  conn.export(path, [
    {
      name: IFACE,
      methods: {
        All: implement(Spec.all, (values) => {
          received.push(values);
          return values;
        }),
        Containers: implement(Spec.containers, ([bytes, dict, list, v]) => {
          received.push([bytes, dict, list, v]);
          return [bytes.length + dict.size + list.length, `${list.map(([n, s]) => `${n}${s}`).join(',')}|${String((v as Variant).value)}`];
        }),
        ReadFd: implement(Spec.readFd, ([fd]) => {
          const buf = Buffer.alloc(64);
          const n = readSync(fd, buf, 0, 64, 0);
          close(fd);
          return [buf.subarray(0, n).toString().replace(/\0+$/, '')];
        }),
        Fail: implement(Spec.fail, () => {
          throw new DBusError('org.example.Error.Refused', 'refused on purpose');
        }),
        Echo: implement(Spec.echo, ([bytes]) => [bytes]),
      },
      properties: { Answer: readOnly(T.u32, () => 42) },
      signals: { Changed: Spec.changed.args },
    },
  ]);
  return { received };
}

/**
 * Runs a gdbus command on the bus. Through --session rather than --address: with --address,
 * `gdbus emit` treats the bus as a peer and never says Hello, so the bus drops its signal.
 */
const gdbus = (address: string, command: string, ...argv: string[]) =>
  run('gdbus', [command, '--session', ...argv], { encoding: 'utf8', env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address } });

test('dbus-daemon: Hello gives a unique name, ListNames lists it, errors come back typed', async (t) => {
  const { conn } = await setup(t);
  t.regex(conn.uniqueName ?? '', /^:1\.\d+$/);
  t.true(conn.unixFds);
  const [names] = await conn.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.listNames, []);
  t.true(names.includes(BUS_NAME));
  t.true(names.includes(conn.uniqueName!));
  const e = await t.throwsAsync(conn.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.getNameOwner, ['org.example.Nobody']), {
    instanceOf: DBusError,
  });
  t.is(e?.errorName, 'org.freedesktop.DBus.Error.NameHasNoOwner');
  t.deepEqual(await conn.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.requestName, ['org.example.Interop', 4]), [1]);
  const [owner] = await conn.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.getNameOwner, ['org.example.Interop']);
  t.is(owner, conn.uniqueName!);
});

test('gdbus calls our object with every basic type and gets them back', async (t) => {
  const { bus, conn } = await setup(t);
  const { received } = serve(conn);
  const { stdout } = await gdbus(
    bus.address,
    'call',
    '--dest',
    conn.uniqueName!,
    '--object-path',
    path,
    '--method',
    `${IFACE}.All`,
    '--',
    '0xfe',
    'true',
    '-2',
    '65535',
    '-2147483648',
    '4294967295',
    '-9223372036854775808',
    '18446744073709551615',
    '2.5',
    'héllo',
    '/a/b',
    'a{sv}',
  );
  t.deepEqual(received, [
    [0xfe, true, -2, 65535, -2147483648, 4294967295, -9223372036854775808n, 18446744073709551615n, 2.5, 'héllo', '/a/b', 'a{sv}'],
  ]);
  t.is(
    stdout.trim(),
    "(byte 0xfe, true, int16 -2, uint16 65535, -2147483648, uint32 4294967295, int64 -9223372036854775808, uint64 18446744073709551615, 2.5, 'héllo', objectpath '/a/b', signature 'a{sv}')",
  );
});

test('gdbus calls with containers: ay, a{sv}, a(is), v', async (t) => {
  const { bus, conn } = await setup(t);
  const { received } = serve(conn);
  const { stdout } = await gdbus(
    bus.address,
    'call',
    '--dest',
    conn.uniqueName!,
    '--object-path',
    path,
    '--method',
    `${IFACE}.Containers`,
    '--',
    '[byte 1, 2, 3]',
    "{'k': <uint32 7>, 'n': <['x', 'y']>}",
    "[(1, 'a'), (-2, 'b')]",
    "<'inside'>",
  );
  t.is(stdout.trim(), "(uint32 7, '1a,-2b|inside')");
  const [bytes, dict, list, v] = received[0] as [Uint8Array, Map<string, Variant>, [number, string][], Variant];
  t.deepEqual([...bytes], [1, 2, 3]);
  t.deepEqual(dict.get('k'), variant(T.u32, 7));
  t.deepEqual(dict.get('n')?.value, ['x', 'y']);
  t.deepEqual(list, [
    [1, 'a'],
    [-2, 'b'],
  ]);
  t.deepEqual(v, variant(T.string, 'inside'));
});

test('gdbus passes an fd (@h) through dbus-daemon to our handler, which reads the file', async (t) => {
  const { bus, conn } = await setup(t);
  serve(conn);
  const file = join(bus.dir, 'passed.txt');
  writeFileSync(file, 'through SCM_RIGHTS');
  const fd = openSync(file, 'r');
  t.teardown(() => closeSync(fd));
  const child = spawn(
    'gdbus',
    ['call', '--session', '--dest', conn.uniqueName!, '--object-path', path, '--method', `${IFACE}.ReadFd`, '@h 3'],
    {
      stdio: ['ignore', 'pipe', 'inherit', fd],
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address },
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise((r) => child.on('close', r)); // 'close': stdout read to its end
  t.is(code, 0);
  t.is(out.trim(), "('through SCM_RIGHTS',)");
});

test('gdbus sees our errors, properties and introspection data', async (t) => {
  const { bus, conn } = await setup(t);
  serve(conn);
  const base = ['--dest', conn.uniqueName!, '--object-path', path];
  const failed = await t.throwsAsync(gdbus(bus.address, 'call', ...base, '--method', `${IFACE}.Fail`));
  t.regex((failed as unknown as { stderr: string }).stderr, /GDBus\.Error:org\.example\.Error\.Refused: refused on purpose/);
  const { stdout: got } = await gdbus(bus.address, 'call', ...base, '--method', 'org.freedesktop.DBus.Properties.Get', IFACE, 'Answer');
  t.is(got.trim(), '(<uint32 42>,)');
  const { stdout: all } = await gdbus(bus.address, 'call', ...base, '--method', 'org.freedesktop.DBus.Properties.GetAll', IFACE);
  t.is(all.trim(), "({'Answer': <uint32 42>},)");
  const { stdout: intro } = await gdbus(bus.address, 'introspect', ...base);
  t.regex(intro, /interface org\.example\.Interop \{/);
  t.regex(intro, /ReadFd\(in {2}h arg_0,\s+out s arg_1\);/);
  t.regex(intro, /readonly u Answer = 42;/);
  t.regex(intro, /Changed\(u arg_0,\s+s arg_1\);/);
  const { stdout: tree } = await gdbus(bus.address, 'introspect', '--dest', conn.uniqueName!, '--object-path', '/', '--recurse');
  t.regex(tree, /node \/org\/example\/Interop/);
  await gdbus(bus.address, 'call', '--dest', conn.uniqueName!, '--object-path', '/', '--method', 'org.freedesktop.DBus.Peer.Ping');
});

test('signals through the bus: gdbus emit reaches our match rule; ours reach another connection; RemoveMatch stops them', async (t) => {
  const { bus, conn } = await setup(t);
  const got: [number, string][] = [];
  const stop = await conn.subscribeTo({ path }, Spec.changed, (v) => got.push(v));
  await gdbus(bus.address, 'emit', '--object-path', path, '--signal', `${IFACE}.Changed`, 'uint32 7', "'seven'");
  await eventually('the signal from gdbus', () => got.length === 1);
  t.deepEqual(got, [[7, 'seven']]);

  const other = await DBusConnection.connect(bus.address);
  t.teardown(() => other.close());
  const fromUs: [number, string][] = [];
  await other.subscribeTo({ sender: conn.uniqueName!, path }, Spec.changed, (v, s) => {
    t.is(s.sender, conn.uniqueName);
    fromUs.push(v);
  });
  conn.emit(path, Spec.changed, [8, 'eight']);
  await eventually('our signal at the other connection', () => fromUs.length === 1);
  t.deepEqual(fromUs, [[8, 'eight']]);
  t.deepEqual(
    got,
    [
      [7, 'seven'],
      [8, 'eight'],
    ],
    'our own broadcast matched our rule too',
  );

  await stop();
  await gdbus(bus.address, 'emit', '--object-path', path, '--signal', `${IFACE}.Changed`, 'uint32 9', "'nine'");
  conn.emit(path, Spec.changed, [10, 'ten']);
  await eventually('the other connection got ten', () => fromUs.length === 2);
  t.deepEqual(got, [
    [7, 'seven'],
    [8, 'eight'],
  ]);
});

test('between two of our connections through dbus-daemon: a memfd, and an 8 MiB byte array', async (t) => {
  const { bus, conn } = await setup(t);
  serve(conn);
  const other = await DBusConnection.connect(bus.address);
  t.teardown(() => other.close());
  const target = { destination: conn.uniqueName!, path };
  const memfd = memfdCreate('over-the-bus', 4096);
  new Uint8Array(mapShared(memfd, 4096)).set(Buffer.from('memfd via the daemon'));
  t.deepEqual(await other.call(target, Spec.readFd, [memfd]), ['memfd via the daemon']);
  close(memfd);
  const big = Uint8Array.from({ length: 8 << 20 }, (_, i) => (i * 31) & 0xff);
  const [echoed] = await other.call(target, Spec.echo, [big]);
  t.true(Buffer.from(echoed).equals(Buffer.from(big)));
});
