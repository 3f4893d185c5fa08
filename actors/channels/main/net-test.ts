import type { NetTest } from '../../contracts.js';
/**
 * spice-server's main-channel net test (MainChannelClient::start_net_test): a warm-up ping, a
 * latency ping and a 256000-byte ping; the payload's time is its round trip less the latency
 * (the least round trip of the empty pings, as spice-server takes it). Below 10 Mibit/s the
 * client counts as low-bandwidth (JPEG and zlib-GLZ "auto", the stream's first bit rate).
 *
 * One sample of each is at the mercy of scheduling: a client busy linking its other channels,
 * or a busy host, answers a ping milliseconds late, many times a fast link's payload time. A
 * late empty ping made a loopback link look infinitely fast (2,048,000 Mbit/s), a late payload
 * made it 22 Mbit/s. Lateness only adds, so the test repeats rounds and keeps the least round
 * trip of each kind: while rounds are cheap, and, at more cost, while the figure is near the
 * low-bandwidth line, where a late answer would flip the choices made on it. A clearly slow
 * link is measured once, as spice-server does: its payload time dwarfs any lateness.
 */
export const netTestPayload = 256_000;
export const lowBandwidthBits = 10 * 1024 * 1024;
const maxRounds = 5;
/** Rounds within this, in all, cost little (a 10 Mbit/s link's payload takes 200 ms). */
const cheapMs = 300;
/** A figure within this factor of the low-bandwidth line may be measured again up to `nearLineMs` in all. */
const nearLine = 4;
const nearLineMs = 1500;

export type { NetTest };

/** The rate a payload taking `transferMs` shows; null if it took no time. */
const bitsPer = (transferMs: number): number | null => (transferMs > 0 ? (netTestPayload * 8 * 1000) / transferMs : null);

/** Runs the test with `ping`, which sends a ping with `payload` bytes and resolves with its round trip in ms. */
export async function runNetTest(ping: (payload: number) => Promise<number>): Promise<NetTest> {
  const [warmUpMs, firstMs] = [await ping(0), await ping(0)];
  let latencyMs = Math.min(warmUpMs, firstMs);
  let payloadMs = await ping(netTestPayload);
  let elapsedMs = warmUpMs + firstMs + payloadMs;
  const again = () => {
    const rate = bitsPer(payloadMs - latencyMs) ?? Infinity;
    const budget = rate > lowBandwidthBits / nearLine && rate < lowBandwidthBits * nearLine ? nearLineMs : cheapMs;
    return elapsedMs + payloadMs + latencyMs <= budget;
  };
  for (let round = 1; round < maxRounds && again(); round++) {
    const empty = await ping(0);
    const full = await ping(netTestPayload);
    elapsedMs += empty + full;
    latencyMs = Math.min(latencyMs, empty);
    payloadMs = Math.min(payloadMs, full);
  }
  const bitsPerSecond = bitsPer(payloadMs - latencyMs);
  return { latencyMs, bitsPerSecond, lowBandwidth: bitsPerSecond !== null && bitsPerSecond < lowBandwidthBits };
}
