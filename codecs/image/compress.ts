import type { Bitmap32 } from './bitmap.js';
import { chooseImageEncoding, type ImageEncoding } from './choose.js';
import { BadJobError, type CompressJob, type Compressed, jobBitmap } from './compress-job.js';
import { type CompressedEncoding, imageEncoders, type ImageEncoder } from './encoders.js';
import { glzWindow } from './glz/dictionary.js';
import { encodeGlz } from './glz/encoder.js';
import { wrapGlzInZlib } from './glz/zlib.js';
import { encodeJpegAlpha } from './jpeg/encoder.js';
import { type GradualityLevel, gradualityLevel } from './graduality.js';

/**
 * One image, on whichever thread calls it (a pool thread; the red-worker for small ones; the bench): checks the job, picks the encoding,
 * encodes, and lists the buffers to transfer with the result.
 */
export function compressJob(job: CompressJob): { result: Compressed; transfer: ArrayBuffer[] } {
  const bitmap = jobBitmap(job);
  const handedBack = job.pixels instanceof ArrayBuffer ? job.pixels : undefined;
  const transfer = handedBack ? [handedBack] : [];
  const { chosen, graduality } = choose(job, bitmap);
  const common = { chosen, ...(graduality && { graduality }), ...(handedBack && { pixels: handedBack }) };

  if (chosen === 'glz' && job.encoding === 'auto' && job.glzDictionary) {
    // Never raw instead: the dictionary took this image's id, which the client must see
    // (choose.ts picks GLZ only where it beats raw).
    const glz = encodeGlz({ memory: job.glzDictionary }, bitmap);
    const zlib = job.zlibGlz ? wrapGlzInZlib(glz) : null;
    if (zlib) {
      const data = ownBuffer(zlib.data);
      transfer.push(data.buffer as ArrayBuffer);
      return { result: { ...common, encoding: 'zlib-glz', data, glzBytes: zlib.glzBytes }, transfer };
    }
    transfer.push(glz.buffer as ArrayBuffer);
    return { result: { ...common, encoding: 'glz', data: glz }, transfer };
  }
  if (chosen === 'jpeg' && job.format === 'rgba') {
    const { data, jpegBytes } = encodeJpegAlpha(bitmap);
    if (data.byteLength >= bitmap.height * bitmap.stride) return { result: { ...common, encoding: 'raw' }, transfer };
    transfer.push(data.buffer as ArrayBuffer);
    return { result: { ...common, encoding: 'jpeg-alpha', data, jpegBytes }, transfer };
  }
  const encoding = chosen === 'raw' ? undefined : encodingFor(chosen, job.encoding === 'auto');
  if (!encoding) return { result: { ...common, encoding: 'raw' }, transfer };
  const data = ownBuffer(encoding.encode(bitmap, job.format));
  // As spice-server: an encoding that does not shrink the bitmap is not worth the client's decode.
  if (data.byteLength >= bitmap.height * bitmap.stride) return { result: { ...common, encoding: 'raw' }, transfer };
  transfer.push(data.buffer as ArrayBuffer);
  return { result: { ...common, encoding: encoding.name, data }, transfer };
}

function choose(job: CompressJob, bitmap: Bitmap32): { chosen: ImageEncoding; graduality?: GradualityLevel } {
  if (job.encoding !== 'auto') return { chosen: job.encoding };
  const { mode, clientHasLz4, glzDictionary, jpeg } = job;
  // Only the auto modes weigh graduality; measured here once, so the caller can cache it.
  const graduality = job.graduality ?? (mode === 'auto_lz' || mode === 'auto_glz' ? gradualityLevel(bitmap) : undefined);
  const glzWindowPixels = glzDictionary && glzWindow({ memory: glzDictionary });
  return { chosen: chooseImageEncoding({ mode, bitmap, clientHasLz4, graduality, glzWindowPixels, jpeg }), graduality };
}

/**
 * The encoder for an encoding. An automatic choice this build cannot encode yet (QUIC, LZ4)
 * becomes LZ, which every client decodes; an explicit request for it is the caller's error.
 */
function encodingFor(chosen: CompressedEncoding, auto: boolean): { name: CompressedEncoding; encode: ImageEncoder } {
  const encode = imageEncoders[chosen];
  if (encode) return { name: chosen, encode };
  if (!auto) throw new BadJobError(`no ${chosen} encoder in this build`);
  return { name: 'lz', encode: imageEncoders.lz };
}

/** The encoder's output if it spans its own ArrayBuffer; otherwise a copy, so a transfer never detaches an encoder's scratch memory. */
export function ownBuffer(data: Uint8Array): Uint8Array {
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole ? data : data.slice();
}
