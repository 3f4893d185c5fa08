import { jpegDecode } from '../../../native/index.js';
import { type Bitmap32, type Bitmap32Format, type Decoded, decodeError } from '../bitmap.js';
import { decodeLz } from '../lz/decoder.js';
import { LzImageType, readHeaderWords } from '../lz/format.js';

/** A decoded JPEG or JPEG_ALPHA image: top-down B,G,R,X (X = 0) or B,G,R,A, stride width*4. */
export interface JpegImage extends Bitmap32 {
  readonly format: Bitmap32Format;
}

/** A JPEG image (our TS client's decoder, libturbojpeg in the addon); a damaged one is an error value. */
export function decodeJpegImage(data: Uint8Array): Decoded<JpegImage> {
  try {
    const { width, height, pixels } = jpegDecode(data);
    return { ok: true, value: { width, height, stride: width * 4, pixels, format: 'rgb32' } };
  } catch (error) {
    return decodeError(`jpeg: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A JPEG_ALPHA image: the first `jpegBytes` of `data` are the JPEG, the rest an LZ XXXA stream of
 * the same size whose orientation the image's TOP_DOWN flag states, as spice-gtk checks.
 */
export function decodeJpegAlpha(data: Uint8Array, jpegBytes: number, topDown: boolean): Decoded<JpegImage> {
  if (!(Number.isSafeInteger(jpegBytes) && jpegBytes > 0 && jpegBytes < data.length))
    return decodeError(`jpeg-alpha: jpeg size ${jpegBytes} outside the ${data.length} bytes`);
  const alphaData = data.subarray(jpegBytes);
  const header = readHeaderWords(alphaData)?.header;
  if (header?.type !== LzImageType.XXXA) return decodeError('jpeg-alpha: the alpha plane is not an LZ XXXA stream');
  if ((header.topDown !== 0) !== topDown) return decodeError('jpeg-alpha: the alpha plane and the image disagree on orientation');
  const rgb = decodeJpegImage(data.subarray(0, jpegBytes));
  if (!rgb.ok) return rgb;
  const { width, height, pixels } = rgb.value;
  if (header.width !== width || header.height !== height)
    return decodeError(`jpeg-alpha: alpha ${header.width}x${header.height} for a ${width}x${height} JPEG`);
  const alpha = decodeLz(alphaData);
  if (!alpha.ok) return alpha;
  // decodeLz gives top-down rows; the alpha bytes go into the JPEG's 4th bytes.
  for (let i = 3; i < pixels.length; i += 4) pixels[i] = alpha.value.pixels[i]!;
  return { ok: true, value: { width, height, stride: width * 4, pixels, format: 'rgba' } };
}
