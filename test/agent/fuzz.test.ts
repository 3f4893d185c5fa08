/**
 * Seeded fuzzing of the agent endpoint: mutants of a valid client stream (caps request, a
 * monitor layout with physical sizes, an unserved message), cut at random into AGENT_DATA
 * bodies, never make it throw; each either is served or closes the client with a reason, and
 * whatever reaches the host is a layout it may pass to QEMU as is.
 */
import test from 'ava';
import { createLogger } from '../../runtime/log.js';
import { CompanionAgent, maxMonitorSide } from '../../actors/channels/main/agent/companion-agent.js';
import type { MonitorRequest } from '../../actors/contracts.js';
import {
  agentMaxDataSize,
  agentMessages,
  AgentMessageHeader,
  AgentMessageType,
  maxMonitors,
  MonitorsConfigFlags,
} from '../../codecs/protocol/agent.js';
import { encodeMessage, type MessageOf } from '../../codecs/protocol/table.js';
import { encode } from '../../codecs/protocol/wire.js';
import { mutate } from '../helpers/fuzz.js';
import { prng } from '../helpers/prng.js';

const message = (m: MessageOf<(typeof agentMessages)['defs']>): number[] => {
  const { type, body } = encodeMessage(agentMessages, m);
  return [...encode(AgentMessageHeader, { protocol: 1, type, opaque: 0n, size: body.length }), ...body];
};

const stream = Uint8Array.from([
  ...message({ name: 'announce_capabilities', body: { request: 1, caps: [0x3ffff] } }),
  ...message({
    name: 'monitors_config',
    body: {
      flags: MonitorsConfigFlags.physicalSize | MonitorsConfigFlags.usePos,
      monitors: [
        { width: 1920, height: 1080, depth: 32, x: 0, y: 0 },
        { width: 1280, height: 1024, depth: 32, x: 1920, y: 0 },
      ],
      physical_sizes: [
        { width: 530, height: 300 },
        { width: 340, height: 270 },
      ],
    },
  }),
  ...encode(AgentMessageHeader, { protocol: 1, type: AgentMessageType.clipboard, opaque: 0n, size: 6 }),
  ...[1, 2, 3, 4, 5, 6],
]);

test('3000 mutated agent streams in random chunks: never a throw; served or closed with a reason; layouts QEMU can take', (t) => {
  const rnd = prng(0x5eed_a6e7);
  let served = 0;
  let closed = 0;
  for (let i = 0; i < 3000; i++) {
    const input = mutate(stream, rnd);
    const reasons: string[] = [];
    const layouts: MonitorRequest[][] = [];
    const agent = new CompanionAgent({ data: () => {}, tokens: () => {}, close: (why) => reasons.push(why) }, createLogger('silent'), (m) =>
      layouts.push(m),
    );
    agent.start(0xffffffff);
    for (let at = 0; at < input.length && reasons.length === 0; ) {
      const n = 1 + Math.floor(rnd() * (rnd() < 0.9 ? 64 : agentMaxDataSize + 8));
      agent.data(input.subarray(at, at + n));
      at += n;
    }
    if (reasons.length > 0) {
      closed++;
      t.true(reasons.every((r) => r.length > 0));
    }
    for (const layout of layouts) {
      served++;
      t.true(layout.length <= maxMonitors);
      for (const m of layout)
        t.true(
          m.width > 0 &&
            m.height > 0 &&
            m.width <= maxMonitorSide &&
            m.height <= maxMonitorSide &&
            m.display >= 0 &&
            m.display < maxMonitors,
          JSON.stringify(m),
        );
    }
  }
  t.log(`${served} layouts served, ${closed} streams closed`);
  t.true(served > 0 && closed > 0, 'both outcomes were exercised');
});
