import { isMainThread } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { setThreadName } from '../../../../native/index.js';
import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import { chooseImageEncoding, type ImageEncoding } from '../../../../codecs/image/choose.js';
import { type CompressedEncoding, imageEncoders, type ImageEncoder } from '../../../../codecs/image/encoders.js';
import { glzWindow } from '../../../../codecs/image/glz/dictionary.js';
import { encodeGlz } from '../../../../codecs/image/glz/encoder.js';
import { type GradualityLevel, gradualityLevel } from '../../../../codecs/image/graduality.js';
import { BadJobError, type CompressJob, type Compressed, jobBitmap, monotonicNs, type TaskReply } from './job.js';

// A pool thread, as the OS lists it (the bench also runs the task inline, on its own thread).
if (!isMainThread) setThreadName('compressor');

/** The pool thread's task (piscina calls the default export): one whole image in, its encoding out. */
export default function compressTask(job: CompressJob): unknown {
  const startedNs = monotonicNs();
  const { result, transfer } = compressJob(job);
  const reply: TaskReply = { result, startedNs, encodeNs: monotonicNs() - startedNs };
  return move(new MovedReply(reply, transfer));
}

/**
 * The work itself, thread-agnostic (the bench calls it inline): checks the job, picks the
 * encoding, encodes, and lists the buffers to transfer with the result.
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
    const data = encodeGlz({ memory: job.glzDictionary }, bitmap);
    transfer.push(data.buffer as ArrayBuffer);
    return { result: { ...common, encoding: 'glz', data }, transfer };
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
  const { mode, clientHasLz4, glzDictionary } = job;
  // Only the auto modes weigh graduality; measured here once, so the caller can cache it.
  const graduality = job.graduality ?? (mode === 'auto_lz' || mode === 'auto_glz' ? gradualityLevel(bitmap) : undefined);
  const glzWindowPixels = glzDictionary && glzWindow({ memory: glzDictionary });
  return { chosen: chooseImageEncoding({ mode, bitmap, clientHasLz4, graduality, glzWindowPixels }), graduality };
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
function ownBuffer(data: Uint8Array): Uint8Array {
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole ? data : data.slice();
}

/** piscina's transferable protocol: the reply is posted as its value, with these buffers moved, not cloned. */
class MovedReply {
  constructor(
    private readonly reply: TaskReply,
    private readonly transfer: ArrayBuffer[],
  ) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return this.transfer;
  }
  get [valueSymbol](): TaskReply {
    return this.reply;
  }
}
