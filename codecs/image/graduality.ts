import { nativeGradualityScore } from '../../native/index.js';
import type { Bitmap32 } from './bitmap.js';

/**
 * How smooth a bitmap is, after spice-server's `bitmap_get_graduality_level`
 * (spice-bitmap-utils): photos and gradients are HIGH (QUIC's domain), flat areas with sharp
 * edges — text, window borders — are LOW (LZ's). A cheap sample, not a full scan.
 */
export type GradualityLevel = 'high' | 'medium' | 'low';

const SAMPLE_JUMP = 15;
const HIGH_BELOW = -0.03;
const MEDIUM_BELOW = 0.002;

/**
 * Squares enough to tell photo-like pixels from text and windows when only that is asked (is a
 * damaged area video?): spice-server's full walk over a 1080p frame took ~4 ms in JS, this ~0.1.
 */
export const roughSamples = 4096;

/** Whether a picture is smooth, photo-like (a video's, a photo's), not text or windows: the rough, sparse walk. */
export const isPhotoLike = (bitmap: Bitmap32): boolean => gradualityLevel(bitmap, roughSamples) !== 'low';

/** `maxSamples`: a sparser walk for a large picture where a rough answer does (see gradualityScore). */
export function gradualityLevel(bitmap: Bitmap32, maxSamples = Number.POSITIVE_INFINITY): GradualityLevel {
  const score = gradualityScore(bitmap, maxSamples);
  return score < HIGH_BELOW ? 'high' : score < MEDIUM_BELOW ? 'medium' : 'low';
}

/**
 * The mean pair score: every 15th pixel (in row-major order, starting mid first row) is the top
 * left of a 2x2 square whose three pairs with it score +0.5 equal, +1 contrasting (a channel 60
 * apart), -0.25 slightly different; squares of one colour score 0 but still count. Images one
 * pixel wide or high score 1 (LOW), as spice-server has it. Rows are found through `stride`
 * (spice-server assumes stride == width*4; the samples are the same then). With `maxSamples`, the
 * walk takes longer steps so that about that many squares are scored, a prime step so that the
 * samples do not line up in a few columns. The walk is the native addon's: it runs for every
 * update the QEMU bridge plans moves for and every image auto-compressed.
 */
export function gradualityScore({ width, height, stride, pixels }: Bitmap32, maxSamples = Number.POSITIVE_INFINITY): number {
  if (width <= 1 || height <= 1) return 1;
  return nativeGradualityScore(pixels, width, height, stride, sampleJump(width, height, maxSamples));
}

function sampleJump(width: number, height: number, maxSamples: number): number {
  let jump = Math.max(SAMPLE_JUMP, Math.ceil((width * height) / maxSamples));
  if (jump === SAMPLE_JUMP) return jump % width ? jump : jump - 1;
  // A prime step not dividing the width: no column phase, nor a period of the content (text's cells), is skipped.
  while (!isPrime(jump) || width % jump === 0) jump++;
  return jump;
}

function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n > 1;
}
