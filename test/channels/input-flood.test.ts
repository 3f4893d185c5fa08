import test, { type ExecutionContext } from 'ava';
import { filter } from 'rxjs';
import type { InputEvent } from '../../actors/contracts.js';
import { SpiceClient, first, type InputsChannel } from '../../client/session.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { isInput } from '../fixtures/actors/recording-host.js';
import { settle } from '../helpers/eventually.js';

/** The last event of a flood: the space bar released. */
const endKey = 0x39;
const isEnd = (e: InputEvent) => e.kind === 'key' && e.code === endKey && !e.down;

/** Sends `e` as a client does. */
function send(inputs: InputsChannel, e: InputEvent): void {
  switch (e.kind) {
    case 'key':
      return inputs.send({ name: e.down ? 'key_down' : 'key_up', body: { code: e.down ? e.code : e.code | 0x80 } });
    case 'mouse-buttons':
      return inputs.send({ name: e.down ? 'mouse_press' : 'mouse_release', body: { button: e.button, buttons_state: e.buttons } });
    case 'mouse-motion':
      return inputs.send({ name: 'mouse_motion', body: { dx: e.dx, dy: e.dy, buttons_state: e.buttons } });
    case 'mouse-position':
      return inputs.send({ name: 'mouse_position', body: { x: e.x, y: e.y, buttons_state: e.buttons, display_id: e.display } });
    case 'lock-keys':
      return inputs.send({ name: 'key_modifiers', body: { modifiers: e.modifiers } });
  }
}

/**
 * Thousands of motions and positions (two displays), interleaved with key presses and releases
 * and button presses and releases, as the host should see them, motions unmerged.
 */
function flood(count: number): InputEvent[] {
  const sent: InputEvent[] = [];
  let buttons = 0;
  const send = (e: InputEvent) => void sent.push(e);
  for (let i = 0; i < count; i++) {
    const code = 0x10 + (((i / 40) | 0) % 16);
    if (i % 40 === 0) send({ kind: 'key', code, down: true });
    if (i % 40 === 23) send({ kind: 'key', code, down: false });
    const button = 1 + (((i / 100) | 0) % 3);
    if (i % 100 === 10) send({ kind: 'mouse-buttons', button, buttons: (buttons |= 1 << (button - 1)), down: true });
    if (i % 100 === 70) send({ kind: 'mouse-buttons', button, buttons: (buttons &= ~(1 << (button - 1))), down: false });
    // Runs of motion, then of positions on alternate displays.
    if (i % 500 < 400) send({ kind: 'mouse-motion', dx: (i % 7) - 3, dy: (i % 5) - 1, buttons });
    else send({ kind: 'mouse-position', x: i % 1000, y: i % 700, buttons, display: i % 2 });
  }
  send({ kind: 'key', code: endKey, down: true });
  send({ kind: 'key', code: endKey, down: false });
  return sent;
}

const isPointer = (e: InputEvent) => e.kind === 'mouse-motion' || e.kind === 'mouse-position';

/** Pointer events between consecutive keys and buttons: what merging may change within, never across. */
function segments(events: readonly InputEvent[]): InputEvent[][] {
  const out: InputEvent[][] = [[]];
  for (const e of events) {
    if (isPointer(e)) out.at(-1)!.push(e);
    else out.push([]);
  }
  return out;
}

/** What a segment does to the pointer: the motion it adds, where each display's last position puts it. */
function effect(segment: readonly InputEvent[]) {
  let dx = 0;
  let dy = 0;
  const positions: Record<number, string> = {};
  for (const e of segment) {
    if (e.kind === 'mouse-motion') (dx += e.dx), (dy += e.dy);
    if (e.kind === 'mouse-position') positions[e.display] = `${e.x},${e.y}`;
  }
  return { dx, dy, positions };
}

/** Runs a flood from a client against the recording host, stalled at first; `drive` sends it and paces the host. */
async function floodAgainst(
  t: ExecutionContext,
  drive: (s: TestServer, inputs: InputsChannel, events: readonly InputEvent[]) => Promise<void>,
) {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  await first(client.inputs!, 'init');
  const got: InputEvent[] = [];
  const ended = new Promise<void>((resolve) =>
    s.host.link.messages$.pipe(filter(isInput)).subscribe(({ event }) => {
      got.push(event);
      if (isEnd(event)) resolve();
    }),
  );
  void s.host.link.send({ kind: 'stall', stalled: true });
  await settle(100);
  const sent = flood(6_000);
  await drive(s, client.inputs!, sent);
  await ended;

  const buttonsAndKeys = (events: readonly InputEvent[]) => events.filter((e) => !isPointer(e));
  t.deepEqual(buttonsAndKeys(got), buttonsAndKeys(sent), 'every key and button, in order');
  const down = new Set<string>();
  for (const e of buttonsAndKeys(got)) {
    const id = e.kind === 'key' ? `key ${e.code}` : e.kind === 'mouse-buttons' ? `button ${e.button}` : '';
    if (!('down' in e)) continue;
    t.is(down.has(id), !e.down, `${id} ${e.down ? 'pressed twice' : 'released unpressed'}`);
    if (e.down) down.add(id);
    else down.delete(id);
  }
  t.deepEqual([...down], [], 'every press has its release');
  t.deepEqual(segments(got).map(effect), segments(sent).map(effect), 'between keys and buttons, the pointer ends where the client put it');
  const pointer = (events: readonly InputEvent[]) => events.filter(isPointer).length;
  t.log(`${pointer(sent)} pointer events sent, ${pointer(got)} reached the host`);
  t.true(pointer(got) < pointer(sent), 'pointer events merged while the host was stalled');
}

test('a flood of motion against a stalled host: every key and button arrives, each press with its release, in order; motion merges', (t) =>
  floodAgainst(t, async (s, inputs, events) => {
    for (const e of events) send(inputs, e);
    await settle(1_000);
    void s.host.link.send({ kind: 'stall', stalled: false });
  }));

test('a flood of motion against a slow host (taking input 5 ms in 25) while the client keeps sending: every key and button arrives in order; motion merges', (t) =>
  floodAgainst(t, async (s, inputs, events) => {
    const slice = Math.ceil(events.length / 60);
    for (let i = 0; i < 60; i++) {
      for (const e of events.slice(i * slice, (i + 1) * slice)) send(inputs, e);
      void s.host.link.send({ kind: 'stall', stalled: false });
      await settle(5);
      void s.host.link.send({ kind: 'stall', stalled: true });
      await settle(20);
    }
    void s.host.link.send({ kind: 'stall', stalled: false });
  }));
