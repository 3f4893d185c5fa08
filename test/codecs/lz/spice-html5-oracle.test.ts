import test from 'ava';
import type { Bitmap32, Bitmap32Format } from '../../../codecs/image/bitmap.js';
import { encodeLz } from '../../../codecs/image/lz/encoder.js';
import { MAX_FAR_DISTANCE, SPICE_IMAGE_TYPE_LZ_RGB } from '../../../codecs/image/lz/format.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { gradient, makeBitmap, noise, repeatingNoise, solid } from '../../helpers/images.js';
import { loadSpiceHtml5Lz, spiceHtml5Installed } from '../../helpers/spice-html5.js';

// A real client's decoder (Debian's spice-html5, lz.js) must draw exactly our pixels.
// Needs the Debian package spice-html5; without it these tests fail rather than pass silently.

/** SpiceImage on the wire: descriptor (u64 id, u8 type, u8 flags, u32 width, u32 height), u32 data_size, data. */
function spiceImageLz(width: number, height: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(18 + 4 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 7, true);
  v.setUint8(8, SPICE_IMAGE_TYPE_LZ_RGB);
  v.setUint32(10, width, true);
  v.setUint32(14, height, true);
  v.setUint32(18, payload.length, true);
  out.set(payload, 22);
  return out;
}

/** What spice-html5 should draw for a bitmap: R,G,B then alpha (255 for rgb32, as its canvas path sets). */
function expectedCanvas(b: Bitmap32, format: Bitmap32Format): Uint8Array {
  const out = new Uint8Array(b.width * b.height * 4);
  for (let y = 0, o = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++, o += 4) {
      const i = y * b.stride + x * 4;
      out[o] = b.pixels[i + 2]!;
      out[o + 1] = b.pixels[i + 1]!;
      out[o + 2] = b.pixels[i]!;
      out[o + 3] = format === 'rgba' ? b.pixels[i + 3]! : 255;
    }
  }
  return out;
}

const installed = spiceHtml5Installed();
const decode = installed ? loadSpiceHtml5Lz() : null;

function drawsTheSame(t: import('ava').ExecutionContext, label: string, bitmap: Bitmap32, format: Bitmap32Format) {
  if (!decode) return t.fail('spice-html5 is not installed (apt-get install spice-html5)');
  const drawn = decode(spiceImageLz(bitmap.width, bitmap.height, encodeLz(bitmap, format)));
  if (!drawn) return t.fail(`${label}: spice-html5 refused the image`);
  t.deepEqual([drawn.width, drawn.height], [bitmap.width, bitmap.height]);
  const want = expectedCanvas(bitmap, format);
  const got = new Uint8Array(drawn.data.buffer);
  const i = want.findIndex((v, k) => v !== got[k]);
  t.is(i, -1, `${label} ${format}: first difference at pixel ${i >> 2}`);
}

test('spice-html5 decodes our streams of the corpus to the same pixels', (t) => {
  const images = corpus();
  for (const { name, bitmap } of images) {
    drawsTheSame(t, name, bitmap, 'rgb32');
    drawsTheSame(t, name, bitmap, 'rgba');
  }
});

test('spice-html5 decodes our streams of generated images to the same pixels', (t) => {
  const cases: [string, Bitmap32][] = [
    ['1x1', solid(1, 1)],
    ['2x1', makeBitmap(2, 1, (x) => [x, 9, 8, 7])],
    ['3x7', noise(3, 7, 1)],
    ['1023x5', noise(1023, 5, 2)],
    ['4096x4', makeBitmap(4096, 4, (x, y) => [x & 0xff, x >> 4, y * 40, 255 - (x & 0x3f)])],
    ['one colour', solid(640, 480)],
    ['stride > width*4', noise(37, 11, 4, 12)],
    ['gradient', gradient(300, 200)],
    ['far repeats', repeatingNoise(1000, 90, 9000, 11)],
    ['repeats at the farthest distance', repeatingNoise(1000, 148, MAX_FAR_DISTANCE, 12)],
  ];
  for (const [name, bitmap] of cases) {
    drawsTheSame(t, name, bitmap, 'rgb32');
    drawsTheSame(t, name, bitmap, 'rgba');
  }
});
