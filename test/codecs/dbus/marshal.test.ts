import test from 'ava';
import type { Fd } from '../../../native/index.js';
import { decodeMessage, encodeMessage, type Outgoing } from '../../../codecs/dbus/message.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { FdList, marshal, WireWriter } from '../../../codecs/dbus/marshal.js';
import { typesOf } from '../../../codecs/dbus/signature.js';
import { T, variant, variantOf, type Value } from '../../../codecs/dbus/types.js';
import { bodyOf, hex, plain, roundTrip, signal, toHex, withBody } from './helpers.js';

const orders = [
  ['little-endian', true],
  ['big-endian', false],
] as const;

const basics: [string, Value[]][] = [
  ['y', [0, 1, 0x7f, 0x80, 255]],
  ['b', [false, true]],
  ['n', [-0x8000, -1, 0, 1, 0x7fff]],
  ['q', [0, 1, 0xffff]],
  ['i', [-0x80000000, -1, 0, 0x7fffffff]],
  ['u', [0, 1, 0xffffffff]],
  ['x', [-(1n << 63n), -1n, 0n, (1n << 63n) - 1n]],
  ['t', [0n, 1n, (1n << 64n) - 1n]],
  ['d', [0, -0, 1.5, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN]],
  ['s', ['', 'a', 'héllo wörld ✓ 😀', 'x'.repeat(70000)]],
  ['o', ['/', '/a', '/org/qemu/Display1/Console_0']],
  ['g', ['', 'a{sv}', '(ii)aay', 'v'.repeat(255)]],
];

for (const [name, le] of orders) {
  test(`every basic type round-trips at its extremes (${name})`, (t) => {
    for (const [code, values] of basics) {
      for (const v of values) {
        // after a byte, so every value lands misaligned and needs its padding
        const m = roundTrip(signal(`y${code}y`, [3, v, 4]), le);
        t.deepEqual(plain(m.body), plain([3, v, 4]), `${code} ${String(v).slice(0, 20)}`);
      }
    }
  });

  test(`containers round-trip: nested structs, dicts of every key type, variants of containers, arrays of arrays (${name})`, (t) => {
    const cases: [string, Value[]][] = [
      ['ay', [new Uint8Array(0)]],
      ['ay', [Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff)]],
      ['aay', [[new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])]]],
      ['au', [[1, 2, 0xffffffff]]],
      ['at', [[]]],
      ['ax', [[1n, -2n]]],
      ['ad', [[0.5, -2]]],
      ['an', [[-1, 2, 3]]],
      ['ab', [[true, false, true]]],
      ['as', [['a', '', 'bc']]],
      ['ao', [[objectPath('/'), objectPath('/x/y')]]],
      ['(y(qt)s)', [[1, [2, 3n], 'x']]],
      [
        'a(yt)',
        [
          [
            [1, 2n],
            [3, 4n],
          ],
        ],
      ],
      ['a(yt)', [[]]],
      [
        'a{sv}',
        [
          new Map([
            ['a', variant(T.u32, 5)],
            ['b', variantOf('as', ['x', 'y'])],
            ['c', variantOf('a{sv}', new Map([['d', variant(T.bool, true)]]))],
          ]),
        ],
      ],
      ['a{yy}', [new Map([[1, 2]])]],
      [
        'a{bs}',
        [
          new Map([
            [true, 'yes'],
            [false, 'no'],
          ]),
        ],
      ],
      ['a{nq}', [new Map([[-1, 1]])]],
      ['a{iu}', [new Map([[-5, 5]])]],
      ['a{xt}', [new Map([[-5n, 5n]])]],
      ['a{ds}', [new Map([[0.25, 'quarter']])]],
      ['a{oa{sv}}', [new Map([[objectPath('/a'), new Map([['k', variant(T.string, 'v')]])]])]],
      ['a{gi}', [new Map([['a{sv}', 1]])]],
      ['v', [variantOf('v', variantOf('(ay)', [new Uint8Array([9, 8])]))]],
      ['av', [[variant(T.byte, 1), variant(T.u64, 2n), variantOf('(sa{sv})', ['x', new Map()])]]],
      ['a{sa{sa{sv}}}', [new Map([['x', new Map([['y', new Map([['z', variant(T.double, 1.25)]])]])]])]],
      ['uuuuay', [640, 480, 2560, 0x20020888, new Uint8Array(640 * 480 * 4).fill(0x5a)]],
      ['iiiiuuay', [0, 16, 720, 16, 2880, 0x20020888, new Uint8Array(46080)]],
    ];
    for (const [signature, body] of cases) {
      const m = roundTrip(signal(signature, body), le);
      t.is(m.signature, signature);
      t.deepEqual(plain(m.body), plain(body), signature);
    }
  });

  test(`fds: h values become indexes into the message's fds, each distinct fd once (${name})`, (t) => {
    const encoded = encodeMessage(signal('hah(hy)', [7 as Fd, [9 as Fd, 7 as Fd], [11 as Fd, 1]]), 1, le);
    t.deepEqual(encoded.fds, [7, 9, 11]);
    // the receiving process has other numbers for the same files
    const decoded = decodeMessage(encoded.bytes, [107, 109, 111] as Fd[]);
    t.true(decoded.ok);
    if (decoded.ok && decoded.value.type === 'signal') {
      t.deepEqual(decoded.value.body, [107, [109, 107], [111, 1]]);
      t.deepEqual(decoded.value.fds, [107, 109, 111]);
    }
  });
}

test('alignment is counted from the message start, padding is zeros, empty arrays still pad to their element', (t) => {
  // y t: the uint64 starts at the next multiple of 8
  t.is(toHex(bodyOf(encodeMessage(signal('yt', [1, 2n]), 1).bytes)), '01' + '00'.repeat(7) + '0200000000000000');
  // y a(yt) empty: length at 4, then padding to 8 even though there are no elements
  t.is(toHex(bodyOf(encodeMessage(signal('ya(yt)', [1, []]), 1).bytes)), '01000000' + '00000000');
  // y at with one element: length 8 counts the element only, not the padding before it
  t.is(toHex(bodyOf(encodeMessage(signal('yat', [1, [5n]]), 1).bytes)), '01000000' + '08000000' + '0500000000000000');
  // n, s at 4, g at 11 (1-aligned), v at 14 whose b pads to 20
  t.is(
    toHex(bodyOf(encodeMessage(signal('nsgv', [-2, 'ab', 'u', variant(T.bool, true)]), 1).bytes)),
    'feff0000' + '02000000616200' + '017500' + '016200' + '000000' + '01000000',
  );
  // big-endian numbers
  t.is(toHex(bodyOf(encodeMessage(signal('qu', [0x102, 0x3040506]), 1, false).bytes)), '0102' + '0000' + '03040506');
});

test('values that do not fit their type are TypeErrors when encoding, nothing is written', (t) => {
  const bad: [string, Value[]][] = [
    ['y', [256]],
    ['y', [-1]],
    ['y', [1.5]],
    ['b', [1]],
    ['n', [0x8000]],
    ['q', [-1]],
    ['i', [2 ** 31]],
    ['u', [-1]],
    ['x', [1]],
    ['t', [-1n]],
    ['t', [1n << 64n]],
    ['d', ['1']],
    ['s', ['a\0b']],
    ['s', [5]],
    ['o', ['relative']],
    ['o', ['/trailing/']],
    ['g', ['a']],
    ['h', [-1]],
    ['ay', [[1, 2]]],
    ['au', [new Uint8Array(1)]],
    ['a{sv}', [[]]],
    ['(ii)', [[1]]],
    ['v', [5]],
    ['u', []],
  ];
  for (const [signature, body] of bad)
    t.throws(() => encodeMessage(signal(signature, body), 1), { instanceOf: TypeError }, `${signature} ${String(body[0])}`);
  const base = signal('', []) as Extract<Outgoing, { type: 'signal' }>;
  t.throws(() => encodeMessage({ ...base, member: 'bad-member' }, 1), { instanceOf: TypeError });
  t.throws(() => encodeMessage({ ...base, interface: 'nodots' }, 1), { instanceOf: TypeError });
  t.throws(() => encodeMessage({ ...base, destination: 'a..b' }, 1), { instanceOf: TypeError });
  t.throws(() => encodeMessage({ ...base, path: objectPath('/') && ('//' as never) }, 1), { instanceOf: TypeError });
});

test('variants nest up to 64 containers; deeper is refused both ways', (t) => {
  const nest = (depth: number): Value => (depth === 1 ? variant(T.byte, 42) : variantOf('v', nest(depth - 1)));
  const ok = roundTrip(signal('v', [nest(64)]), true);
  t.is(ok.signature, 'v');
  t.throws(() => encodeMessage(signal('v', [nest(65)]), 1), { instanceOf: TypeError });
  // The same 65 levels written by hand: each level is the one-byte-aligned signature "v".
  const template = encodeMessage(signal('v', [variant(T.byte, 0)]), 1).bytes;
  const deep = withBody(template, hex('017600'.repeat(64) + '017900' + '2a'));
  const decoded = decodeMessage(deep);
  t.false(decoded.ok);
  if (!decoded.ok) t.regex(decoded.error, /deeper than 64/);
  t.true(decodeMessage(withBody(template, hex('017600'.repeat(63) + '017900' + '2a'))).ok);
});

test('malformed bodies decode to errors naming the problem', (t) => {
  const cases: [string, Value[], string, RegExp][] = [
    ['b', [true], '02000000', /boolean 2/],
    ['yu', [1, 2], '01000100' + '02000000', /non-zero padding/],
    ['s', ['ab'], '02000000' + '616201', /NUL-terminated/],
    ['s', ['ab'], '02000000' + '610000', /holds a NUL/],
    ['s', ['ab'], '02000000' + 'c32800', /UTF-8/],
    ['o', [objectPath('/a')], '02000000' + '2f2f00', /object path/],
    ['g', ['u'], '017a00', /signature/],
    ['s', ['ab'], 'ff000000' + '616200', /needs/],
    ['ay', [new Uint8Array(1)], '05000000' + '01', /array of 5 bytes/],
    ['ay', [new Uint8Array(1)], '01000004' + '01', /array of 67108865 bytes/],
    ['au', [[1]], '03000000' + '01000000', /array ends inside/],
    ['a{yy}', [new Map([[1, 1]])], '01000000' + '00000000' + '0102', /dict ends inside/],
    ['v', [variant(T.byte, 1)], '02757500', /not exactly one/],
    ['v', [variant(T.byte, 1)], '00' + '00', /not exactly one/],
    ['h', [0 as Fd], '00000000', /fd index 0 of 0/],
    ['y', [1], '0102', /body ends at/],
  ];
  for (const [signature, body, badBody, error] of cases) {
    const template = encodeMessage(signal(signature, body), 1).bytes;
    // An `h` body announces one fd in the header; give none, so the index check is reached via a 0-fd header.
    const bytes = withBody(signature === 'h' ? encodeMessage(signal('u', [0]), 1).bytes : template, hex(badBody));
    const patched = signature === 'h' ? patchSignature(bytes, 'u', 'h') : bytes;
    const decoded = decodeMessage(patched);
    t.false(decoded.ok, `${signature} ${badBody}`);
    if (!decoded.ok) t.regex(decoded.error, error, `${signature} ${badBody}`);
  }
});

/** A signal with no body and exactly these header fields, written by hand (little-endian). */
function withFields(fields: readonly (readonly [number, string, Value])[]): Uint8Array {
  const w = new WireWriter(256, true);
  for (const b of [0x6c, 4, 0, 1]) w.u8(b);
  w.u32(0);
  w.u32(1);
  marshal(w, typesOf('a(yv)'), [fields.map(([code, signature, value]) => [code, variantOf(signature, value)])], new FdList());
  w.pad(8);
  return w.result().slice();
}

test('header fields: each read into its slot, unknown ones skipped; twice, of another type or badly named is an error', (t) => {
  const path = [1, 'o', objectPath('/a/b')] as const;
  const iface = [2, 's', 'org.x.Y'] as const;
  const member = [3, 's', 'Changed'] as const;
  const good = decodeMessage(withFields([[200, 'a{sv}', new Map([['k', variant(T.byte, 1)]])], path, [0, 's', 'zero'], iface, member]));
  t.is(good.ok && good.value.type, 'signal');
  if (good.ok && good.value.type === 'signal')
    t.deepEqual([good.value.path, good.value.interface, good.value.member, good.value.body], ['/a/b', 'org.x.Y', 'Changed', []]);
  const bad: [readonly (readonly [number, string, Value])[], RegExp][] = [
    [[path, iface, member, [3, 's', 'Again']], /header field 3 twice/],
    [[path, iface, [3, 'o', objectPath('/m')]], /header field 3 of type o/],
    [[path, iface, [3, 's', 'no.dots']], /bad member/],
    [[path, [2, 's', 'nodots'], member], /bad interface/],
    [[path, iface, member, [5, 'u', 0]], /reply serial 0/],
    [[iface, member], /PATH missing/],
  ];
  for (const [fields, error] of bad) {
    const decoded = decodeMessage(withFields(fields));
    t.false(decoded.ok, String(error));
    if (!decoded.ok) t.regex(decoded.error, error);
  }
  // A body signature that does not parse: `au` written, its `u` made `(`.
  const bytes = withFields([path, iface, member, [8, 'g', 'au']]);
  bytes[Buffer.from(bytes).indexOf(Buffer.from('au\0')) + 1] = 0x28;
  const decoded = decodeMessage(bytes);
  t.false(decoded.ok);
  if (!decoded.ok) t.regex(decoded.error, /signature/);
});

/** Swaps a one-character body signature in the header for another of the same length. */
function patchSignature(message: Uint8Array, from: string, to: string): Uint8Array {
  const copy = Uint8Array.from(message);
  const at = Buffer.from(copy).indexOf(Buffer.from([0x08, 0x01, 0x67, 0x00, 0x01, from.charCodeAt(0), 0x00]));
  copy[at + 5] = to.charCodeAt(0);
  return copy;
}

test('ay decodes as a view of the input, not a copy', (t) => {
  const data = new Uint8Array(4096).fill(7);
  const encoded = encodeMessage(signal('uay', [1, data]), 1).bytes;
  const decoded = decodeMessage(encoded);
  t.true(decoded.ok);
  if (!decoded.ok || decoded.value.type !== 'signal') return;
  const view = decoded.value.body[1] as Uint8Array;
  t.is(view.buffer, encoded.buffer);
  t.is(view.byteOffset, encoded.byteOffset + encoded.length - 4096);
});
