import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import type { StreamCodec } from '../../../codecs/image/compress-job.js';

/** A stateful encoder: one per stream, living on the pool thread its stream is bound to. */
export interface StreamEncoder {
  /** Encodes the stream's next frame into a buffer of its own. */
  encode(frame: Bitmap32): Uint8Array;
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

  encode({ width, height, stride, pixels }: Bitmap32): Uint8Array {
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
    return out;
  }

  close(): void {}
}

/** The stream encoders by codec: a video encoder plugs in here. */
export const streamEncoders: Record<StreamCodec, () => StreamEncoder> = {
  checksum: () => new RunningChecksum(),
};
