#pragma once
#include <napi.h>
#include <string>

// What the video decoders return: { width, height, pixels: Uint8Array } with B,G,R,X rows
// width * 4 bytes apart. Pictures are bounded (a header's size is the sender's to choose).
constexpr double kMaxDecodedPixels = double(1u << 26);  // 8192x8192

// A zeroed ArrayBuffer for a width x height picture, or a thrown RangeError if it is too big.
inline bool NewPicture(Napi::Env env, uint32_t width, uint32_t height, Napi::ArrayBuffer* out) {
  if (width < 1 || height < 1 || double(width) * double(height) > kMaxDecodedPixels) {
    Napi::RangeError::New(env, "decoded picture too big (or empty): " + std::to_string(width) + "x" + std::to_string(height))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = Napi::ArrayBuffer::New(env, size_t(width) * height * 4);
  return true;
}

inline Napi::Object Decoded(Napi::Env env, uint32_t width, uint32_t height, Napi::ArrayBuffer pixels) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", Napi::Number::New(env, width));
  o.Set("height", Napi::Number::New(env, height));
  o.Set("pixels", Napi::Uint8Array::New(env, pixels.ByteLength(), pixels, 0));
  return o;
}
