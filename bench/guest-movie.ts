import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { markerBox, markerRgb } from './e2e/marker.js';

/**
 * The test guest's movie workload (guest/src/movie.c) drawn in TS, pixel for pixel, for a movie
 * that fills the screen (the bench's movie rows): frames the encoders can be fed offline at the
 * 30 fps the guest aims for (under TCG it draws far fewer), and marker images for the marker
 * reader's tests. The same integer arithmetic and random sequence as the C, so that a change
 * there shows here as a difference against a screendump.
 */
export class GuestMovie {
  private readonly photo: Uint32Array;
  private readonly photoW: number;
  private readonly photoH: number;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.photoW = Math.trunc((width * 3) / 2);
    this.photoH = Math.trunc((height * 3) / 2);
    this.photo = makePhoto(this.photoW, this.photoH);
  }

  /** Frame `frame` (the guest's counter), B,G,R,X, with latency marker `marker` over it when given. */
  frame(frame: number, marker?: number): Bitmap32 {
    const { width: w, height: h } = this;
    const [photo, photoW, photoH] = [this.photo, this.photoW, this.photoH];
    const stride = w * 4;
    const pixels = new Uint8Array(stride * h);
    const zoom256 = 256 + sweep(frame, 128);
    const winW = Math.min(photoW, idiv(w * 384, zoom256));
    const winH = Math.min(photoH, idiv(h * 384, zoom256));
    const ox = sweep(frame * 3, photoW - winW);
    const oy = sweep(frame * 2, photoH - winH);
    const stepX = idiv(winW * 65536, w);
    const stepY = idiv(winH * 65536, h);
    for (let y = 0; y < h; y++) {
      const src = (oy + Math.floor((y * stepY) / 65536)) * photoW + ox;
      for (let x = 0, sx = 0, i = y * stride; x < w; x++, sx += stepX, i += 4) put(pixels, i, photo[src + Math.floor(sx / 65536)]!);
    }
    const bmp: Bitmap32 = { width: w, height: h, stride, pixels };
    ball(bmp, sweep(frame * 7, w), sweep(frame * 5, h), idiv(h, 8), 0xc03020);
    ball(bmp, sweep(frame * 4 + 200, w), sweep(frame * 6 + 90, h), idiv(h, 12), 0x2050c0);
    ball(bmp, w - sweep(frame * 5, w), idiv(h * 2, 3), idiv(h, 10), 0xe0c020);
    if (marker !== undefined) {
      const b = markerBox(w);
      const rgb = markerRgb(marker);
      for (let y = b.top; y < b.bottom; y++) for (let x = b.left; x < b.right; x++) put(pixels, y * stride + x * 4, rgb);
    }
    return bmp;
  }
}

/** C's int division (truncates toward zero). */
const idiv = (a: number, b: number): number => Math.trunc(a / b);
const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function put(px: Uint8Array, i: number, rgb: number): void {
  px[i] = rgb & 0xff;
  px[i + 1] = (rgb >> 8) & 0xff;
  px[i + 2] = (rgb >> 16) & 0xff;
}

/** A triangle wave over 0..range. */
function sweep(t: number, range: number): number {
  if (range <= 0) return 0;
  const p = t % (2 * range);
  return p < range ? p : 2 * range - p;
}

/** The guest's xorshift32, from its seed. */
function xorshift(): () => number {
  let s = 2463534242;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s;
  };
}

/** The landscape the movie pans over, 0xRRGGBB (make_photo). */
function makePhoto(w: number, h: number): Uint32Array {
  const random = xorshift();
  const cells = [97, 41, 13];
  const lattices = cells.map((cell) => {
    const lw = idiv(w, cell) + 2;
    const lh = idiv(h, cell) + 2;
    const l = new Uint8Array(lw * lh);
    for (let i = 0; i < l.length; i++) l[i] = random() & 0xff;
    return { l, lw, cell };
  });
  const noise = (o: number, x: number, y: number): number => {
    const { l, lw, cell } = lattices[o]!;
    const gx = idiv(x, cell);
    const gy = idiv(y, cell);
    const fx = idiv((x % cell) * 256, cell);
    const fy = idiv((y % cell) * 256, cell);
    const top = l[gy * lw + gx]! * (256 - fx) + l[gy * lw + gx + 1]! * fx;
    const bottom = l[(gy + 1) * lw + gx]! * (256 - fx) + l[(gy + 1) * lw + gx + 1]! * fx;
    return (top * (256 - fy) + bottom * fy) >> 16;
  };
  const photo = new Uint32Array(w * h);
  const sunX = idiv(w * 2, 3);
  const sunY = idiv(h, 5);
  const sunR = idiv(h, 10);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const n = idiv(noise(0, x, y) * 4 + noise(1, x, y) * 2 + noise(2, x, y), 7);
      const horizon = idiv(h, 2) + idiv((noise(0, x, 0) - 128) * h, 640);
      let r: number, g: number, b: number;
      if (y < horizon) {
        const t = idiv(y * 255, horizon > 0 ? horizon : 1);
        r = 70 + idiv(t, 3) + idiv(n - 128, 8);
        g = 120 + idiv(t, 4) + idiv(n - 128, 8);
        b = 230 - idiv(t, 5);
        const dx = x - sunX;
        const dy = y - sunY;
        const d2 = dx * dx + dy * dy;
        if (d2 < sunR * sunR * 4) {
          const glow = 255 - idiv(d2 * 255, sunR * sunR * 4);
          r += glow;
          g += idiv(glow * 9, 10);
          b += idiv(glow, 3);
        }
      } else {
        const depth = idiv((y - horizon) * 255, h - horizon > 0 ? h - horizon : 1);
        r = 40 + idiv(n, 3) + idiv(depth, 6);
        g = 90 + idiv(n, 2) - idiv(depth, 8);
        b = 30 + idiv(n, 6);
      }
      const grain = (random() % 5) - 2;
      photo[y * w + x] = (clamp8(r + grain) << 16) | (clamp8(g + grain) << 8) | clamp8(b + grain);
    }
  }
  return photo;
}

/** A shaded ball, lighter towards its top left, inside the frame. */
function ball(s: Bitmap32, cx: number, cy: number, rad: number, rgb: number): void {
  for (let y = cy - rad; y < cy + rad; y++) {
    if (y < 0 || y >= s.height) continue;
    for (let x = cx - rad; x < cx + rad; x++) {
      const dx = x - cx;
      const dy = y - cy;
      if (x < 0 || x >= s.width || dx * dx + dy * dy >= rad * rad) continue;
      const light = 80 - idiv((dx + dy) * 60, rad);
      const c = (clamp8(((rgb >> 16) & 0xff) + light) << 16) | (clamp8(((rgb >> 8) & 0xff) + light) << 8) | clamp8((rgb & 0xff) + light);
      put(s.pixels, y * s.stride + x * 4, c);
    }
  }
}
