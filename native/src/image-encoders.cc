#include <vector>
#include "../../codecs/image/glz/encoder.h"
#include "../../codecs/image/lz/encoder.h"
#include "../../codecs/image/lz4/encoder.h"
#include "../../codecs/image/quic/encoder.h"
#include "exports.h"

// The C++ image encoders (codecs/image/*/encoder.cc) as JS functions: (pixels: Uint8Array,
// width, height, stride, alpha: boolean) -> Uint8Array over an ArrayBuffer of its own, which the
// compressor pool transfers. The TS side (encoder.ts) checks the bitmap with readable errors;
// here the same bounds are checked again, since a wrong one would read outside the pixels.
// Each thread encodes into its own scratch, so any number of worker threads may call at once.
// C++ rather than WebAssembly: this addon already loads in every thread (N-API is context-aware),
// it reads the pixels where they are, shared memory included (wasm would first copy each image
// into its own memory), and the compiled loops match spice-common's C, which is the target.

// The arguments from `first` on: (pixels: Uint8Array, width, height, stride, alpha: boolean).
static bool ArgRows(const Napi::CallbackInfo& info, PixelRows* rows, bool* alpha, size_t first = 0) {
  Napi::Env env = info.Env();
  const size_t p = first;
  if (info.Length() < p + 5 || !info[p].IsTypedArray() || info[p].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[p + 1].IsNumber() || !info[p + 2].IsNumber() || !info[p + 3].IsNumber() || !info[p + 4].IsBoolean()) {
    Napi::TypeError::New(env, "expected (pixels: Uint8Array, width, height, stride, alpha: boolean)").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array pixels = info[p].As<Napi::Uint8Array>();
  double width = info[p + 1].As<Napi::Number>().DoubleValue();
  double height = info[p + 2].As<Napi::Number>().DoubleValue();
  double stride = info[p + 3].As<Napi::Number>().DoubleValue();
  // Below 2^29 pixels (QUIC's limit) and 2^40 bytes, every product below stays exact.
  bool whole = width == double(uint32_t(width)) && height == double(uint32_t(height)) && stride == double(size_t(stride));
  if (!whole || width < 1 || height < 1 || width * height >= double(1u << 29) || stride < width * 4 || stride > double(1ull << 40) ||
      double(pixels.ByteLength()) < stride * (height - 1) + width * 4) {
    Napi::RangeError::New(env, "bitmap shape does not fit its pixels").ThrowAsJavaScriptException();
    return false;
  }
  *rows = PixelRows{pixels.Data(), uint32_t(width), uint32_t(height), size_t(stride)};
  *alpha = info[p + 4].As<Napi::Boolean>().Value();
  return true;
}

static Napi::Value Result(Napi::Env env, const void* data, size_t bytes) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  std::memcpy(buffer.Data(), data, bytes);
  return Napi::Uint8Array::New(env, bytes, buffer, 0);
}

static Napi::Value EncodeLzJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t bytes = EncodeLz(rows, alpha, scratch);
  return Result(info.Env(), scratch.data(), bytes);
}

static Napi::Value EncodeQuicJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint32_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t words = EncodeQuic(rows, alpha, scratch);
  return Result(info.Env(), scratch.data(), words * 4);
}

static Napi::Value EncodeLz4Js(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t bytes = EncodeLz4(rows, alpha, scratch);
  if (bytes == 0) {
    Napi::Error::New(info.Env(), "liblz4 failed to compress a block").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Result(info.Env(), scratch.data(), bytes);
}

// (dictionary: Uint8Array, pixels, width, height, stride, alpha: false): the dictionary is a
// view of the shared memory dictionary.ts made; the caller holds its lock.
static Napi::Value EncodeGlzJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "expected (dictionary: Uint8Array, pixels, width, height, stride, alpha)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array dictionary = info[0].As<Napi::Uint8Array>();
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha, 1)) return env.Undefined();
  size_t bytes = alpha ? 0 : EncodeGlz(dictionary.Data(), dictionary.ByteLength(), rows, scratch);
  if (bytes == 0) {
    Napi::RangeError::New(env, "GLZ: RGB32 only, within the dictionary's window, with a well-formed dictionary").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Result(env, scratch.data(), bytes);
}

void InitImageEncoders(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeLz", Napi::Function::New(env, EncodeLzJs, "encodeLz"));
  exports.Set("encodeQuic", Napi::Function::New(env, EncodeQuicJs, "encodeQuic"));
  exports.Set("encodeLz4", Napi::Function::New(env, EncodeLz4Js, "encodeLz4"));
  exports.Set("encodeGlz", Napi::Function::New(env, EncodeGlzJs, "encodeGlz"));
}
