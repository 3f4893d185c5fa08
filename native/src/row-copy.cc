#include <cstring>
#include "exports.h"
#include "pixel-args.h"

// Rows of bytes copied between Uint8Arrays (shared memory included) with libc's memmove: V8's
// TypedArray.prototype.set copies into or out of a SharedArrayBuffer with relaxed atomics, a
// word at a time, which made it a sixth of the QEMU bridge's thread on a 1080p video.

namespace {

// copyRows(dst, dstOffset, dstStride, src, srcOffset, srcStride, rowBytes, rows): row y's
// `rowBytes` bytes at src[srcOffset + y * srcStride] go to dst[dstOffset + y * dstStride].
// Overlapping ranges of one buffer are safe (rows are taken in the order that reads before it writes).
Napi::Value CopyRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double n[6];
  const int numbers[6] = {1, 2, 4, 5, 6, 7};
  bool ok = info.Length() >= 8 && IsTypedArrayOf(info[0], napi_uint8_array) && IsTypedArrayOf(info[3], napi_uint8_array);
  for (int i = 0; ok && i < 6; i++) ok = ArgWhole(info[numbers[i]], &n[i]);
  if (!ok) {
    Napi::TypeError::New(env, "expected (dst: Uint8Array, dstOffset, dstStride, src: Uint8Array, srcOffset, srcStride, rowBytes, rows)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double dstOffset = n[0], dstStride = n[1], srcOffset = n[2], srcStride = n[3], rowBytes = n[4], rows = n[5];
  if (rows == 0 || rowBytes == 0) return env.Undefined();
  Napi::Uint8Array dst = info[0].As<Napi::Uint8Array>(), src = info[3].As<Napi::Uint8Array>();
  if (!RowsFit(double(dst.ByteLength()), dstOffset, dstStride, rowBytes, rows) ||
      !RowsFit(double(src.ByteLength()), srcOffset, srcStride, rowBytes, rows)) {
    Napi::RangeError::New(env, "copyRows: the rows do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* d = dst.Data() + size_t(dstOffset);
  const uint8_t* s = src.Data() + size_t(srcOffset);
  const size_t count = size_t(rows), bytes = size_t(rowBytes), ds = size_t(dstStride), ss = size_t(srcStride);
  if (ds == bytes && ss == bytes) {
    std::memmove(d, s, bytes * count);
  } else if (d > s) {
    for (size_t y = count; y-- > 0;) std::memmove(d + y * ds, s + y * ss, bytes);
  } else {
    for (size_t y = 0; y < count; y++) std::memmove(d + y * ds, s + y * ss, bytes);
  }
  return env.Undefined();
}

}  // namespace

void InitRowCopy(Napi::Env env, Napi::Object exports) { exports.Set("copyRows", Napi::Function::New(env, CopyRows, "copyRows")); }
