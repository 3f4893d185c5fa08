import test from 'ava';
import { mergeInto, type MergeRules, type Queued, type RuleTable } from '../../runtime/merge-rules.js';
import type { Msg } from '../../runtime/message.js';
import { endOptions, flip } from '../../runtime/port.js';
import {
  cursorFromHost,
  cursorFromWorker,
  demoHostReports,
  inputsToHost,
  mainReports,
  redWorkerReports,
  type CursorEvent,
  type DemoHostContract,
  type InputEvent,
  type MainContract,
  type RedWorkerContract,
} from '../../actors/contracts.js';
import { cursorClientRules } from '../../actors/channels/cursor/client-rules.js';

type Outcome = 'kept' | 'replaced' | 'merged';
/** One row: what is queued (oldest first; `pinned` marks a request), what comes, what happens, and the queue after. */
type Row<M extends Msg> = readonly [
  situation: string,
  queued: readonly (M | { pinned: M })[],
  incoming: M,
  outcome: Outcome,
  after: readonly M[],
];

function check<M extends Msg>(t: import('ava').ExecutionContext, rules: RuleTable, rows: readonly Row<M>[]): void {
  for (const [situation, queued, incoming, outcome, after] of rows) {
    const queue: Queued<M>[] = queued.map((q) => ('pinned' in q ? { msg: q.pinned, pinned: true } : { msg: q }));
    const r = mergeInto(queue, incoming, rules);
    queue.push({ msg: r.msg });
    const got: Outcome = !r.replaced ? 'kept' : r.msg === incoming ? 'replaced' : 'merged';
    t.is(got, outcome, situation);
    t.deepEqual(
      queue.map((q) => q.msg),
      [...after],
      situation,
    );
  }
}

const key = (code: number, down: boolean): InputEvent => ({ kind: 'key', code, down });
const motion = (dx: number, dy: number, buttons = 0): InputEvent => ({ kind: 'mouse-motion', dx, dy, buttons });
const position = (x: number, display = 0, buttons = 0): InputEvent => ({ kind: 'mouse-position', x, y: x, buttons, display });
const button = (down: boolean): InputEvent => ({ kind: 'mouse-buttons', button: 1, buttons: down ? 1 : 0, down });
const locks = (modifiers: number): InputEvent => ({ kind: 'lock-keys', modifiers });

test('inputs to the host: positions latest per display, motion summed, keys, buttons and lock keys never merged nor passed', (t) => {
  const rules = endOptions(inputsToHost).rules as RuleTable;
  check<InputEvent>(t, rules, [
    ['a position after one of its display', [position(1)], position(2), 'replaced', [position(2)]],
    ['a position after one of another display', [position(1, 1)], position(2), 'kept', [position(1, 1), position(2)]],
    [
      'a position looks past other displays to its own',
      [position(1), position(5, 1)],
      position(2),
      'replaced',
      [position(5, 1), position(2)],
    ],
    ['a position never passes a key', [position(1), key(0x1e, true)], position(2), 'kept', [position(1), key(0x1e, true), position(2)]],
    ['a position never passes a button', [position(1), button(true)], position(2), 'kept', [position(1), button(true), position(2)]],
    ['a position never passes a motion', [position(1), motion(1, 1)], position(2), 'kept', [position(1), motion(1, 1), position(2)]],
    ['a motion after a motion with the same buttons', [motion(1, 2)], motion(3, -5), 'merged', [motion(4, -3)]],
    ['a motion after one with other buttons', [motion(1, 2, 1)], motion(3, 4), 'kept', [motion(1, 2, 1), motion(3, 4)]],
    [
      'a motion merges with the tail only',
      [motion(1, 1), motion(1, 1, 1)],
      motion(2, 2),
      'kept',
      [motion(1, 1), motion(1, 1, 1), motion(2, 2)],
    ],
    [
      'a motion never passes a button release',
      [motion(1, 1, 1), button(false)],
      motion(2, 2),
      'kept',
      [motion(1, 1, 1), button(false), motion(2, 2)],
    ],
    ['a motion never passes a key', [motion(1, 1), key(0x1e, false)], motion(2, 2), 'kept', [motion(1, 1), key(0x1e, false), motion(2, 2)]],
    ['a motion never passes lock keys', [motion(1, 1), locks(2)], motion(2, 2), 'kept', [motion(1, 1), locks(2), motion(2, 2)]],
    ['a motion never passes a position', [motion(1, 1), position(3)], motion(2, 2), 'kept', [motion(1, 1), position(3), motion(2, 2)]],
    ['a key up after its key down', [key(0x1e, true)], key(0x1e, false), 'kept', [key(0x1e, true), key(0x1e, false)]],
    ['a key repeat', [key(0x1e, true)], key(0x1e, true), 'kept', [key(0x1e, true), key(0x1e, true)]],
    ['a button release after its press', [button(true)], button(false), 'kept', [button(true), button(false)]],
    ['lock keys after lock keys', [locks(1)], locks(3), 'kept', [locks(1), locks(3)]],
    ['a key after motion', [motion(1, 1)], key(0x1e, true), 'kept', [motion(1, 1), key(0x1e, true)]],
  ]);
});

const move = (x: number): CursorEvent => ({ kind: 'cursor-move', x, y: x });
const hide: CursorEvent = { kind: 'cursor-hide' };
const trail = (length: number): CursorEvent => ({ kind: 'cursor-trail', length, frequency: 1 });

test('cursor events to the cursor channel: a move only the latest, everything else delivered', (t) => {
  // The host (cursor-0) and the red-worker send; one port per display, so per display.
  for (const rules of [endOptions(flip(cursorFromHost)).rules, endOptions(flip(cursorFromWorker(1))).rules] as RuleTable[]) {
    check<CursorEvent>(t, rules, [
      ['a move after a move', [move(1)], move(2), 'replaced', [move(2)]],
      ['a move never passes a hide', [move(1), hide], move(2), 'kept', [move(1), hide, move(2)]],
      ['a move never passes a trail', [move(1), trail(2)], move(2), 'kept', [move(1), trail(2), move(2)]],
      ['a hide after a hide', [hide], hide, 'kept', [hide, hide]],
      ['a trail after a trail', [trail(1)], trail(2), 'kept', [trail(1), trail(2)]],
      ['the reset', [move(1)], { kind: 'cursor-reset' }, 'kept', [move(1), { kind: 'cursor-reset' }]],
    ]);
  }
  t.deepEqual(endOptions(cursorFromHost).rules, undefined, 'what the cursor channel sends back: nothing merges');
});

test('cursor channel to its client: a MOVE only the latest, SET, HIDE and pings delivered', (t) => {
  type Wire = { kind: string };
  const w = (kind: string): Wire => ({ kind });
  check<Wire>(t, cursorClientRules as RuleTable, [
    ['a move after a move', [w('move')], w('move'), 'replaced', [w('move')]],
    ['a move never passes a set', [w('move'), w('set')], w('move'), 'kept', [w('move'), w('set'), w('move')]],
    ['a move never passes a ping (sent ahead of the ACK window)', [{ pinned: w('move') }], w('move'), 'kept', [w('move'), w('move')]],
    ['a set after a set', [w('set')], w('set'), 'kept', [w('set'), w('set')]],
  ]);
});

test('reports to an owner: only the latest figures, a net test per session', (t) => {
  type NetTest = MainContract['out'];
  const net = (session: number, latencyMs: number): NetTest => ({
    kind: 'net-test',
    session,
    latencyMs,
    bitsPerSecond: null,
    lowBandwidth: false,
  });
  check<NetTest>(t, mainReports as RuleTable, [
    ['a session tested again', [net(1, 5)], net(1, 3), 'replaced', [net(1, 3)]],
    ['another session', [net(1, 5)], net(2, 3), 'kept', [net(1, 5), net(2, 3)]],
  ]);
  const first: RedWorkerContract['out'] = { kind: 'first-drawing' };
  check(t, redWorkerReports as RuleTable, [["a red-worker's first drawing, said again", [first], first, 'replaced', [first]]]);
  const frame = (tMs: number): DemoHostContract['out'] => ({ kind: 'frame', tMs });
  check(t, demoHostReports as RuleTable, [['a demo frame', [frame(1)], frame(2), 'replaced', [frame(2)]]]);
});

test('the rule language: keyed latest, sums of several fields, pinned requests untouched', (t) => {
  type M = { kind: 'bitmap'; surface: number; n: number } | { kind: 'scroll'; dx: number; dy: number; window: number } | { kind: 'other' };
  const rules: MergeRules<M> = { bitmap: { latest: true, key: ['surface'] }, scroll: { sum: ['dx', 'dy'], key: ['window'] } };
  const bitmap = (surface: number, n: number): M => ({ kind: 'bitmap', surface, n });
  const scroll = (dx: number, window = 0): M => ({ kind: 'scroll', dx, dy: -dx, window });
  check<M>(t, rules, [
    ['latest with a key replaces only its key', [bitmap(0, 1), bitmap(1, 2)], bitmap(0, 3), 'replaced', [bitmap(1, 2), bitmap(0, 3)]],
    [
      'a pinned one of the kind stops the search',
      [bitmap(0, 1), { pinned: bitmap(1, 2) }],
      bitmap(0, 3),
      'kept',
      [bitmap(0, 1), bitmap(1, 2), bitmap(0, 3)],
    ],
    ['sums add every summed field', [scroll(2)], scroll(3), 'merged', [scroll(5)]],
    ['sums keep their key apart', [scroll(2, 1)], scroll(3), 'kept', [scroll(2, 1), scroll(3)]],
    ['a kind without a rule is delivered', [{ kind: 'other' }], { kind: 'other' }, 'kept', [{ kind: 'other' }, { kind: 'other' }]],
  ]);
});
