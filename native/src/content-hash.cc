#include "exports.h"
#include "pixel-args.h"

// The pixmap cache's identity of an image (actors/pipeline/red-worker/cache/content-key.ts): a
// 64-bit hash of its shown pixels (B,G,R; the 4th byte ignored), read once. In C++ it is several
// times the speed of the same read in JS (2-3 ms a megapixel), paid for every image sent.

namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full, kP3 = 0x165667B19E3779F9ull,
                   kP4 = 0x85EBCA77C2B2AE63ull, kP5 = 0x27D4EB2F165667C5ull;

inline uint64_t Rotl(uint64_t v, int r) { return (v << r) | (v >> (64 - r)); }
inline uint64_t Round(uint64_t lane, uint64_t v) { return Rotl(lane + v * kP2, 31) * kP1; }
inline uint64_t Merge(uint64_t h, uint64_t lane) { return (h ^ Round(0, lane)) * kP1 + kP4; }

// contentHash(words: Uint32Array, stride, width, height, out: Int32Array of 2): the hash's two halves.
// Four lanes (pixel i of the image, row after row, into lane i % 4) so the multiplies overlap;
// folded and mixed as xxHash64 does, with the size in, so equal pixels of another shape differ.
Napi::Value ContentHash(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double n[3];
  bool ok = info.Length() >= 5 && IsTypedArrayOf(info[0], napi_uint32_array) && IsTypedArrayOf(info[4], napi_int32_array);
  for (int i = 0; ok && i < 3; i++) ok = ArgWhole(info[1 + i], &n[i]);
  if (!ok) {
    Napi::TypeError::New(env, "expected (words: Uint32Array, stride, width, height, out: Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double stride = n[0], width = n[1], height = n[2];
  Napi::Uint32Array w = info[0].As<Napi::Uint32Array>();
  Napi::Int32Array out = info[4].As<Napi::Int32Array>();
  if (!RowsFit(double(w.ElementLength()), 0, stride, width, height) || out.ElementLength() < 2) {
    Napi::RangeError::New(env, "contentHash: the rows do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint32_t* words = w.Data();
  const size_t cols = size_t(width), rows = size_t(height), s = size_t(stride);
  uint64_t lane[4] = {kP1 + kP2, kP2, 0, 0 - kP1};
  size_t k = 0;  // the next pixel's lane
  for (size_t row = 0; row < rows; row++) {
    const uint32_t* p = words + row * s;
    size_t i = 0;
    for (; k != 0 && i < cols; i++, k = (k + 1) & 3) lane[k] = Round(lane[k], p[i] & kRgb);
    for (; i + 4 <= cols; i += 4)
      for (size_t j = 0; j < 4; j++) lane[j] = Round(lane[j], p[i + j] & kRgb);
    for (; i < cols; i++, k = (k + 1) & 3) lane[k] = Round(lane[k], p[i] & kRgb);
  }
  uint64_t h = Rotl(lane[0], 1) + Rotl(lane[1], 7) + Rotl(lane[2], 12) + Rotl(lane[3], 18);
  for (uint64_t l : lane) h = Merge(h, l);
  h += (uint64_t(cols) << 32 | uint64_t(rows)) * kP5;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  int32_t* o = out.Data();
  o[0] = int32_t(uint32_t(h));
  o[1] = int32_t(uint32_t(h >> 32));
  return env.Undefined();
}

}  // namespace

void InitContentHash(Napi::Env env, Napi::Object exports) {
  exports.Set("contentHash", Napi::Function::New(env, ContentHash, "contentHash"));
}
