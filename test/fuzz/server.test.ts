import test from 'ava';
import { connect, type Socket } from 'node:net';
import { ChannelType, capWords, CommonCap, InputsCap, MainCap } from '../../codecs/protocol/enums.js';
import { frame } from '../../codecs/protocol/framing.js';
import { encodeLinkMess } from '../../codecs/protocol/link.js';
import { encodeMessage, type Defs } from '../../codecs/protocol/table.js';
import { inputsProtocol } from '../../codecs/protocol/channels/inputs.js';
import { mainProtocol } from '../../codecs/protocol/channels/main.js';
import { cursorProtocol } from '../../codecs/protocol/channels/cursor.js';
import { linkChannel } from '../../client/link.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';
import { prng } from '../helpers/prng.js';
import { mutate } from './mutate.js';

// A seeded mutation fuzzer against a live server: mutated link messages on fresh connections,
// and mutated channel messages on linked main, inputs and cursor connections. The server must
// stay up, keep its memory bounded and still serve a fresh client. FUZZ_MS and FUZZ_SEED
// lengthen or replay a run.

const durationMs = Number(process.env.FUZZ_MS ?? 15_000);
const seed = Number(process.env.FUZZ_SEED ?? 20261125);

/** Real client messages of each channel, the seeds the mutations start from. */
function channelSeeds(): Record<number, Uint8Array[]> {
  const enc = <D extends Defs>(p: { client: Parameters<typeof encodeMessage<D>>[0] }, msgs: Parameters<typeof encodeMessage<D>>[1][]) =>
    msgs.map((m) => {
      const { type, body } = encodeMessage(p.client, m);
      return frame('mini', type, body, 0n);
    });
  const base = [
    { name: 'ack_sync', body: { generation: 1 } },
    { name: 'ack', body: {} },
    { name: 'pong', body: { id: 7, timestamp: 123456789n } },
    { name: 'disconnecting', body: { time_stamp: 1n, reason: 0 } },
  ] as never[];
  return {
    [ChannelType.main]: enc(
      mainProtocol as never,
      [
        ...base,
        { name: 'attach_channels', body: {} },
        { name: 'mouse_mode_request', body: { mode: 2 } },
        { name: 'agent_start', body: { num_tokens: 10 } },
        { name: 'agent_data', body: { data: new Uint8Array(40).fill(1) } },
        { name: 'agent_token', body: { num_tokens: 3 } },
      ] as never[],
    ),
    [ChannelType.inputs]: enc(
      inputsProtocol as never,
      [
        ...base,
        { name: 'key_down', body: { code: 0x48e0 } },
        { name: 'key_up', body: { code: 0x9e } },
        { name: 'key_scancode', body: { data: Uint8Array.of(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5) } },
        { name: 'key_modifiers', body: { modifiers: 7 } },
        { name: 'mouse_motion', body: { dx: -5, dy: 5, buttons_state: 1 } },
        { name: 'mouse_position', body: { x: 10, y: 20, buttons_state: 0, display_id: 0 } },
        { name: 'mouse_press', body: { button: 3, buttons_state: 4 } },
        { name: 'mouse_release', body: { button: 3, buttons_state: 0 } },
      ] as never[],
    ),
    [ChannelType.cursor]: enc(cursorProtocol as never, base),
  };
}

function linkSeeds(): Uint8Array[] {
  const common = capWords([CommonCap.authSelection, CommonCap.miniHeader]);
  const links = [
    encodeLinkMess({
      connectionId: 0,
      channelType: ChannelType.main,
      channelId: 0,
      commonCaps: common,
      channelCaps: capWords([MainCap.nameAndUuid]),
    }),
    encodeLinkMess({
      connectionId: 0,
      channelType: ChannelType.inputs,
      channelId: 0,
      commonCaps: common,
      channelCaps: capWords([InputsCap.keyScancode]),
    }),
    encodeLinkMess({ connectionId: 5, channelType: ChannelType.cursor, channelId: 0, commonCaps: [], channelCaps: [] }),
  ];
  // With the auth mechanism and a (garbage) ticket behind, so later stages get mutated too.
  return links.flatMap((l) => [l, Uint8Array.from([...l, 1, 0, 0, 0, ...new Uint8Array(128).fill(0x41)])]);
}

/** A connection from an address of its own in 127/8, so the ticket throttle of one address does not slow the rest. */
function open(port: number, rand: () => number): Promise<Socket> {
  const localAddress = `127.${1 + Math.floor(rand() * 250)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 250)}`;
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.on('error', reject);
  });
}

test('mutated link and channel messages never take the server down, and its memory stays bounded', async (t) => {
  const s = await startTestServer(['--disable-ticketing']);
  t.teardown(() => s.stop());
  const ep = { host: '127.0.0.1', port: s.port };
  const rand = prng(seed);
  const deadline = Date.now() + durationMs;
  let tried = 0;
  let closedByServer = 0;
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  t.teardown(() => clearInterval(sampler));

  const linkLoop = async () => {
    const seeds = linkSeeds();
    while (Date.now() < deadline) {
      const sock = await open(s.port, rand).catch(() => null);
      if (!sock) continue;
      sock.on('error', () => {});
      sock.write(mutate(seeds[Math.floor(rand() * seeds.length)]!, rand));
      tried++;
      // Leave it to the server: it answers and closes, or times the link out; we do not wait long.
      await new Promise((r) => setTimeout(r, 5));
      sock.destroy();
    }
  };

  // Fuzzed main links that get through start sessions of their own, which end ours (a new main
  // connection replaces the client): so a session may be gone by the time we use it.
  const newSession = async (): Promise<SpiceClient> => {
    for (;;) {
      try {
        return await SpiceClient.connect(ep);
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };

  const channelLoop = async () => {
    const seeds = channelSeeds();
    const types = [ChannelType.main, ChannelType.inputs, ChannelType.cursor] as const;
    let session = await newSession();
    while (Date.now() < deadline) {
      const type = types[Math.floor(rand() * types.length)]!;
      let linked;
      try {
        linked = await linkChannel(ep, {
          channelType: type,
          channelId: 0,
          connectionId: type === ChannelType.main ? 0 : session.init.session_id,
        });
      } catch {
        // The session may have ended (a fuzzed main connection replaced it): start another.
        session.close();
        session = await newSession();
        continue;
      }
      const sock = linked.socket;
      let closed = false;
      sock.on('close', () => (closed = true));
      sock.on('error', () => {});
      sock.resume();
      for (let i = 0; i < 200 && !closed && Date.now() < deadline; i++) {
        const pool = seeds[type]!;
        const m = rand() < 0.3 ? pool[Math.floor(rand() * pool.length)]! : mutate(pool[Math.floor(rand() * pool.length)]!, rand);
        sock.write(m);
        tried++;
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 10));
      if (closed) closedByServer++;
      sock.destroy();
      if (type === ChannelType.main) {
        session.close();
        session = await newSession();
      }
    }
    session.close();
  };

  const started = Date.now();
  await Promise.all([linkLoop(), linkLoop(), channelLoop(), channelLoop()]);
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);

  // Still serving: a fresh client links every channel, and its input reaches the host.
  const client = await SpiceClient.connect(ep);
  t.truthy(client.inputs && client.cursor);
  client.close();
  const growthMiB = (rssPeak - rssStart) / 2 ** 20;
  t.log(
    `fuzz: ${tried} messages in ${seconds.toFixed(1)} s (seed ${seed}), ${closedByServer} channel connections closed by the server, peak RSS ${(rssPeak / 2 ** 20).toFixed(0)} MiB (+${growthMiB.toFixed(0)} MiB)`,
  );
  t.true(tried > 1000, 'the fuzzer got through');
  // And bad input does close its connection: a message type the inputs channel does not have.
  const probe = await SpiceClient.connect(ep);
  const closed = new Promise((r) => probe.inputs!.socket.once('close', r));
  probe.inputs!.sendRaw(99, new Uint8Array(4));
  await closed;
  probe.close();
  t.true(growthMiB < 256, `memory bounded: grew ${growthMiB.toFixed(0)} MiB`);
});
