import type { Bitmap32, Bitmap32Format } from './bitmap.js';
import type { ImageCompressionMode, ImageEncoding } from './choose.js';
import type { CompressedEncoding } from './encoders.js';
import type { GradualityLevel } from './graduality.js';
import type { VideoCodec } from '../video/encoder.js';
import { maxBitRate, maxFrameRate } from '../video/rates.js';

// What the compressor pool is asked to do and answers (actors/pipeline/compressor-pool/): the
// red-worker's and the pool's shared vocabulary, so it lives beside the codecs it drives.

/**
 * Where a job's pixels are. Never copied on the way to a pool thread:
 * - a SharedArrayBuffer (a shared-memory region, e.g. the QXL memory) is borrowed: the pool only
 *   reads it, and the owner must not rewrite those bytes until the job settles;
 * - an ArrayBuffer is moved to the pool thread (detached on the owner's side) and handed back in
 *   the result, for the owner to reuse or to send raw.
 */
export type PixelMemory = SharedArrayBuffer | ArrayBuffer;

export interface PixelsRef {
  readonly pixels: PixelMemory;
  /** Where the first row starts in `pixels`. */
  readonly byteOffset: number;
  readonly width: number;
  readonly height: number;
  /** Bytes from a row to the next, >= width * 4. */
  readonly stride: number;
  readonly format: Bitmap32Format;
}

/** An encoding decided by the caller, or left to `chooseImageEncoding` in the pool thread. */
export type EncodingRequest =
  | { readonly encoding: ImageEncoding }
  | {
      readonly encoding: 'auto';
      readonly mode: ImageCompressionMode;
      readonly clientHasLz4: boolean;
      /** Known from an earlier encode of the same drawable; measured in the pool thread otherwise. */
      readonly graduality?: GradualityLevel;
      /**
       * The client's GLZ dictionary (codecs/image/glz/dictionary.ts) for the glz modes; without
       * one GLZ goes as LZ. Jobs with one must be sent in the order they settle, each of them.
       */
      readonly glzDictionary?: SharedArrayBuffer;
      /** The image may go lossy: JPEG (JPEG_ALPHA for RGBA) where QUIC would be chosen; the caller tracks it as lossy at its client. */
      readonly jpeg?: boolean;
      /** GLZ output is deflated as ZLIB_GLZ_RGB where that makes it smaller (`zlib-glz-wan-compression`). */
      readonly zlibGlz?: boolean;
    };

export type CompressJob = PixelsRef & EncodingRequest;

interface ResultCommon {
  /** What the caller or choose.ts asked for, before the fallbacks (no encoder here, output not smaller). */
  readonly chosen: ImageEncoding;
  /** The graduality the choice used (given or measured), for the caller to cache with the drawable. */
  readonly graduality?: GradualityLevel;
  /** The job's ArrayBuffer, handed back (absent for shared memory, which never left). */
  readonly pixels?: ArrayBuffer;
}

/**
 * 'raw' carries no bytes: the caller sends the bitmap as it is. Otherwise `data` is the encoded
 * image in a buffer of its own, transferred from the pool thread (the caller owns it).
 */
export type Compressed =
  | (ResultCommon & { readonly encoding: 'raw' })
  | (ResultCommon & { readonly encoding: CompressedEncoding; readonly data: Uint8Array })
  /** JPEG of an RGBA bitmap: the JPEG's `jpegBytes`, then its alpha plane LZ-coded. */
  | (ResultCommon & { readonly encoding: 'jpeg-alpha'; readonly data: Uint8Array; readonly jpegBytes: number })
  /** GLZ deflated: `glzBytes` is the GLZ payload's length. */
  | (ResultCommon & { readonly encoding: 'zlib-glz'; readonly data: Uint8Array; readonly glzBytes: number });

/**
 * Which jobs a busy pool runs first, as data: a job's priority is that of the first row its
 * pixel count fits. A small update (a cursor-sized change, a line of text) is not kept waiting
 * behind the bands of a full-screen image, whichever display each comes from.
 */
export const priorityRule = [
  { priority: 0, upToPixels: 64 * 64 },
  { priority: 1, upToPixels: 256 * 256 },
  { priority: 2, upToPixels: Number.POSITIVE_INFINITY },
] as const;

/** 0 runs first. */
export type JobPriority = (typeof priorityRule)[number]['priority'];

export const jobPriority = (width: number, height: number): JobPriority =>
  priorityRule.find((r) => width * height <= r.upToPixels)?.priority ?? 2;

export const isJobPriority = (p: unknown): p is JobPriority => priorityRule.some((r) => r.priority === p);

/**
 * Encoders that keep state from frame to frame of a stream (video): every frame of a stream runs
 * on the same pool thread, in order, the state made by its first frame and dropped when the
 * stream is closed. `checksum` is the simplest such encoder: a running Adler-32 of the frames.
 */
export type StreamCodec = 'checksum' | VideoCodec;

/**
 * How a stream's frame is encoded. A video frame carries the stream's rates (the encoder takes
 * them from this frame on) and whether it must be a key frame; a frame of another size than the
 * one before starts the encoder afresh.
 */
export type StreamEncoding =
  | { readonly codec: 'checksum' }
  | {
      readonly codec: VideoCodec;
      readonly bitRate: number;
      readonly frameRate: number;
      readonly keyFrame: boolean;
      /**
       * The frame is read in place, from memory its host may write meanwhile (the display's
       * surface): byte offsets, in the same shared memory, of two u32s. `writeCount`, the host's
       * count of its writes (bumped as each begins and as it ends, so odd while one is on): a
       * frame a write overlapped is answered torn, without bytes. `readers`, the reads in place
       * on now (added to around the read, the host woken when none is left): while there are, the
       * host holds its writes into the surface. Only for a
       * codec whose frames stand alone (MJPEG): a predicting encoder's state would already hold
       * the torn picture.
       */
      readonly inPlace?: { readonly writeCount: number; readonly readers: number };
    };

/** One frame of a stream, for a stateful encoder. */
export type StreamFrame = PixelsRef & StreamEncoding;

/** A stream encoder's output for one frame, in a buffer of its own (transferred, the caller owns it). */
export interface StreamEncoded {
  readonly data: Uint8Array;
  /** The frame rate the encoder can hold at the bit rate, when below the one asked (MJPEG at its lowest quality). */
  readonly frameRate?: number;
  /** Read in place while its host wrote there (`inPlace`): `data` is empty, the frame is not to be shown. */
  readonly torn?: true;
}

/** A job that cannot be done as given: a caller's bug, answered for that job only. */
export class BadJobError extends Error {
  override readonly name = 'BadJobError';
  constructor(reason: string) {
    super(`compressor-pool: bad job: ${reason}`);
  }
}

/**
 * The job's pixels as a bitmap view (no copy), after checking every field: a job comes from
 * another thread, so its shape is checked here rather than trusted. Throws BadJobError.
 */
export function jobBitmap(job: CompressJob): Bitmap32 {
  const bitmap = pixelsBitmap(job);
  checkEncodingRequest(job);
  return bitmap;
}

function pixelsBitmap(ref: PixelsRef): Bitmap32 {
  const { pixels, byteOffset, width, height, stride, format } = ref;
  if (!(pixels instanceof SharedArrayBuffer || pixels instanceof ArrayBuffer)) {
    throw new BadJobError('pixels must be a SharedArrayBuffer or an ArrayBuffer');
  }
  for (const [name, value] of [
    ['width', width],
    ['height', height],
    ['stride', stride],
    ['byteOffset', byteOffset],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new BadJobError(`${name} ${String(value)} is not a non-negative integer`);
  }
  if (width === 0 || height === 0) throw new BadJobError(`empty image ${width}x${height}`);
  if (stride < width * 4) throw new BadJobError(`stride ${stride} < width * 4 = ${width * 4}`);
  const end = byteOffset + stride * (height - 1) + width * 4;
  if (end > pixels.byteLength) {
    throw new BadJobError(
      `${width}x${height} stride ${stride} at offset ${byteOffset} needs ${end} bytes, the buffer has ${pixels.byteLength}`,
    );
  }
  if (!Object.hasOwn(formats, format)) throw new BadJobError(`unknown format ${String(format)}`);
  return { width, height, stride, pixels: new Uint8Array(pixels, byteOffset, end - byteOffset) };
}

function checkEncodingRequest(request: EncodingRequest): void {
  if (request.encoding !== 'auto') {
    if (!Object.hasOwn(encodings, request.encoding)) throw new BadJobError(`unknown encoding ${String(request.encoding)}`);
    // GLZ needs the client's dictionary: only an automatic choice, which has it, takes it.
    if (request.encoding === 'glz') throw new BadJobError('glz is chosen by the pool for a job with a dictionary, not asked for');
    return;
  }
  if (!Object.hasOwn(modes, request.mode)) throw new BadJobError(`unknown compression mode ${String(request.mode)}`);
  if (typeof request.clientHasLz4 !== 'boolean') throw new BadJobError('clientHasLz4 must be a boolean');
  if (request.graduality !== undefined && !Object.hasOwn(gradualities, request.graduality)) {
    throw new BadJobError(`unknown graduality ${String(request.graduality)}`);
  }
  if (request.glzDictionary !== undefined && !(request.glzDictionary instanceof SharedArrayBuffer)) {
    throw new BadJobError('glzDictionary must be a SharedArrayBuffer');
  }
  for (const flag of ['jpeg', 'zlibGlz'] as const) {
    if (request[flag] !== undefined && typeof request[flag] !== 'boolean') throw new BadJobError(`${flag} must be a boolean`);
  }
}

// Records over the union types, so the compiler flags a value added to a type but not here.
const formats: Record<Bitmap32Format, true> = { rgb32: true, rgba: true };
const encodings: Record<ImageEncoding, true> = { raw: true, quic: true, lz: true, glz: true, lz4: true, jpeg: true };
const modes: Record<ImageCompressionMode, true> = { auto_glz: true, auto_lz: true, quic: true, glz: true, lz: true, lz4: true, off: true };
const gradualities: Record<GradualityLevel, true> = { high: true, medium: true, low: true };
const streamCodecs: Record<StreamCodec, true> = { checksum: true, mjpeg: true, vp8: true, h264: true };

/** A stream frame's pixels as a bitmap view, every field checked as `jobBitmap` does. Throws BadJobError. */
export function frameBitmap(frame: StreamFrame): Bitmap32 {
  if (!Object.hasOwn(streamCodecs, frame.codec)) throw new BadJobError(`unknown stream codec ${String(frame.codec)}`);
  if (frame.codec !== 'checksum') {
    const { bitRate, frameRate, keyFrame } = frame;
    if (!(Number.isFinite(bitRate) && bitRate > 0 && bitRate <= maxBitRate)) throw new BadJobError(`bit rate ${String(bitRate)}`);
    if (!(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= maxFrameRate))
      throw new BadJobError(`frame rate ${String(frameRate)}`);
    if (typeof keyFrame !== 'boolean') throw new BadJobError('keyFrame must be a boolean');
  }
  return pixelsBitmap(frame);
}

/** Codecs whose frames stand alone: one read torn can be dropped without the next ones depending on it. */
const standalone: Record<StreamCodec, boolean> = { checksum: false, mjpeg: true, vp8: false, h264: false };

/** The host's write count and the readers' count of a frame read in place. */
export interface InPlaceWords {
  readonly writes: Uint32Array;
  readonly readers: Int32Array;
}

/**
 * Runs `read` as a read in place: counted as a reader around it (the host woken as the last
 * reader leaves); null (torn) when a write is on as it begins, without reading, or one was made
 * before it ends.
 */
export function readInPlace<T>(words: InPlaceWords, read: () => T): T | null {
  Atomics.add(words.readers, 0, 1);
  try {
    const before = Atomics.load(words.writes, 0);
    if (before % 2 === 1) return null;
    const out = read();
    return Atomics.load(words.writes, 0) === before ? out : null;
  } finally {
    // The host may be waiting to write (QxlDevice.waitForReaders).
    if (Atomics.sub(words.readers, 0, 1) === 1) Atomics.notify(words.readers, 0);
  }
}

/** The words of a frame read in place (`inPlace`), or null for a snapshot; checked. Throws BadJobError. */
export function frameInPlace(frame: StreamFrame): InPlaceWords | null {
  const words = frame.codec === 'checksum' ? undefined : frame.inPlace;
  if (words === undefined) return null;
  if (!standalone[frame.codec]) throw new BadJobError(`${frame.codec} frames cannot be read in place: its encoder keeps them`);
  const memory = frame.pixels;
  if (!(memory instanceof SharedArrayBuffer)) throw new BadJobError('a frame read in place must be in shared memory');
  const at = (name: string, offset: unknown): number => {
    if (
      !Number.isSafeInteger(offset) ||
      (offset as number) < 0 ||
      (offset as number) % 4 !== 0 ||
      (offset as number) + 4 > memory.byteLength
    )
      throw new BadJobError(`${name} offset ${String(offset)}`);
    return offset as number;
  };
  // The readers as an Int32Array: the host waits on them (Atomics.wait takes only that).
  return {
    writes: new Uint32Array(memory, at('write count', words.writeCount), 1),
    readers: new Int32Array(memory, at('readers', words.readers), 1),
  };
}
