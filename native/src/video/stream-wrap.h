#pragma once
#include <napi.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "../pixel-args.h"
#include "decoded.h"
#include "yuv.h"

// The N-API side of the stateful stream codecs (vp8.cc, h264.cc), once for all of them. A codec
// is plain C++ reporting failures as text (empty: fine):
//   encoder: Open(EncoderShape, Rate), Encode(PixelRows, key, std::vector<uint8_t>* out), SetRate(Rate)
//   decoder: Open(), Decode(data, size, ConstI420* picture) (the picture valid until the next call)
// and frees itself in its destructor, whatever Open got to.

struct EncoderShape {
  uint32_t width;
  uint32_t height;
};

struct Rate {
  uint32_t bit_rate;  // bit/s
  double frame_rate;
};

// (bitRate 1 kbit/s..1 Gbit/s, frameRate 1..120) from argument `first` on, or a thrown error.
inline bool ArgRate(const Napi::CallbackInfo& info, size_t first, Rate* rate) {
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
  *rate = Rate{uint32_t(b), f};
  return true;
}

// A stream's size: whole, 1..8192 a side (what the decoders take), or a thrown RangeError.
inline bool CheckShape(Napi::Env env, double w, double h, EncoderShape* shape) {
  if (!(w >= 1 && w <= 8192 && h >= 1 && h <= 8192) || w != double(uint32_t(w)) || h != double(uint32_t(h))) {
    Napi::RangeError::New(env, "video size: whole, 1..8192 a side").ThrowAsJavaScriptException();
    return false;
  }
  *shape = EncoderShape{uint32_t(w), uint32_t(h)};
  return true;
}

inline bool Failed(Napi::Env env, const std::string& error) {
  if (error.empty()) return false;
  Napi::Error::New(env, error).ThrowAsJavaScriptException();
  return true;
}

// JS: new (width, height, bitRate, frameRate); encode(pixels, width, height, stride, keyFrame) ->
// Uint8Array; setRate(bitRate, frameRate); close(). A frame of another size makes a new codec
// (its first frame is a key frame).
template <typename Codec>
class EncoderWrap : public Napi::ObjectWrap<EncoderWrap<Codec>> {
 public:
  static Napi::Function Define(Napi::Env env, const char* name) {
    return EncoderWrap::DefineClass(env, name,
                                    {EncoderWrap::template InstanceMethod<&EncoderWrap::Encode>("encode"),
                                     EncoderWrap::template InstanceMethod<&EncoderWrap::SetRate>("setRate"),
                                     EncoderWrap::template InstanceMethod<&EncoderWrap::Close>("close")});
  }

  explicit EncoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EncoderWrap<Codec>>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "expected (width, height, bitRate, frameRate)").ThrowAsJavaScriptException();
      return;
    }
    if (!CheckShape(env, info[0].As<Napi::Number>().DoubleValue(), info[1].As<Napi::Number>().DoubleValue(), &shape_) ||
        !ArgRate(info, 2, &rate_))
      return;
    Reopen(env);
  }

 private:
  bool Reopen(Napi::Env env) {
    codec_ = std::make_unique<Codec>();
    if (!Failed(env, codec_->Open(shape_, rate_))) return true;
    codec_.reset();
    return false;
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PixelRows rows;
    if (!ArgPixelRows(info, 0, &rows)) return env.Undefined();
    bool key = info.Length() > 4 && info[4].ToBoolean().Value();
    if (closed_) {
      Failed(env, "video encoder closed");
      return env.Undefined();
    }
    if (rows.width != shape_.width || rows.height != shape_.height) {
      if (!CheckShape(env, rows.width, rows.height, &shape_)) return env.Undefined();
      codec_.reset();
    }
    if (codec_ == nullptr && !Reopen(env)) return env.Undefined();
    if (Failed(env, codec_->Encode(rows, key, &out_))) return env.Undefined();
    return CopyOut(env, out_.data(), out_.size());
  }

  // Takes effect from the next frame.
  Napi::Value SetRate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (ArgRate(info, 0, &rate_) && codec_ != nullptr) Failed(env, codec_->SetRate(rate_));
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    codec_.reset();
    closed_ = true;
    return info.Env().Undefined();
  }

  EncoderShape shape_{};
  Rate rate_{};
  std::unique_ptr<Codec> codec_;
  std::vector<uint8_t> out_;
  bool closed_ = false;
};

// JS: new (); decode(frame: Uint8Array) -> { width, height, pixels } (B,G,R,X); close().
// Damaged input throws; the YUV matrix is taken by MatrixFor, as our encoders chose it.
template <typename Codec>
class DecoderWrap : public Napi::ObjectWrap<DecoderWrap<Codec>> {
 public:
  static Napi::Function Define(Napi::Env env, const char* name) {
    return DecoderWrap::DefineClass(env, name,
                                    {DecoderWrap::template InstanceMethod<&DecoderWrap::Decode>("decode"),
                                     DecoderWrap::template InstanceMethod<&DecoderWrap::Close>("close")});
  }

  explicit DecoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DecoderWrap<Codec>>(info), codec_(std::make_unique<Codec>()) {
    if (Failed(info.Env(), codec_->Open())) codec_.reset();
  }

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array data;
    if (!ArgBytes(info, 0, &data)) return env.Undefined();
    if (codec_ == nullptr) {
      Failed(env, "video decoder closed");
      return env.Undefined();
    }
    if (data.ByteLength() == 0 || data.ByteLength() > 0x7fffffff) {
      Failed(env, "empty or oversized frame");
      return env.Undefined();
    }
    ConstI420 picture{};
    if (Failed(env, codec_->Decode(data.Data(), data.ByteLength(), &picture))) return env.Undefined();
    Napi::ArrayBuffer pixels;
    if (!NewPicture(env, picture.width, picture.height, &pixels)) return env.Undefined();
    I420ToBgrx(picture, static_cast<uint8_t*>(pixels.Data()), size_t(picture.width) * 4, MatrixFor(picture.height));
    return Decoded(env, picture.width, picture.height, pixels);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    codec_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<Codec> codec_;
};
