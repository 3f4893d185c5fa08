import test from 'ava';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startDisplayTestServer } from '../helpers/server.js';

// A client link limited by max-bandwidth, flooded by the display: the channels share it by
// priority. Measured as the inputs channel's motion-ack round trip, input first (the default)
// against display first, in the same run.

const size = { width: 160, height: 120 }; // raw frames of 75 KiB

async function ackRoundTrips(flags: string[]): Promise<{ worst: number; displayBytesPerS: number }> {
  // Raw images of noise (one-colour frames would go as fills), no video stream: the flood is to fill the link.
  const s = await startDisplayTestServer(
    ['--disable-ticketing', '--image-compression', 'off', '--streaming-video', 'off', '--max-bandwidth', '2mbit', ...flags],
    size,
  );
  try {
    const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
    const d = await client.displayReady();
    await s.host.link.ask({ kind: 'frames', count: 1, first: 0, noise: true });
    await eventually('the first frame', () => d.draws > 0, 30_000);
    const inputs = client.inputs!;
    const flood = s.host.link.ask({ kind: 'frames', count: 150, first: 1, intervalMs: 20, noise: true });
    await new Promise((r) => setTimeout(r, 500)); // the display's queue fills
    const before = d.channel.socket.bytesRead;
    const started = performance.now();
    const trips: number[] = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      const ack = firstValueFrom(
        inputs.messages$.pipe(
          filter((m) => m.name === 'mouse_motion_ack'),
          timeout(30_000),
        ),
      );
      for (let k = 0; k < 4; k++) inputs.send({ name: 'mouse_motion', body: { dx: 1, dy: 0, buttons_state: 0 } });
      await ack;
      trips.push(performance.now() - t0);
    }
    const seconds = Math.max(1, performance.now() - started) / 1000;
    const displayBytesPerS = (d.channel.socket.bytesRead - before) / seconds;
    client.close();
    void flood.catch(() => {});
    return { worst: Math.max(...trips), displayBytesPerS };
  } finally {
    await s.stop();
  }
}

test.serial('with max-bandwidth, input goes ahead of a display flood; with the priorities turned round it waits behind it', async (t) => {
  const inputFirst = await ackRoundTrips([]);
  const displayFirst = await ackRoundTrips(['--channels.inputs.priority', '7', '--channels.display.priority', '0']);
  t.log(
    `slowest motion-ack round trip during the flood: input first ${inputFirst.worst.toFixed(1)} ms, display first ${displayFirst.worst.toFixed(1)} ms (${(displayFirst.worst / inputFirst.worst).toFixed(1)}x); display received ${(inputFirst.displayBytesPerS / 1e3).toFixed(0)} and ${(displayFirst.displayBytesPerS / 1e3).toFixed(0)} kB/s on a 250 kB/s link`,
  );
  t.true(displayFirst.worst > 5 * inputFirst.worst, 'priority decides who waits');
  // The link budget holds: what the display got stays near 2 Mbit/s (plus one burst and one frame).
  t.true(inputFirst.displayBytesPerS < 250_000 * 1.5 + 64 * 1024 + 80_000, `display at ${inputFirst.displayBytesPerS.toFixed(0)} B/s`);
});
