import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import type { StreamEncoded } from '../../../../codecs/image/compress-job.js';
import type { VideoCodec, VideoEncoderOptions } from '../../../../codecs/video/encoder.js';
import { SURFACE_READERS_OFFSET, WRITE_GENERATION_OFFSET } from '../../../../native/qxl/layout.js';
import type { PoolClient } from '../pool-client.js';

/** A stream's number on the wire (small: spice-gtk keeps its streams in an array by id). */
export type StreamId = number & { readonly __brand: 'StreamId' };

/**
 * The encoders of a red-worker's streams, by stream id. VP8 and H.264 keep state from frame to
 * frame, so a stream's frames must go to the same encoder in order; MJPEG frames stand alone.
 */
export interface StreamEncoders {
  /** A stream (re)starts with this codec, size and rates: its next frame is a key frame. */
  open(id: StreamId, codec: VideoCodec, options: VideoEncoderOptions): void;
  /**
   * Rejects on an encoder error: the caller ends the stream. `inPlace`: `frame` is the device's
   * surface, which its host may write meanwhile (answered `torn` if it did; MJPEG only).
   */
  encode(id: StreamId, frame: Bitmap32, keyFrame: boolean, inPlace?: boolean): Promise<StreamEncoded>;
  setRate(id: StreamId, bitRate: number, frameRate: number): void;
  close(id: StreamId): void;
}

interface Opened {
  readonly codec: VideoCodec;
  bitRate: number;
  frameRate: number;
  keyFrame: boolean;
}

/**
 * Every stream's encoder on the shared compressor pool: the stream is bound to one pool thread,
 * which holds its encoder and runs its frames in order; closing the stream drops it there. The
 * rates travel with each frame, so a change reaches the encoder in order with the frames.
 */
export class PoolStreamEncoders implements StreamEncoders {
  private readonly opened = new Map<StreamId, Opened>();

  constructor(private readonly pool: PoolClient) {}

  open(id: StreamId, codec: VideoCodec, { bitRate, frameRate }: VideoEncoderOptions): void {
    // The pool thread starts the encoder afresh on a new size; a new codec needs the old state gone first.
    const was = this.opened.get(id);
    if (was && was.codec !== codec) this.close(id);
    this.opened.set(id, { codec, bitRate, frameRate, keyFrame: true });
  }

  encode(id: StreamId, frame: Bitmap32, keyFrame: boolean, inPlace = false): Promise<StreamEncoded> {
    const s = this.opened.get(id);
    if (!s) return Promise.reject(new Error(`stream ${id} has no encoder`));
    const key = s.keyFrame || keyFrame;
    s.keyFrame = false;
    // The surface is device memory, whose host counts its writes there.
    const words = inPlace ? { inPlace: { writeCount: WRITE_GENERATION_OFFSET, readers: SURFACE_READERS_OFFSET } } : {};
    return this.pool.encodeFrame(id, frame, { codec: s.codec, bitRate: s.bitRate, frameRate: s.frameRate, keyFrame: key, ...words });
  }

  setRate(id: StreamId, bitRate: number, frameRate: number): void {
    const s = this.opened.get(id);
    if (s) Object.assign(s, { bitRate, frameRate });
  }

  close(id: StreamId): void {
    if (this.opened.delete(id)) this.pool.closeStream(id);
  }
}
