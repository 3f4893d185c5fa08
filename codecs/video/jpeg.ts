import { jpegEncode } from '../../native/index.js';
import type { VideoFrame } from './encoder.js';

/**
 * A complete baseline JPEG (4:2:0, libjpeg-turbo's fast DCT) of B,G,R,X pixels at `quality`
 * 1..100: an MJPEG stream frame, or a JPEG still image.
 */
export const encodeJpeg = (frame: VideoFrame, quality: number): Uint8Array =>
  jpegEncode(frame.pixels, frame.width, frame.height, frame.stride, quality);
