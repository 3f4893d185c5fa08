import { createServer } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { Box } from '../../codecs/box.js';
import { SpiceClient } from '../../client/session.js';
import type { ClientDisplay } from '../../client/display.js';
import { herePixels } from '../../actors/pipeline/red-worker/compress-here.js';
import { noiseFrame } from '../fixtures/actors/qxl-test-host.js';
import { eventually, settle } from '../helpers/eventually.js';
import { actorFigure } from '../helpers/figures.js';
import { startDisplayTestServer } from '../helpers/server.js';

// Where an image is compressed: a small update (an idle guest's latency marker, a cursor-sized
// change) on the red-worker's own thread, without a trip through the compressor pool; a larger
// one in the pool, once the pool is up (it starts after a client's first picture). All reach the
// client compressed and exact.

const [width, height] = [640, 480];

/** Whether the client shows frame i's noise everywhere in `box`. */
const shows = (d: ClientDisplay, i: number, box: Box): boolean => {
  if (!d.surface) return false;
  const want = noiseFrame(width, height, i);
  const got = d.surface.bitmap.pixels;
  for (let y = box.top; y < box.bottom; y++)
    for (let x = box.left; x < box.right; x++)
      for (let c = 0; c < 3; c++) if (got[(y * width + x) * 4 + c] !== want[(y * width + x) * 4 + c]) return false;
  return true;
};

/** The companion with the test host, LZ and `threads` pool threads, and our client showing its first picture. */
async function showing(t: ExecutionContext, threads = 1) {
  const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', 'lz', '--compressor-threads', String(threads)], {
    width,
    height,
  });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('the first picture', () => d.marked && d.draws >= 1, 60_000);
  return { s, d };
}

test.serial('a small update is compressed without a pool job, a larger one in the pool; the client draws both exactly', async (t) => {
  const { s, d } = await showing(t);
  const poolJobs = () => actorFigure(s.companion, 'compressor-pool', 'spice_compressor_jobs_total', { display: '0' });
  const lzImages = () => actorFigure(s.companion, 'red-worker-0', 'spice_display_images_total', { encoding: 'lz' });
  // The first picture, the whole screen, went through the pool.
  await eventually('the first picture counted', async () => (await poolJobs()) >= 1, 10_000);

  /** Frame i's noise in `box` (noise over noise: no row one colour nor moved, so one image of the box); what the pool did meanwhile. */
  const update = async (i: number, box: Box) => {
    const [jobs, images] = [await poolJobs(), await lzImages()];
    await s.host.link.ask({ kind: 'frames', count: 1, first: i, noise: true, box });
    await eventually(`frame ${i} drawn`, () => shows(d, i, box), 60_000);
    return { poolJobs: (await poolJobs()) - jobs, lzImages: ((await lzImages()) || 0) - (images || 0) };
  };

  // A 16x16 marker, then the largest box of 512 columns compressed here.
  const [wide, rows] = [512, herePixels / 512];
  for (const [i, w, h] of [
    [1, 16, 16],
    [2, wide, rows],
  ] as const) {
    const here = await update(i, { left: 100, top: 100, right: 100 + w, bottom: 100 + h });
    t.deepEqual(here, { poolJobs: 0, lzImages: 1 }, `${w}x${h}: LZ, no pool job`);
  }
  // One row more: the pool's.
  const there = await update(3, { left: 100, top: 100, right: 100 + wide, bottom: 101 + rows });
  t.deepEqual(there, { poolJobs: 1, lzImages: 1 }, `${wide}x${rows + 1}: LZ, one pool job`);
  t.is(d.error, null);
});

test.serial('the drawings ready in one turn go to the display channel as one message, and the client draws each', async (t) => {
  // Two pool threads: a display's share is six drawings in flight, so the six leave the pipe at once
  // (with one, three: the second three wait for the display channel's credit, another message).
  const { s, d } = await showing(t, 2);
  const figure = (name: string) => actorFigure(s.companion, 'red-worker-0', name);
  await eventually('the first picture counted', async () => (await figure('spice_display_drawings_sent_total')) >= 1, 10_000);
  const [drawings, batches] = [await figure('spice_display_drawings_sent_total'), await figure('spice_display_batches_total')];

  // Six markers far apart (each its own drawing, compressed on the red-worker), drawn in one turn of the host.
  const boxes = Array.from({ length: 6 }, (_, k) => ({ left: 20 + 100 * k, top: 200, right: 36 + 100 * k, bottom: 216 }));
  await s.host.link.ask({ kind: 'frames', count: 1, first: 7, noise: true, boxes });
  await eventually('every box drawn', () => boxes.every((b) => shows(d, 7, b)), 60_000);
  await eventually('counted', async () => (await figure('spice_display_drawings_sent_total')) - drawings === 6, 10_000);
  const sentIn = (await figure('spice_display_batches_total')) - batches;
  t.true(sentIn >= 1 && sentIn <= 2, `6 drawings in ${sentIn} messages`);
  t.is(d.error, null);
});

test.serial(
  'a client there before the pool gets its first picture (the whole screen) compressed on the red-worker; later large updates go to the pool',
  async (t) => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    // The client links as soon as the port opens, while the companion is still starting its actors.
    const starting = startDisplayTestServer(['--port', String(port), '--disable-ticketing', '--image-compression', 'lz'], {
      width,
      height,
    });
    t.teardown(async () => (await starting).stop());
    const deadline = Date.now() + 30_000;
    const connect = async (): Promise<SpiceClient> => {
      for (;;) {
        try {
          return await SpiceClient.connect({ host: '127.0.0.1', port });
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await settle(5);
        }
      }
    };
    const c = await connect();
    t.teardown(() => c.close());
    const d = await c.displayReady();
    await eventually('the first picture', () => d.marked && d.draws >= 1, 60_000);
    const s = await starting;
    const poolJobs = async () => (await actorFigure(s.companion, 'compressor-pool', 'spice_compressor_jobs_total', { display: '0' })) || 0;
    const lzImages = async () => (await actorFigure(s.companion, 'red-worker-0', 'spice_display_images_total', { encoding: 'lz' })) || 0;
    t.is(await poolJobs(), 0, 'no pool job for the first picture');
    t.true((await lzImages()) >= 1, 'the first picture is an LZ image made on the red-worker');
    // The host's new surface, all black, exactly.
    t.true(
      d.surface!.bitmap.pixels.every((v, i) => i % 4 === 3 || v === 0),
      'the first picture shows the black surface',
    );

    // The whole screen again, now that the pool is up: the pool's job, drawn exactly.
    await s.host.link.ask({ kind: 'frames', count: 1, first: 4, noise: true });
    const screen = { left: 0, top: 0, right: width, bottom: height };
    await eventually('frame 4 drawn', () => shows(d, 4, screen), 60_000);
    t.true((await poolJobs()) >= 1, 'the full-screen update went through the pool');
    t.is(d.error, null);
  },
);
