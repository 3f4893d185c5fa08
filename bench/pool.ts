import type { CompressJob } from '../actors/compressor-pool/job.js';
import { CompressorPool } from '../actors/compressor-pool/pool.js';
import { compressJob } from '../actors/compressor-pool/task.js';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { type CompressedEncoding, imageEncoders } from '../codecs/image/encoders.js';
import { corpus } from '../test/helpers/corpus.js';
import { percentile, table } from './stats.js';

// The compressor pool on the shared corpus, each figure against a reference measured in the same
// run: throughput with 2 threads against 1 (the speed-up), and the cost a job pays for the trip to
// a pool thread against calling the same task code inline on this thread. 1- and 2-thread runs
// alternate, so machine noise falls on both; the ratio's spread over the rounds is printed.

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const TILE = 64;

const images = corpus();
if (images.length === 0) {
  console.error('bench/pool: the corpus (../shared/corpus) is not there');
  process.exit(1);
}

/** A bitmap in shared memory as a 32BIT surface holds it (4th byte 0), as a job for `encoding`. */
function sharedJob(bitmap: Bitmap32, encoding: CompressedEncoding): CompressJob {
  const pixels = new SharedArrayBuffer(bitmap.width * bitmap.height * 4);
  const view = new Uint8Array(pixels);
  for (let y = 0; y < bitmap.height; y++) view.set(bitmap.pixels.subarray(y * bitmap.stride, y * bitmap.stride + bitmap.width * 4), y * bitmap.width * 4);
  for (let i = 3; i < view.length; i += 4) view[i] = 0;
  return { pixels, byteOffset: 0, width: bitmap.width, height: bitmap.height, stride: bitmap.width * 4, format: 'rgb32', encoding };
}

/** TILE x TILE tiles of an image: views on its pixels, as a tiling red-worker would send them. */
function tiles(bitmap: Bitmap32, count: number): Bitmap32[] {
  const across = Math.floor(bitmap.width / TILE);
  return Array.from({ length: count }, (_, i) => {
    const x = (i % across) * TILE;
    const y = (Math.floor(i / across) * TILE) % (bitmap.height - TILE);
    return { width: TILE, height: TILE, stride: bitmap.stride, pixels: bitmap.pixels.subarray(y * bitmap.stride + x * 4) };
  });
}

const bytesOf = (jobs: readonly CompressJob[]) => jobs.reduce((s, j) => s + j.width * j.height * 4, 0);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Wall time to compress every job `passes` times, the pool kept full (the producer waits on drained()). */
async function timeThroughput(pool: CompressorPool, jobs: readonly CompressJob[], passes: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const pending: Promise<unknown>[] = [];
  for (let p = 0; p < passes; p++) {
    for (const job of jobs) {
      while (pool.needsDrain) await pool.drained();
      pending.push(pool.compress(job));
    }
  }
  await Promise.all(pending);
  return seconds(t0);
}

/** Per-job µs, one job at a time: through the pool, and inline, alternating job by job. */
async function timeSerial(pool: CompressorPool, jobs: readonly CompressJob[], passes: number): Promise<{ pooled: number[]; inline: number[] }> {
  const pooled: number[] = [];
  const inline: number[] = [];
  for (let p = 0; p < passes; p++) {
    for (const job of jobs) {
      let t0 = process.hrtime.bigint();
      await pool.compress(job);
      pooled.push(seconds(t0) * 1e6);
      t0 = process.hrtime.bigint();
      compressJob(job);
      inline.push(seconds(t0) * 1e6);
    }
  }
  return { pooled, inline };
}

const throughputRows: (string | number)[][] = [];
const overheadRows: (string | number)[][] = [];
const stageRows: (string | number)[][] = [];

for (const encoding of Object.keys(imageEncoders) as CompressedEncoding[]) {
  const wholeJobs = images.map(({ bitmap }) => sharedJob(bitmap, encoding));
  const desktop = (images.find((i) => i.name.startsWith('desktop')) ?? images[0]!).bitmap;
  const tileJobs = tiles(desktop, 240).map((b) => sharedJob(b, encoding));
  const sets = [
    { name: `whole images (${wholeJobs.length})`, jobs: wholeJobs, passes: 2, serialPasses: 2 },
    { name: `${TILE}x${TILE} tiles (${tileJobs.length})`, jobs: tileJobs, passes: 10, serialPasses: 4 },
  ];

  const one = new CompressorPool({ threads: 1 });
  const two = new CompressorPool({ threads: 2 });
  for (const { jobs } of sets) {
    // Warm-up: threads started, every encoder path compiled in every thread and inline.
    await timeThroughput(one, jobs, 1);
    await timeThroughput(two, jobs, 1);
    jobs.forEach((job) => compressJob(job));
  }

  for (const { name, jobs, passes, serialPasses } of sets) {
    const t1: number[] = [];
    const t2: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      t1.push(await timeThroughput(one, jobs, passes));
      t2.push(await timeThroughput(two, jobs, passes));
      ratios.push(t1.at(-1)! / t2.at(-1)!);
    }
    const count = jobs.length * passes;
    const mb = (bytesOf(jobs) * passes) / 1e6;
    const [s1, s2] = [percentile(t1, 50), percentile(t2, 50)];
    throughputRows.push([
      `${encoding}, ${name}`,
      count / s1,
      count / s2,
      mb / s1,
      mb / s2,
      s1 / s2,
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
    ]);

    const serial = { pooled: [] as number[], inline: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const s = await timeSerial(one, jobs, serialPasses);
      serial.pooled.push(...s.pooled);
      serial.inline.push(...s.inline);
    }
    const [p50, i50] = [percentile(serial.pooled, 50), percentile(serial.inline, 50)];
    overheadRows.push([`${encoding}, ${name}`, i50, p50, p50 - i50, p50 / i50, percentile(serial.pooled, 99) - percentile(serial.inline, 99)]);
  }

  for (const [label, pool] of [['1 thread', one], ['2 threads', two]] as const) {
    const { queueWaitUs: q, encodeUs: e, roundTripUs: rt } = pool.stages;
    stageRows.push([`${encoding}, ${label}`, q.count, q.quantile(0.5), q.quantile(0.99), e.quantile(0.5), e.quantile(0.99), rt.quantile(0.5), rt.quantile(0.99)]);
  }
  await Promise.all([one.close(), two.close()]);
}

console.log(`bench/pool: corpus ${images.map((i) => i.name).join(', ')}; rgb32; ${rounds} alternating rounds; Node ${process.version}`);
console.log('\nThroughput, pool kept full (medians of the rounds; MB/s of raw input, width*height*4):');
console.log(table(['jobs', '1 thr img/s', '2 thr img/s', '1 thr MB/s', '2 thr MB/s', 'speed-up', 'speed-up range'], throughputRows));
console.log('\nPer-job overhead, one job at a time: the 1-thread pool against the same task code called inline on this thread (µs, p50):');
console.log(table(['jobs', 'inline', 'pooled', 'overhead', 'pooled/inline', 'p99 diff'], overheadRows));
console.log('\nStage histograms of each pool over the whole run (warm-up, throughput and serial jobs; µs):');
console.log(table(['pool', 'jobs', 'wait p50', 'wait p99', 'encode p50', 'encode p99', 'trip p50', 'trip p99'], stageRows));
