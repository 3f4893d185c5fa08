#include "exports.h"
#include "pixel-args.h"

// The motion planners' passes over whole boxes of pixels (codecs/motion/rows.ts): a hash per row
// and row-against-row compares, in C++ where the same loops in JS were most of the QEMU bridge's
// thread on a scrolling 1080p terminal. Pixels are 32-bit words; the 4th byte is ignored.

namespace {

// rowHashes(words, stride, x, y, width, height, out: Int32Array of at least height)
Napi::Value RowHashes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array w;
  double n[5];
  bool ok = info.Length() >= 7 && ArgWords(info[0], &w) && IsTypedArrayOf(info[6], napi_int32_array);
  for (int i = 0; ok && i < 5; i++) ok = ArgWhole(info[1 + i], &n[i]);
  if (!ok) {
    Napi::TypeError::New(env, "expected (words: Uint32Array, stride, x, y, width, height, out: Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double stride = n[0], x = n[1], y = n[2], width = n[3], height = n[4];
  Napi::Int32Array out = info[6].As<Napi::Int32Array>();
  if (!RowsFit(double(w.ElementLength()), y * stride + x, stride, width, height) || double(out.ElementLength()) < height) {
    Napi::RangeError::New(env, "rowHashes: the rows do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint32_t* words = w.Data();
  int32_t* hashes = out.Data();
  const size_t cols = size_t(width), s = size_t(stride);
  for (size_t row = 0; row < size_t(height); row++) {
    // Eight lanes, each pixel i into lane i % 8 (rotate, multiply, mix in), so the multiplies do not
    // wait on each other; then the lanes folded into one. A filter only: equal rows hash equal.
    uint32_t lane[8];
    for (uint32_t k = 0; k < 8; k++) lane[k] = (0x811c9dc5u + k) ^ uint32_t(cols);
    const uint32_t* p = words + (size_t(y) + row) * s + size_t(x);
    size_t i = 0;
    for (; i + 8 <= cols; i += 8)
      for (size_t k = 0; k < 8; k++) lane[k] = ((lane[k] << 5) | (lane[k] >> 27)) * 0x9e3779b1u ^ (p[i + k] & kRgb);
    for (size_t k = 0; i < cols; i++, k++) lane[k] = ((lane[k] << 5) | (lane[k] >> 27)) * 0x9e3779b1u ^ (p[i] & kRgb);
    uint32_t h = 0;
    for (uint32_t k = 0; k < 8; k++) h = ((h << 5) | (h >> 27)) * 0x9e3779b1u ^ lane[k];
    hashes[row] = int32_t(h);
  }
  return env.Undefined();
}

// rowsEqual(a, aStride, ax, ay, b, bStride, bx, by, width[, height = 1]): whether the `height` rows
// of `width` pixels from each corner show the same colours (a motion tile is one call, not a row each).
Napi::Value RowsEqual(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array a, b;
  double n[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  bool ok = info.Length() >= 9 && ArgWords(info[0], &a) && ArgWords(info[4], &b);
  const int numbers[8] = {1, 2, 3, 5, 6, 7, 8, 9};
  const int given = info.Length() >= 10 ? 8 : 7;
  for (int i = 0; ok && i < given; i++) ok = ArgWhole(info[numbers[i]], &n[i]);
  if (!ok) {
    Napi::TypeError::New(env, "expected (a: Uint32Array, aStride, ax, ay, b: Uint32Array, bStride, bx, by, width, height?)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double aStride = n[0], ax = n[1], ay = n[2], bStride = n[3], bx = n[4], by = n[5], width = n[6], height = n[7];
  if (!RowsFit(double(a.ElementLength()), ay * aStride + ax, aStride, width, height) ||
      !RowsFit(double(b.ElementLength()), by * bStride + bx, bStride, width, height)) {
    Napi::RangeError::New(env, "rowsEqual: the rows do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (width == 0 || height == 0) return Napi::Boolean::New(env, true);
  const uint32_t* p = a.Data() + size_t(ay * aStride + ax);
  const uint32_t* q = b.Data() + size_t(by * bStride + bx);
  return Napi::Boolean::New(env, SameColours(p, size_t(aStride), q, size_t(bStride), size_t(width), size_t(height)));
}

}  // namespace

void InitMotionRows(Napi::Env env, Napi::Object exports) {
  exports.Set("rowHashes", Napi::Function::New(env, RowHashes, "rowHashes"));
  exports.Set("rowsEqual", Napi::Function::New(env, RowsEqual, "rowsEqual"));
}
