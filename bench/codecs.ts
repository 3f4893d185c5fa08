import { deflateRawSync, deflateSync } from 'node:zlib';
import type { Bitmap32, Bitmap32Format } from '../codecs/image/bitmap.js';
import { imageEncoders } from '../codecs/image/encoders.js';
import { corpus } from '../codecs/image/fixtures/corpus.js';
import {
  createGlzDictionary,
  GLZ_MIN_WINDOW_PIXELS,
  type GlzDictionary,
  glzStats,
  glzWindow,
  glzWindowPixels,
} from '../codecs/image/glz/dictionary.js';
import { encodeGlz } from '../codecs/image/glz/encoder.js';
import { ssim } from '../codecs/image/ssim.js';
import { createVideoDecoder } from '../codecs/video/decoder.js';
import { encodeJpeg } from '../codecs/video/jpeg.js';
import { spiceGtkDisplayInit } from '../client/display.js';
import { imageSequences } from './image-sequences.js';
import { percentile, table } from './stats.js';

// Image encoders on the corpus, each beside zlib's deflate level 1 on the same raw BGRX
// bytes, measured in the same run: speed (input MB/s on one core) and size (bytes out / bytes
// in), then the codec's figures as multiples of zlib's. Then GLZ over sequences of screens
// against one dictionary, beside the stateless codecs on the same frames.

interface ImageCodec {
  readonly name: string;
  readonly encode: (bitmap: Bitmap32, format: Bitmap32Format) => Uint8Array;
  /** Lossy codecs: the SSIM of what the client decodes. */
  readonly decode?: (bytes: Uint8Array) => Bitmap32;
}

/** GLZ against a fresh window for each encode (the dictionary's making counted), or against one that has just coded the same image (a redraw). */
const glzCodec = (name: string, fresh: boolean): ImageCodec => {
  let kept: GlzDictionary | undefined;
  let last: Bitmap32 | undefined;
  return {
    name,
    encode: (bitmap) => {
      const window = 2 ** Math.ceil(Math.log2(Math.max(bitmap.width * bitmap.height * 2, GLZ_MIN_WINDOW_PIXELS)));
      if (fresh) return encodeGlz(createGlzDictionary(window), bitmap);
      if (!kept || glzWindow(kept) < window) kept = createGlzDictionary(window);
      // Its first sight, so that even the size measured first is of the image seen before.
      if (bitmap !== last) encodeGlz(kept, bitmap);
      last = bitmap;
      return encodeGlz(kept, bitmap);
    },
  };
};

/** spice-server's zlib level for ZLIB_GLZ (`ZLIB_DEFAULT_COMPRESSION_LEVEL`). */
const ZLIB_GLZ_LEVEL = 3;
/** spice-server's JPEG quality for images (`jpeg_quality`, reds.cpp). */
const JPEG_QUALITY = 85;
const jpegDecoder = createVideoDecoder('mjpeg');
const jpegCodec: ImageCodec = {
  name: `jpeg q${JPEG_QUALITY}`,
  encode: (bitmap) => encodeJpeg(bitmap, JPEG_QUALITY),
  decode: (bytes) => {
    const r = jpegDecoder.decode(bytes);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  },
};

const stateless: ImageCodec[] = [...Object.entries(imageEncoders).map(([name, encode]) => ({ name, encode })), jpegCodec];
const codecs: ImageCodec[] = [...stateless, glzCodec('glz (a first image)', true), glzCodec('glz (seen before)', false)];

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
const quality = (c: ImageCodec, bitmap: Bitmap32, bytes: Uint8Array): number | string =>
  c.decode ? ssim(bitmap, c.decode(bytes)) : 'lossless';

for (const { name, bitmap: png } of images) {
  // As a 32BIT surface holds it: the 4th byte constant (PNG alpha would otherwise cost zlib alone).
  const raw = png.pixels.slice(0, png.height * png.stride);
  for (let i = 3; i < raw.length; i += 4) raw[i] = 0;
  const bitmap: Bitmap32 = { ...png, pixels: raw };
  const bytes = bitmap.width * bitmap.height * 4;
  const zlib = () => deflateRawSync(raw, { level: 1 });
  const zlibSize = zlib().length;
  const outputs = codecs.map((c) => c.encode(bitmap, format)); // also the warm-up
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
    const size = outputs[i]!.length;
    addTotal(c.name, bytes, seconds, size);
    rows.push([...figures(name, c.name, bytes, seconds, size, zlibSeconds, zlibSize), quality(c, bitmap, outputs[i]!)]);
  });
}
for (const c of codecs) {
  const t = totals.get(c.name)!;
  const z = totals.get('zlib')!;
  rows.push([...figures('all images (sums)', c.name, t.bytes, t.seconds, t.out, z.seconds, z.out), '']);
  // Sums are dominated by the images that compress least; the geometric mean weighs each image alike.
  const mine = rows.filter((r) => r[1] === c.name && r[0] !== 'all images (sums)');
  rows.push(['geometric mean', c.name, ...[2, 3, 4, 5, 6, 7].map((k) => geomean(mine.map((r) => r[k] as number))), '']);
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

function figures(image: string, codec: string, bytes: number, seconds: number, size: number, zlibSeconds: number, zlibSize: number) {
  const speed = bytes / seconds / 1e6;
  const zlibSpeed = bytes / zlibSeconds / 1e6;
  const ratio = size / bytes;
  const zlibRatio = zlibSize / bytes;
  return [image, codec, speed, zlibSpeed, speed / zlibSpeed, ratio, zlibRatio, ratio / zlibRatio];
}

console.log(
  `bench/codecs: ${format}, median of ${rounds} rounds, Node ${process.version}; MB/s of raw input (width*height*4) on one core, out/in = encoded bytes / raw bytes`,
);
console.log(
  table(
    ['image', 'codec', 'MB/s', 'zlib-1 MB/s', 'speed x zlib', 'out/in', 'zlib-1 out/in', 'out/in x zlib', 'SSIM'],
    rows.map((r) => r.map((c, i) => (i >= 5 && i <= 7 ? small(c as number) : c))),
  ),
);

/** Sizes of a few thousandths of the input keep three figures. */
function small(x: number): string {
  return x.toPrecision(3);
}

// Sequences: every frame a whole screen, as QEMU's damage sends a terminal's scroll or a moved
// window. GLZ codes each sequence against one dictionary of spice-gtk's window (a fresh one per
// round, made outside the timing); the stateless codecs code each frame alone.
const window = glzWindowPixels(spiceGtkDisplayInit.glz_dictionary_window_size).pixels;
const sequences = imageSequences(images);
const seqRows: (string | number)[][] = [];
for (const seq of sequences) {
  const bytes = seq.frames.reduce((s, f) => s + f.width * f.height * 4, 0);
  const run = (encode: (f: Bitmap32) => Uint8Array) => seq.frames.reduce((s, f) => s + encode(f).length, 0);
  const row = (codec: string, times: number[], out: number, earlier: number | string, own: number | string) => {
    const seconds = percentile(times, 50);
    seqRows.push([seq.name, codec, bytes / seconds / 1e6, small(out / bytes), earlier, own]);
  };
  for (const c of [...stateless, { name: 'zlib-1', encode: (f: Bitmap32) => deflateRawSync(f.pixels, { level: 1 }) }]) {
    const out = run((f) => c.encode(f, format));
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) timeOf(() => run((f) => c.encode(f, format)), times);
    row(c.name, times, out, '-', '-');
  }
  const times: number[] = [];
  let out = 0;
  let dictionary = createGlzDictionary(window);
  run((f) => encodeGlz(dictionary, f)); // warm-up
  for (let r = 0; r < rounds; r++) {
    dictionary = createGlzDictionary(window);
    const t0 = process.hrtime.bigint();
    out = run((f) => encodeGlz(dictionary, f));
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const s = glzStats(dictionary);
  const pixels = s.crossPixels + s.samePixels + s.literalPixels;
  row('glz, one dictionary', times, out, (100 * s.crossPixels) / pixels, (100 * s.samePixels) / pixels);
  // ZLIB_GLZ: spice-server deflates each GLZ image (zlib level 3) on a WAN link and keeps the smaller.
  const zlibTimes: number[] = [];
  let wrapped = 0;
  for (let r = 0; r < rounds; r++) {
    dictionary = createGlzDictionary(window);
    const t0 = process.hrtime.bigint();
    wrapped = run((f) => {
      const glz = encodeGlz(dictionary, f);
      const z = deflateSync(glz, { level: ZLIB_GLZ_LEVEL });
      return z.length < glz.length ? z : glz;
    });
    zlibTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  row(`glz + zlib-${ZLIB_GLZ_LEVEL} (ZLIB_GLZ)`, zlibTimes, wrapped, '-', '-');
}
console.log(
  `\nSequences (${sequences.map((q) => `${q.name}: ${q.frames.length} frames`).join('; ')}): GLZ against one dictionary of ${window} pixels (spice-gtk's window), the others frame by frame; ` +
    'pixels GLZ coded as matches into earlier images, and into the same image, in % of all pixels',
);
console.log(table(['sequence', 'codec', 'MB/s', 'out/in', 'from earlier images %', 'from own image %'], seqRows));
