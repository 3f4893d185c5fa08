import { deflateRawSync } from 'node:zlib';
import type { Bitmap32, Bitmap32Format } from '../codecs/image/bitmap.js';
import { imageEncoders } from '../codecs/image/encoders.js';
import { corpus } from '../codecs/image/fixtures/corpus.js';
import { createGlzDictionary, GLZ_MIN_WINDOW_PIXELS, type GlzDictionary, glzWindow } from '../codecs/image/glz/dictionary.js';
import { encodeGlz } from '../codecs/image/glz/encoder.js';
import { percentile, table } from './stats.js';

// Image encoders on the corpus, each beside zlib's deflate level 1 on the same raw BGRX
// bytes, measured in the same run: speed (input MB/s, one core) and compression ratio
// (raw bytes / encoded bytes), then the codec's figures as multiples of zlib's.

interface ImageCodec {
  readonly name: string;
  readonly encode: (bitmap: Bitmap32, format: Bitmap32Format) => Uint8Array;
}

/** GLZ against a fresh window for each encode (the dictionary's making counted), or against one that has just coded the same image (a redraw). */
const glzCodec = (name: string, fresh: boolean): ImageCodec => {
  let kept: GlzDictionary | undefined;
  return {
    name,
    encode: (bitmap) => {
      const window = 2 ** Math.ceil(Math.log2(Math.max(bitmap.width * bitmap.height * 2, GLZ_MIN_WINDOW_PIXELS)));
      if (fresh) return encodeGlz(createGlzDictionary(window), bitmap);
      if (!kept || glzWindow(kept) < window) {
        kept = createGlzDictionary(window);
        // Its first sight, so that even the size measured first is of the image seen before.
        encodeGlz(kept, bitmap);
      }
      return encodeGlz(kept, bitmap);
    },
  };
};

const codecs: ImageCodec[] = [
  ...Object.entries(imageEncoders).map(([name, encode]) => ({ name, encode })),
  glzCodec('glz (a first image)', true),
  glzCodec('glz (seen before)', false),
];

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const format: Bitmap32Format = 'rgb32';

/** Appends the seconds one run of `op` takes. */
function timeOf(op: () => unknown, times: number[]): void {
  const t0 = process.hrtime.bigint();
  op();
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}

const images = corpus();

const rows: (string | number)[][] = [];
const totals = new Map<string, { bytes: number; seconds: number; out: number }>();
const addTotal = (name: string, bytes: number, seconds: number, out: number) => {
  const t = totals.get(name) ?? { bytes: 0, seconds: 0, out: 0 };
  totals.set(name, { bytes: t.bytes + bytes, seconds: t.seconds + seconds, out: t.out + out });
};

for (const { name, bitmap: png } of images) {
  // As a 32BIT surface holds it: the 4th byte constant (PNG alpha would otherwise cost zlib alone).
  const raw = png.pixels.slice(0, png.height * png.stride);
  for (let i = 3; i < raw.length; i += 4) raw[i] = 0;
  const bitmap: Bitmap32 = { ...png, pixels: raw };
  const bytes = bitmap.width * bitmap.height * 4;
  const zlib = () => deflateRawSync(raw, { level: 1 });
  const zlibSize = zlib().length;
  const sizes = codecs.map((c) => c.encode(bitmap, format).length); // also the warm-up
  const zlibTimes: number[] = [];
  const codecTimes = codecs.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    timeOf(zlib, zlibTimes);
    codecs.forEach((c, i) => timeOf(() => c.encode(bitmap, format), codecTimes[i]!));
  }
  const zlibSeconds = percentile(zlibTimes, 50);
  addTotal('zlib', bytes, zlibSeconds, zlibSize);
  codecs.forEach((c, i) => {
    const seconds = percentile(codecTimes[i]!, 50);
    addTotal(c.name, bytes, seconds, sizes[i]!);
    rows.push(figures(name, c.name, bytes, seconds, sizes[i]!, zlibSeconds, zlibSize));
  });
}
for (const c of codecs) {
  const t = totals.get(c.name)!;
  const z = totals.get('zlib')!;
  rows.push(figures('all images (sums)', c.name, t.bytes, t.seconds, t.out, z.seconds, z.out));
  // Sums are dominated by the images that compress least; the geometric mean weighs each image alike.
  const mine = rows.filter((r) => r[1] === c.name && r[0] !== 'all images (sums)');
  rows.push(['geometric mean', c.name, ...[2, 3, 4, 5, 6, 7].map((k) => geomean(mine.map((r) => r[k] as number)))]);
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

function figures(image: string, codec: string, bytes: number, seconds: number, size: number, zlibSeconds: number, zlibSize: number) {
  const speed = bytes / seconds / 1e6;
  const zlibSpeed = bytes / zlibSeconds / 1e6;
  const ratio = bytes / size;
  const zlibRatio = bytes / zlibSize;
  return [image, codec, speed, zlibSpeed, speed / zlibSpeed, ratio, zlibRatio, ratio / zlibRatio];
}

console.log(
  `bench/codecs: ${format}, median of ${rounds} rounds, Node ${process.version}; MB/s of raw input (width*height*4), ratio = raw / encoded`,
);
console.log(table(['image', 'codec', 'MB/s', 'zlib-1 MB/s', 'speed x zlib', 'ratio', 'zlib-1 ratio', 'ratio x zlib'], rows));
