import { type Bitmap32, type Decoded, decodeError } from '../image/bitmap.js';
import { h264Decoder, jpegDecode, type NativePicture, type NativeVideoDecoder, vp8Decoder } from '../../native/index.js';
import type { VideoCodec } from './encoder.js';

/**
 * One stream's decoder (the TS client's, beside our encoders): frames in the order they came;
 * a frame is a STREAM_DATA payload. A damaged frame, or a VP8/H.264 frame whose reference
 * is missing, is an error value. The picture is B,G,R,X with X = 0, rows width * 4 apart.
 */
export interface VideoDecoder {
  readonly codec: VideoCodec;
  decode(data: Uint8Array): Decoded<Bitmap32>;
  close(): void;
}

export function createVideoDecoder(codec: VideoCodec): VideoDecoder {
  switch (codec) {
    case 'mjpeg': {
      // Stateless: each frame is a whole JPEG.
      let closed = false;
      const decode = (data: Uint8Array) => (closed ? decodeError('mjpeg: decoder closed') : guarded(codec, () => jpegDecode(data)));
      return { codec, decode, close: () => void (closed = true) };
    }
    case 'vp8':
      return nativeDecoder(codec, vp8Decoder());
    case 'h264':
      return nativeDecoder(codec, h264Decoder());
  }
}

function nativeDecoder(codec: VideoCodec, native: NativeVideoDecoder): VideoDecoder {
  return { codec, decode: (data) => guarded(codec, () => native.decode(data)), close: () => native.close() };
}

/** The native decoders throw on damaged input (their only way out of C++); here that becomes a value. */
function guarded(codec: VideoCodec, decode: () => NativePicture): Decoded<Bitmap32> {
  try {
    const { width, height, pixels } = decode();
    return { ok: true, value: { width, height, stride: width * 4, pixels } };
  } catch (error) {
    return decodeError(`${codec}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
