import test from 'ava';
import type { Fd } from '../../../native/index.js';
import { MessageReader, type Delivered } from '../../../codecs/dbus/message-reader.js';
import { encodeMessage, type MessageHead, type Outgoing } from '../../../codecs/dbus/message.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { T, variant } from '../../../codecs/dbus/types.js';
import { mutate } from '../../helpers/fuzz.js';
import { glib, hex, plain, signal } from './helpers.js';

const call = (member: string, signature: string, body: Outgoing['body']): Outgoing => ({
  type: 'method_call',
  flags: 0,
  path: objectPath('/org/qemu/Display1/Listener'),
  interface: 'org.qemu.Display1.Listener',
  member,
  signature,
  body,
});

/** A realistic stream: what QEMU sends a listener, plus a reply, an error and a call with an fd. */
function stream(): { bytes: Uint8Array; messages: Outgoing[]; starts: number[] } {
  const messages: Outgoing[] = [
    call('GetAll', 's', ['org.qemu.Display1.Listener']),
    call('Scanout', 'uuuuay', [16, 8, 64, 0x20020888, new Uint8Array(64 * 8).fill(3)]),
    call('Update', 'iiiiuuay', [0, 4, 9, 4, 36, 0x20020888, new Uint8Array(36 * 4).fill(9)]),
    {
      type: 'method_return',
      flags: 0,
      replySerial: 3,
      signature: 'a{sv}',
      body: [new Map([['Interfaces', variant(T.array(T.string), [])]])],
    },
    { type: 'error', flags: 0, replySerial: 4, errorName: 'org.freedesktop.DBus.Error.Failed', signature: 's', body: ['no'] },
    call('ScanoutDMABUF', 'huuuutb', [5 as Fd, 1, 2, 3, 4, 5n, true]),
    signal('', []),
  ];
  const encoded = messages.map((m, i) => encodeMessage(m, i + 1, i % 2 === 0));
  const bytes = Buffer.concat(encoded.map((e) => e.bytes));
  const starts = encoded.map((_, i) => encoded.slice(0, i).reduce((n, e) => n + e.bytes.length, 0));
  return { bytes, messages, starts };
}

/** Feeds `bytes` cut at `cuts` (offsets), the fds with the first byte of each message. */
function feed(
  bytes: Uint8Array,
  cuts: number[],
  fdsAt: Map<number, Fd[]> = new Map(),
): { got: Delivered[]; reader: MessageReader; error?: string } {
  const got: Delivered[] = [];
  const reader = new MessageReader((m) => (got.push(m), false));
  const points = [0, ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  for (let i = 0; i + 1 < points.length; i++) {
    const [from, to] = [points[i]!, points[i + 1]!];
    const fds = [...fdsAt].filter(([at]) => at >= from && at < to).flatMap(([, f]) => f);
    const r = reader.push(bytes.subarray(from, to), fds);
    if (!r.ok) return { got, reader, error: r.error };
  }
  return { got, reader };
}

test('a stream cut at every single offset yields the same messages, fds given to the message they came with', (t) => {
  const { bytes, messages, starts } = stream();
  // the fd arrives with the first byte of the ScanoutDMABUF call (index 5), as senders do
  const fdsAt = new Map([[starts[5]!, [77 as Fd]]]);
  const expected = messages.map((m) => (m.type === 'method_call' && m.member === 'ScanoutDMABUF' ? [77, ...m.body.slice(1)] : m.body));
  const whole = feed(bytes, [], fdsAt);
  t.is(whole.error, undefined);
  t.deepEqual(
    whole.got.map((m) => (m.type === 'unknown' ? null : plain(m.body))),
    expected.map(plain),
  );
  t.deepEqual(
    whole.got.map((m) => m.fds),
    [[], [], [], [], [], [77], []],
  );
  const bad: string[] = [];
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = feed(bytes, [cut], fdsAt);
    if (split.error !== undefined || split.got.length !== messages.length) bad.push(`cut at ${cut}: ${split.error ?? split.got.length}`);
    else if (JSON.stringify(split.got.map((m) => m.fds)) !== JSON.stringify(whole.got.map((m) => m.fds)))
      bad.push(`fds differ, cut at ${cut}`);
  }
  t.deepEqual(bad, [], 'every cut gives the same messages and fds');
});

test('bytes arriving one at a time, and in random runs, give the same messages', (t) => {
  const { bytes, messages, starts } = stream();
  const fdsAt = new Map([[starts[5]!, [77 as Fd]]]);
  const oneByOne = feed(
    bytes,
    Array.from({ length: bytes.length }, (_, i) => i),
    fdsAt,
  );
  t.is(oneByOne.got.length, messages.length);
  let seed = 1;
  const rnd = () => (seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 50; round++) {
    const cuts = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * bytes.length));
    const r = feed(bytes, cuts, fdsAt);
    t.is(r.got.length, messages.length, `cuts ${cuts.join(',')}`);
    t.deepEqual(r.got[5]!.fds, [77]);
  }
});

test('space()/filled(): a large message is read straight into its own buffer once its header is in', (t) => {
  const data = new Uint8Array(1 << 20).fill(0xab);
  const bytes = encodeMessage(call('Scanout', 'uuuuay', [512, 512, 2048, 0x20020888, data]), 1).bytes;
  const got: Delivered[] = [];
  const reader = new MessageReader((m) => (got.push(m), false));
  let at = 0;
  const targets = new Set<ArrayBufferLike>();
  while (at < bytes.length) {
    const space = reader.space();
    targets.add(space.buffer);
    const n = Math.min(space.length, bytes.length - at, 100_000);
    space.set(bytes.subarray(at, at + n));
    at += n;
    t.true(reader.filled(n, []).ok);
  }
  t.is(got.length, 1);
  t.is(targets.size, 2, 'the first chunk, then the message buffer only');
  const m = got[0]!;
  if (m.type !== 'method_call') return t.fail();
  const view = m.body[4] as Uint8Array;
  t.is(view.length, data.length);
  t.true(view.every((b) => b === 0xab));
});

/** Reads `bytes` through space()/filled() in reads of at most `most` bytes; the buffers read into. */
function readAll(reader: MessageReader, bytes: Uint8Array, most = 100_000): Set<ArrayBufferLike> {
  const targets = new Set<ArrayBufferLike>();
  for (let at = 0; at < bytes.length; ) {
    const space = reader.space();
    targets.add(space.buffer);
    const n = Math.min(space.length, bytes.length - at, most);
    space.set(bytes.subarray(at, at + n));
    at += n;
    reader.filled(n, []);
  }
  return targets;
}

const scanout = (fill: number, side = 512) =>
  encodeMessage(call('Scanout', 'uuuuay', [side, side, side * 4, 0x20020888, new Uint8Array(side * side * 4).fill(fill)]), 1).bytes;
const pixelsOf = (m: Delivered) => (m.type === 'method_call' ? (m.body[4] as Uint8Array) : new Uint8Array(0));

test('a large message given back (deliver returns true) lends its buffer to the next one that fits', (t) => {
  const got: Delivered[] = [];
  const reader = new MessageReader((m) => (got.push(m), true));
  const first = readAll(reader, scanout(0xab));
  const second = readAll(reader, scanout(0xcd, 400));
  t.is(got.length, 2);
  t.true(pixelsOf(got[1]!).every((b) => b === 0xcd));
  const sharedBuffers = [...second].filter((b) => first.has(b));
  t.true(
    sharedBuffers.some((b) => b.byteLength >= 512 * 512 * 4),
    "the second message was read into the first one's buffer",
  );
});

test('a message kept (deliver returns false) keeps its bytes: the next one gets fresh buffers', (t) => {
  const got: Delivered[] = [];
  const reader = new MessageReader((m) => (got.push(m), false));
  const first = readAll(reader, scanout(0xab));
  const second = readAll(reader, scanout(0xcd));
  t.deepEqual(
    [...second].filter((b) => first.has(b) && b.byteLength >= 512 * 512 * 4),
    [],
    'no message buffer shared',
  );
  t.true(
    pixelsOf(got[0]!).every((b) => b === 0xab),
    'the first message is intact',
  );
});

test('small messages in a read chunk: the chunk is read into again only when every one was given back', (t) => {
  const small = Buffer.concat([encodeMessage(signal('u', [1]), 1).bytes, encodeMessage(signal('u', [2]), 2).bytes]);
  let keep = false;
  const reader = new MessageReader(() => !keep);
  const a = readAll(reader, small);
  const b = readAll(reader, small);
  t.deepEqual([...b], [...a], 'all given back: the same chunk');
  keep = true;
  readAll(reader, small);
  const d = readAll(reader, small);
  t.false(a.has([...d][0]!), 'one kept: a fresh chunk');
});

test('a header announcing more fds than arrived is an error; stray fds are handed back', (t) => {
  const bytes = encodeMessage(call('ScanoutDMABUF', 'huuuutb', [5 as Fd, 1, 2, 3, 4, 5n, true]), 1).bytes;
  const none = feed(bytes, []);
  t.regex(none.error ?? '', /1 fds announced, 0 received/);
  const extra = feed(Buffer.concat([bytes, encodeMessage(signal('', []), 2).bytes]), [], new Map([[0, [10, 11] as Fd[]]]));
  t.is(extra.error, undefined);
  t.deepEqual(extra.got[0]!.fds, [10]);
  t.deepEqual(extra.reader.takeStrayFds(), [11]);
});

test('framing errors stop the reader for good', (t) => {
  const good = encodeMessage(signal('u', [1]), 1).bytes;
  const badOrder = Uint8Array.from(good);
  badOrder[0] = 0x58;
  t.regex(feed(badOrder, []).error ?? '', /byte order/);
  const badVersion = Uint8Array.from(good);
  badVersion[3] = 2;
  t.regex(feed(badVersion, []).error ?? '', /version/);
  const huge = Uint8Array.from(good);
  new DataView(huge.buffer).setUint32(4, 0x8000000, true);
  t.regex(feed(huge, []).error ?? '', /message of \d+ bytes/);
  const reader = new MessageReader(() => false);
  t.false(reader.push(badOrder).ok);
  t.false(reader.push(good).ok, 'nothing after the failure is read');
});

test('fuzz: mutated real messages only ever give messages or an error, never an exception or a hang (seeded, time-bounded)', (t) => {
  // Ours, and GLib's (QEMU's codec): both byte orders, variants, dicts, an fd.
  const glibMessages = glib(
    [
      { signature: 'a{sv}as', text: "({'Width': <uint32 720>, 'Height': <uint32 400>}, @as [])" },
      { signature: 'sa{sv}as', text: "('org.qemu.Display1.Console', {'Width': <uint32 720>}, ['Label'])" },
      { signature: 'iiiiuuay', text: '(0, 16, 2, 1, 8, 0x20020888, [byte 1, 2, 3, 4, 5, 6, 7, 8])' },
      { signature: 'v(yh)', text: '(<<(int16 -3, [byte 7])>>, (byte 1, handle 0))' },
    ].flatMap((r) => ['l', 'B'].map((order) => ({ op: 'encode', order, fds: r.signature.includes('h') ? 1 : 0, ...r }))),
  ).map((a) => hex(a.hex as string));
  const corpus = [stream().bytes, ...glibMessages, Buffer.concat(glibMessages)];
  let seed = 20261125;
  const rnd = () => (seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff;
  const deadline = Date.now() + 2_000;
  let runs = 0;
  let errors = 0;
  while (Date.now() < deadline) {
    const input = mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
    const cuts = Array.from({ length: Math.floor(rnd() * 4) }, () => Math.floor(rnd() * input.length));
    const fds = rnd() < 0.5 ? new Map([[0, [3, 4] as Fd[]]]) : new Map<number, Fd[]>();
    const started = Date.now();
    const r = feed(input, cuts, fds);
    if (Date.now() - started > 500) return t.fail(`slow input (seed state ${seed})`);
    if (r.error !== undefined) errors++;
    runs++;
  }
  t.log(`${runs} mutants, ${errors} rejected`);
  t.true(runs > 100);
  t.true(errors > 0);
});

test('a placer: the byte array that ends a large message is read straight into the place it gives for the head it is shown, and the message comes with that array; pushed cut anywhere or read through space()/filled(), with messages around it', (t) => {
  const pixels = new Uint8Array(256 * 100 * 4).map((_, i) => (i * 7) & 0xff);
  const update = encodeMessage(call('Update', 'iiiiuuay', [0, 10, 256, 100, 1024, 0x20020888, pixels]), 1).bytes;
  const bytes = Buffer.concat([
    encodeMessage(signal('u', [1]), 2).bytes,
    update,
    scanout(0x5a, 200),
    encodeMessage(signal('u', [3]), 4).bytes,
  ]);
  const run = (read: (reader: MessageReader) => void) => {
    const heads: MessageHead[] = [];
    const places: Uint8Array[] = [];
    const got: Delivered[] = [];
    const reader = new MessageReader(
      (m) => (got.push(m), false),
      (head) => {
        heads.push(head);
        if (head.member !== 'Update') return null;
        places.push(new Uint8Array(head.arrayBytes));
        return places.at(-1)!;
      },
    );
    read(reader);
    // A message that arrived whole in one read is decoded where it is: only one spread over reads is asked for.
    t.deepEqual(heads[0] && [heads[0].member, heads[0].values], ['Update', [0, 10, 256, 100, 1024, 0x20020888]]);
    t.true(
      heads.slice(1).every((h) => h.member === 'Scanout'),
      'asked for the large messages only',
    );
    t.is(got.length, 4);
    const m = got[1]!;
    if (m.type !== 'method_call') return t.fail();
    t.is(m.body[6], places[0], 'the array is the place');
    t.deepEqual(places[0], pixels);
    t.true(
      pixelsOf(got[2]!).every((b) => b === 0x5a),
      'not placed: in the message',
    );
  };
  for (const cuts of [[5, 30, 100, 3000], Array.from({ length: 200 }, (_, i) => i * 571 + 13), [update.length, update.length + 60]])
    run((reader) => {
      const points = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < points.length; i++) t.true(reader.push(bytes.subarray(points[i], points[i + 1]), []).ok);
    });
  for (const most of [1000, 65536, 100_000]) run((reader) => void readAll(reader, bytes, most));
});

test('a placer that gives no place, or one of the wrong size, leaves the array in the message; a message whose body is not fixed values then a byte array, or a small one, is not offered', (t) => {
  const pixels = new Uint8Array(300 * 300 * 4).fill(0x11);
  const messages = [
    call('Update', 'iiiiuuay', [0, 0, 300, 300, 1200, 0x20020888, pixels]),
    call('Update', 'iiiiuuay', [0, 0, 300, 300, 1200, 0x20020888, pixels]),
    call('Named', 'say', ['a name', pixels]),
    call('Update', 'iiiiuuay', [0, 0, 10, 10, 40, 0x20020888, new Uint8Array(400)]),
  ];
  const bytes = Buffer.concat(messages.map((m, i) => encodeMessage(m, i + 1).bytes));
  const offered: number[] = [];
  const got: Delivered[] = [];
  let calls = 0;
  const reader = new MessageReader(
    (m) => (got.push(m), false),
    (head) => {
      offered.push(head.arrayBytes);
      return calls++ === 0 ? null : new Uint8Array(head.arrayBytes - 1);
    },
  );
  readAll(reader, bytes, 50_000);
  t.deepEqual(offered, [pixels.length, pixels.length]);
  t.is(got.length, 4);
  for (const m of got.slice(0, 2)) {
    const array = m.type === 'method_call' ? (m.body[6] as Uint8Array) : null;
    t.true(array?.length === pixels.length && array.every((b) => b === 0x11));
  }
});
