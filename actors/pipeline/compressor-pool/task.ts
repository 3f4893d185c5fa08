import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setThreadName } from '../../../native/index.js';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { chooseImageEncoding, type ImageEncoding } from '../../../codecs/image/choose.js';
import {
  BadJobError,
  type CompressJob,
  type Compressed,
  frameBitmap,
  jobBitmap,
  type StreamEncoded,
} from '../../../codecs/image/compress-job.js';
import { type CompressedEncoding, imageEncoders, type ImageEncoder } from '../../../codecs/image/encoders.js';
import { glzWindow } from '../../../codecs/image/glz/dictionary.js';
import { encodeGlz } from '../../../codecs/image/glz/encoder.js';
import { wrapGlzInZlib } from '../../../codecs/image/glz/zlib.js';
import { encodeJpegAlpha } from '../../../codecs/image/jpeg/encoder.js';
import { type GradualityLevel, gradualityLevel } from '../../../codecs/image/graduality.js';
import { type StreamEncoder, streamEncoders } from './streams.js';
import { compressorThread, monotonicNs, type ThreadJob, type ThreadReply, type Work } from './thread-protocol.js';

/** The stream encoders of this thread, by stream key: made by a stream's first frame, dropped by its close. */
const streams = new Map<string, { readonly codec: string; readonly encoder: StreamEncoder }>();

/** Runs one job on this thread: the reply and the buffers to transfer with it. */
export function runJob({ id, work }: ThreadJob): { reply: ThreadReply; transfer: ArrayBuffer[] } {
  const startedNs = monotonicNs();
  try {
    const { result, transfer } = runWork(work);
    return { reply: { id, ok: true, result, startedNs, encodeNs: monotonicNs() - startedNs }, transfer };
  } catch (err) {
    // Bad jobs answer alone; the thread keeps serving.
    return { reply: { id, ok: false, error: err instanceof Error ? err.message : String(err) }, transfer: [] };
  }
}

function runWork(work: Work): { result: Compressed | StreamEncoded | null; transfer: ArrayBuffer[] } {
  switch (work.kind) {
    case 'image':
      return compressJob(work.job);
    case 'frame': {
      const bitmap = frameBitmap(work.frame);
      let stream = streams.get(work.stream);
      if (stream && stream.codec !== work.frame.codec)
        throw new BadJobError(`stream ${work.stream} is ${stream.codec}, not ${work.frame.codec}`);
      if (!stream) streams.set(work.stream, (stream = { codec: work.frame.codec, encoder: streamEncoders[work.frame.codec]() }));
      const encoded = stream.encoder.encode(bitmap, work.frame);
      const data = ownBuffer(encoded.data);
      return { result: { ...encoded, data }, transfer: [data.buffer as ArrayBuffer] };
    }
    case 'close':
      streams.get(work.stream)?.encoder.close();
      streams.delete(work.stream);
      return { result: null, transfer: [] };
  }
}

/**
 * One image, thread-agnostic (the bench calls it inline): checks the job, picks the encoding,
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
function ownBuffer(data: Uint8Array): Uint8Array {
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole ? data : data.slice();
}

if (!isMainThread && workerData === compressorThread) {
  // As the OS lists it (top -H).
  setThreadName('compressor');
  const port = parentPort!;
  port.on('message', (job: ThreadJob) => {
    const { reply, transfer } = runJob(job);
    port.postMessage(reply, transfer);
  });
}
