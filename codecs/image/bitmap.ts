/**
 * Pixels as SPICE's 32-bit bitmap formats hold them: 4 bytes a pixel, B, G, R then X (32BIT,
 * the 4th byte ignored) or A (RGBA), rows top-down, `stride` bytes apart (>= width * 4).
 * `pixels` may be a view into shared memory: encoders only read it.
 */
export interface Bitmap32 {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly pixels: Uint8Array;
}

/** 32BIT ignores the 4th byte (decoders write 0 there); RGBA carries alpha in it. */
export type Bitmap32Format = 'rgb32' | 'rgba';

export { decodeError, type Decoded } from '../decoded.js';
