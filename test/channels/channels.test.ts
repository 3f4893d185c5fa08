import test from 'ava';
import { firstValueFrom, filter, take, timeout, toArray } from 'rxjs';
import { CursorFlags, CursorType, MouseMode } from '../../codecs/protocol/enums.js';
import { moved } from '../../runtime/envelope.js';
import type { CursorEvent, InputEvent } from '../../actors/contracts.js';
import { SpiceClient, first, next } from '../../client/session.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { isInput } from '../fixtures/actors/recording-host.js';
import { eventually, settle } from '../helpers/eventually.js';

async function connected(flags: string[] = []): Promise<{ s: TestServer; client: SpiceClient }> {
  const s = await startTestServer(['--disable-ticketing', ...flags]);
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  return { s, client };
}

const hostInputs = (s: TestServer, n: number): Promise<InputEvent[]> =>
  firstValueFrom(s.host.link.messages$.pipe(filter(isInput), take(n), toArray(), timeout(30_000))).then((ms) => ms.map((m) => m.event));

test('keys, lock keys, mouse motion, positions and buttons reach the host in order', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const inputs = client.inputs!;
  const events = hostInputs(s, 9);
  inputs.send({ name: 'key_down', body: { code: 0x1e } }); // A
  inputs.send({ name: 'key_up', body: { code: 0x9e } });
  inputs.send({ name: 'key_down', body: { code: 0x48e0 } }); // E0 48: Up arrow
  inputs.send({ name: 'key_scancode', body: { data: Uint8Array.of(0xe0, 0xc8) } });
  inputs.send({ name: 'key_modifiers', body: { modifiers: 4 } });
  inputs.send({ name: 'mouse_motion', body: { dx: 5, dy: -3, buttons_state: 0 } });
  inputs.send({ name: 'mouse_position', body: { x: 100, y: 200, buttons_state: 0, display_id: 0 } });
  inputs.send({ name: 'mouse_press', body: { button: 1, buttons_state: 1 } });
  inputs.send({ name: 'mouse_release', body: { button: 1, buttons_state: 0 } });
  t.deepEqual(await events, [
    { kind: 'key', code: 0x1e, down: true },
    { kind: 'key', code: 0x1e, down: false },
    { kind: 'key', code: 0xe048, down: true },
    { kind: 'key', code: 0xe048, down: false },
    { kind: 'lock-keys', modifiers: 4 },
    { kind: 'mouse-motion', dx: 5, dy: -3, buttons: 0 },
    { kind: 'mouse-position', x: 100, y: 200, buttons: 0, display: 0 },
    { kind: 'mouse-buttons', button: 1, buttons: 1, down: true },
    { kind: 'mouse-buttons', button: 1, buttons: 0, down: false },
  ]);
  client.close();
});

test('MOUSE_MOTION_ACK comes after every fourth motion or position', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const inputs = client.inputs!;
  const acks = () => inputs.history.filter((m) => m.name === 'mouse_motion_ack').length;
  for (let i = 0; i < 3; i++) inputs.send({ name: 'mouse_motion', body: { dx: 1, dy: 1, buttons_state: 0 } });
  const all = hostInputs(s, 3);
  await all;
  await settle(50);
  t.is(acks(), 0, 'no ack after three');
  inputs.send({ name: 'mouse_position', body: { x: 1, y: 1, buttons_state: 0, display_id: 0 } });
  await eventually('first ack', () => acks() === 1);
  for (let i = 0; i < 8; i++) inputs.send({ name: 'mouse_motion', body: { dx: 1, dy: 1, buttons_state: 0 } });
  await eventually('three acks after twelve motions', () => acks() === 3);
  client.close();
});

test('keys still down when the client goes are released on the host', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const pressed = hostInputs(s, 2);
  client.inputs!.send({ name: 'key_down', body: { code: 0x2a } }); // left shift
  client.inputs!.send({ name: 'key_down', body: { code: 0x1d } }); // left ctrl
  await pressed;
  const released = hostInputs(s, 2);
  client.close();
  t.deepEqual(await released, [
    { kind: 'key', code: 0x2a, down: false },
    { kind: 'key', code: 0x1d, down: false },
  ]);
});

test('keyboard LEDs from the host reach the client; INIT carries them to a new client', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  // INIT first: the inputs actor has taken the connection (until then a change goes into INIT).
  t.is((await first(client.inputs!, 'init')).keyboard_modifiers, 0);
  const mods = next(client.inputs!, 'key_modifiers');
  void s.host.link.send({ kind: 'leds', modifiers: 2 });
  t.is((await mods).modifiers, 2);
  const second = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.is((await first(second.inputs!, 'init')).keyboard_modifiers, 2);
  second.close();
});

test('client mouse mode is offered only while the host takes absolute positions', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  t.is(client.init.supported_mouse_modes, MouseMode.server);
  client.main.send({ name: 'mouse_mode_request', body: { mode: MouseMode.client } });
  await settle(100);
  t.false(
    client.main.history.some((m) => m.name === 'mouse_mode'),
    'a request the host cannot serve changes nothing',
  );
  let mode = next(client.main, 'mouse_mode');
  void s.host.link.send({ kind: 'absolute', value: true });
  t.deepEqual(await mode, { supported_modes: MouseMode.server | MouseMode.client, current_mode: MouseMode.server });
  mode = next(client.main, 'mouse_mode');
  client.main.send({ name: 'mouse_mode_request', body: { mode: MouseMode.client } });
  t.is((await mode).current_mode, MouseMode.client);
  mode = next(client.main, 'mouse_mode');
  void s.host.link.send({ kind: 'absolute', value: false });
  t.deepEqual(await mode, { supported_modes: MouseMode.server, current_mode: MouseMode.server }, 'absolute gone: back to server mode');
  client.close();
});

test('the main channel answers the net test pings and lists channels after ATTACH_CHANNELS', async (t) => {
  const s = await startTestServer(['--disable-ticketing', '--name', 'vm-one', '--uuid', '00112233-4455-6677-8899-aabbccddeeff']);
  t.teardown(() => s.stop());
  const netTest = firstValueFrom(s.companion.main.link.messages$);
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const r = await netTest;
  t.is(r.session, client.init.session_id);
  t.true(r.latencyMs >= 0 && (r.bitsPerSecond === null || r.bitsPerSecond > 0));
  t.deepEqual(client.channels, [
    { type: 4, id: 0 },
    { type: 3, id: 0 },
  ]);
  const names = client.main.history.map((m) => m.name);
  t.true(names.indexOf('init') === 0 && names.indexOf('channels_list') > names.indexOf('init'));
  t.is(names[1], 'set_ack', 'the ACK window starts right after INIT');
  t.is(Buffer.from((await first(client.main, 'name')).name).toString(), 'vm-one\0');
  t.is(Buffer.from((await first(client.main, 'uuid')).uuid).toString('hex'), '00112233445566778899aabbccddeeff');
  client.close();
});

test.serial('the net test on loopback: never low-bandwidth, and most repeated runs agree within a factor of 10', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const netTest = async () => {
    const result = firstValueFrom(s.companion.main.link.messages$.pipe(filter((m) => m.kind === 'net-test')));
    const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
    const r = await result;
    client.close();
    return r;
  };
  // The first connection of a fresh process also compiles the code both ends run.
  const warmUp = await netTest();
  const results = [];
  for (let run = 0; run < 5; run++) results.push(await netTest());
  const mbit = (r: { bitsPerSecond: number | null }) => (r.bitsPerSecond === null ? 'too fast to tell' : Math.round(r.bitsPerSecond / 1e6));
  t.log(`${results.map(mbit).join(', ')} Mbit/s (the first connection: ${mbit(warmUp)})`);
  t.false([warmUp, ...results].some((r) => r.lowBandwidth));
  // Too fast to tell: a loaded host answered every empty ping later than some payload.
  const rates = results.flatMap((r) => (r.bitsPerSecond === null ? [] : [r.bitsPerSecond]));
  t.true(rates.length >= 3);
  // Most runs agree: a loaded CI host can stretch one or two pings by more than the payload's
  // time (seen: 510, 527, 989, 6475, 14916), but a skew in the test itself would move them all.
  const sorted = [...rates].sort((a, b) => a - b);
  const agreeing = sorted.slice(0, -2).some((low, i) => sorted[i + 2]! / low < 10);
  t.true(agreeing, 'three runs within a factor of 10');
});

test('the VM name and UUID the host reports go to clients as NAME and UUID, to those already connected too; a configured name wins', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const early = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => early.close());
  await settle(100);
  t.false(
    early.main.history.some((m) => m.name === 'name' || m.name === 'uuid'),
    'nothing to say before the host knows the VM',
  );
  const [name, uuid] = [next(early.main, 'name'), next(early.main, 'uuid')];
  void s.host.link.send({ kind: 'vm', name: 'guest-7', uuid: '00112233-4455-6677-8899-aabbccddeeff' });
  t.is(Buffer.from((await name).name).toString(), 'guest-7\0');
  t.is(Buffer.from((await uuid).uuid).toString('hex'), '00112233445566778899aabbccddeeff');
  const late = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => late.close());
  t.is(Buffer.from((await first(late.main, 'name')).name).toString(), 'guest-7\0', 'a new client gets it at once');

  const configured = await startTestServer(['--disable-ticketing', '--name', 'from-config']);
  t.teardown(() => configured.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: configured.port });
  t.teardown(() => client.close());
  const uuid2 = next(client.main, 'uuid');
  void configured.host.link.send({ kind: 'vm', name: 'guest-7', uuid: '00112233-4455-6677-8899-aabbccddeeff' });
  t.is(Buffer.from((await uuid2).uuid).toString('hex'), '00112233445566778899aabbccddeeff');
  await settle(100);
  t.deepEqual(
    client.main.history.filter((m) => m.name === 'name').map((m) => Buffer.from(m.body.name).toString()),
    ['from-config\0'],
  );
});

const alpha = (unique: bigint, w: number, h: number, fill: number) => ({
  unique,
  type: 'alpha' as const,
  width: w,
  height: h,
  hotX: 1,
  hotY: 2,
  data: moved(new Uint8Array(w * h * 4).fill(fill)),
});

test('cursor shapes round-trip: alpha and mono, cached by id, replayed to a new client', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const cursor = client.cursor!;
  const init = await first(cursor, 'init');
  t.is(init.cursor.flags, CursorFlags.none, 'no shape yet');
  const sendCursor = (event: CursorEvent) => void s.host.link.send({ kind: 'cursor', event });
  let set = next(cursor, 'set');
  sendCursor({ kind: 'cursor-set', shape: alpha(7n, 16, 16, 0xab), x: 10, y: 20, visible: true });
  let got = await set;
  t.is(got.cursor.flags, CursorFlags.cacheMe);
  t.like(got.cursor.header, { unique: 7n, type: CursorType.alpha, width: 16, height: 16, hot_spot_x: 1, hot_spot_y: 2 });
  t.is(got.cursor.data.length, 16 * 16 * 4);
  t.true(got.cursor.data.every((b) => b === 0xab));
  t.deepEqual(got.position, { x: 10, y: 20 });
  // Mono: AND then XOR masks, ((w+7)/8)*h bytes each.
  const mono = {
    unique: 9n,
    type: 'mono' as const,
    width: 12,
    height: 3,
    hotX: 0,
    hotY: 0,
    data: moved(Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i)),
  };
  set = next(cursor, 'set');
  sendCursor({ kind: 'cursor-set', shape: mono, x: 1, y: 1, visible: true });
  got = await set;
  t.is(got.cursor.header!.type, CursorType.mono);
  t.deepEqual(
    [...got.cursor.data],
    Array.from({ length: 12 }, (_, i) => i),
  );
  set = next(cursor, 'set');
  sendCursor({ kind: 'cursor-set', shape: alpha(7n, 16, 16, 0xab), x: 3, y: 3, visible: true });
  got = await set;
  t.is(got.cursor.flags, CursorFlags.fromCache, 'a shape the client holds goes by reference');
  t.is(got.cursor.data.length, 0);
  // A bad shape (wrong data size) never reaches the client.
  sendCursor({ kind: 'cursor-set', shape: { ...alpha(11n, 4, 4, 1), data: moved(new Uint8Array(3)) }, x: 0, y: 0, visible: true });
  const move = next(cursor, 'move');
  sendCursor({ kind: 'cursor-move', x: 50, y: 60 });
  t.deepEqual((await move).position, { x: 50, y: 60 });
  t.false(cursor.history.some((m) => m.name === 'set' && m.body.cursor.header?.unique === 11n));
  const late = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const lateInit = await first(late.cursor!, 'init');
  t.like(lateInit, { position: { x: 50, y: 60 }, visible: 1 });
  t.is(lateInit.cursor.header!.unique, 7n);
  t.is(lateInit.cursor.data.length, 16 * 16 * 4, 'a new client gets the current shape whole');
  late.close();
});

test('the cursor cache evicts the least recently used shape with INVAL_ONE', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const cursor = client.cursor!;
  for (let i = 1; i <= 257; i++)
    void s.host.link.send({
      kind: 'cursor',
      event: { kind: 'cursor-set', shape: alpha(BigInt(i), 4, 4, i & 0xff), x: 0, y: 0, visible: true },
    });
  const inval = await first(cursor, 'inval_one');
  t.is(inval.id, 1n, 'the 257th shape evicts the first');
  client.close();
});

test('the ACK window: a client that stops acking gets at most twice the window, then the rest once it acks', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port }, { channelOptions: { ack: false } });
  const cursor = client.cursor!;
  await first(cursor, 'init');
  const total = 100;
  for (let i = 0; i < total; i++) void s.host.link.send({ kind: 'cursor', event: { kind: 'cursor-trail', length: i, frequency: 1 } });
  const trails = () => cursor.history.filter((m) => m.name === 'trail').length;
  await eventually('the window to fill', () => trails() > 0);
  await settle(300);
  // SET_ACK resets the count; every message after it counts until the window (20) is exceeded
  // twice over: 41 messages. Pings (the latency monitor) go ahead of the window.
  // They count too, so the others stop at 41 minus the pings sent before the window shut.
  const afterSetAck = cursor.history.slice(cursor.history.findIndex((m) => m.name === 'set_ack') + 1);
  const pings = afterSetAck.filter((m) => m.name === 'ping').length;
  const others = afterSetAck.length - pings;
  t.true(others <= 41 && others + pings >= 41, `stopped after 2 x window messages (${others} + ${pings} pings)`);
  cursor.ack = true;
  cursor.send({ name: 'ack', body: {} });
  await eventually('everything after acking', () => trails() === total);
  t.deepEqual(
    cursor.history.filter((m) => m.name === 'trail').map((m) => (m.body as { length: number }).length),
    Array.from({ length: total }, (_, i) => i),
    'in order',
  );
  client.close();
});

test('an inputs channel over plain TCP gets the user a NOTIFY on main; the media clock follows the net test', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const notify = await first(client.main, 'notify');
  t.is(Buffer.from(notify.message).toString(), 'keyboard channel is insecure\0');
  t.is(notify.message_len, 'keyboard channel is insecure'.length);
  const mm = await first(client.main, 'multi_media_time');
  t.true(Math.abs(mm.time - client.init.multi_media_time) < 10_000, 'the same clock as INIT');
  client.close();
});

test('a cursor reset invalidates the client cache and resets the cursor', async (t) => {
  const { s, client } = await connected();
  t.teardown(() => s.stop());
  const reset = next(client.cursor!, 'reset');
  void s.host.link.send({ kind: 'cursor', event: { kind: 'cursor-reset' } });
  await reset;
  const names = client.cursor!.history.map((m) => m.name);
  t.is(names[names.indexOf('reset') - 1], 'inval_all');
  client.close();
});

test('the main channel honours the ACK window too: a client that does not ack stops getting messages', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port }, { channelOptions: { ack: false } });
  client.main.ack = false;
  for (let i = 0; i < 60; i++) void s.host.link.send({ kind: 'absolute', value: i % 2 === 0 });
  await eventually('mouse modes', () => client.main.history.some((m) => m.name === 'mouse_mode'));
  await settle(300);
  const afterSetAck = client.main.history.slice(client.main.history.findIndex((m) => m.name === 'set_ack') + 1);
  const modes = () => client.main.history.filter((m) => m.name === 'mouse_mode').length;
  t.true(afterSetAck.filter((m) => m.name !== 'ping').length <= 41, 'stopped at 2 x window');
  t.true(modes() < 60);
  client.main.ack = true;
  client.main.send({ name: 'ack', body: {} });
  client.main.send({ name: 'ack', body: {} });
  await eventually('every mouse mode once acked', () => modes() === 60);
  client.close();
});
