import test from 'ava';
import type { Box } from '../../codecs/box.js';
import { Pipe, type Drawing } from '../../actors/pipeline/red-worker/pipe.js';
import { covers, drawingRules, meet } from '../../actors/pipeline/red-worker/pipe-rules.js';
import type { StreamId } from '../../actors/pipeline/red-worker/streams/stream-encoders.js';

const box = (left: number, top: number, right: number, bottom: number): Box => ({ left, top, right, bottom });
const image = (b: Box, clip?: Box[]): Drawing => ({
  kind: 'image',
  box: b,
  ...(clip ? { clip } : {}),
  bitmap: {
    width: b.right - b.left,
    height: b.bottom - b.top,
    stride: (b.right - b.left) * 4,
    pixels: new Uint8Array((b.right - b.left) * (b.bottom - b.top) * 4),
  },
});
const fill = (b: Box, clip?: Box[]): Drawing => ({ kind: 'fill', box: b, ...(clip ? { clip } : {}), color: 0 });
const copyBits = (b: Box): Drawing => ({ kind: 'copy-bits', box: b, srcX: 0, srcY: 0 });
const streamFrame = (b: Box): Drawing => ({
  ...(image(b) as Extract<Drawing, { kind: 'image' }>),
  kind: 'stream-frame',
  id: 0 as StreamId,
  inPlace: false,
  sized: false,
});
const id = 0 as StreamId;
const others: Record<
  | 'surface-create'
  | 'surface-destroy'
  | 'reset'
  | 'monitors'
  | 'mark'
  | 'stream-create'
  | 'stream-clip'
  | 'stream-destroy'
  | 'stream-destroy-all'
  | 'stream-activate-report',
  Drawing
> = {
  'surface-create': { kind: 'surface-create', width: 100, height: 100 },
  'surface-destroy': { kind: 'surface-destroy' },
  reset: { kind: 'reset' },
  monitors: { kind: 'monitors', width: 100, height: 100 },
  mark: { kind: 'mark' },
  'stream-create': { kind: 'stream-create', id, codec: 'mjpeg', dest: box(0, 0, 10, 10), clip: null },
  'stream-clip': { kind: 'stream-clip', id, clip: null },
  'stream-destroy': { kind: 'stream-destroy', id },
  'stream-destroy-all': { kind: 'stream-destroy-all' },
  'stream-activate-report': { kind: 'stream-activate-report', id, uniqueId: 1 },
};

/** The newer drawing in every row covers this box. */
const newer = box(0, 0, 10, 10);
const inside = box(2, 2, 8, 8);
const across = box(5, 5, 15, 15);
const apart = box(20, 20, 30, 30);

test('a queued drawing meets a newer opaque one: kind x where it lies -> covered (dropped), ahead (kept before it), passable, barrier', (t) => {
  const rows: [string, Drawing, ReturnType<typeof meet>][] = [
    ['image under it', image(inside), 'covered'],
    ['image it overlaps', image(across), 'ahead'],
    ['image apart', image(apart), 'passable'],
    ['clipped image under it', image(inside, [inside]), 'covered'],
    ['fill under it', fill(inside), 'covered'],
    ['fill it overlaps', fill(across), 'ahead'],
    ['fill apart', fill(apart), 'passable'],
    ['copy-bits under it', copyBits(inside), 'barrier'],
    ['copy-bits apart', copyBits(apart), 'barrier'],
    ['surface-create', others['surface-create'], 'barrier'],
    ['surface-destroy', others['surface-destroy'], 'barrier'],
    ['reset', others.reset, 'barrier'],
    ['monitors', others.monitors, 'ahead'],
    ['mark', others.mark, 'ahead'],
    ['stream frame under it', streamFrame(inside), 'covered'],
    ['stream frame it overlaps', streamFrame(across), 'ahead'],
    ['stream-create', others['stream-create'], 'ahead'],
    ['stream-clip', others['stream-clip'], 'ahead'],
    ['stream-destroy', others['stream-destroy'], 'ahead'],
    ['stream-destroy-all', others['stream-destroy-all'], 'ahead'],
    ['stream-activate-report', others['stream-activate-report'], 'ahead'],
  ];
  for (const [situation, queued, outcome] of rows) t.is(meet(newer, queued), outcome, situation);
  t.deepEqual(new Set(rows.map(([, d]) => d.kind)), new Set(Object.keys(drawingRules)), 'every kind has its rows');
});

test('which newer drawings drop what they cover, and which the collapsed image stands for', (t) => {
  const rows: [Drawing, boolean, 'dropped' | 'kept'][] = [
    [image(newer), true, 'dropped'],
    [fill(newer), true, 'dropped'],
    [image(newer, [inside]), false, 'dropped'],
    [fill(newer, [inside]), false, 'dropped'],
    [copyBits(newer), false, 'dropped'],
    [others['surface-create'], false, 'kept'],
    [others['surface-destroy'], false, 'kept'],
    [others.reset, false, 'kept'],
    [others.monitors, false, 'kept'],
    [others.mark, false, 'kept'],
  ];
  for (const [d, covering, collapsed] of rows) {
    const name = `${d.kind}${'clip' in d ? ' clipped' : ''}`;
    t.is(covers(d), covering, `${name} covers`);
    const p = new Pipe();
    p.push(d);
    p.collapse([image(box(0, 0, 100, 100))]);
    t.is(p.length === 2 ? 'kept' : 'dropped', collapsed, `${name} when the pipe collapses`);
  }
});

test('the pipe by the table: what is queued x a newer drawing -> replaced, dropped, kept, passed, barrier', (t) => {
  // Named drawings; the pipe is read back as names, oldest first.
  const a = image(inside); // covered by the newer one
  const b = image(across); // overlapped, not covered
  const c = fill(apart); // apart
  const names = new Map<Drawing, string>([
    [a, 'A'],
    [b, 'B'],
    [c, 'C'],
    [others.mark, 'mark'],
    [others.monitors, 'monitors'],
    [others.reset, 'reset'],
    [others['surface-create'], 'create'],
  ]);
  const cb = copyBits(apart);
  names.set(cb, 'copy-bits');
  const rows: [string, Drawing[], Drawing, string[]][] = [
    ['covered: replaced (the newer takes its place)', [a, c], image(newer), ['N', 'C']],
    ['covered with an overlapped one after it: dropped (the newer stays behind that one)', [a, b], image(newer), ['B', 'N']],
    ['overlapped: kept, before the newer', [b], fill(newer), ['B', 'N']],
    ['apart: kept and passed by a newer one replacing an older', [a, c], fill(newer), ['N', 'C']],
    ['copy-bits: a barrier, what it reads stays', [a, cb], image(newer), ['A', 'copy-bits', 'N']],
    ['a surface created: a barrier', [a, others['surface-create']], image(newer), ['A', 'create', 'N']],
    ['reset: a barrier', [a, others.reset], image(newer), ['A', 'reset', 'N']],
    ['mark: kept, the covered one before it dropped, the newer stays behind it', [a, others.mark], image(newer), ['mark', 'N']],
    ['monitors: the same', [a, others.monitors], image(newer), ['monitors', 'N']],
    ['a clipped newer drawing drops nothing', [a], image(newer, [inside]), ['A', 'N']],
    ['nor does a newer copy-bits', [a], copyBits(newer), ['A', 'N']],
  ];
  for (const [situation, queued, d, after] of rows) {
    const p = new Pipe();
    for (const q of queued) p.push(q);
    p.push(d);
    const out: string[] = [];
    for (let q = p.shift(); q; q = p.shift()) out.push(q === d ? 'N' : (names.get(q) ?? '?'));
    t.deepEqual(out, after, situation);
  }
});
