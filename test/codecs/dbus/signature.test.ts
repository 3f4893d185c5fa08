import test from 'ava';
import { alignmentOf, parseSignature, parseSingle, signatureOf } from '../../../codecs/dbus/signature.js';
import { args, T } from '../../../codecs/dbus/types.js';

test('valid signatures parse and print back unchanged', (t) => {
  for (const s of [
    '',
    'y',
    'bnqiuxtdsogh',
    'v',
    'ay',
    'a{sv}',
    'a{ya{sv}}',
    '(i)',
    '((i)(s))',
    'a(yv)',
    'aay',
    'a{oa{sa{sv}}}',
    'uuuuay',
    'iiiiuuay',
    'huuuutb',
  ]) {
    const parsed = parseSignature(s);
    t.true(parsed.ok, s);
    if (parsed.ok) t.is(parsed.value.map(signatureOf).join(''), s);
  }
});

test('malformed signatures are errors, not exceptions', (t) => {
  for (const s of ['a', '(', ')', '()', '(i', 'i)', '{sv}', 'a{vs}', 'a{s}', 'a{svv}', 'a{(i)s}', 'z', 'a{sv', 'aa', '(a)', 'ay}', '\0']) {
    const parsed = parseSignature(s);
    t.false(parsed.ok, JSON.stringify(s));
  }
});

test('nesting limits: 32 arrays and 32 structures per signature, 255 bytes', (t) => {
  t.true(parseSignature('a'.repeat(32) + 'y').ok);
  t.false(parseSignature('a'.repeat(33) + 'y').ok);
  t.true(parseSignature('('.repeat(32) + 'y' + ')'.repeat(32)).ok);
  t.false(parseSignature('('.repeat(33) + 'y' + ')'.repeat(33)).ok);
  // dict entries count as structures
  t.true(parseSignature('('.repeat(31) + 'a{sy}' + ')'.repeat(31)).ok);
  t.false(parseSignature('('.repeat(32) + 'a{sy}' + ')'.repeat(32)).ok);
  t.true(parseSignature('y'.repeat(255)).ok);
  t.false(parseSignature('y'.repeat(256)).ok);
});

test('a variant signature is exactly one complete type', (t) => {
  t.true(parseSingle('a{sv}').ok);
  t.false(parseSingle('').ok);
  t.false(parseSingle('ii').ok);
});

test('alignments follow the specification', (t) => {
  const expected: Record<string, number> = {
    y: 1,
    b: 4,
    n: 2,
    q: 2,
    i: 4,
    u: 4,
    x: 8,
    t: 8,
    d: 8,
    s: 4,
    o: 4,
    g: 1,
    h: 4,
    a: 4,
    '(': 8,
    '{': 8,
    v: 1,
  };
  for (const [code, alignment] of Object.entries(expected)) t.is(alignmentOf(code as never) as number, alignment, code);
});

test('typed descriptions produce the signatures they stand for', (t) => {
  t.is(T.struct(T.u32, T.bytes, T.dict(T.string, T.variant)).signature, '(uaya{sv})');
  t.is(T.array(T.struct(T.i16, T.path)).signature, 'a(no)');
  t.is(args(T.u32, T.u32, T.u32, T.u32, T.bytes).signature, 'uuuuay');
  t.is(args().signature, '');
});
