import type { NativeVideoEncoder } from '../../native/index.js';
import type { VideoCodec, VideoEncoder, VideoFrame } from './encoder.js';

/** A codec whose state and rate control live in its native library (VP8: libvpx, H.264: openh264). */
export class NativeStreamEncoder implements VideoEncoder {
  constructor(
    readonly codec: Exclude<VideoCodec, 'mjpeg'>,
    private readonly native: NativeVideoEncoder,
  ) {}

  encode(frame: VideoFrame, options?: { readonly keyFrame?: boolean }): Uint8Array {
    return this.native.encode(frame.pixels, frame.width, frame.height, frame.stride, options?.keyFrame === true);
  }

  setRate(bitRate: number, frameRate: number): void {
    this.native.setRate(bitRate, frameRate);
  }

  close(): void {
    this.native.close();
  }
}
