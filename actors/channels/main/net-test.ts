/**
 * spice-server's main-channel net test (MainChannelClient::start_net_test): a warm-up ping, a
 * latency ping and a 256000-byte ping; the difference between the last two is the time the
 * payload took. Below 10 Mbit/s the client counts as low-bandwidth (JPEG and zlib-GLZ "auto").
 */
export const netTestPayload = 256_000;
export const lowBandwidthBits = 10 * 1024 * 1024;

export interface NetTest {
  readonly latencyMs: number;
  readonly bitsPerSecond: number;
  readonly lowBandwidth: boolean;
}

export async function runNetTest(ping: (payload: number) => Promise<number>): Promise<NetTest> {
  await ping(0);
  const latencyMs = await ping(0);
  const withPayload = await ping(netTestPayload);
  // A payload faster than the latency ping (noise on loopback) means "as fast as we can tell".
  const transferMs = Math.max(withPayload - latencyMs, 0.001);
  const bitsPerSecond = (netTestPayload * 8 * 1000) / transferMs;
  return { latencyMs, bitsPerSecond, lowBandwidth: bitsPerSecond < lowBandwidthBits };
}
