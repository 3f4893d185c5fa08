import type { CompressJob } from '../codecs/image/compress-job.js';
import { CompressorPool } from '../actors/pipeline/compressor-pool/pool.js';
import { compressJob } from '../codecs/image/compress.js';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { type CompressedEncoding, imageEncoders } from '../codecs/image/encoders.js';
import { corpus } from '../codecs/image/fixtures/corpus.js';
import { percentile, table } from './stats.js';

// The compressor pool on the corpus, each figure against a reference measured in the same
// run: throughput with 2 threads against 1 (the speed-up), and the cost a job pays for the trip to
// a pool thread against calling the same task code inline on this thread. Inline, 1- and 2-thread
// runs alternate round by round, so machine noise falls on all; the spread of the speed-up over
// the rounds is printed beside its median. Whole images and 64x64 tiles of the desktop image show
// where the per-job cost starts to dominate. Encodings: every one in the encoder table.

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const TILE = 64;

const images = corpus();

/** A bitmap in shared memory as a 32BIT surface holds it (4th byte 0), as a job for `encoding`. */
function sharedJob(bitmap: Bitmap32, encoding: CompressedEncoding): CompressJob {
  const pixels = new SharedArrayBuffer(bitmap.width * bitmap.height * 4);
  const view = new Uint8Array(pixels);
  for (let y = 0; y < bitmap.height; y++)
    view.set(bitmap.pixels.subarray(y * bitmap.stride, y * bitmap.stride + bitmap.width * 4), y * bitmap.width * 4);
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

/** Wall time to run the task code on every job `passes` times, back to back on this thread. */
function timeInline(jobs: readonly CompressJob[], passes: number): number {
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const job of jobs) compressJob(job);
  return seconds(t0);
}

/** Wall time to compress every job `passes` times, the pool kept full (the producer waits on drained()). */
async function timeThroughput(pool: CompressorPool, jobs: readonly CompressJob[], passes: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const pending: Promise<unknown>[] = [];
  for (let p = 0; p < passes; p++) {
    for (const job of jobs) {
      while (pool.full()) await pool.drained();
      pending.push(pool.compress(job));
    }
  }
  await Promise.all(pending);
  return seconds(t0);
}

interface SerialTimes {
  /** compress() to result, µs. */
  readonly trip: number[];
  /** The part of each trip spent in the task on the pool thread (its encode stage). */
  readonly threadEncode: number[];
  /** The same task code called on this thread. */
  readonly inline: number[];
}

/**
 * One job at a time, through the pool and inline, job by job; which goes first alternates, so
 * neither always finds the pixels warm in cache.
 */
async function timeSerial(pool: CompressorPool, jobs: readonly CompressJob[], passes: number, into: SerialTimes): Promise<void> {
  const inline = (job: CompressJob) => {
    const t0 = process.hrtime.bigint();
    compressJob(job);
    into.inline.push(seconds(t0) * 1e6);
  };
  for (let p = 0; p < passes; p++) {
    for (const [k, job] of jobs.entries()) {
      if (k % 2) inline(job);
      const encodedBefore = pool.stages.encodeUs.sum;
      const t0 = process.hrtime.bigint();
      await pool.compress(job);
      into.trip.push(seconds(t0) * 1e6);
      into.threadEncode.push(pool.stages.encodeUs.sum - encodedBefore);
      if (!(k % 2)) inline(job);
    }
  }
}

const throughputRows: (string | number)[][] = [];
const overheadRows: (string | number)[][] = [];
const stageRows: (string | number)[][] = [];

for (const encoding of Object.keys(imageEncoders) as CompressedEncoding[]) {
  const wholeJobs = images.map(({ bitmap }) => sharedJob(bitmap, encoding));
  const desktop = (images.find((i) => i.name.startsWith('desktop')) ?? images[0]!).bitmap;
  const tileJobs = tiles(desktop, 240).map((b) => sharedJob(b, encoding));
  const sets = [
    { name: `whole images (${wholeJobs.length})`, jobs: wholeJobs, passes: 4, serialPasses: 2 },
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
    const t0: number[] = [];
    const t1: number[] = [];
    const t2: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      t0.push(timeInline(jobs, passes));
      t1.push(await timeThroughput(one, jobs, passes));
      t2.push(await timeThroughput(two, jobs, passes));
      ratios.push(t1.at(-1)! / t2.at(-1)!);
    }
    const count = jobs.length * passes;
    const mb = (bytesOf(jobs) * passes) / 1e6;
    const [s0, s1, s2] = [percentile(t0, 50), percentile(t1, 50), percentile(t2, 50)];
    throughputRows.push([
      `${encoding}, ${name}`,
      count / s0,
      count / s1,
      count / s2,
      mb / s0,
      mb / s1,
      mb / s2,
      s0 / s1,
      s1 / s2,
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      // The quickest run of each is the one the other work on the machine disturbed least.
      Math.min(...t1) / Math.min(...t2),
    ]);

    const serial: SerialTimes = { trip: [], threadEncode: [], inline: [] };
    for (let r = 0; r < rounds; r++) await timeSerial(one, jobs, serialPasses, serial);
    const [trip, inline, threadEncode] = [serial.trip, serial.inline, serial.threadEncode].map((xs) => percentile(xs, 50)) as [
      number,
      number,
      number,
    ];
    const hop = percentile(
      serial.trip.map((t, i) => t - serial.threadEncode[i]!),
      50,
    );
    overheadRows.push([`${encoding}, ${name}`, inline, trip, trip - inline, trip / inline, threadEncode, threadEncode / inline, hop]);
  }

  for (const [label, pool] of [
    ['1 thread', one],
    ['2 threads', two],
  ] as const) {
    const { queueWaitUs: q, encodeUs: e, roundTripUs: rt } = pool.stages;
    stageRows.push([
      `${encoding}, ${label}`,
      String(q.count),
      q.quantile(0.5),
      q.quantile(0.99),
      e.quantile(0.5),
      e.quantile(0.99),
      rt.quantile(0.5),
      rt.quantile(0.99),
    ]);
  }
  await Promise.all([one.close(), two.close()]);
}

console.log(`bench/pool: corpus ${images.map((i) => i.name).join(', ')}; rgb32; ${rounds} alternating rounds; Node ${process.version}`);
console.log('\nThroughput: inline = the task code back to back on this thread; pools kept full by a producer waiting on drained()');
console.log('(medians of the rounds; MB/s of raw input, width*height*4; "1 thr/inline" = the 1-thread pool\'s share of inline speed):');
console.log(
  table(
    [
      'jobs',
      'inline img/s',
      '1 thr img/s',
      '2 thr img/s',
      'inline MB/s',
      '1 thr MB/s',
      '2 thr MB/s',
      '1 thr/inline',
      'speed-up 2/1',
      'speed-up range',
      'best/best',
    ],
    throughputRows,
  ),
);
console.log('\nPer-job cost, one job at a time: the 1-thread pool against the same task code called inline on this thread (µs, p50);');
console.log('"in thread" is the task as timed on the pool thread, "hop" the rest of the trip (queue, messages, wake-ups):');
console.log(table(['jobs', 'inline', 'pooled', 'overhead', 'pooled/inline', 'in thread', 'thread/inline', 'hop'], overheadRows));
console.log('\nStage histograms of each pool over the whole run (warm-up, throughput and serial jobs; µs):');
console.log(table(['pool', 'jobs', 'wait p50', 'wait p99', 'encode p50', 'encode p99', 'trip p50', 'trip p99'], stageRows));
