import { socketPair } from '../native/index.js';
import { DBusConnection } from '../actors/hosts/qemu-bridge/dbus/connection.js';
import { implement, implementBorrowing } from '../actors/hosts/qemu-bridge/dbus/exported.js';
import { Listener, LISTENER, LISTENER_PATH } from '../actors/hosts/qemu-bridge/dbus/display1.js';
import { MessageReader } from '../codecs/dbus/message-reader.js';
import { UnixTransport } from '../actors/hosts/qemu-bridge/dbus/transport.js';
import { decodeMessage, encodeMessage, type Outgoing } from '../codecs/dbus/message.js';
import { objectPath } from '../codecs/dbus/names.js';
import { percentile, table } from './stats.js';

// The D-Bus codec on QEMU's biggest message, a Listener.Update of 4 MiB (1024x1024 x8r8g8b8),
// beside a plain Buffer copy of the same 4 MiB measured in the same run: the ratio says how
// close marshalling (one copy) and reading (a view; or one copy when assembled from 64 KiB
// socket chunks) come to the cost of copying the pixels once. Then Updates end to end through
// a socketpair between two connections (both ends in this thread), beside the same bytes sent
// raw through the same kind of socketpair.

const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const pixels = Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 131) & 0xff);
const update: Outgoing = {
  type: 'method_call',
  flags: 1,
  path: objectPath('/org/qemu/Display1/Listener'),
  interface: 'org.qemu.Display1.Listener',
  member: 'Update',
  signature: 'iiiiuuay',
  body: [0, 0, 1024, 1024, 4096, 0x20020888, pixels],
};
const wire = encodeMessage(update, 1).bytes;
const chunks = Array.from({ length: Math.ceil(wire.length / 65536) }, (_, i) => wire.subarray(i * 65536, (i + 1) * 65536));

let sink = 0; // keeps results alive so nothing is optimised away
const ops: [string, () => void][] = [
  ['Buffer copy of the 4 MiB (reference)', () => (sink += Buffer.from(pixels).length)],
  ['marshal Update (encodeMessage)', () => (sink += encodeMessage(update, 1).bytes.length)],
  ['unmarshal Update, whole message (decodeMessage)', () => (sink += decodeMessage(wire).ok ? 1 : 0)],
  [
    'read Update from 64 KiB chunks (MessageReader.push)',
    () => {
      const reader = new MessageReader(() => (sink++, false));
      for (const c of chunks) reader.push(c);
    },
  ],
];

const times = ops.map((): number[] => []);
for (let r = 0; r < rounds; r++) {
  ops.forEach(([, op], i) => {
    const t0 = process.hrtime.bigint();
    op();
    times[i]!.push(Number(process.hrtime.bigint() - t0) / 1e9);
  });
}
const reference = percentile(times[0]!, 50);
const rows = ops.map(([name], i) => {
  const s = percentile(times[i]!, 50);
  return [name, s * 1e3, pixels.length / 1e6 / s, s / reference];
});
console.log(`D-Bus codec, Update with a ${pixels.length} B ay, median of ${rounds} interleaved rounds (${sink > 0 ? 'ok' : '?'})`);
console.log(table(['operation', 'ms', 'MB/s', 'x copy time'], rows));

/** Sends `count` Updates from one connection to a listener on the other; MB/s of pixels. */
async function updatesThroughSocket(count: number): Promise<number> {
  const [a, b] = socketPair();
  const server = new DBusConnection(UnixTransport.fromFd(a), { bus: false, role: 'server' });
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  server.export(LISTENER_PATH, [
    {
      name: LISTENER,
      methods: {
        Update: implement(Listener.update, ([, , , , , , data]) => {
          sink += data.length;
          if (++received === count) done();
          return [];
        }),
      },
    },
  ]);
  const client = new DBusConnection(UnixTransport.fromFd(b), { bus: false });
  await Promise.all([server.ready, client.ready]);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++)
    void client.call({ path: LISTENER_PATH }, Listener.update, [0, 0, 1024, 1024, 4096, 0x20020888, pixels], { noReply: true });
  await all;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  client.close();
  server.close();
  return (count * pixels.length) / 1e6 / s;
}

/** The same bytes as `count` encoded Updates, written raw and counted on the other end; MB/s. */
async function rawThroughSocket(count: number): Promise<number> {
  const [a, b] = socketPair();
  const receiver = UnixTransport.fromFd(a);
  const sender = UnixTransport.fromFd(b);
  const buf = new Uint8Array(65536);
  let bytes = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  receiver.start({
    space: () => buf,
    filled: (n) => {
      if ((bytes += n) === count * wire.length) done();
    },
    ended: () => {},
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sender.write(wire);
  await all;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sender.close();
  receiver.close();
  return (count * pixels.length) / 1e6 / s;
}

const socketRows: (string | number)[][] = [];
const raw: number[] = [];
const dbus: number[] = [];
for (let r = 0; r < 5; r++) {
  raw.push(await rawThroughSocket(25));
  dbus.push(await updatesThroughSocket(25));
}
const [raw50, dbus50] = [percentile(raw, 50), percentile(dbus, 50)];
socketRows.push(['raw bytes through a socketpair (reference)', raw50, 1], ['Updates, connection to listener', dbus50, dbus50 / raw50]);
console.log(`\nThrough a socketpair, 25 x 4 MiB per run, median of 5 runs`);
console.log(table(['path', 'MB/s', 'x raw'], socketRows));

// An idle guest's Update (its 16x16 marker, 7 a second) one at a time: the encoded message's
// way from the socket to the listener (what the QEMU bridge does with it), each written once
// the one before arrived, back to back and then 137 ms apart (the marker's pace: every one
// finds cold caches), beside the same bytes read by a bare transport the same way. µs from the
// write to the arrival, both ends in this thread.
const marker: Outgoing = { ...update, body: [300, 200, 16, 16, 64, 0x20020888, pixels.subarray(0, 1024)] };
const markerWire = encodeMessage(marker, 1).bytes;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function oneAtATime(gapMs: number, count: number, raw: boolean): Promise<number> {
  const [a, b] = socketPair();
  let arrived: () => void = () => {};
  let server: DBusConnection | undefined;
  let receiver: UnixTransport | undefined;
  if (raw) {
    receiver = UnixTransport.fromFd(a);
    const buf = new Uint8Array(65536);
    let bytes = 0;
    receiver.start({
      space: () => buf,
      filled: (n) => {
        if ((bytes += n) % markerWire.length === 0) arrived();
      },
      ended: () => {},
    });
  } else {
    server = new DBusConnection(UnixTransport.fromFd(a), { bus: false, role: 'server' });
    server.export(LISTENER_PATH, [
      { name: LISTENER, methods: { Update: implementBorrowing(Listener.update, ([x]) => ((sink += x), arrived(), [])) } },
    ]);
  }
  const sender = UnixTransport.fromFd(b);
  // A connection on the writing end only for the handshake; then the encoded bytes go straight into its transport.
  const client = server ? new DBusConnection(sender, { bus: false }) : null;
  await Promise.all([server?.ready, client?.ready]);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(gapMs);
    const got = new Promise<void>((r) => (arrived = r));
    const t0 = process.hrtime.bigint();
    sender.write(markerWire);
    await got;
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  server?.close();
  if (client) client.close();
  else sender.close();
  receiver?.close();
  return percentile(times, 50);
}

const markerRows: (string | number)[][] = [];
for (const [pace, gap, count] of [
  ['back to back', 0, 400],
  ['137 ms apart', 137, 40],
] as const) {
  const raw = await oneAtATime(gap, count, true);
  const updates = await oneAtATime(gap, count, false);
  markerRows.push(
    [`${pace}: raw bytes, bare transport (reference)`, raw, 1],
    [`${pace}: Update, connection to listener`, updates, updates / raw],
  );
}
console.log(`\nAn idle marker's Update (16x16, ${markerWire.length} B), one at a time, median µs from write to arrival`);
console.log(table(['path', 'µs', 'x raw'], markerRows));
