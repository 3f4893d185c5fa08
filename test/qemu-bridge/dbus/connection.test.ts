/**
 * Two of our connections, peer to peer over a socketpair (one authenticates as the server, as
 * QEMU does on its links): calls, errors, timeouts, fds both ways, signals, the standard
 * interfaces, closing.
 */
import test from 'ava';
import { readdirSync, readlinkSync } from 'node:fs';
import { close, memfdCreate, mapShared, socketPair, type Fd } from '../../../native/index.js';
import { DBusConnection } from '../../../actors/hosts/qemu-bridge/dbus/connection.js';
import { DBusError, Errors } from '../../../actors/hosts/qemu-bridge/dbus/errors.js';
import { implement, readOnly, StandardMethods } from '../../../actors/hosts/qemu-bridge/dbus/exported.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { SaslClient, SaslServer } from '../../../actors/hosts/qemu-bridge/dbus/sasl.js';
import { getProperty } from '../../../actors/hosts/qemu-bridge/dbus/properties.js';
import { methodSpec, NO_ARGS, propertySpec, signalSpec } from '../../../codecs/dbus/spec.js';
import { UnixTransport } from '../../../actors/hosts/qemu-bridge/dbus/transport.js';
import { args, T, variant } from '../../../codecs/dbus/types.js';
import { eventually } from '../../helpers/eventually.js';

const IFACE = 'org.example.Calc';
const path = objectPath('/org/example/Calc');
const Calc = {
  add: methodSpec(IFACE, 'Add', args(T.i32, T.i32), args(T.i32)),
  echo: methodSpec(IFACE, 'Echo', args(T.bytes, T.dict(T.string, T.variant)), args(T.bytes, T.dict(T.string, T.variant))),
  fail: methodSpec(IFACE, 'Fail', NO_ARGS, NO_ARGS),
  slow: methodSpec(IFACE, 'Slow', args(T.u32), args(T.u32)),
  never: methodSpec(IFACE, 'Never', NO_ARGS, NO_ARGS),
  readFd: methodSpec(IFACE, 'ReadFd', args(T.fd), args(T.string)),
  makeFd: methodSpec(IFACE, 'MakeFd', args(T.string), args(T.fd)),
  wrongReply: methodSpec(IFACE, 'WrongReply', NO_ARGS, args(T.u32)),
  count: propertySpec(IFACE, 'Count', T.u32),
  changed: signalSpec(IFACE, 'Changed', args(T.u32, T.string)),
};

/** How many of our fds are open on a file whose link target starts with `prefix` (others' fds come and go in parallel tests). */
function openFdsTo(prefix: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** A server-side link serving the Calc object, and a client-side link to it. */
async function pair(t: { teardown: (f: () => void) => void }) {
  const [a, b] = socketPair();
  const server = new DBusConnection(UnixTransport.fromFd(a), { bus: false, role: 'server' });
  let count = 0;
  server.export(path, [
    {
      name: IFACE,
      methods: {
        Add: implement(Calc.add, ([x, y]) => {
          count++;
          return [x + y];
        }),
        Echo: implement(Calc.echo, ([bytes, dict]) => [bytes, dict]),
        Fail: implement(Calc.fail, () => {
          throw new DBusError('org.example.Error.Nope', 'not today');
        }),
        Slow: implement(Calc.slow, async ([n]) => {
          await new Promise((r) => setTimeout(r, 20));
          return [n * 2];
        }),
        Never: implement(Calc.never, () => new Promise<[]>(() => {})),
        ReadFd: implement(Calc.readFd, ([fd]) => {
          const text = new TextDecoder().decode(new Uint8Array(mapShared(fd, 4096)).subarray(0, 11));
          close(fd);
          return [text];
        }),
        MakeFd: implement(Calc.makeFd, ([text]) => {
          const fd = memfdCreate('made', 4096);
          new Uint8Array(mapShared(fd, 4096)).set(Buffer.from(text));
          // the reply carries it; ours is closed once the reply is out (the kernel holds the copy in flight)
          setImmediate(() => close(fd));
          return [fd];
        }),
        // The handler's values do not fit "u": the peer gets an error, not a broken message.
        WrongReply: implement(Calc.wrongReply, () => [-1] as [number]),
      },
      properties: { Count: readOnly(T.u32, () => count) },
      signals: { Changed: Calc.changed.args },
    },
  ]);
  const client = new DBusConnection(UnixTransport.fromFd(b), { bus: false, role: 'client', callTimeoutMs: 2_000 });
  await Promise.all([server.ready, client.ready]);
  t.teardown(() => {
    client.close();
    server.close();
  });
  return { server, client, target: { path } };
}

test('peer-to-peer: both sides authenticate, fds negotiated, no unique name', async (t) => {
  const { server, client } = await pair(t);
  t.true(client.unixFds);
  t.true(server.unixFds);
  t.is(client.uniqueName, undefined);
});

test('calls return typed results; async handlers; many calls in flight keep their order', async (t) => {
  const { client, target } = await pair(t);
  t.deepEqual(await client.call(target, Calc.add, [2, 3]), [5]);
  t.deepEqual(await client.call(target, Calc.slow, [21]), [42]);
  const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => client.call(target, Calc.add, [i, 1])));
  t.deepEqual(
    sums.map(([s]) => s),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
  const [bytes, dict] = await client.call(target, Calc.echo, [data, new Map([['k', variant(T.string, 'v')]])]);
  t.true(Buffer.from(bytes).equals(Buffer.from(data)));
  t.deepEqual(dict.get('k')?.value, 'v');
});

test('errors: a thrown DBusError, unknown methods/interfaces/objects, bad arguments, a handler reply that does not fit', async (t) => {
  const { client, target } = await pair(t);
  const e = await t.throwsAsync(client.call(target, Calc.fail, []), { instanceOf: DBusError });
  t.is(e?.errorName, 'org.example.Error.Nope');
  t.is(e?.message, 'not today');
  const unknown = (iface: string, member: string, p = path) =>
    client.call({ path: p }, methodSpec(iface, member, NO_ARGS, NO_ARGS), []).catch((x: DBusError) => x.errorName);
  t.is(await unknown(IFACE, 'Nope'), Errors.UnknownMethod);
  t.is(await unknown('org.example.Nope', 'Add'), Errors.UnknownInterface);
  t.is(await unknown(IFACE, 'Add', objectPath('/nothing')), Errors.UnknownObject);
  const wrongArgs = methodSpec(IFACE, 'Add', args(T.string), args(T.i32));
  t.is((await t.throwsAsync(client.call(target, wrongArgs, ['x']), { instanceOf: DBusError }))?.errorName, Errors.InvalidArgs);
  t.is((await t.throwsAsync(client.call(target, Calc.wrongReply, []), { instanceOf: DBusError }))?.errorName, Errors.Failed);
  // the connection is still fine
  t.deepEqual(await client.call(target, Calc.add, [1, 1]), [2]);
});

test('a call nobody answers times out with NoReply; closing rejects pending calls with Disconnected', async (t) => {
  const { client, target } = await pair(t);
  const timedOut = await t.throwsAsync(client.call(target, Calc.never, [], { timeoutMs: 50 }), { instanceOf: DBusError });
  t.is(timedOut?.errorName, Errors.NoReply);
  const pending = client.call(target, Calc.never, []);
  client.close();
  t.is((await t.throwsAsync(pending, { instanceOf: DBusError }))?.errorName, Errors.Disconnected);
  t.is((await t.throwsAsync(client.call(target, Calc.add, [1, 2]), { instanceOf: DBusError }))?.errorName, Errors.Disconnected);
});

test('the peer closing closes us, with a reason for whoever waits', async (t) => {
  const { server, client, target } = await pair(t);
  const pending = client.call(target, Calc.never, []);
  await client.call(target, Calc.add, [0, 0]); // the server has read everything: it closes cleanly, no reset
  const reasons: (Error | undefined)[] = [];
  client.onClose((r) => reasons.push(r));
  server.close();
  t.is((await t.throwsAsync(pending, { instanceOf: DBusError }))?.errorName, Errors.Disconnected);
  t.true(client.closed);
  t.deepEqual(reasons, [undefined]);
});

test('NO_REPLY_EXPECTED: the handler runs, nothing comes back', async (t) => {
  const { client, target } = await pair(t);
  await client.call(target, Calc.add, [1, 2], { noReply: true });
  await eventually('the call handled', async () => (await getProperty(client, target, Calc.count)) === 1);
  t.is(await getProperty(client, target, Calc.count), 1, 'handled once, and nothing came back to wait for');
});

test('fds travel both ways: a memfd to a handler, one back in a reply; the fds of unanswerable calls are closed', async (t) => {
  const { client, target } = await pair(t);
  const memfd = memfdCreate('to-server', 4096);
  new Uint8Array(mapShared(memfd, 4096)).set(Buffer.from('hello, peer'));
  t.deepEqual(await client.call(target, Calc.readFd, [memfd]), ['hello, peer']);
  close(memfd);
  const [fd] = await client.call(target, Calc.makeFd, ['from server']);
  t.is(new TextDecoder().decode(new Uint8Array(mapShared(fd, 4096)).subarray(0, 11)), 'from server');
  t.regex(readlinkSync(`/proc/self/fd/${fd}`), /memfd:made/);
  close(fd);
  // An fd sent to a method that does not exist is closed by the receiver.
  const junk = memfdCreate('unanswerable-call', 16);
  await t.throwsAsync(client.call(target, methodSpec(IFACE, 'Nope', args(T.fd), NO_ARGS), [junk as Fd]));
  close(junk);
  await eventually('no copy of the fd left open', () => openFdsTo('memfd:unanswerable-call') === 0);
  t.is(openFdsTo('memfd:made'), 0, 'the handler closed its copy of the fd it sent');
});

test('signals: subscriptions by path/interface/member; typed handlers drop bodies of another signature', async (t) => {
  const { server, client } = await pair(t);
  const got: [number, string][] = [];
  const all: string[] = [];
  const stop = await client.subscribeTo({ path }, Calc.changed, (values) => got.push(values));
  await client.subscribe({}, (s) => all.push(s.member));
  server.emit(path, Calc.changed, [1, 'one']);
  server.emit(objectPath('/elsewhere'), Calc.changed, [2, 'two']);
  server.emit(path, signalSpec(IFACE, 'Changed', args(T.string)), ['wrong signature']);
  server.emit(path, signalSpec(IFACE, 'Other', NO_ARGS), []);
  await eventually('four signals', () => all.length === 4);
  t.deepEqual(got, [[1, 'one']]);
  t.deepEqual(all, ['Changed', 'Changed', 'Changed', 'Other']);
  await stop();
  server.emit(path, Calc.changed, [3, 'three']);
  await eventually('five signals', () => all.length === 5);
  t.deepEqual(got, [[1, 'one']]);
});

test('standard interfaces: Properties Get/GetAll/Set, Introspect with children, Peer.Ping anywhere', async (t) => {
  const { client, target } = await pair(t);
  await client.call(target, Calc.add, [0, 0]);
  t.is(await getProperty(client, target, Calc.count), 1);
  const [all] = await client.call(target, StandardMethods.getAll, [IFACE]);
  t.deepEqual([...all.keys()], ['Count']);
  t.is(
    (await t.throwsAsync(client.call(target, StandardMethods.get, [IFACE, 'Nope']), { instanceOf: DBusError }))?.errorName,
    Errors.UnknownProperty,
  );
  t.is(
    (await t.throwsAsync(client.call(target, StandardMethods.set, [IFACE, 'Count', variant(T.u32, 5)]), { instanceOf: DBusError }))
      ?.errorName,
    Errors.PropertyReadOnly,
  );
  const [xml] = await client.call(target, StandardMethods.introspect, []);
  t.regex(xml, /<interface name="org.example.Calc">/);
  t.regex(xml, /<method name="Echo">\s*<arg type="ay" direction="in"\/>\s*<arg type="a\{sv\}" direction="in"\/>/);
  t.regex(xml, /<property name="Count" type="u" access="read"\/>/);
  t.regex(xml, /<signal name="Changed">/);
  const [root] = await client.call({ path: objectPath('/org') }, StandardMethods.introspect, []);
  t.regex(root, /<node name="example"\/>/);
  t.deepEqual(await client.call({ path: objectPath('/anywhere') }, StandardMethods.ping, []), []);
});

test('authentication failures: a server that rejects, a peer that closes, garbage', async (t) => {
  // A client whose uid claim the server does not accept.
  const [a, b] = socketPair();
  const server = new DBusConnection(UnixTransport.fromFd(a), { bus: false, role: 'server' });
  const transport = UnixTransport.fromFd(b);
  transport.start({ space: () => new Uint8Array(256), filled: () => {}, ended: () => {} });
  transport.write(Buffer.from('\0AUTH EXTERNAL 3939393939\r\nBEGIN\r\n'));
  await t.throwsAsync(server.ready, { message: /BEGIN before authentication/ });
  transport.close();
  // A server that closes at once.
  const [c, d] = socketPair();
  const client = new DBusConnection(UnixTransport.fromFd(c), { bus: false });
  close(d);
  await t.throwsAsync(client.ready, { message: /closed during authentication.*reset/ });
  // Not a D-Bus server at all.
  const [e, f] = socketPair();
  const confused = new DBusConnection(UnixTransport.fromFd(e), { bus: false });
  const other = UnixTransport.fromFd(f);
  other.start({
    space: () => new Uint8Array(256),
    filled: () => other.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n')),
    ended: () => {},
  });
  await t.throwsAsync(confused.ready, { message: /unexpected "HTTP/ });
  other.close();
});

test('SASL lines, as the specification shows them, both sides', (t) => {
  const client = new SaslClient(1000, true);
  t.is(client.first(), '\0AUTH EXTERNAL 31303030\r\n');
  t.deepEqual(client.line('OK 0123456789abcdef0123456789abcdef'), { kind: 'send', line: 'NEGOTIATE_UNIX_FD' });
  t.deepEqual(client.line('AGREE_UNIX_FD'), { kind: 'done', guid: '0123456789abcdef0123456789abcdef', unixFds: true, send: 'BEGIN' });
  const noFds = new SaslClient(0, true);
  noFds.line('OK 0123456789abcdef0123456789abcdef');
  t.like(noFds.line('ERROR "no"'), { kind: 'done', unixFds: false });
  t.like(new SaslClient(0, false).line('OK 0123456789abcdef0123456789abcdef'), { kind: 'done', unixFds: false, send: 'BEGIN' });
  t.like(new SaslClient(0, true).line('REJECTED DBUS_COOKIE_SHA1'), {
    kind: 'failed',
    error: 'D-Bus auth: EXTERNAL rejected (server offers: DBUS_COOKIE_SHA1)',
  });
  t.like(new SaslClient(0, true).line('OK not-a-guid'), { kind: 'failed' });

  const server = new SaslServer('0123456789abcdef0123456789abcdef', 1000, true);
  t.deepEqual(server.line('AUTH EXTERNAL 30'), { kind: 'send', line: 'REJECTED EXTERNAL' }, 'another uid');
  t.deepEqual(server.line('AUTH'), { kind: 'send', line: 'REJECTED EXTERNAL' });
  t.deepEqual(server.line('AUTH EXTERNAL 31303030'), { kind: 'send', line: 'OK 0123456789abcdef0123456789abcdef' });
  t.deepEqual(server.line('NEGOTIATE_UNIX_FD'), { kind: 'send', line: 'AGREE_UNIX_FD' });
  t.deepEqual(server.line('BEGIN'), { kind: 'done', guid: '0123456789abcdef0123456789abcdef', unixFds: true });
  const chatty = new SaslServer('0123456789abcdef0123456789abcdef', 0, true);
  for (let i = 0; i < 32; i++) chatty.line('AUTH');
  t.like(chatty.line('AUTH'), { kind: 'failed', error: 'D-Bus auth: the client never concluded' });
});
