import test from 'ava';
import { readPpm, rgbAt } from './ppm.js';

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
