#pragma once
#include <napi.h>
#include <cstdint>

// The numbers a stateful video encoder is made and re-rated with, checked: whole sizes up to
// 8192x8192 (what the decoders take), bit rate 1 kbit/s..1 Gbit/s, frame rate 1..120.
struct EncoderShape {
  uint32_t width;
  uint32_t height;
};

inline bool ArgRate(const Napi::CallbackInfo& info, size_t first, uint32_t* bit_rate, double* frame_rate) {
  Napi::Env env = info.Env();
  if (info.Length() < first + 2 || !info[first].IsNumber() || !info[first + 1].IsNumber()) {
    Napi::TypeError::New(env, "expected (bitRate, frameRate)").ThrowAsJavaScriptException();
    return false;
  }
  double b = info[first].As<Napi::Number>().DoubleValue();
  double f = info[first + 1].As<Napi::Number>().DoubleValue();
  if (!(b >= 1000 && b <= 1e9) || !(f >= 1 && f <= 120)) {
    Napi::RangeError::New(env, "bit rate 1000..1e9 bit/s, frame rate 1..120").ThrowAsJavaScriptException();
    return false;
  }
  *bit_rate = uint32_t(b);
  *frame_rate = f;
  return true;
}

inline bool ArgShape(const Napi::CallbackInfo& info, size_t first, EncoderShape* shape) {
  Napi::Env env = info.Env();
  if (info.Length() < first + 2 || !info[first].IsNumber() || !info[first + 1].IsNumber()) {
    Napi::TypeError::New(env, "expected (width, height)").ThrowAsJavaScriptException();
    return false;
  }
  double w = info[first].As<Napi::Number>().DoubleValue();
  double h = info[first + 1].As<Napi::Number>().DoubleValue();
  if (!(w >= 1 && w <= 8192 && h >= 1 && h <= 8192) || w != double(uint32_t(w)) || h != double(uint32_t(h))) {
    Napi::RangeError::New(env, "video size: whole, 1..8192 a side").ThrowAsJavaScriptException();
    return false;
  }
  *shape = EncoderShape{uint32_t(w), uint32_t(h)};
  return true;
}
