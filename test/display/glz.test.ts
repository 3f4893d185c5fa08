import test from 'ava';
import { ImageType } from '../../codecs/protocol/enums.js';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startConfiguredServer } from '../helpers/server.js';

/** The id in each GLZ image's header the client got, in order. */
const glzIds = (client: SpiceClient): bigint[] =>
  client.display!.channel.history.flatMap((m) => {
    if (m.name !== 'draw_copy') return [];
    const src = m.body.data.src_bitmap;
    if (src?.descriptor.type !== ImageType.glzRgb) return [];
    const data = (src.data as { data: Uint8Array }).data;
    return [new DataView(data.buffer, data.byteOffset).getBigUint64(21)];
  });

test('image-compression glz over the animated demo desktop: our client decodes every image; ids count 0, 1, 2...; a reconnecting client starts a fresh dictionary', async (t) => {
  const s = await startConfiguredServer(['--disable-ticketing', '--demo', '--demo-size', '640x480', '--image-compression', 'glz']);
  t.teardown(() => s.stop());
  for (const round of [1, 2]) {
    const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
    const d = await client.displayReady();
    await eventually('60 drawings', () => d.draws >= 60 || d.error !== null, 60_000);
    t.is(d.error, null, `round ${round}`);
    const ids = glzIds(client);
    t.true(ids.length > 10, `round ${round}: ${ids.length} GLZ images`);
    t.deepEqual(
      ids,
      ids.map((_, i) => BigInt(i)),
      `round ${round}: ids from 0 up by one`,
    );
    t.true(d.glz.size > 1, 'the window keeps earlier images');
    client.close();
  }
});
