/**
 * The agent actor's relay with the project's client and a socket standing in for the guest's
 * port (the recording host's `agent-port`): the framing both ways, tokens, and what hostile ends
 * get: a client that breaks the framing or overruns its tokens is closed; a guest's oversized or
 * broken pieces are dropped, and a guest that floods a client without tokens is not read
 * (a bounded figure).
 */
import test, { type ExecutionContext } from 'ava';
import { Socket } from 'node:net';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { AgentMessageHeader, AgentPort, agentMaxDataSize } from '../../codecs/protocol/agent.js';
import { ChunkReader, encodeChunk } from '../../codecs/protocol/agent-chunks.js';
import { encode } from '../../codecs/protocol/wire.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

/** An agent message: header and data (`size` may lie). */
const message = (type: number, data: Uint8Array, size = data.length, protocol = 1) =>
  new Uint8Array([...encode(AgentMessageHeader, { protocol, type, opaque: 0n, size }), ...data]);

/** The companion with a guest agent port whose guest end is the test's, and the project's client connected to it. */
async function relay(t: ExecutionContext) {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const socket = firstValueFrom(
    s.host.link.messages$.pipe(
      filter((m) => m.kind === 'guest-socket'),
      timeout(10_000),
    ),
  );
  void s.host.link.send({ kind: 'agent-port' });
  const m = await socket;
  if (m.kind !== 'guest-socket') throw new Error('no guest socket');
  const guest = new Socket({ fd: m.fd, readable: true, writable: true });
  t.teardown(() => guest.destroy());
  const pieces: { port: number; data: Uint8Array }[] = [];
  const reader = new ChunkReader();
  guest.on('data', (b: Buffer) => reader.push(b, (e) => e.kind === 'chunk' && pieces.push({ port: e.port, data: e.data })));
  // The agent actor starts on the host's word: the client comes once it says the guest agent runs.
  await eventually(
    'the agent actor up',
    async () =>
      (await s.companion.supervisor.metrics()).some(
        (m) => m.actor === 'agent' && m.samples.some((x) => x.name === 'spice_agent_connected' && x.value === 1),
      ),
    20_000,
  );
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  t.like(client.init, { agent_connected: 1, agent_tokens: 10 });
  const closed = new Promise<void>((resolve) => client.main.messages$.subscribe({ complete: resolve, error: () => resolve() }));
  return { s, guest, pieces, client, closed };
}

const tokensOf = (client: SpiceClient) => {
  let n = 0;
  client.main.messages$.subscribe((m) => {
    if (m.name === 'agent_token') n += m.body.num_tokens;
  });
  return () => n;
};

test('client to guest: each AGENT_DATA as a chunk for the client port; guest to client: each piece as AGENT_DATA, spending the client tokens', async (t) => {
  const { guest, pieces, client } = await relay(t);
  const returned = tokensOf(client);
  client.main.send({ name: 'agent_start', body: { num_tokens: 1 } });
  const caps = message(6, new Uint8Array([1, 0, 0, 0, 0xff, 0, 0, 0]));
  for (let i = 0; i < 5; i++) client.main.send({ name: 'agent_data', body: { data: caps } });
  await eventually('five pieces at the guest', async () => pieces.length === 5);
  t.deepEqual(pieces[0], { port: AgentPort.client, data: caps });
  await eventually('the five tokens back', async () => returned() === 5);

  const got: Uint8Array[] = [];
  client.main.messages$.subscribe((m) => m.name === 'agent_data' && got.push(m.body.data));
  const reply = message(6, new Uint8Array([0, 0, 0, 0, 0x0f, 0, 0, 0]));
  guest.write(encodeChunk(AgentPort.client, reply));
  guest.write(encodeChunk(AgentPort.client, reply));
  await eventually('the first piece at the client', async () => got.length === 1);
  await new Promise((r) => setTimeout(r, 300));
  t.is(got.length, 1, 'the second waits for the client token');
  client.main.send({ name: 'agent_token', body: { num_tokens: 1 } });
  await eventually('the second piece at the client', async () => got.length === 2);
  t.deepEqual(got[1], reply);
});

test('a client piece running past its message, a header cut short, or a burst beyond its tokens: its main channel is closed', async (t) => {
  for (const [what, data] of [
    ['past its message', message(100, new Uint8Array(30), 10)],
    ['a header cut short', new Uint8Array(12)],
    ['another protocol', message(100, new Uint8Array(4), 4, 7)],
  ] as const) {
    const { client, closed, pieces } = await relay(t);
    client.main.send({ name: 'agent_start', body: { num_tokens: 10 } });
    client.main.send({ name: 'agent_data', body: { data } });
    await closed;
    // (The guest may hear VD_AGENT_CLIENT_DISCONNECTED on the server port.)
    t.is(pieces.filter((p) => p.port === AgentPort.client).length, 0, what);
  }
  // One message of 300 pieces sent without waiting for a token: the window (10) runs out first.
  const { client, closed, guest } = await relay(t);
  guest.pause(); // the guest reads nothing: what was written stays in the socket
  client.main.send({ name: 'agent_start', body: { num_tokens: 10 } });
  const size = 300 * agentMaxDataSize - 20;
  client.main.send({ name: 'agent_data', body: { data: message(100, new Uint8Array(agentMaxDataSize - 20), size) } });
  for (let i = 1; i < 300; i++) client.main.send({ name: 'agent_data', body: { data: new Uint8Array(agentMaxDataSize) } });
  const within = await Promise.race([closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
  t.true(within, 'the main channel closed for running past its tokens');
});

test('guest pieces over 2048 bytes or breaking the framing are dropped; a guest flooding a client without tokens is not read', async (t) => {
  const { s, guest, client, pieces } = await relay(t);
  client.main.send({ name: 'agent_start', body: { num_tokens: 2 } });
  // A piece at the guest: the client's start has reached the agent actor.
  client.main.send({ name: 'agent_data', body: { data: message(6, new Uint8Array(8)) } });
  await eventually('the client started', async () => pieces.length === 1);
  const got: Uint8Array[] = [];
  client.main.messages$.subscribe((m) => m.name === 'agent_data' && got.push(m.body.data));
  const fine = message(6, new Uint8Array(8));
  // 5000 bytes in one piece, then a piece of another protocol: neither reaches the client.
  guest.write(encodeChunk(AgentPort.client, new Uint8Array(5000)));
  guest.write(encodeChunk(AgentPort.client, message(6, new Uint8Array(8), 8, 9)));
  guest.write(encodeChunk(AgentPort.client, fine));
  await eventually('the good piece after the bad ones', async () => got.length === 1);
  t.deepEqual(got[0], fine);

  // A flood: 8 MiB of pieces for a client with one token left.
  const flood = message(100, new Uint8Array(agentMaxDataSize - 20), 4096 * agentMaxDataSize - 20);
  const rest = encodeChunk(AgentPort.client, new Uint8Array(agentMaxDataSize));
  guest.write(encodeChunk(AgentPort.client, flood));
  for (let i = 1; i < 4096; i++) guest.write(rest);
  await new Promise((r) => setTimeout(r, 2000));
  const unread = guest.writableLength;
  const held = (await s.companion.supervisor.metrics())
    .find((m) => m.actor === 'agent')!
    .samples.find((x) => x.name === 'spice_agent_held_bytes_max')!.value;
  t.log(
    `of ${4096 * (agentMaxDataSize + 8)} bytes written by the guest, ${unread} wait unread in its socket; the agent held at most ${held} bytes for the client`,
  );
  t.true(held <= 128 * 1024, `held ${held}`);
  t.true(unread > 7 * 1024 * 1024, 'the companion stopped reading the guest');
  t.is(got.length, 2, 'one more piece: the token the client had');
});
