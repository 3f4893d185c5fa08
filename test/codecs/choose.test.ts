import test from 'ava';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { type ImageCompressionMode, chooseImageEncoding } from '../../codecs/image/choose.js';
import { gradualityLevel, gradualityScore, isPhotoLike, roughSamples } from '../../codecs/image/graduality.js';
import { corpus } from '../../codecs/image/fixtures/corpus.js';
import { gradient, makeBitmap, noise, solid } from '../helpers/images.js';

/** Black strokes on white, like terminal text: flat areas and sharp edges. */
const textLike = (width: number, height: number, padding = 0) =>
  makeBitmap(
    width,
    height,
    (x, y) => ((x % 9 < 2 && y % 16 < 11) || (y % 16 === 5 && x % 9 < 6) ? [0, 0, 0, 255] : [255, 255, 255, 255]),
    padding,
  );

const images = corpus();
const named = (name: string) => images.find((i) => i.name.startsWith(name))?.bitmap;

test('graduality: a 2x2 square scores +1 contrast, -0.25 small difference, +0.5 equal, over 3 pairs', (t) => {
  const b = makeBitmap(2, 2, (x, y) => (x === 1 && y === 0 ? [0, 0, 100, 0] : x === 0 && y === 1 ? [0, 10, 0, 0] : [0, 0, 0, 0]));
  t.is(gradualityScore(b), (1 - 0.25 + 0.5) / 3);
  t.is(gradualityScore(solid(2, 2)), 0, 'a square of one colour scores 0 but counts');
  t.is(gradualityScore(solid(1, 50)), 1, 'one pixel wide: LOW');
  t.is(gradualityScore(solid(50, 1)), 1, 'one pixel high: LOW');
});

test('graduality: samples every 15 pixels and steps back from a row end', (t) => {
  // 7 wide: samples at pixels 3, 18, 33, then 48 would end row 6, so 47 (5,6), then 61 (5,8).
  // Only the square at (5,6) sees the odd pixel at (6,6), as its right neighbour.
  const b = makeBitmap(7, 10, (x, y) => (x === 6 && y === 6 ? [200, 200, 200, 0] : [20, 20, 20, 0]));
  t.is(gradualityScore(b), (1 + 0.5 + 0.5) / (5 * 3));
  // Rows are reached through the stride, so padding does not move the samples.
  t.is(
    gradualityScore(makeBitmap(7, 10, (x, y) => (x === 6 && y === 6 ? [200, 200, 200, 0] : [20, 20, 20, 0]), 8)),
    (1 + 0.5 + 0.5) / (5 * 3),
  );
});

test('graduality: photos and 2-D gradients are HIGH, text and desktops LOW', (t) => {
  t.is(gradualityLevel(gradient(300, 200)), 'high');
  t.is(gradualityLevel(textLike(300, 200)), 'low');
  t.is(gradualityLevel(noise(100, 100, 1)), 'low');
  t.is(gradualityLevel(named('photo')!), 'high');
  t.is(gradualityLevel(named('plasma')!), 'high');
  t.is(gradualityLevel(named('text')!), 'low');
  t.is(gradualityLevel(named('desktop')!), 'low');
  // A purely vertical gradient: every row one colour, so half its pairs are equal. spice-server
  // calls that MEDIUM (score 0), and LZ codes it as runs anyway.
  t.is(gradualityLevel(named('gradient')!), 'medium');
});

test('graduality, sampled sparsely: within 0.01 of the full walk on the corpus, the same levels on large pictures, its steps spread over the columns', (t) => {
  for (const { name, bitmap } of images) {
    const [full, sparse] = [gradualityScore(bitmap), gradualityScore(bitmap, roughSamples)];
    t.true(Math.abs(sparse - full) < 0.01, `${name}: ${sparse} vs ${full}`);
  }
  t.is(gradualityLevel(gradient(1920, 1080), roughSamples), gradualityLevel(gradient(1920, 1080)));
  t.is(gradualityLevel(textLike(1920, 1080), roughSamples), 'low');
  t.is(gradualityLevel(noise(1280, 800, 1), roughSamples), 'low');
  t.true(isPhotoLike(named('photo')!));
  t.false(isPhotoLike(named('text')!));
  // Right half a gradient, left half flat: samples on a few columns only would see one half.
  const halves = makeBitmap(1920, 1080, (x, y) =>
    x < 960 ? [40, 40, 40, 0] : [(x * 7 + y * 3) & 0xff, (x * 3 + y * 5) & 0xff, (x + y) & 0xff, 0],
  );
  const full = gradualityScore(halves);
  t.true(Math.abs(gradualityScore(halves, roughSamples) - full) < 0.02, `${gradualityScore(halves, roughSamples)} vs ${full}`);
});

const choose = (mode: ImageCompressionMode, bitmap: Bitmap32, clientHasLz4 = false) => chooseImageEncoding({ mode, bitmap, clientHasLz4 });
const modes: ImageCompressionMode[] = ['auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'lz4', 'off'];

test('choose: under 54 bytes everything goes raw, whatever the mode', (t) => {
  for (const mode of modes) t.is(choose(mode, gradient(3, 4), true), 'raw', mode); // 4 rows of 12 bytes
  t.is(choose('quic', gradient(3, 5)), 'quic', '60 bytes');
  t.is(
    choose(
      'lz',
      makeBitmap(1, 13, () => [1, 2, 3, 4]),
    ),
    'raw',
    '52 bytes',
  );
  t.is(
    choose(
      'lz',
      makeBitmap(1, 13, () => [1, 2, 3, 4], 1),
    ),
    'lz',
    '13 rows of 5 bytes: the stride counts',
  );
});

test('choose: off is raw; quic needs 3x3 or goes raw', (t) => {
  t.is(choose('off', gradient(300, 200)), 'raw');
  t.is(choose('quic', textLike(300, 200)), 'quic');
  t.is(choose('quic', gradient(2, 100)), 'raw');
  t.is(choose('quic', gradient(100, 2)), 'raw');
});

test('choose: auto modes send smooth images as QUIC and the rest as LZ (GLZ without a dictionary)', (t) => {
  for (const mode of ['auto_glz', 'auto_lz'] as const) {
    t.is(choose(mode, gradient(300, 200)), 'quic', mode);
    t.is(choose(mode, textLike(300, 200)), 'lz', mode);
    t.is(choose(mode, gradient(2, 100)), 'lz', `${mode}: too narrow for QUIC`);
    t.is(choose(mode, textLike(300, 200, 16)), 'lz', `${mode}: padded rows`);
    t.is(choose(mode, named('photo')!), 'quic', `${mode}: photo`);
    t.is(choose(mode, named('desktop')!), 'lz', `${mode}: desktop`);
    t.is(choose(mode, named('text')!), 'lz', `${mode}: text`);
  }
});

test('choose: a known graduality is used as given', (t) => {
  t.is(chooseImageEncoding({ mode: 'auto_lz', bitmap: textLike(300, 200), clientHasLz4: false, graduality: 'high' }), 'quic');
  t.is(chooseImageEncoding({ mode: 'auto_glz', bitmap: gradient(300, 200), clientHasLz4: false, graduality: 'medium' }), 'lz');
});

test('choose: glz and auto_glz are GLZ with a dictionary whose window the image fits, and not too small; else LZ', (t) => {
  const glz = (mode: ImageCompressionMode, bitmap: Bitmap32, glzWindowPixels?: number) =>
    chooseImageEncoding({ mode, bitmap, clientHasLz4: false, ...(glzWindowPixels !== undefined && { glzWindowPixels }) });
  t.is(glz('glz', textLike(300, 200), 2 ** 20), 'glz');
  t.is(glz('auto_glz', textLike(300, 200), 2 ** 20), 'glz');
  t.is(glz('auto_glz', gradient(300, 200), 2 ** 20), 'quic', 'smooth: QUIC, as spice-server');
  t.is(glz('glz', gradient(300, 200), 2 ** 20), 'glz');
  t.is(glz('glz', textLike(300, 200)), 'lz', 'no dictionary');
  t.is(glz('glz', textLike(300, 200), 300 * 200), 'lz', 'not smaller than the window');
  t.is(glz('glz', textLike(8, 7), 2 ** 20), 'lz', 'under 64 pixels');
  t.is(glz('auto_lz', textLike(300, 200), 2 ** 20), 'lz');
});

test('choose: glz without a dictionary and lz are LZ; lz4 only for a client with the LZ4 cap', (t) => {
  for (const b of [gradient(300, 200), textLike(300, 200)]) {
    t.is(choose('glz', b), 'lz');
    t.is(choose('lz', b), 'lz');
    t.is(choose('lz4', b, true), 'lz4');
    t.is(choose('lz4', b, false), 'lz');
  }
});
