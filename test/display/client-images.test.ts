import test from 'ava';
import { deflateSync } from 'node:zlib';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { corpus } from '../../codecs/image/fixtures/corpus.js';
import { createGlzDictionary, GLZ_MIN_WINDOW_PIXELS } from '../../codecs/image/glz/dictionary.js';
import { GlzWindow } from '../../codecs/image/glz/decoder.js';
import { encodeGlz } from '../../codecs/image/glz/encoder.js';
import { ssim } from '../../codecs/image/ssim.js';
import { ImageType } from '../../codecs/protocol/enums.js';
import type { Image } from '../../codecs/protocol/structs.js';
import { encodeJpeg } from '../../codecs/video/jpeg.js';
import { decodeImage } from '../../client/display.js';

/** A 320x200 crop of a corpus image as a 32BIT surface holds it (packed, 4th byte 0). */
function crop(prefix: string, dx = 0): Bitmap32 {
  const src = corpus().find((i) => i.name.startsWith(prefix))!.bitmap;
  const [width, height] = [320, 200];
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    pixels.set(src.pixels.subarray(y * src.stride + dx * 4, y * src.stride + (dx + width) * 4), y * width * 4);
  for (let i = 3; i < pixels.length; i += 4) pixels[i] = 0;
  return { width, height, stride: width * 4, pixels };
}

const descriptor = (type: number, b: Bitmap32) => ({ id: 0n, type, flags: 0, width: b.width, height: b.height });
const zlibGlz = (b: Bitmap32, glz: Uint8Array, zlib: Uint8Array = deflateSync(glz)): Image =>
  ({
    descriptor: descriptor(ImageType.zlibGlzRgb, b),
    data: { glz_data_size: glz.length, data_size: zlib.length, data: zlib },
  }) as Image;

test('a JPEG image (spice-server quality 85) decodes through the MJPEG decoder, close to the source', (t) => {
  const b = crop('photo');
  const out = decodeImage({ descriptor: descriptor(ImageType.jpeg, b), data: { data: encodeJpeg(b, 85) } } as Image);
  if (typeof out === 'string') return t.fail(out);
  t.true(ssim(b, out) > 0.95);
  const wrongSize = decodeImage({
    descriptor: { ...descriptor(ImageType.jpeg, b), width: 10 },
    data: { data: encodeJpeg(b, 85) },
  } as Image);
  t.is(wrongSize, 'JPEG size differs from its descriptor');
});

test('ZLIB_GLZ images decode exactly into the GLZ window, the second against the first; damaged ones are errors', (t) => {
  const dictionary = createGlzDictionary(GLZ_MIN_WINDOW_PIXELS);
  const window = new GlzWindow();
  const [first, second] = [crop('text'), crop('text', 8)];
  for (const b of [first, second]) {
    const out = decodeImage(zlibGlz(b, encodeGlz(dictionary, b)), window);
    if (typeof out === 'string') return t.fail(out);
    t.deepEqual(out.pixels, b.pixels);
  }
  t.is(window.size, 2);
  const glz = encodeGlz(dictionary, first);
  t.regex(decodeImage(zlibGlz(first, glz, deflateSync(glz).subarray(0, 20)), window) as string, /^zlib-glz: /);
  t.regex(
    decodeImage(
      { ...zlibGlz(first, glz), data: { glz_data_size: 2 ** 30, data_size: 1, data: new Uint8Array(1) } } as Image,
      window,
    ) as string,
    /refused/,
  );
  t.is(decodeImage(zlibGlz(first, glz)), 'a ZLIB_GLZ image without a GLZ window');
});
