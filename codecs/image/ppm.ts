import { decodeError, type Bitmap32, type Decoded } from './bitmap.js';

// Binary PPM (P6, maxval 255): what QMP `screendump` writes, and the simplest file any image
// viewer opens. Pixels are held as B,G,R,X bitmaps, the layout of a 32BIT SPICE image and of
// QEMU's x8r8g8b8 surfaces.

/** The P6 file of `image` (its 4th byte dropped), header `P6\n<w> <h>\n255\n`. */
export function writePpm(image: Bitmap32): Uint8Array {
  const { width, height, stride, pixels } = image;
  if (width < 1 || height < 1 || stride < width * 4 || pixels.length < stride * (height - 1) + width * 4) {
    throw new RangeError(`ppm: ${width}x${height} stride ${stride} does not fit ${pixels.length} bytes`);
  }
  const header = new TextEncoder().encode(`P6\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + width * height * 3);
  out.set(header);
  let d = header.length;
  for (let y = 0; y < height; y++) {
    for (let s = y * stride, end = s + width * 4; s < end; s += 4, d += 3) {
      out[d] = pixels[s + 2]!;
      out[d + 1] = pixels[s + 1]!;
      out[d + 2] = pixels[s]!;
    }
  }
  return out;
}

/** A P6 file as a tight B,G,R,X bitmap (4th byte 0); malformed or truncated input is an error value. */
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
  if (data.length - i < width * height * 3)
    return decodeError(`ppm: ${width}x${height} needs ${width * height * 3} bytes, ${data.length - i} there`);
  const pixels = new Uint8Array(width * height * 4);
  for (let p = 0, s = i; p < pixels.length; p += 4, s += 3) {
    pixels[p] = data[s + 2]!;
    pixels[p + 1] = data[s + 1]!;
    pixels[p + 2] = data[s]!;
  }
  return { ok: true, value: { width, height, stride: width * 4, pixels } };
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
