import test from 'ava';
import { readPpm, writePpm } from '../../codecs/image/ppm.js';
import { makeBitmap, noise, packed, rgbAt } from '../helpers/images.js';

const ppm = (header: string, body: number[]) => Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(body)]);

test('a P6 file becomes a B,G,R,X bitmap', (t) => {
  const r = readPpm(ppm('P6\n# QEMU\n2 1\n255\n', [0x11, 0x22, 0x33, 0xff, 0x00, 0x80]));
  if (!r.ok) return t.fail(r.error);
  t.deepEqual([r.value.width, r.value.height, r.value.stride], [2, 1, 8]);
  t.deepEqual([...r.value.pixels], [0x33, 0x22, 0x11, 0, 0x80, 0x00, 0xff, 0]);
  t.is(rgbAt(r.value, 1, 0), 0xff0080);
  t.throws(() => rgbAt(r.value, 2, 0), { instanceOf: RangeError });
});

test('malformed PPM is an error value', (t) => {
  for (const [bytes, error] of [
    [Buffer.from('P5\n1 1\n255\n\0'), /not a P6/],
    [ppm('P6\n1 1\n65535\n', [0, 0, 0, 0, 0, 0]), /maxval/],
    [ppm('P6\n2 2\n255\n', [1, 2, 3]), /needs 12 bytes, 3 there/],
    [ppm('P6\n0 1\n255\n', []), /empty/],
    [Buffer.from('P6\n1'), /bad header/],
    [Buffer.from('P6\n1 1 255'), /bad header/],
    [Buffer.from('P6\n99999999 1\n255\n'), /bad header/],
  ] as const) {
    const r = readPpm(bytes);
    t.false(r.ok);
    if (!r.ok) t.regex(r.error, error);
  }
});

test('writePpm writes the P6 header and R,G,B triples, row by row', (t) => {
  const image = makeBitmap(2, 2, (x, y) => [x, y, 0x80 + x + 2 * y, 0xee]);
  t.deepEqual(Buffer.from(writePpm(image)), ppm('P6\n2 2\n255\n', [0x80, 0, 0, 0x81, 0, 1, 0x82, 1, 0, 0x83, 1, 1]));
});

test('write then read gives the pixels back, whatever the stride; the 4th byte reads as 0', (t) => {
  for (const [w, h, padding] of [
    [1, 1, 0],
    [7, 3, 4],
    [33, 17, 12],
    [64, 2, 0],
  ] as const) {
    const image = noise(w, h, w * 100 + h, padding);
    const r = readPpm(writePpm(image));
    if (!r.ok) return t.fail(r.error);
    t.deepEqual([r.value.width, r.value.height], [w, h]);
    t.deepEqual(r.value.pixels, packed(image, 'rgb32'), `${w}x${h} padding ${padding}`);
    t.deepEqual(writePpm(r.value), writePpm(image), 'and writing it again gives the same file');
  }
});

test('writePpm refuses a bitmap whose pixels do not fit its size', (t) => {
  t.throws(() => writePpm({ width: 2, height: 2, stride: 8, pixels: new Uint8Array(15) }), { instanceOf: RangeError });
  t.throws(() => writePpm({ width: 2, height: 1, stride: 4, pixels: new Uint8Array(16) }), { instanceOf: RangeError });
  t.throws(() => writePpm({ width: 0, height: 1, stride: 0, pixels: new Uint8Array(0) }), { instanceOf: RangeError });
  t.notThrows(() => writePpm({ width: 2, height: 2, stride: 12, pixels: new Uint8Array(20) }), 'the last row needs no padding');
});
