/**
 * spice-server's main-channel net test (MainChannelClient::start_net_test): a warm-up ping, a
 * latency ping and a 256000-byte ping; the payload's time is its round trip less the latency
 * (the least round trip of the empty pings, as spice-server takes it). Below 10 Mibit/s the
 * client counts as low-bandwidth (JPEG and zlib-GLZ "auto", the stream's first bit rate).
 *
 * One sample of each is at the mercy of scheduling: a client busy linking its other channels,
 * or a busy host, answers a ping milliseconds late, many times a fast link's payload time. A
 * late empty ping made a loopback link look infinitely fast (2,048,000 Mbit/s), a late payload
 * made it 22 Mbit/s. Lateness only adds, so while rounds are cheap (within `budgetMs` in all)
 * the test repeats them and keeps the least round trip of each kind; a slow link is measured
 * once, as spice-server does, its payload time dwarfing any lateness.
 */
export const netTestPayload = 256_000;
export const lowBandwidthBits = 10 * 1024 * 1024;
const maxRounds = 5;
/** Repeats stop before the test would take longer than this (a 10 Mbit/s link gets one round). */
const budgetMs = 300;

export interface NetTest {
  readonly latencyMs: number;
  /** Null when no payload took longer than an empty ping: too fast to tell (spice-server then assumes a fast link). */
  readonly bitsPerSecond: number | null;
  readonly lowBandwidth: boolean;
}

/** Runs the test with `ping`, which sends a ping with `payload` bytes and resolves with its round trip in ms. */
export async function runNetTest(ping: (payload: number) => Promise<number>): Promise<NetTest> {
  let latencyMs = Math.min(await ping(0), await ping(0));
  let payloadMs = await ping(netTestPayload);
  let elapsedMs = 2 * latencyMs + payloadMs;
  for (let round = 1; round < maxRounds && elapsedMs + payloadMs + latencyMs <= budgetMs; round++) {
    const empty = await ping(0);
    const full = await ping(netTestPayload);
    elapsedMs += empty + full;
    latencyMs = Math.min(latencyMs, empty);
    payloadMs = Math.min(payloadMs, full);
  }
  const transferMs = payloadMs - latencyMs;
  const bitsPerSecond = transferMs > 0 ? (netTestPayload * 8 * 1000) / transferMs : null;
  return { latencyMs, bitsPerSecond, lowBandwidth: bitsPerSecond !== null && bitsPerSecond < lowBandwidthBits };
}
