#include "yuv.h"
#include <algorithm>

// Fixed-point BT.601 limited range (8 fraction bits), the usual integer form of the matrix.
// Chroma is taken from the 2x2 block's summed R, G, B (one multiply set per block, not per pixel).

namespace {

inline uint8_t LumaOf(uint32_t p) {
  int b = p & 0xff, g = (p >> 8) & 0xff, r = (p >> 16) & 0xff;
  return uint8_t(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
}

// The pixel at column x of a row, the last one standing in for columns past the source's width.
inline uint32_t At(const uint8_t* row, uint32_t x, uint32_t width) { return LoadPixel(row + size_t(std::min(x, width - 1)) * 4); }

// U and V of a 2x2 block; the sums of 4 are scaled by 1/4 inside the shift (10 bits instead of 8).
inline void Chroma(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint8_t* u, uint8_t* v) {
  int bs = int(a & 0xff) + int(b & 0xff) + int(c & 0xff) + int(d & 0xff);
  int gs = int((a >> 8) & 0xff) + int((b >> 8) & 0xff) + int((c >> 8) & 0xff) + int((d >> 8) & 0xff);
  int rs = int((a >> 16) & 0xff) + int((b >> 16) & 0xff) + int((c >> 16) & 0xff) + int((d >> 16) & 0xff);
  *u = uint8_t(((-38 * rs - 74 * gs + 112 * bs + 512) >> 10) + 128);
  *v = uint8_t(((112 * rs - 94 * gs - 18 * bs + 512) >> 10) + 128);
}

inline uint8_t Clamp(int v) { return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v); }

}  // namespace

void BgrxToI420(const PixelRows& src, const I420& dst) {
  for (uint32_t y = 0; y < dst.height; y += 2) {
    const uint8_t* row0 = src.pixels + size_t(std::min(y, src.height - 1)) * src.stride;
    const uint8_t* row1 = src.pixels + size_t(std::min(y + 1, src.height - 1)) * src.stride;
    uint8_t* y0 = dst.y + size_t(y) * dst.y_stride;
    uint8_t* y1 = y + 1 < dst.height ? y0 + dst.y_stride : nullptr;
    uint8_t* u = dst.u + size_t(y / 2) * dst.uv_stride;
    uint8_t* v = dst.v + size_t(y / 2) * dst.uv_stride;
    // The common case without edge repetition: both rows real and the columns in the source.
    uint32_t inner = std::min(dst.width, src.width) & ~1u;
    uint32_t x = 0;
    for (; x < inner; x += 2) {
      uint32_t a = LoadPixel(row0 + size_t(x) * 4), b = LoadPixel(row0 + size_t(x) * 4 + 4);
      uint32_t c = LoadPixel(row1 + size_t(x) * 4), d = LoadPixel(row1 + size_t(x) * 4 + 4);
      y0[x] = LumaOf(a);
      y0[x + 1] = LumaOf(b);
      if (y1 != nullptr) {
        y1[x] = LumaOf(c);
        y1[x + 1] = LumaOf(d);
      }
      Chroma(a, b, c, d, u + x / 2, v + x / 2);
    }
    for (; x < dst.width; x += 2) {
      uint32_t a = At(row0, x, src.width), b = At(row0, x + 1, src.width);
      uint32_t c = At(row1, x, src.width), d = At(row1, x + 1, src.width);
      y0[x] = LumaOf(a);
      if (x + 1 < dst.width) y0[x + 1] = LumaOf(b);
      if (y1 != nullptr) {
        y1[x] = LumaOf(c);
        if (x + 1 < dst.width) y1[x + 1] = LumaOf(d);
      }
      Chroma(a, b, c, d, u + x / 2, v + x / 2);
    }
  }
}

void I420ToBgrx(const ConstI420& src, uint8_t* dst, size_t stride) {
  for (uint32_t y = 0; y < src.height; y++) {
    const uint8_t* ys = src.y + size_t(y) * src.y_stride;
    const uint8_t* us = src.u + size_t(y / 2) * src.uv_stride;
    const uint8_t* vs = src.v + size_t(y / 2) * src.uv_stride;
    uint8_t* out = dst + size_t(y) * stride;
    for (uint32_t x = 0; x < src.width; x++) {
      int c = 298 * (int(ys[x]) - 16) + 128;
      int d = int(us[x / 2]) - 128;
      int e = int(vs[x / 2]) - 128;
      out[x * 4] = Clamp((c + 516 * d) >> 8);
      out[x * 4 + 1] = Clamp((c - 100 * d - 208 * e) >> 8);
      out[x * 4 + 2] = Clamp((c + 409 * e) >> 8);
      out[x * 4 + 3] = 0;
    }
  }
}
