import { decodeError, type Bitmap32, type Decoded } from '../../codecs/image/bitmap.js';

/**
 * A binary PPM (P6, maxval 255: what QMP `screendump` writes) as a B,G,R,X bitmap, the layout
 * of a 32BIT SPICE image and of QEMU's x8r8g8b8 surfaces.
 */
export function readPpm(data: Uint8Array): Decoded<Bitmap32> {
  const fields: number[] = [];
  let i = 2;
  if (data.length < 2 || data[0] !== 0x50 || data[1] !== 0x36) return decodeError('ppm: not a P6 file');
  while (fields.length < 3) {
    while (i < data.length && isSpace(data[i]!)) i++;
    if (data[i] === 0x23) {
      while (i < data.length && data[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39) i++;
    if (i === start || i - start > 6) return decodeError('ppm: bad header');
    fields.push(Number(new TextDecoder().decode(data.subarray(start, i))));
  }
  const [width, height, maxval] = fields as [number, number, number];
  if (maxval !== 255) return decodeError(`ppm: maxval ${maxval}, only 255 is read`);
  if (width === 0 || height === 0) return decodeError('ppm: empty image');
  if (i >= data.length || !isSpace(data[i]!)) return decodeError('ppm: bad header');
  i++;
  if (data.length - i < width * height * 3) return decodeError(`ppm: ${width}x${height} needs ${width * height * 3} bytes, ${data.length - i} there`);
  const pixels = new Uint8Array(width * height * 4);
  for (let p = 0, s = i; p < pixels.length; p += 4, s += 3) {
    pixels[p] = data[s + 2]!;
    pixels[p + 1] = data[s + 1]!;
    pixels[p + 2] = data[s]!;
  }
  return { ok: true, value: { width, height, stride: width * 4, pixels } };
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The pixel at x,y as 0xRRGGBB. */
export function rgbAt(image: Bitmap32, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) throw new RangeError(`${x},${y} outside ${image.width}x${image.height}`);
  const o = y * image.stride + x * 4;
  return (image.pixels[o + 2]! << 16) | (image.pixels[o + 1]! << 8) | image.pixels[o]!;
}
