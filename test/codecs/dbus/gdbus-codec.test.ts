/**
 * Our codec against GLib's (Gio.DBusMessage, the one QEMU uses), through gdbus-blob.py: bodies
 * byte-exact in both byte orders, GLib's messages decoded by us, ours decoded by GLib.
 */
import test from 'ava';
import type { Fd } from '../../../native/index.js';
import { decodeMessage, encodeMessage, type Outgoing } from '../../../codecs/dbus/message.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { T, variant, variantOf, type Value } from '../../../codecs/dbus/types.js';
import { bodyOf, glib, hex, plain, toHex } from './helpers.js';

/** signature, our values, the same in GVariant text. */
const cases: [string, Value[], string][] = [
  ['', [], '()'],
  ['y', [0xfe], '(byte 0xfe,)'],
  ['bb', [true, false], '(true, false)'],
  ['yn', [1, -2], '(byte 1, int16 -2)'],
  ['yq', [1, 65535], '(byte 1, uint16 65535)'],
  ['yi', [1, -2147483648], '(byte 1, -2147483648)'],
  ['yu', [1, 4294967295], '(byte 1, uint32 4294967295)'],
  ['yx', [1, -9223372036854775808n], '(byte 1, int64 -9223372036854775808)'],
  ['yt', [1, 18446744073709551615n], '(byte 1, uint64 18446744073709551615)'],
  ['yd', [1, -2.5], '(byte 1, -2.5)'],
  ['ys', [1, 'héllo ✓'], "(byte 1, 'héllo ✓')"],
  ['yo', [1, objectPath('/org/qemu/Display1/VM')], "(byte 1, objectpath '/org/qemu/Display1/VM')"],
  ['yg', [1, 'a{sv}(ii)'], "(byte 1, signature 'a{sv}(ii)')"],
  ['yh', [1, 40 as Fd], '(byte 1, handle 0)'],
  ['ay', [new Uint8Array([1, 2, 3])], '([byte 1, 2, 3],)'],
  ['yay', [1, new Uint8Array(0)], '(byte 1, @ay [])'],
  ['as', [['a', '', 'bc']], "(['a', '', 'bc'],)"],
  ['yat', [1, [5n, 6n]], '(byte 1, [uint64 5, 6])'],
  ['ya(yt)', [1, []], '(byte 1, @a(yt) [])'],
  [
    'a(yt)',
    [
      [
        [1, 2n],
        [3, 4n],
      ],
    ],
    '([(byte 1, uint64 2), (byte 3, uint64 4)],)',
  ],
  [
    'a{sv}',
    [
      new Map([
        ['a', variant(T.u32, 5)],
        ['b', variantOf('as', ['x'])],
      ]),
    ],
    "({'a': <uint32 5>, 'b': <['x']>},)",
  ],
  ['a{ia{sv}}', [new Map([[-1, new Map([['k', variant(T.double, 0.5)]])]])], "({-1: {'k': <0.5>}},)"],
  ['v', [variantOf('v', variantOf('(nay)', [-3, new Uint8Array([7])]))], '(<<(int16 -3, [byte 7])>>,)'],
  ['av', [[variant(T.byte, 1), variant(T.string, 's')]], "([<byte 1>, <'s'>],)"],
  ['aay', [[new Uint8Array([1]), new Uint8Array(0)]], '([[byte 1], []],)'],
  ['(y(qt)s)', [[1, [2, 3n], 'x']], "((byte 1, (uint16 2, uint64 3), 'x'),)"],
  [
    'uuuuay',
    [4, 2, 16, 0x20020888, Uint8Array.from({ length: 32 }, (_, i) => i)],
    `(uint32 4, uint32 2, uint32 16, uint32 0x20020888, [${Array.from({ length: 32 }, (_, i) => `byte ${i}`).join(', ')}])`,
  ],
  ['huuuutb', [41 as Fd, 1, 2, 3, 4, 5n, true], '(handle 0, uint32 1, uint32 2, uint32 3, uint32 4, uint64 5, true)'],
];

const ours = (signature: string, body: readonly Value[]): Outgoing => ({
  type: 'signal',
  flags: 0,
  path: objectPath('/test/Values'),
  interface: 'org.example.Test',
  member: 'Values',
  destination: ':1.10',
  sender: ':1.9',
  signature,
  body,
});

const fdsIn = (s: string) => (s.includes('h') ? 1 : 0);

test("bodies are byte-identical to GLib's, both byte orders", (t) => {
  const requests = cases.flatMap(([signature, , text]) =>
    (['l', 'B'] as const).map((order) => ({ op: 'encode', signature, text, order, fds: fdsIn(signature) })),
  );
  const answers = glib(requests);
  requests.forEach((r, i) => {
    const [signature, body] = cases[Math.floor(i / 2)]!;
    const theirs = hex(answers[i]!.hex as string);
    const mine = encodeMessage(ours(signature, body), 7, r.order === 'l').bytes;
    t.is(toHex(bodyOf(mine)), toHex(bodyOf(theirs)), `${signature} ${r.order}`);
  });
});

test("GLib's messages decode to the same header fields and values", (t) => {
  const requests = cases.flatMap(([signature, , text]) =>
    (['l', 'B'] as const).map((order) => ({ op: 'encode', signature, text, order, fds: fdsIn(signature) })),
  );
  const answers = glib(requests);
  requests.forEach((r, i) => {
    const [signature, body] = cases[Math.floor(i / 2)]!;
    const decoded = decodeMessage(hex(answers[i]!.hex as string), [40, 41] as Fd[]);
    if (!decoded.ok) return t.fail(`${signature} ${r.order}: ${decoded.error}`);
    const m = decoded.value;
    if (m.type !== 'signal') return t.fail(m.type);
    t.like(m, {
      serial: 7,
      path: '/test/Values',
      interface: 'org.example.Test',
      member: 'Values',
      destination: ':1.10',
      sender: ':1.9',
      signature,
    });
    // GLib numbers fds from 0: ours arrive as the fds handed in, in order
    const expected = signature.includes('h') ? body.map((v) => (v === 40 || v === 41 ? 40 : v)) : body;
    t.deepEqual(plain(m.body), plain(expected), `${signature} ${r.order}`);
    t.deepEqual(m.fds, signature.includes('h') ? [40] : []);
  });
});

test('GLib decodes our messages to the same values, both byte orders', (t) => {
  const printed = glib(cases.map(([signature, , text]) => ({ op: 'print', signature, text })));
  const encoded = cases.flatMap(([signature, body]) => [true, false].map((le) => encodeMessage(ours(signature, body), 7, le)));
  const answers = glib(encoded.map((e) => ({ op: 'decode', hex: toHex(e.bytes) })));
  answers.forEach((a, i) => {
    const [signature] = cases[Math.floor(i / 2)]!;
    t.is(a.error, undefined, signature);
    t.like(a, {
      type: 'signal',
      serial: 7,
      path: '/test/Values',
      interface: 'org.example.Test',
      member: 'Values',
      destination: ':1.10',
      sender: ':1.9',
      fds: fdsIn(signature),
    });
    t.is(a.signature, signature);
    t.is(a.body ?? '()', printed[Math.floor(i / 2)]!.body as string, signature);
  });
});
