#pragma once
#include <napi.h>
#include <cmath>
#include <cstring>
#include "../../codecs/image/pixel-rows.h"

// The shown channels of a 32-bit pixel word (B,G,R); the 4th byte is not shown.
constexpr uint32_t kRgb = 0xffffff;

// A whole number from 0 to 2^53 - 1 (an offset, a stride, a count), or false.
inline bool ArgWhole(const Napi::Value& v, double* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) return false;
  *out = d;
  return true;
}

// Whether `v` is a typed array of that element type.
inline bool IsTypedArrayOf(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

// Whether `v` is a Uint32Array (pixel words), into `out`.
inline bool ArgWords(const Napi::Value& v, Napi::Uint32Array* out) {
  if (!IsTypedArrayOf(v, napi_uint32_array)) return false;
  *out = v.As<Napi::Uint32Array>();
  return true;
}

// Whether `rows` rows of `cols` pixel words from p and from q (each row `pStride`, `qStride` words
// on) show the same colours, the 4th byte ignored. No early exit inside a block of 64: the loop
// vectorises, and rows that differ mostly differ early anyway.
inline bool SameColours(const uint32_t* p, size_t pStride, const uint32_t* q, size_t qStride, size_t cols, size_t rows) {
  for (size_t row = 0; row < rows; row++, p += pStride, q += qStride) {
    uint32_t diff = 0;
    for (size_t i = 0; i < cols; i += 64) {
      const size_t end = i + 64 < cols ? i + 64 : cols;
      for (size_t j = i; j < end; j++) diff |= p[j] ^ q[j];
      if ((diff & kRgb) != 0) return false;
    }
  }
  return true;
}

// Whether `rows` rows of `rowLength` elements, the first at `offset` and each next `stride` on,
// lie inside `length` elements (nothing to read always does). Doubles stay exact below 2^53.
inline bool RowsFit(double length, double offset, double stride, double rowLength, double rows) {
  return rows == 0 || rowLength == 0 || offset + (rows - 1) * stride + rowLength <= length;
}

// Reads (pixels: Uint8Array, width, height, stride) from argument `first` on, checking that the
// rows fit the pixels (a wrong shape would read outside them); throws a TypeError/RangeError.
// Below 2^29 pixels (QUIC's limit, and far above any screen) and 2^40 bytes, every product stays exact.
inline bool ArgPixelRows(const Napi::CallbackInfo& info, size_t first, PixelRows* rows) {
  Napi::Env env = info.Env();
  if (info.Length() < first + 4 || !IsTypedArrayOf(info[first], napi_uint8_array) || !info[first + 1].IsNumber() || !info[first + 2].IsNumber() || !info[first + 3].IsNumber()) {
    Napi::TypeError::New(env, "expected (pixels: Uint8Array, width, height, stride)").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array pixels = info[first].As<Napi::Uint8Array>();
  double width = info[first + 1].As<Napi::Number>().DoubleValue();
  double height = info[first + 2].As<Napi::Number>().DoubleValue();
  double stride = info[first + 3].As<Napi::Number>().DoubleValue();
  bool whole = width == double(uint32_t(width)) && height == double(uint32_t(height)) && stride == double(size_t(stride));
  if (!whole || width < 1 || height < 1 || width * height >= double(1u << 29) || stride < width * 4 || stride > double(1ull << 40) ||
      !RowsFit(double(pixels.ByteLength()), 0, stride, width * 4, height)) {
    Napi::RangeError::New(env, "bitmap shape does not fit its pixels").ThrowAsJavaScriptException();
    return false;
  }
  *rows = PixelRows{pixels.Data(), uint32_t(width), uint32_t(height), size_t(stride)};
  return true;
}

// A Uint8Array over a new ArrayBuffer holding a copy of `bytes` bytes at `data` (the caller may transfer it).
inline Napi::Uint8Array CopyOut(Napi::Env env, const void* data, size_t bytes) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes != 0) std::memcpy(buffer.Data(), data, bytes);
  return Napi::Uint8Array::New(env, bytes, buffer, 0);
}

// Reads a Uint8Array argument (encoded input for a decoder), or throws a TypeError.
inline bool ArgBytes(const Napi::CallbackInfo& info, size_t i, Napi::Uint8Array* out) {
  if (info.Length() <= i || !IsTypedArrayOf(info[i], napi_uint8_array)) {
    Napi::TypeError::New(info.Env(), "expected a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Uint8Array>();
  return true;
}
