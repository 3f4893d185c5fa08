#include <vector>
#include "../../codecs/image/lz/encoder.h"
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

static bool ArgRows(const Napi::CallbackInfo& info, PixelRows* rows, bool* alpha) {
  if (!ArgPixelRows(info, 0, rows)) return false;
  if (info.Length() < 5 || !info[4].IsBoolean()) {
    Napi::TypeError::New(info.Env(), "expected (pixels: Uint8Array, width, height, stride, alpha: boolean)").ThrowAsJavaScriptException();
    return false;
  }
  *alpha = info[4].As<Napi::Boolean>().Value();
  return true;
}

static Napi::Value EncodeLzJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<uint8_t> scratch;
  PixelRows rows;
  bool alpha;
  if (!ArgRows(info, &rows, &alpha)) return info.Env().Undefined();
  size_t bytes = EncodeLz(rows, alpha, scratch);
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

void InitImageEncoders(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeLz", Napi::Function::New(env, EncodeLzJs, "encodeLz"));
  exports.Set("encodeQuic", Napi::Function::New(env, EncodeQuicJs, "encodeQuic"));
}
