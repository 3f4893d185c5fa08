import test from 'ava';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { createGlzDictionary, glzStats, glzWindowPixels, GLZ_MIN_WINDOW_PIXELS } from '../../../codecs/image/glz/dictionary.js';
import { GlzWindow } from '../../../codecs/image/glz/decoder.js';
import { encodeGlz } from '../../../codecs/image/glz/encoder.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { encodeLz } from '../../../codecs/image/lz/encoder.js';
import { gradient, makeBitmap, noise, packed, solid } from '../../helpers/images.js';

function same(t: import('ava').ExecutionContext, got: Bitmap32, want: Bitmap32, label: string) {
  const w = packed(want, 'rgb32');
  const equal = Buffer.compare(Buffer.from(got.pixels), Buffer.from(w)) === 0;
  const i = equal ? -1 : w.findIndex((v, k) => v !== got.pixels[k]);
  t.true(equal && got.width === want.width && got.height === want.height, `${label}: first difference at byte ${i}`);
}

/** A part of a bitmap, as a view (rows at the parent's stride). */
const crop = (b: Bitmap32, x: number, y: number, width: number, height: number): Bitmap32 => ({
  width,
  height,
  stride: b.stride,
  pixels: b.pixels.subarray(y * b.stride + x * 4),
});

test('a sequence of images round-trips through one window; later images reference earlier ones', (t) => {
  const dictionary = createGlzDictionary(GLZ_MIN_WINDOW_PIXELS * 4);
  const window = new GlzWindow();
  const text = corpus().find((c) => c.name.startsWith('text'))!.bitmap;
  const images: [string, Bitmap32][] = [
    ['text', text],
    // The terminal scrolled by 16 rows, then a window moved by 40 pixels.
    ['text scrolled', crop(text, 0, 16, text.width, text.height - 16)],
    ['a part of it moved', crop(text, 40, 100, 600, 300)],
    ['noise', noise(257, 33, 3)],
    ['gradient', gradient(300, 200)],
    ['the noise again, padded rows', { ...noise(257, 33, 3) }],
    ['one colour', solid(640, 480)],
    ['1x1', solid(1, 1)],
    ['stride not a multiple of 4', noise(37, 11, 4, 3)],
  ];
  const sizes: string[] = [];
  for (const [label, bitmap] of images) {
    const data = encodeGlz(dictionary, bitmap);
    const decoded = window.decode(data);
    if (!decoded.ok) return t.fail(`${label}: ${decoded.error}`);
    same(t, decoded.value, bitmap, label);
    const lz = encodeLz(bitmap, 'rgb32').length;
    sizes.push(`${label} ${data.length} (LZ ${lz})`);
    // Content seen before costs a fraction of what LZ, which sees one image, pays.
    if (/scrolled|again/.test(label)) t.true(data.length < lz / 4, `${label}: GLZ ${data.length} bytes, LZ ${lz}`);
  }
  const stats = glzStats(dictionary);
  t.is(stats.images, images.length);
  t.true(stats.crossPixels > 0.2 * (stats.crossPixels + stats.samePixels + stats.literalPixels), JSON.stringify(stats));
  t.log(`bytes: ${sizes.join(', ')}; pixels: ${JSON.stringify(stats)}`);
});

test('the window slides: old images are evicted, ids count up by one, win_head_dist follows', (t) => {
  const dictionary = createGlzDictionary(GLZ_MIN_WINDOW_PIXELS);
  const window = new GlzWindow();
  const frame = (k: number) => makeBitmap(512, 512, (x, y) => [(x + k) & 0xff, (y * 3 + k) & 0xff, (x ^ y) & 0xff, 255]);
  // 1 Mi pixels hold 4 of these images: each next one evicts the oldest.
  for (let k = 0; k < 12; k++) {
    const data = encodeGlz(dictionary, frame(k));
    const view = new DataView(data.buffer, data.byteOffset);
    t.is(view.getBigUint64(21), BigInt(k), 'image id');
    t.true(view.getUint32(29) <= 3, `win_head_dist ${view.getUint32(29)}`);
    const decoded = window.decode(data);
    if (!decoded.ok) return t.fail(`frame ${k}: ${decoded.error}`);
    same(t, decoded.value, frame(k), `frame ${k}`);
  }
  t.true(window.size <= 4);
});

test('an image larger than the window is refused; a malformed stream is an error, never an exception', (t) => {
  const dictionary = createGlzDictionary(GLZ_MIN_WINDOW_PIXELS);
  t.throws(() => encodeGlz(dictionary, solid(1025, 1024)), { instanceOf: RangeError });
  const good = encodeGlz(dictionary, noise(40, 30, 3));
  for (let n = 0; n < good.length; n += 5) t.notThrows(() => new GlzWindow().decode(good.subarray(0, n)));
  for (let i = 0; i < good.length; i += 3) {
    const bad = good.slice();
    bad[i]! ^= 0x5a;
    t.notThrows(() => new GlzWindow().decode(bad));
  }
  // A reference to an image the window does not have.
  const second = encodeGlz(dictionary, noise(40, 30, 3));
  const r = new GlzWindow().decode(second);
  t.false(r.ok);
  if (!r.ok) t.regex(r.error, /not in the window/);
});

test('window sizes from DISPLAY_INIT are clamped', (t) => {
  t.deepEqual(glzWindowPixels(4_194_304), { pixels: 4_194_304, clamped: false });
  t.deepEqual(glzWindowPixels(-1), { pixels: 2 ** 20, clamped: true });
  t.deepEqual(glzWindowPixels(2 ** 31 - 1), { pixels: 2 ** 24, clamped: true });
});
