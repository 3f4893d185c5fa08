import test from 'ava';
import { mergeInto, type MergeRules, type Queued } from '../../runtime/merge-rules.js';

type M =
  | { kind: 'cursor-move'; x: number }
  | { kind: 'bitmap'; surface: number; n: number }
  | { kind: 'resize'; surface: number }
  | { kind: 'key'; code: number };

const rules: MergeRules<M> = {
  'cursor-move': { latest: true },
  bitmap: { latest: true, key: 'surface' },
  resize: { flushes: ['bitmap'] },
};

const queue = (...msgs: M[]): Queued<M>[] => msgs.map((msg) => ({ msg }));
const kinds = (q: Queued<M>[]) => q.map((e) => JSON.stringify(e.msg));

test('a cursor position replaces the queued one', (t) => {
  const q = queue({ kind: 'cursor-move', x: 1 }, { kind: 'key', code: 30 });
  t.is(mergeInto(q, { kind: 'cursor-move', x: 2 }, rules), 1);
  t.deepEqual(kinds(q), [JSON.stringify({ kind: 'key', code: 30 })]);
});

test('latest with a key only replaces messages with the same key', (t) => {
  const q = queue({ kind: 'bitmap', surface: 0, n: 1 }, { kind: 'bitmap', surface: 1, n: 2 });
  t.is(mergeInto(q, { kind: 'bitmap', surface: 0, n: 3 }, rules), 1);
  t.deepEqual(kinds(q), [JSON.stringify({ kind: 'bitmap', surface: 1, n: 2 })]);
});

test('a resize flushes queued bitmaps but keeps other kinds', (t) => {
  const q = queue({ kind: 'bitmap', surface: 0, n: 1 }, { kind: 'key', code: 1 }, { kind: 'bitmap', surface: 1, n: 2 });
  t.is(mergeInto(q, { kind: 'resize', surface: 0 }, rules), 2);
  t.deepEqual(kinds(q), [JSON.stringify({ kind: 'key', code: 1 })]);
});

test('kinds without a rule and pinned requests are never dropped', (t) => {
  const q: Queued<M>[] = [{ msg: { kind: 'cursor-move', x: 1 }, pinned: true }, { msg: { kind: 'key', code: 1 } }];
  t.is(mergeInto(q, { kind: 'key', code: 2 }, rules), 0);
  t.is(mergeInto(q, { kind: 'cursor-move', x: 5 }, rules), 0);
  t.is(q.length, 2);
});
