import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import type { StreamCodec, StreamEncoded, StreamFrame } from '../../../codecs/image/compress-job.js';
import { createVideoEncoder, type VideoCodec, type VideoEncoder } from '../../../codecs/video/encoder.js';
import { MjpegEncoder } from '../../../codecs/video/mjpeg.js';

/** A stateful encoder: one per stream, living on the pool thread its stream is bound to. */
export interface StreamEncoder {
  /** Encodes the stream's next frame (`job` says how: its rates, a key frame) into a buffer of its own. Throws on an encoder error. */
  encode(frame: Bitmap32, job: StreamFrame): StreamEncoded;
  /** Lets go of what the encoder holds outside the JavaScript heap (a native codec's context). */
  close(): void;
}

/**
 * A running Adler-32 over every frame of its stream, answered after each frame as 8 bytes (the
 * frame count and the checksum so far, little-endian): the simplest encoder whose output depends
 * on every earlier frame, and so on the frames reaching one state, in order.
 */
class RunningChecksum implements StreamEncoder {
  private a = 1;
  private b = 0;
  private frames = 0;

  encode({ width, height, stride, pixels }: Bitmap32): StreamEncoded {
    let a = this.a;
    let b = this.b;
    for (let y = 0; y < height; y++) {
      const row = y * stride;
      for (let i = row; i < row + width * 4; i++) {
        a = (a + pixels[i]!) % 65521;
        b = (b + a) % 65521;
      }
    }
    this.a = a;
    this.b = b;
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ++this.frames, true);
    view.setUint32(4, ((b << 16) | a) >>> 0, true);
    return { data: out };
  }

  close(): void {}
}

/**
 * A video stream's encoder (codecs/video/): made at the first frame's size and rates, made
 * afresh when the size changes (the codecs take one size; the new one starts with a key frame),
 * told new rates as frames bring them.
 */
class VideoStream implements StreamEncoder {
  private encoder: VideoEncoder | null = null;
  private size = { width: 0, height: 0 };
  private rates = { bitRate: 0, frameRate: 0 };

  constructor(private readonly codec: VideoCodec) {}

  encode(bitmap: Bitmap32, job: StreamFrame): StreamEncoded {
    if (job.codec === 'checksum') throw new Error('a checksum frame for a video stream');
    const { width, height } = bitmap;
    const { bitRate, frameRate } = job;
    let e = this.encoder;
    if (!e || this.size.width !== width || this.size.height !== height) {
      e?.close();
      this.encoder = e = createVideoEncoder(this.codec, { width, height, bitRate, frameRate });
      this.size = { width, height };
    } else if (this.rates.bitRate !== bitRate || this.rates.frameRate !== frameRate) e.setRate(bitRate, frameRate);
    this.rates = { bitRate, frameRate };
    const data = e.encode(bitmap, { keyFrame: job.keyFrame });
    // MJPEG frames at its lowest quality may still be over the budget: it says how many a second fit.
    const fits = e instanceof MjpegEncoder ? e.frameRate : frameRate;
    return fits < frameRate ? { data, frameRate: fits } : { data };
  }

  close(): void {
    this.encoder?.close();
    this.encoder = null;
  }
}

/** The stream encoders by codec. */
export const streamEncoders: Record<StreamCodec, () => StreamEncoder> = {
  checksum: () => new RunningChecksum(),
  mjpeg: () => new VideoStream('mjpeg'),
  vp8: () => new VideoStream('vp8'),
  h264: () => new VideoStream('h264'),
};
