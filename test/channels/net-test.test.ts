import test from 'ava';
import { lowBandwidthBits, netTestPayload, runNetTest } from '../../actors/channels/main/net-test.js';

/**
 * A simulated link on a manual clock: each ping's round trip is the latency, plus the payload's
 * time at `bitsPerSecond`, plus the next of `delays` (a busy client or host answering late).
 */
function simulatedLink(latencyMs: number, bitsPerSecond: number, delays: number[] = []) {
  const sent: number[] = [];
  let now = 0;
  const ping = async (payload: number): Promise<number> => {
    sent.push(payload);
    const rtt = latencyMs + (payload * 8 * 1000) / bitsPerSecond + (delays.shift() ?? 0);
    now += rtt;
    return rtt;
  };
  return { ping, sent, elapsedMs: () => now };
}

const within = (value: number | null, expected: number, factor: number) =>
  value !== null && value > expected / factor && value < expected * factor;

test('a late answer to the latency ping does not make a loopback link infinitely fast (it made 2,048,000 Mbit/s)', async (t) => {
  const link = simulatedLink(0.1, 5e9, [0, 5]);
  const r = await runNetTest(link.ping);
  t.true(within(r.bitsPerSecond, 5e9, 1.5), `${r.bitsPerSecond} bit/s`);
  t.is(r.latencyMs, 0.1, 'the latency is the least round trip, the warm-up counting (spice-server: MIN)');
  t.false(r.lowBandwidth);
});

test('a late answer to the payload ping is measured again rather than taken for a slow link (it made 22 Mbit/s)', async (t) => {
  const link = simulatedLink(0.1, 5e9, [0, 0, 90]);
  const r = await runNetTest(link.ping);
  t.true(within(r.bitsPerSecond, 5e9, 1.5), `${r.bitsPerSecond} bit/s`);
  t.false(r.lowBandwidth);
  t.true(link.elapsedMs() < 200, 'the repeats cost little on a fast link');
});

test('a starved host answering everything late, which made a fast link look low-bandwidth, measures again', async (t) => {
  const link = simulatedLink(0.1, 5e9, [60, 60, 300]);
  const r = await runNetTest(link.ping);
  t.false(r.lowBandwidth);
  t.true(within(r.bitsPerSecond, 5e9, 1.5), `${r.bitsPerSecond} bit/s`);
});

test('a link near the low-bandwidth line is measured again, within 1.5 s', async (t) => {
  const link = simulatedLink(40, 10e6);
  const r = await runNetTest(link.ping);
  t.true(within(r.bitsPerSecond, 10e6, 1.01), `${r.bitsPerSecond} bit/s`);
  t.true(r.lowBandwidth, '10 Mbit/s is below 10 Mibit/s');
  t.true(link.sent.filter((p) => p > 0).length > 1);
  t.true(link.elapsedMs() <= 1500, `${link.elapsedMs()} ms`);
});

test('a clearly slow link is measured once, as spice-server does, and is low-bandwidth below 10 Mibit/s', async (t) => {
  const link = simulatedLink(40, 2e6);
  const r = await runNetTest(link.ping);
  t.true(within(r.bitsPerSecond, 2e6, 1.01), `${r.bitsPerSecond} bit/s`);
  t.true(r.lowBandwidth);
  t.deepEqual(link.sent, [0, 0, netTestPayload], 'one payload: repeating would cost another second');
  t.false((await runNetTest(simulatedLink(40, lowBandwidthBits * 1.05).ping)).lowBandwidth);
  t.true((await runNetTest(simulatedLink(40, lowBandwidthBits * 0.95).ping)).lowBandwidth);
});

test('a payload that never takes longer than an empty ping is no measure: no rate, and not low-bandwidth (spice-server assumes high)', async (t) => {
  // Every empty ping answered 1 ms late, every payload at once, on a link too fast to see.
  const link = simulatedLink(0.1, Infinity, [1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
  const r = await runNetTest(link.ping);
  t.is(r.bitsPerSecond, null);
  t.false(r.lowBandwidth);
});

test('repeated measures of the same noisy fast link agree within a factor of 2', async (t) => {
  // Seeded jitter: each answer up to 2 ms late, about one in three.
  let seed = 7;
  const jitter = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % 3 === 0 ? (seed % 2000) / 1000 : 0;
  };
  const rates: number[] = [];
  for (let run = 0; run < 20; run++) {
    const r = await runNetTest(simulatedLink(0.1, 5e9, Array.from({ length: 20 }, jitter)).ping);
    rates.push(r.bitsPerSecond ?? NaN);
  }
  t.true(Math.max(...rates) / Math.min(...rates) < 2, `${rates.map((r) => (r / 1e9).toFixed(2)).join(' ')} Gbit/s`);
});
