#include "yuv.h"
#include <algorithm>
#include <vector>

// Fixed-point matrices (8 fraction bits), the usual integer forms of BT.601 and BT.709, limited
// range. Chroma is taken from the 2x2 block's summed R, G, B (one multiply set per block).

namespace {

struct Forward {
  int yr, yg, yb, ur, ug, ub, vr, vg, vb;
};
struct Inverse {
  int rv, gu, gv, bu;  // R = Y' + rv V, G = Y' - gu U - gv V, B = Y' + bu U (Y' = 298 (Y - 16))
};

constexpr Forward kForward601{66, 129, 25, -38, -74, 112, 112, -94, -18};
constexpr Forward kForward709{47, 157, 16, -26, -87, 112, 112, -102, -10};
constexpr Inverse kInverse601{409, 100, 208, 516};
constexpr Inverse kInverse709{459, 55, 136, 541};

inline uint8_t LumaOf(const Forward& m, uint32_t p) {
  int b = p & 0xff, g = (p >> 8) & 0xff, r = (p >> 16) & 0xff;
  return uint8_t(((m.yr * r + m.yg * g + m.yb * b + 128) >> 8) + 16);
}

// U and V of a 2x2 block; the sums of 4 are scaled by 1/4 inside the shift (10 bits instead of 8).
inline void Chroma(const Forward& m, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint8_t* u, uint8_t* v) {
  int bs = int(a & 0xff) + int(b & 0xff) + int(c & 0xff) + int(d & 0xff);
  int gs = int((a >> 8) & 0xff) + int((b >> 8) & 0xff) + int((c >> 8) & 0xff) + int((d >> 8) & 0xff);
  int rs = int((a >> 16) & 0xff) + int((b >> 16) & 0xff) + int((c >> 16) & 0xff) + int((d >> 16) & 0xff);
  *u = uint8_t(((m.ur * rs + m.ug * gs + m.ub * bs + 512) >> 10) + 128);
  *v = uint8_t(((m.vr * rs + m.vg * gs + m.vb * bs + 512) >> 10) + 128);
}

// The pixel at column x of a row, the last one standing in for columns past the source's width.
inline uint32_t At(const uint8_t* row, uint32_t x, uint32_t width) { return LoadPixel(row + size_t(std::min(x, width - 1)) * 4); }

inline uint8_t Clamp(int v) { return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v); }

// One matrix per instantiation, so the inner loops see constants.
template <const Forward& m>
void ToI420(const PixelRows& src, const I420& dst) {
  for (uint32_t y = 0; y < dst.height; y += 2) {
    const uint8_t* row0 = src.pixels + size_t(std::min(y, src.height - 1)) * src.stride;
    const uint8_t* row1 = src.pixels + size_t(std::min(y + 1, src.height - 1)) * src.stride;
    uint8_t* y0 = dst.y + size_t(y) * dst.y_stride;
    uint8_t* y1 = y + 1 < dst.height ? y0 + dst.y_stride : nullptr;
    uint8_t* u = dst.u + size_t(y / 2) * dst.uv_stride;
    uint8_t* v = dst.v + size_t(y / 2) * dst.uv_stride;
    // The common case first: whole 2x2 blocks inside the source, two rows of output.
    uint32_t x = 0;
    if (y1 != nullptr) {
      uint32_t inner = std::min(dst.width, src.width) & ~1u;
      for (; x < inner; x += 2) {
        uint32_t a = LoadPixel(row0 + size_t(x) * 4), b = LoadPixel(row0 + size_t(x) * 4 + 4);
        uint32_t c = LoadPixel(row1 + size_t(x) * 4), d = LoadPixel(row1 + size_t(x) * 4 + 4);
        y0[x] = LumaOf(m, a);
        y0[x + 1] = LumaOf(m, b);
        y1[x] = LumaOf(m, c);
        y1[x + 1] = LumaOf(m, d);
        Chroma(m, a, b, c, d, u + x / 2, v + x / 2);
      }
    }
    for (; x < dst.width; x += 2) {
      uint32_t a = At(row0, x, src.width), b = At(row0, x + 1, src.width);
      uint32_t c = At(row1, x, src.width), d = At(row1, x + 1, src.width);
      y0[x] = LumaOf(m, a);
      if (x + 1 < dst.width) y0[x + 1] = LumaOf(m, b);
      if (y1 != nullptr) {
        y1[x] = LumaOf(m, c);
        if (x + 1 < dst.width) y1[x + 1] = LumaOf(m, d);
      }
      Chroma(m, a, b, c, d, u + x / 2, v + x / 2);
    }
  }
}

// Writes one pixel from its luma term and its chroma pair's three terms.
inline void Put(uint8_t* out, int c, int bd, int gd, int rd) {
  out[0] = Clamp((c + bd) >> 8);
  out[1] = Clamp((c + gd) >> 8);
  out[2] = Clamp((c + rd) >> 8);
  out[3] = 0;
}
// Chroma upsampled linearly, as libjpeg-turbo's fancy upsampling and GStreamer's videoconvert do
// (nearest sampling left 2x2 blocks on colour edges that cost the movie ~0.005 SSIM): MPEG-2
// siting, co-sited with even columns and halfway between two rows, so a row takes 3/4 of its
// chroma row and 1/4 of the next one away, and an odd column the mean of its two neighbours.
template <const Inverse& m>
void ToBgrx(const ConstI420& src, uint8_t* dst, size_t stride) {
  const uint32_t cw = (src.width + 1) / 2, ch = (src.height + 1) / 2;
  std::vector<int> u4(cw + 1), v4(cw + 1);  // 4x the row's chroma, one past the end repeated
  for (uint32_t y = 0; y < src.height; y++) {
    const uint32_t k = y / 2;
    const uint32_t far = y % 2 == 0 ? (k == 0 ? 0 : k - 1) : std::min(k + 1, ch - 1);
    const uint8_t *un = src.u + size_t(k) * src.uv_stride, *uf = src.u + size_t(far) * src.uv_stride;
    const uint8_t *vn = src.v + size_t(k) * src.uv_stride, *vf = src.v + size_t(far) * src.uv_stride;
    for (uint32_t i = 0; i < cw; i++) {
      u4[i] = 3 * un[i] + uf[i];
      v4[i] = 3 * vn[i] + vf[i];
    }
    u4[cw] = u4[cw - 1];
    v4[cw] = v4[cw - 1];
    const uint8_t* ys = src.y + size_t(y) * src.y_stride;
    uint8_t* out = dst + size_t(y) * stride;
    for (uint32_t x = 0; x < src.width; x++) {
      const uint32_t i = x / 2;
      // 8x (U - 128) and 8x (V - 128).
      const int d = (x % 2 == 0 ? 2 * u4[i] : u4[i] + u4[i + 1]) - 1024;
      const int e = (x % 2 == 0 ? 2 * v4[i] : v4[i] + v4[i + 1]) - 1024;
      Put(out + size_t(x) * 4, 298 * (int(ys[x]) - 16) + 128, (m.bu * d) >> 3, (-m.gu * d - m.gv * e) >> 3, (m.rv * e) >> 3);
    }
  }
}
}  // namespace

void BgrxToI420(const PixelRows& src, const I420& dst, YuvMatrix matrix) {
  if (matrix == YuvMatrix::kBt709)
    ToI420<kForward709>(src, dst);
  else
    ToI420<kForward601>(src, dst);
}

void I420ToBgrx(const ConstI420& src, uint8_t* dst, size_t stride, YuvMatrix matrix) {
  if (matrix == YuvMatrix::kBt709)
    ToBgrx<kInverse709>(src, dst, stride);
  else
    ToBgrx<kInverse601>(src, dst, stride);
}
