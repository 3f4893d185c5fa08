#include <vector>
#include "../../codecs/image/glz/encoder.h"
#include "../../codecs/image/lz/encoder.h"
#include "../../codecs/image/lz4/encoder.h"
#include "../../codecs/image/quic/encoder.h"
#include "exports.h"
#include "pixel-args.h"

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
  if (!ArgPixelRows(info, first, rows)) return false;
  if (info.Length() < first + 5 || !info[first + 4].IsBoolean()) {
    Napi::TypeError::New(info.Env(), "expected (pixels: Uint8Array, width, height, stride, alpha: boolean)").ThrowAsJavaScriptException();
    return false;
  }
  *alpha = info[first + 4].As<Napi::Boolean>().Value();
  return true;
}

static Napi::Value EncodeLzJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t bytes = EncodeLz(rows, alpha ? LzPasses::kRgbAlpha : LzPasses::kRgb, scratch);
  return CopyOut(info.Env(), scratch.data(), bytes);
}

// (pixels, width, height, stride, alpha: true): the alpha channel alone, an LZ XXXA stream.
static Napi::Value EncodeLzAlphaJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t bytes = EncodeLz(rows, LzPasses::kAlpha, scratch);
  return CopyOut(info.Env(), scratch.data(), bytes);
}

static Napi::Value EncodeQuicJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint32_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t words = EncodeQuic(rows, alpha, scratch);
  return CopyOut(info.Env(), scratch.data(), words * 4);
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
  return CopyOut(info.Env(), scratch.data(), bytes);
}

// (dictionary: Uint8Array, pixels, width, height, stride, alpha: false): the dictionary is a
// view of the shared memory dictionary.ts made; the caller holds its lock.
static Napi::Value EncodeGlzJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !IsTypedArrayOf(info[0], napi_uint8_array)) {
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
  return CopyOut(env, scratch.data(), bytes);
}

void InitImageEncoders(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeLz", Napi::Function::New(env, EncodeLzJs, "encodeLz"));
  exports.Set("encodeLzAlpha", Napi::Function::New(env, EncodeLzAlphaJs, "encodeLzAlpha"));
  exports.Set("encodeQuic", Napi::Function::New(env, EncodeQuicJs, "encodeQuic"));
  exports.Set("encodeLz4", Napi::Function::New(env, EncodeLz4Js, "encodeLz4"));
  exports.Set("encodeGlz", Napi::Function::New(env, EncodeGlzJs, "encodeGlz"));
}
