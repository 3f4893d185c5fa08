/**
 * The agent protocol as data (codecs/protocol/agent.ts), its reassembly from AGENT_DATA bodies
 * (agent-stream.ts), and the agent the companion serves itself (actors/channels/main/agent/companion-agent.ts).
 */
import test from 'ava';
import { createLogger } from '../../runtime/log.js';
import { CompanionAgent, maxOutbox, monitorRequests } from '../../actors/channels/main/agent/companion-agent.js';
import type { MonitorRequest } from '../../actors/contracts.js';
import {
  AgentCap,
  agentHeaderSize,
  agentMessages,
  AgentMessageHeader,
  AgentMessageType,
  maxMonitorsConfigSize,
  MonitorsConfigFlags,
  type MonitorsConfig,
} from '../../codecs/protocol/agent.js';
import { AgentStreamReader } from '../../codecs/protocol/agent-stream.js';
import { hasCap } from '../../codecs/protocol/enums.js';
import { decodeMessage, encodeMessage } from '../../codecs/protocol/table.js';
import { decode, encode } from '../../codecs/protocol/wire.js';

const silent = createLogger('silent');

/** A whole agent message: header + data. */
function agentMessage(type: number, data: Uint8Array, protocol = 1, size = data.length): Uint8Array {
  const out = new Uint8Array(agentHeaderSize + data.length);
  out.set(encode(AgentMessageHeader, { protocol, type, opaque: 0n, size }));
  out.set(data, agentHeaderSize);
  return out;
}

const chunks = (bytes: Uint8Array, size: number): Uint8Array[] =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

const twoMonitors: MonitorsConfig = {
  flags: MonitorsConfigFlags.usePos | MonitorsConfigFlags.physicalSize,
  monitors: [
    { height: 600, width: 800, depth: 32, x: 0, y: 0 },
    { height: 768, width: 1024, depth: 32, x: 800, y: -10 },
  ],
  physical_sizes: [
    { height: 158, width: 211 },
    { height: 203, width: 270 },
  ],
};

test('VD_AGENT_MONITORS_CONFIG lays out as vd_agent.h says: count, flags, 20-byte monitors, then the physical sizes', (t) => {
  const { type, body } = encodeMessage(agentMessages, { name: 'monitors_config', body: twoMonitors });
  t.is(type, AgentMessageType.monitorsConfig);
  t.is(body.length, 8 + 2 * 20 + 2 * 4);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  t.deepEqual([v.getUint32(0, true), v.getUint32(4, true)], [2, 3]);
  t.deepEqual([v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true)], [600, 800, 32]); // height first
  t.is(v.getInt32(28 + 16, true), -10);
  t.deepEqual([v.getUint16(48, true), v.getUint16(50, true)], [158, 211]);
  const back = decodeMessage(agentMessages, type, body);
  t.deepEqual(back, { ok: true, value: { name: 'monitors_config', body: twoMonitors } });

  // Without the physical-size flag, no sizes follow; a count beyond the data is malformed.
  const bare = encodeMessage(agentMessages, {
    name: 'monitors_config',
    body: { flags: 0, monitors: twoMonitors.monitors!, physical_sizes: undefined },
  });
  t.is(bare.body.length, 8 + 40);
  const lying = bare.body.slice();
  lying[0] = 3;
  t.false(decodeMessage(agentMessages, AgentMessageType.monitorsConfig, lying).ok);
  t.false(decodeMessage(agentMessages, AgentMessageType.monitorsConfig, body.subarray(0, body.length - 1)).ok, 'physical sizes cut short');
});

test('the requests a monitor list makes: entry N for display N, disabled entries skipped, physical sizes when given', (t) => {
  t.deepEqual(monitorRequests(twoMonitors), [
    { display: 0, width: 800, height: 600, x: 0, y: 0, widthMm: 211, heightMm: 158 },
    { display: 1, width: 1024, height: 768, x: 800, y: -10, widthMm: 270, heightMm: 203 },
  ]);
  const sparse: MonitorsConfig = {
    flags: 0,
    monitors: [{ height: 0, width: 0, depth: 32, x: 0, y: 0 }, twoMonitors.monitors![1]!],
    physical_sizes: undefined,
  };
  t.deepEqual(monitorRequests(sparse), [{ display: 1, width: 1024, height: 768, x: 800, y: -10, widthMm: 0, heightMm: 0 }]);
  const absurd: MonitorsConfig = {
    flags: 0,
    monitors: [{ height: 600, width: 0xffffffff, depth: 32, x: 0, y: 0 }],
    physical_sizes: undefined,
  };
  t.deepEqual(monitorRequests(absurd), [], 'a 4-billion-pixel-wide monitor is not asked for');
});

test('reassembly: a message split anywhere, header included, comes out whole once; several in one body come out in order', (t) => {
  const limits = new Map([[AgentMessageType.monitorsConfig, maxMonitorsConfigSize]]);
  const data = encodeMessage(agentMessages, { name: 'monitors_config', body: twoMonitors }).body;
  const whole = agentMessage(AgentMessageType.monitorsConfig, data);
  for (const size of [1, 7, agentHeaderSize, agentHeaderSize + 1, whole.length]) {
    const r = new AgentStreamReader(limits);
    const out = chunks(whole, size).flatMap((c) => {
      const got = r.push(c);
      if (!got.ok) throw new Error(got.error);
      return got.value;
    });
    t.is(out.length, 1, `chunks of ${size}`);
    t.deepEqual(out[0]!.data, data);
    t.false(r.partial);
  }
  const r = new AgentStreamReader(limits);
  const unserved = agentMessage(AgentMessageType.clipboard, new Uint8Array(5).fill(9));
  const empty = agentMessage(AgentMessageType.monitorsConfig, new Uint8Array(0));
  const both = r.push(new Uint8Array([...whole, ...unserved, ...empty]));
  t.true(both.ok);
  if (both.ok) {
    t.deepEqual(
      both.value.map((m) => [m.header.type, m.data?.length ?? null]),
      [
        [AgentMessageType.monitorsConfig, data.length],
        [AgentMessageType.clipboard, null], // passed over, not stored
        [AgentMessageType.monitorsConfig, 0],
      ],
    );
  }
});

test('reassembly refuses a body over 2048 bytes, another protocol, a served type over its limit; and stays refused', (t) => {
  const limits = new Map([[AgentMessageType.monitorsConfig, maxMonitorsConfigSize]]);
  t.regex(expectError(new AgentStreamReader(limits).push(new Uint8Array(2049))), /2049 bytes/);
  t.regex(
    expectError(new AgentStreamReader(limits).push(agentMessage(AgentMessageType.monitorsConfig, new Uint8Array(8), 2))),
    /protocol 2/,
  );
  const huge = new AgentStreamReader(limits);
  t.regex(expectError(huge.push(agentMessage(AgentMessageType.monitorsConfig, new Uint8Array(0), 1, 0xffffffff))), /4294967295 bytes/);
  t.false(huge.push(agentMessage(AgentMessageType.monitorsConfig, new Uint8Array(0))).ok, 'a broken stream stays broken');
  // An unserved type may be as large as it likes: its bytes go by.
  const big = new AgentStreamReader(limits);
  t.true(big.push(agentMessage(AgentMessageType.clipboard, new Uint8Array(100), 1, 50_000_000).subarray(0, 2048)).ok);
  t.true(big.partial);
});

function expectError(d: { ok: boolean; error?: string }): string {
  if (d.ok) throw new Error('expected an error');
  return d.error!;
}

/** A CompanionAgent with what it sent and did recorded. */
function agentUnderTest() {
  const sent: Uint8Array[] = [];
  const returned: number[] = [];
  const closed: string[] = [];
  const layouts: MonitorRequest[][] = [];
  const agent = new CompanionAgent(
    { data: (c) => sent.push(c.slice()), tokens: (n) => returned.push(n), close: (why) => closed.push(why) },
    silent,
    (m) => layouts.push(m),
  );
  /** The agent messages it sent so far, reassembled. */
  const messages = () => {
    const r = new AgentStreamReader(
      new Map([
        [AgentMessageType.reply, 8],
        [AgentMessageType.announceCapabilities, 256],
      ]),
    );
    return sent.flatMap((c) => {
      const m = r.push(c);
      if (!m.ok) throw new Error(m.error);
      return m.value.map((x) => decodeMessage(agentMessages, x.header.type, x.data!));
    });
  };
  return { agent, sent, returned, closed, layouts, messages };
}

const clientMessage = (msg: Parameters<typeof encodeMessage<(typeof agentMessages)['defs']>>[1]) => {
  const { type, body } = encodeMessage(agentMessages, msg);
  return agentMessage(type, body);
};

test('the companion agent: caps on request (monitors config, no file transfer, no replies), a layout goes to the host unanswered as spice-server', (t) => {
  const a = agentUnderTest();
  a.agent.data(clientMessage({ name: 'announce_capabilities', body: { request: 1, caps: [0x3ffff] } }));
  t.is(a.sent.length, 0, 'nothing goes out before AGENT_START gives tokens');
  a.agent.start(0xffffffff);
  const [caps] = a.messages();
  t.true(caps?.ok && caps.value.name === 'announce_capabilities');
  if (caps?.ok && caps.value.name === 'announce_capabilities') {
    t.is(caps.value.body.request, 0);
    for (const cap of [AgentCap.monitorsConfig, AgentCap.fileXferDisabled]) t.true(hasCap(caps.value.body.caps, cap));
    for (const cap of [
      AgentCap.reply,
      AgentCap.mouseState,
      AgentCap.clipboardByDemand,
      AgentCap.displayConfig,
      AgentCap.sparseMonitorsConfig,
    ])
      t.false(hasCap(caps.value.body.caps, cap));
  }
  // spice-gtk's size: the whole monitor list in chunks.
  for (const c of chunks(clientMessage({ name: 'monitors_config', body: twoMonitors }), 16)) a.agent.data(c);
  t.deepEqual(a.layouts, [monitorRequests(twoMonitors)]);
  // No VD_AGENT_REPLY: spice-html5 knows none ("Unknown message type 109").
  t.is(a.messages().length, 1);
  t.deepEqual(a.closed, []);
});

test('the companion agent: tokens come back in fives; a malformed or oversized monitor list, close the client', (t) => {
  const a = agentUnderTest();
  a.agent.start(1);
  const unserved = agentMessage(AgentMessageType.clipboardRelease, new Uint8Array(4));
  for (let i = 0; i < 4; i++) a.agent.data(unserved);
  t.deepEqual(a.returned, []);
  a.agent.data(unserved);
  t.deepEqual(a.returned, [5]);
  for (let i = 0; i < 10; i++) a.agent.data(unserved);
  t.deepEqual(a.returned, [5, 5, 5]);
  t.deepEqual(a.closed, []);
  // Our side spends the client's tokens (AGENT_START gave one): the second answer waits for AGENT_TOKEN.
  a.agent.data(clientMessage({ name: 'announce_capabilities', body: { request: 1, caps: [] } }));
  a.agent.data(clientMessage({ name: 'announce_capabilities', body: { request: 1, caps: [] } }));
  t.is(a.sent.length, 1);
  a.agent.tokens(1);
  t.is(a.sent.length, 2);
  t.deepEqual(
    a.messages().map((m) => m.ok && m.value.name),
    ['announce_capabilities', 'announce_capabilities'],
  );

  const lying = agentUnderTest();
  const body = encodeMessage(agentMessages, { name: 'monitors_config', body: twoMonitors }).body.slice();
  body[0] = 200; // 200 monitors announced, 2 present
  lying.agent.data(agentMessage(AgentMessageType.monitorsConfig, body));
  t.regex(lying.closed[0] ?? '', /bad monitors config/);
  t.deepEqual(lying.layouts, []);

  const many = agentUnderTest();
  const monitors = Array.from({ length: 300 }, () => ({ height: 10, width: 10, depth: 32, x: 0, y: 0 }));
  const tooMany = clientMessage({ name: 'monitors_config', body: { flags: 0, monitors, physical_sizes: undefined } });
  for (const c of chunks(tooMany, 2048)) many.agent.data(c);
  t.regex(many.closed[0] ?? '', /300 monitors/);

  const huge = agentUnderTest();
  huge.agent.data(agentMessage(AgentMessageType.monitorsConfig, new Uint8Array(0), 1, 1 << 30));
  t.regex(huge.closed[0] ?? '', /at most/);
  t.is(decode(AgentMessageHeader, new Uint8Array(3)).ok, false);
});

test('the companion agent: a client that sends and never gives tokens back is closed, not queued for without end', (t) => {
  const a = agentUnderTest();
  a.agent.start(0);
  const ask = clientMessage({ name: 'announce_capabilities', body: { request: 1, caps: [] } });
  for (let i = 0; i < maxOutbox; i++) a.agent.data(ask);
  t.deepEqual(a.closed, [], 'a window of answers may wait');
  a.agent.data(ask);
  t.regex(a.closed[0] ?? '', /wait for tokens/);
  t.is(a.sent.length, 0);
});
