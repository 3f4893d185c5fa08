import test from 'ava';
import { SpiceClient } from '../../client/session.js';
import type { ActorRef } from '../../runtime/supervisor.js';
import type { DemoHostContract } from '../../actors/contracts.js';
import { eventually, settle } from '../helpers/eventually.js';
import { startConfiguredServer } from '../helpers/server.js';

// The live demo animates only while a client is shown its display: with nobody there it draws
// its first frame and rests (an idle companion must cost nothing), and rests again once the
// client has gone.

test('the live demo draws frames only while a client watches', async (t) => {
  const s = await startConfiguredServer(['--disable-ticketing', '--demo', 'live', '--demo-size', '320x240']);
  t.teardown(() => s.stop());
  let frames = 0;
  (s.companion.host as unknown as ActorRef<DemoHostContract>).link.messages$.subscribe(() => frames++);
  // The first frame may come before the companion counts as started (and this subscription).
  await settle(1000);
  t.true(frames <= 1, `at most the first frame, then nothing while no client is there (${frames})`);

  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const d = await client.displayReady();
  await eventually('the first picture', () => d.draws > 0, 20_000);
  await eventually('frames while the client watches', () => frames > 5, 20_000);
  const drawsWatched = d.draws;
  await eventually('the client sees them', () => d.draws > drawsWatched, 20_000);

  client.close();
  const gone = frames;
  await eventually(
    'the animation stopping',
    async () => {
      const before = frames;
      await settle(300);
      return frames === before;
    },
    20_000,
  );
  const stopped = frames;
  await settle(500);
  t.is(frames, stopped, 'no frame once the client has gone');
  t.log(`frames: ${gone} while watched, ${stopped - gone} after the client left`);
});
