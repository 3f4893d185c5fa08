#include <opus/opus.h>
#include <cstring>
#include <string>
#include <vector>
#include "exports.h"

// Opus as SPICE carries it (spice-common snd_codec.c's parameters): 10 ms frames of S16 stereo at
// 48 kHz, OPUS_APPLICATION_AUDIO. The encoder and its decoder are one class each; the TS side
// (codecs/audio/opus.ts) is the entry point. Hostile packets are libopus's to refuse: its
// decoder bounds-checks every packet, and errors come back as JS errors, never a crash.

static constexpr int kFrequency = 48000;
static constexpr int kChannels = 2;
static constexpr int kFrameSamples = 480;
static constexpr size_t kFrameBytes = kFrameSamples * kChannels * 2;
// libopus's largest packet; spice-common uses the same bound.
static constexpr int kMaxPacket = 4000;
// 120 ms: the longest a single Opus packet can decode to.
static constexpr int kMaxDecodedSamples = kFrequency * 120 / 1000;

static void ThrowOpus(Napi::Env env, const char* what, int rc) {
  Napi::Error::New(env, std::string(what) + ": " + opus_strerror(rc)).ThrowAsJavaScriptException();
}

static bool ArgBytes(const Napi::CallbackInfo& info, Napi::Uint8Array* out) {
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(info.Env(), "expected a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[0].As<Napi::Uint8Array>();
  return true;
}

static Napi::Value Copy(Napi::Env env, const void* data, size_t bytes) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), data, bytes);
  return Napi::Uint8Array::New(env, bytes, buffer, 0);
}

class OpusFrameEncoder : public Napi::ObjectWrap<OpusFrameEncoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpusEncoder", {InstanceMethod<&OpusFrameEncoder::Encode>("encode")});
  }

  explicit OpusFrameEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusFrameEncoder>(info) {
    int rc = 0;
    enc_ = opus_encoder_create(kFrequency, kChannels, OPUS_APPLICATION_AUDIO, &rc);
    if (rc != OPUS_OK) {
      enc_ = nullptr;
      ThrowOpus(info.Env(), "opus_encoder_create", rc);
    }
  }
  ~OpusFrameEncoder() override {
    if (enc_ != nullptr) opus_encoder_destroy(enc_);
  }

 private:
  // encode(pcm: one frame, 1920 bytes) -> the packet
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array pcm;
    if (!ArgBytes(info, &pcm)) return env.Undefined();
    if (enc_ == nullptr || pcm.ByteLength() != kFrameBytes) {
      Napi::RangeError::New(env, "expected one frame: 480 stereo S16 samples (1920 bytes)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // The samples may sit at an odd offset (a view into a received message): copy them aligned.
    int16_t samples[kFrameSamples * kChannels];
    std::memcpy(samples, pcm.Data(), kFrameBytes);
    unsigned char packet[kMaxPacket];
    int n = opus_encode(enc_, samples, kFrameSamples, packet, kMaxPacket);
    if (n < 0) {
      ThrowOpus(env, "opus_encode", n);
      return env.Undefined();
    }
    return Copy(env, packet, size_t(n));
  }

  OpusEncoder* enc_ = nullptr;
};

class OpusFrameDecoder : public Napi::ObjectWrap<OpusFrameDecoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OpusDecoder", {InstanceMethod<&OpusFrameDecoder::Decode>("decode")});
  }

  explicit OpusFrameDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusFrameDecoder>(info) {
    int rc = 0;
    dec_ = opus_decoder_create(kFrequency, kChannels, &rc);
    if (rc != OPUS_OK) {
      dec_ = nullptr;
      ThrowOpus(info.Env(), "opus_decoder_create", rc);
    }
  }
  ~OpusFrameDecoder() override {
    if (dec_ != nullptr) opus_decoder_destroy(dec_);
  }

 private:
  // decode(packet) -> S16 stereo PCM; a malformed packet throws
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array packet;
    if (!ArgBytes(info, &packet)) return env.Undefined();
    if (dec_ == nullptr || packet.ByteLength() == 0 || packet.ByteLength() > size_t(kMaxPacket)) {
      Napi::RangeError::New(env, "an Opus packet is 1..4000 bytes").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    thread_local std::vector<int16_t> out(size_t(kMaxDecodedSamples) * kChannels);
    int n = opus_decode(dec_, packet.Data(), opus_int32(packet.ByteLength()), out.data(), kMaxDecodedSamples, 0);
    if (n < 0) {
      ThrowOpus(env, "opus_decode", n);
      return env.Undefined();
    }
    return Copy(env, out.data(), size_t(n) * kChannels * 2);
  }

  OpusDecoder* dec_ = nullptr;
};

void InitOpus(Napi::Env env, Napi::Object exports) {
  exports.Set("OpusEncoder", OpusFrameEncoder::Define(env));
  exports.Set("OpusDecoder", OpusFrameDecoder::Define(env));
}
