import { h264Encoder, vp8Encoder } from '../../native/index.js';
import { MjpegEncoder } from './mjpeg.js';
import { NativeStreamEncoder } from './native-stream.js';

/** The stream codecs (SPICE_VIDEO_CODEC_TYPE_MJPEG, VP8, H264). */
export type VideoCodec = 'mjpeg' | 'vp8' | 'h264';

/**
 * One frame of a stream's region: SPICE 32-bit pixels, bytes B,G,R,X per pixel, rows top-down
 * `stride` bytes apart. May be a view into a SharedArrayBuffer: read by reference, never copied in JS.
 */
export interface VideoFrame {
  readonly pixels: Uint8Array;
  readonly stride: number;
  readonly width: number;
  readonly height: number;
}

export interface VideoEncoderOptions {
  readonly width: number;
  readonly height: number;
  /** bit/s */
  readonly bitRate: number;
  readonly frameRate: number;
}

/**
 * One stream's encoder. Stateful (VP8, H.264 predict from the previous frame): one stream's
 * frames go to one encoder, in order, on one thread; it works on any thread (worker threads
 * included). Bad frames or rates throw.
 */
export interface VideoEncoder {
  readonly codec: VideoCodec;
  /**
   * One complete frame as SPICE's STREAM_DATA carries it for this codec (MJPEG: a complete JPEG;
   * VP8: one VP8 frame; H.264: Annex-B access unit), in an ArrayBuffer of its own (transferable).
   * A frame of another size than the last one is a new start (a key frame).
   */
  encode(frame: VideoFrame, options?: { readonly keyFrame?: boolean }): Uint8Array;
  /** Bit rate (bit/s) and frame rate from the next frame on. */
  setRate(bitRate: number, frameRate: number): void;
  /** Frees the codec's memory now; encode then throws. */
  close(): void;
}

export function createVideoEncoder(codec: VideoCodec, options: VideoEncoderOptions): VideoEncoder {
  switch (codec) {
    case 'mjpeg':
      return new MjpegEncoder(options);
    case 'vp8':
      return new NativeStreamEncoder('vp8', vp8Encoder(options.width, options.height, options.bitRate, options.frameRate));
    case 'h264':
      return new NativeStreamEncoder('h264', h264Encoder(options.width, options.height, options.bitRate, options.frameRate));
  }
}
