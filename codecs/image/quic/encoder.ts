import type { Bitmap32, Bitmap32Format } from '../bitmap.js';
import { QuicBitWriter } from './bit-writer.js';
import { QuicImageType, QUIC_MAX_PIXELS, writeHeader } from './format.js';
import { PlaneEncoder } from './plane-encoder.js';
import { ALPHA, RGB } from './plane-walker.js';

/**
 * Compresses a 32-bit bitmap to a QUIC stream: the bytes that follow `u32 data_size` in a
 * SpiceImage of type QUIC, a multiple of 4 long. rgb32 becomes type RGB32 (the 4th byte is
 * not sent), rgba becomes type RGBA (alpha coded as its own plane after each row's colour).
 * Throws RangeError on a bitmap that breaks its own invariants (a caller bug, not input).
 */
export function encodeQuic(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  checkBitmap(bitmap);
  const { width, height, stride, pixels } = aligned(bitmap);
  const alpha = format === 'rgba';
  // A byte a pixel covers photos (about 0.8); the writer doubles its buffer past that.
  const writer = new QuicBitWriter(Math.ceil((width * height) / 4) + 64);
  writeHeader(writer, { type: alpha ? QuicImageType.RGBA : QuicImageType.RGB32, width, height });
  const colour = new PlaneEncoder(pixels, width, RGB, writer);
  const opacity = alpha ? new PlaneEncoder(pixels, width, ALPHA, writer) : undefined;
  for (let y = 0, row = 0; y < height; y++, row += stride) {
    const above = y === 0 ? -1 : row - stride;
    colour.walkRow(row, above);
    opacity?.walkRow(row, above);
  }
  return writer.finish();
}

function checkBitmap({ width, height, stride, pixels }: Bitmap32): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`quic: cannot encode a ${width}x${height} bitmap`);
  }
  if (width * height > QUIC_MAX_PIXELS) throw new RangeError(`quic: ${width}x${height} is over the QUIC size limit`);
  if (!Number.isInteger(stride) || stride < width * 4) throw new RangeError(`quic: stride ${stride} < width * 4`);
  if (pixels.length < stride * (height - 1) + width * 4) throw new RangeError('quic: pixel buffer shorter than the bitmap');
}

/** The walk compares pixels as 32-bit words: a bitmap off 4-byte alignment is copied once. */
function aligned(bitmap: Bitmap32): Bitmap32 {
  const { width, height, stride, pixels } = bitmap;
  if (pixels.byteOffset % 4 === 0 && stride % 4 === 0) return bitmap;
  const rowBytes = width * 4;
  const copy = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) copy.set(pixels.subarray(y * stride, y * stride + rowBytes), y * rowBytes);
  return { width, height, stride: rowBytes, pixels: copy };
}
