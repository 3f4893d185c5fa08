import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import type { VideoCodec, VideoEncoder, VideoEncoderOptions } from '../../../../codecs/video/encoder.js';

/** A stream's number on the wire (small: spice-gtk keeps its streams in an array by id). */
export type StreamId = number & { readonly __brand: 'StreamId' };

export type MakeVideoEncoder = (codec: VideoCodec, options: VideoEncoderOptions) => VideoEncoder;

/**
 * The encoders of a red-worker's streams, by stream id. VP8 and H.264 keep state from frame to
 * frame, so a stream's frames must go to the same encoder in order; MJPEG frames stand alone.
 */
export interface StreamEncoders {
  /** Throws when the codec cannot be set up (the stream then is not created). */
  open(id: StreamId, codec: VideoCodec, options: VideoEncoderOptions): void;
  /** Rejects on an encoder error: the caller ends the stream. */
  encode(id: StreamId, frame: Bitmap32, keyFrame: boolean): Promise<Uint8Array>;
  setRate(id: StreamId, bitRate: number, frameRate: number): void;
  close(id: StreamId): void;
}

/**
 * Every stream encoded on the red-worker's own thread, one encoder per stream: the simplest
 * order-keeping home for stateful codecs. It moves onto the shared compressor pool's
 * per-stream affinity jobs once the pool is an actor; this interface stays.
 */
export class InThreadEncoders implements StreamEncoders {
  private readonly encoders = new Map<StreamId, VideoEncoder>();

  constructor(private readonly make: MakeVideoEncoder) {}

  open(id: StreamId, codec: VideoCodec, options: VideoEncoderOptions): void {
    this.close(id);
    this.encoders.set(id, this.make(codec, options));
  }

  async encode(id: StreamId, frame: Bitmap32, keyFrame: boolean): Promise<Uint8Array> {
    const e = this.encoders.get(id);
    if (!e) throw new Error(`stream ${id} has no encoder`);
    return e.encode(frame, { keyFrame });
  }

  setRate(id: StreamId, bitRate: number, frameRate: number): void {
    this.encoders.get(id)?.setRate(bitRate, frameRate);
  }

  close(id: StreamId): void {
    this.encoders.get(id)?.close();
    this.encoders.delete(id);
  }
}
