import type { Bitmap32 } from './bitmap.js';

const WINDOW = 8;
const STEP = 4;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/**
 * The structural similarity of two B,G,R,X pictures of one size, 0..1 (1: identical): SSIM
 * (Wang et al. 2004) over 8x8 windows 4 pixels apart, averaged over the windows and over B, G
 * and R (so a colour error counts, not only luma). For codec tests and benches: lossy video
 * that looks right scores above 0.95.
 */
export function ssim(a: Bitmap32, b: Bitmap32): number {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`ssim: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  if (a.width < WINDOW || a.height < WINDOW) throw new RangeError('ssim: smaller than a window');
  const n = WINDOW * WINDOW;
  let total = 0;
  let windows = 0;
  for (let y = 0; y + WINDOW <= a.height; y += STEP) {
    for (let x = 0; x + WINDOW <= a.width; x += STEP) {
      for (let c = 0; c < 3; c++) {
        let sa = 0;
        let sb = 0;
        let saa = 0;
        let sbb = 0;
        let sab = 0;
        for (let j = 0; j < WINDOW; j++) {
          let oa = (y + j) * a.stride + x * 4 + c;
          let ob = (y + j) * b.stride + x * 4 + c;
          for (let i = 0; i < WINDOW; i++, oa += 4, ob += 4) {
            const pa = a.pixels[oa]!;
            const pb = b.pixels[ob]!;
            sa += pa;
            sb += pb;
            saa += pa * pa;
            sbb += pb * pb;
            sab += pa * pb;
          }
        }
        const ma = sa / n;
        const mb = sb / n;
        const va = saa / n - ma * ma;
        const vb = sbb / n - mb * mb;
        const cov = sab / n - ma * mb;
        total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        windows++;
      }
    }
  }
  return total / windows;
}
