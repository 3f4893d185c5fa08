/**
 * The agent endpoint behind the main channel, with the project's client: INIT announces it when
 * the host takes monitor layouts, a layout sent in AGENT_DATA chunks reaches the host, the
 * answers come back as AGENT_DATA, and a hostile size closes the main connection.
 */
import test from 'ava';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { AgentCap, agentHeaderSize, agentMessages, AgentMessageHeader, AgentMessageType } from '../../codecs/protocol/agent.js';
import { AgentStreamReader } from '../../codecs/protocol/agent-stream.js';
import { hasCap } from '../../codecs/protocol/enums.js';
import { decodeMessage, encodeMessage } from '../../codecs/protocol/table.js';
import { encode } from '../../codecs/protocol/wire.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';

function wrap(type: number, data: Uint8Array, size = data.length): Uint8Array {
  return new Uint8Array([...encode(AgentMessageHeader, { protocol: 1, type, opaque: 0n, size }), ...data]);
}

test('a monitor layout in AGENT_DATA chunks reaches the host; caps come back, and no reply (as spice-server)', async (t) => {
  const s = await startTestServer(['--disable-ticketing'], undefined, { monitorsConfig: true });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  t.like(client.init, { agent_connected: 1, agent_tokens: 10 });

  const answers = firstValueFrom(
    client.main.messages$.pipe(
      filter((m) => m.name === 'agent_data'),
      take(1),
      toArray(),
      timeout(10_000),
    ),
  );
  const layout = firstValueFrom(
    s.host.link.messages$.pipe(
      filter((m) => m.kind === 'monitors'),
      timeout(10_000),
    ),
  );
  client.main.send({ name: 'agent_start', body: { num_tokens: 0xffffffff } });
  const caps = encodeMessage(agentMessages, { name: 'announce_capabilities', body: { request: 1, caps: [0xff] } });
  client.main.send({ name: 'agent_data', body: { data: wrap(caps.type, caps.body) } });
  const config = encodeMessage(agentMessages, {
    name: 'monitors_config',
    body: {
      flags: 0,
      monitors: [
        { width: 1024, height: 768, depth: 32, x: 0, y: 0 },
        { width: 640, height: 480, depth: 32, x: 1024, y: 0 },
      ],
      physical_sizes: undefined,
    },
  });
  const whole = wrap(config.type, config.body);
  // Split inside the header, as a client may.
  for (const at of [
    [0, 11],
    [11, 30],
    [30, whole.length],
  ] as const)
    client.main.send({ name: 'agent_data', body: { data: whole.subarray(at[0], at[1]) } });

  const got = await layout;
  t.deepEqual(got.kind === 'monitors' && got.monitors, [
    { display: 0, width: 1024, height: 768, x: 0, y: 0, widthMm: 0, heightMm: 0 },
    { display: 1, width: 640, height: 480, x: 1024, y: 0, widthMm: 0, heightMm: 0 },
  ]);
  const reader = new AgentStreamReader(
    new Map([
      [AgentMessageType.announceCapabilities, 256],
      [AgentMessageType.reply, 8],
    ]),
  );
  const messages = (await answers).flatMap((m) => {
    const r = m.name === 'agent_data' ? reader.push(m.body.data) : { ok: false as const, error: 'not agent data' };
    return r.ok ? r.value.map((x) => decodeMessage(agentMessages, x.header.type, x.data!)) : [];
  });
  const [announce] = messages;
  t.true(announce?.ok && announce.value.name === 'announce_capabilities' && hasCap(announce.value.body.caps, AgentCap.monitorsConfig));

  // Four bodies read: one more and the client gets five tokens back.
  const token = firstValueFrom(
    client.main.messages$.pipe(
      filter((m) => m.name === 'agent_token'),
      timeout(10_000),
    ),
  );
  client.main.send({ name: 'agent_data', body: { data: wrap(AgentMessageType.clipboardRelease, new Uint8Array(4)) } });
  t.deepEqual((await token).body, { num_tokens: 5 });
});

test('no agent when the host takes no monitor layouts; a monitor list of hostile size closes the main connection', async (t) => {
  const plain = await startTestServer(['--disable-ticketing']);
  t.teardown(() => plain.stop());
  const without = await SpiceClient.connect({ host: '127.0.0.1', port: plain.port });
  t.is(without.init.agent_connected, 0);
  without.close();

  const s = await startTestServer(['--disable-ticketing'], undefined, { monitorsConfig: true });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  client.main.send({ name: 'agent_start', body: { num_tokens: 10 } });
  client.main.send({
    name: 'agent_data',
    body: { data: wrap(AgentMessageType.monitorsConfig, new Uint8Array(0), 0x7fffffff).subarray(0, agentHeaderSize) },
  });
  const ended = await firstValueFrom(client.main.messages$.pipe(toArray(), timeout(10_000)));
  t.false(
    ended.some((m) => m.name === 'agent_token'),
    'the connection closed without serving the message',
  );
});
