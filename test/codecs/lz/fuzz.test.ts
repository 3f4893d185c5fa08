import test from 'ava';
import { decodeLz } from '../../../codecs/image/lz/decoder.js';
import { encodeLz } from '../../../codecs/image/lz/encoder.js';
import { LZ_HEADER_SIZE, LzImageType, writeHeader } from '../../../codecs/image/lz/format.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { mutate } from '../../helpers/fuzz.js';
import { makeBitmap, noise } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';

// Time-bounded mutation fuzzing of the decoder: every mutant must decode or return an error value,
// never throw, and a decoded image must have exactly the pixels its header announces.
// LZ_FUZZ_SEED replays a run; LZ_FUZZ_MS sets its length (default 3 s).

const seed = Number(process.env.LZ_FUZZ_SEED ?? 20240601);
const budgetMs = Number(process.env.LZ_FUZZ_MS ?? 3000);

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const bitmaps = [
    noise(7, 5, 1),
    makeBitmap(64, 16, (x, y) => [x & 0xf0, y * 16, (x ^ y) & 8 ? 255 : 0, x < 32 ? 255 : y]),
    makeBitmap(300, 40, (x, y) => ((Math.floor(x / 9) + y) % 5 === 0 ? [0, 0, 0, 255] : [250, 250, 250, 255])),
  ];
  // A 96x64 crop of each corpus image: real screen content, small enough to mutate quickly.
  for (const { bitmap } of corpus()) {
    const x0 = Math.floor(bitmap.width / 3) * 4;
    const y0 = Math.floor(bitmap.height / 3);
    bitmaps.push({ width: 96, height: 64, stride: bitmap.stride, pixels: bitmap.pixels.subarray(y0 * bitmap.stride + x0) });
  }
  for (const b of bitmaps) out.push(encodeLz(b, 'rgb32'), encodeLz(b, 'rgba'));
  // An RGB24 stream is an RGB32 body under another header.
  const rgb24 = out[2]!.slice();
  const v = new DataView(rgb24.buffer);
  v.setUint32(8, LzImageType.RGB24);
  v.setUint32(20, v.getUint32(12) * 3);
  // RGB16 by hand, 40x2: 32 literal words, then 48 pixels copied from 32 back.
  const rgb16 = new Uint8Array(LZ_HEADER_SIZE);
  writeHeader(rgb16, { type: LzImageType.RGB16, width: 40, height: 2, stride: 80, topDown: 0 });
  const words = Array.from({ length: 32 }, (_, i) => [((i * 1000) >> 8) & 0x7f, (i * 1000) & 0xff]).flat();
  out.push(rgb24, Uint8Array.from([...rgb16, 31, ...words, 7 << 5, 47 - 7, 31]));
  return out;
}

test(`decoder survives mutated streams (seed ${seed}, ${budgetMs} ms)`, (t) => {
  const corpusStreams = seeds();
  const rnd = prng(seed);
  const deadline = performance.now() + budgetMs;
  let runs = 0;
  let decoded = 0;
  const errors = new Set<string>();
  while (performance.now() < deadline) {
    for (let k = 0; k < 50; k++, runs++) {
      const base = corpusStreams[Math.floor(rnd() * corpusStreams.length)]!;
      const mutant = mutate(base, rnd);
      let result;
      try {
        result = decodeLz(mutant, { maxPixels: 1 << 22 });
      } catch (e) {
        t.fail(`run ${runs} (seed ${seed}) threw: ${String(e)}; mutant ${Buffer.from(mutant).toString('hex').slice(0, 200)}`);
        return;
      }
      if (result.ok) {
        decoded++;
        const { width, height, pixels } = result.value;
        if (pixels.length !== width * height * 4) return t.fail(`run ${runs}: ${pixels.length} bytes for ${width}x${height}`);
      } else errors.add(result.error.replace(/0x[\da-f]+|\d+/g, 'N'));
    }
  }
  t.log(`${runs} mutants: ${decoded} decoded, ${runs - decoded} rejected; error kinds: ${[...errors].sort().join(' | ')}`);
  t.true(runs > 1000, `only ${runs} runs`);
  // The mutants must exercise the stream checks, not only the header's.
  for (const kind of ['truncated', 'trailing', 'before the start', 'past the end']) {
    t.true(
      [...errors].some((e) => e.includes(kind)),
      `no mutant hit "${kind}"`,
    );
  }
  t.true(
    corpusStreams.every((s) => decodeLz(s).ok),
    'every seed stream is valid',
  );
});
