#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <string>
#include <vector>
#include "../exports.h"
#include "../pixel-args.h"
#include "decoded.h"
#include "encoder-args.h"
#include "yuv.h"

// VP8 with libvpx, as spice-server's GStreamer vp8enc runs it: one pass, realtime deadline, CBR,
// no lag (each call returns its frame), error resilient, no dropped frames (the caller drops
// before encoding), a key frame on demand. One thread: the compressor pool gives each stream
// its thread, and frames of a stream are encoded in order.

namespace {

Napi::Value VpxFail(Napi::Env env, vpx_codec_ctx_t* ctx, const char* what) {
  const char* detail = vpx_codec_error_detail(ctx);
  Napi::Error::New(env, std::string(what) + ": " + vpx_codec_error(ctx) + (detail != nullptr ? std::string(" (") + detail + ")" : ""))
      .ThrowAsJavaScriptException();
  return env.Undefined();
}

constexpr int kTimebase = 90000;  // pts in 1/90000 s, so every frame rate's duration is near whole

class Vp8Encoder : public Napi::ObjectWrap<Vp8Encoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Vp8Encoder",
                       {InstanceMethod<&Vp8Encoder::Encode>("encode"), InstanceMethod<&Vp8Encoder::SetRate>("setRate"),
                        InstanceMethod<&Vp8Encoder::Close>("close")});
  }

  // (width, height, bitRate, frameRate)
  explicit Vp8Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vp8Encoder>(info) {
    if (!ArgShape(info, 0, &shape_) || !ArgRate(info, 2, &bit_rate_, &frame_rate_)) return;
    Open(info.Env());
  }

  ~Vp8Encoder() override { Shut(); }

 private:
  bool Open(Napi::Env env) {
    vpx_codec_enc_cfg_t cfg;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) {
      Napi::Error::New(env, "VP8: no default configuration").ThrowAsJavaScriptException();
      return false;
    }
    cfg.g_w = shape_.width;
    cfg.g_h = shape_.height;
    cfg.g_timebase = {1, kTimebase};
    cfg.g_threads = 1;
    cfg.g_lag_in_frames = 0;
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.g_pass = VPX_RC_ONE_PASS;
    cfg.rc_end_usage = VPX_CBR;
    cfg.rc_dropframe_thresh = 0;
    cfg.rc_resize_allowed = 0;
    cfg.rc_min_quantizer = 4;
    cfg.rc_max_quantizer = 56;
    cfg.rc_undershoot_pct = 95;
    cfg.rc_overshoot_pct = 15;
    // A short buffer (ms): the rate follows the link within a few hundred ms, as spice-server's 300 ms one.
    cfg.rc_buf_sz = 500;
    cfg.rc_buf_initial_sz = 300;
    cfg.rc_buf_optimal_sz = 400;
    cfg.kf_mode = VPX_KF_AUTO;
    cfg.kf_max_dist = 300;  // a fresh start now and then, though SPICE's TCP loses nothing
    ApplyRate(&cfg);
    if (vpx_codec_enc_init(&ctx_, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) {
      VpxFail(env, &ctx_, "VP8 encoder");
      return false;
    }
    open_ = true;
    cfg_ = cfg;
    // Fastest realtime speed that still looks right at video rates; static blocks are skipped.
    vpx_codec_control(&ctx_, VP8E_SET_CPUUSED, 10);
    vpx_codec_control(&ctx_, VP8E_SET_STATIC_THRESHOLD, 1);
    vpx_codec_control(&ctx_, VP8E_SET_NOISE_SENSITIVITY, 0);
    vpx_codec_control(&ctx_, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
    yuv_.resize(size_t(shape_.width) * shape_.height + 2 * size_t((shape_.width + 1) / 2) * ((shape_.height + 1) / 2));
    vpx_img_wrap(&image_, VPX_IMG_FMT_I420, shape_.width, shape_.height, 1, yuv_.data());
    return true;
  }

  void ApplyRate(vpx_codec_enc_cfg_t* cfg) const { cfg->rc_target_bitrate = (bit_rate_ + 999) / 1000; }

  void Shut() {
    if (open_) vpx_codec_destroy(&ctx_);
    open_ = false;
  }

  // (pixels, width, height, stride, keyFrame) -> the VP8 frame. Another size restarts the
  // encoder, so that frame is a key frame.
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PixelRows rows;
    if (!ArgPixelRows(info, 0, &rows)) return env.Undefined();
    bool key = info.Length() > 4 && info[4].ToBoolean().Value();
    if (closed_) {
      Napi::Error::New(env, "VP8 encoder closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!open_ && !Open(env)) return env.Undefined();  // after a failed restart
    if (rows.width != shape_.width || rows.height != shape_.height) {
      Shut();
      shape_ = EncoderShape{rows.width, rows.height};
      if (!Open(env)) return env.Undefined();
    }
    BgrxToI420(rows, I420{image_.planes[0], image_.planes[1], image_.planes[2], size_t(image_.stride[0]), size_t(image_.stride[1]),
                          shape_.width, shape_.height});
    auto duration = static_cast<unsigned long>(kTimebase / frame_rate_);
    if (vpx_codec_encode(&ctx_, &image_, pts_, duration, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK)
      return VpxFail(env, &ctx_, "VP8 encode");
    pts_ += duration;
    out_.clear();
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&ctx_, &iter)) {
      if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      const uint8_t* data = static_cast<const uint8_t*>(pkt->data.frame.buf);
      out_.insert(out_.end(), data, data + pkt->data.frame.sz);
    }
    if (out_.empty()) {
      Napi::Error::New(env, "VP8 encode: no frame came out").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return CopyOut(env, out_.data(), out_.size());
  }

  // (bitRate, frameRate): takes effect from the next frame.
  Napi::Value SetRate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgRate(info, 0, &bit_rate_, &frame_rate_) || !open_) return env.Undefined();
    ApplyRate(&cfg_);
    if (vpx_codec_enc_config_set(&ctx_, &cfg_) != VPX_CODEC_OK) return VpxFail(env, &ctx_, "VP8 rate");
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    closed_ = true;
    return info.Env().Undefined();
  }

  EncoderShape shape_{};
  uint32_t bit_rate_ = 0;
  double frame_rate_ = 0;
  vpx_codec_ctx_t ctx_{};
  vpx_codec_enc_cfg_t cfg_{};
  vpx_image_t image_{};
  std::vector<uint8_t> yuv_;
  std::vector<uint8_t> out_;
  int64_t pts_ = 0;
  bool open_ = false;
  bool closed_ = false;
};

class Vp8Decoder : public Napi::ObjectWrap<Vp8Decoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Vp8Decoder", {InstanceMethod<&Vp8Decoder::Decode>("decode"), InstanceMethod<&Vp8Decoder::Close>("close")});
  }

  explicit Vp8Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vp8Decoder>(info) {
    vpx_codec_dec_cfg_t cfg{};
    cfg.threads = 1;
    if (vpx_codec_dec_init(&ctx_, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
      VpxFail(info.Env(), &ctx_, "VP8 decoder");
      return;
    }
    open_ = true;
  }

  ~Vp8Decoder() override {
    if (open_) vpx_codec_destroy(&ctx_);
  }

 private:
  // (frame: Uint8Array) -> the decoded picture; a damaged frame or one without its reference throws.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array data;
    if (!ArgBytes(info, 0, &data)) return env.Undefined();
    if (!open_) {
      Napi::Error::New(env, "VP8 decoder closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (data.ByteLength() == 0 || data.ByteLength() > 0x7fffffff) {
      Napi::Error::New(env, "VP8 decode: empty or oversized frame").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (vpx_codec_decode(&ctx_, data.Data(), static_cast<unsigned int>(data.ByteLength()), nullptr, 0) != VPX_CODEC_OK)
      return VpxFail(env, &ctx_, "VP8 decode");
    vpx_codec_iter_t iter = nullptr;
    vpx_image_t* image = vpx_codec_get_frame(&ctx_, &iter);
    int corrupt = 0;
    vpx_codec_control(&ctx_, VP8D_GET_FRAME_CORRUPTED, &corrupt);
    if (image == nullptr || image->fmt != VPX_IMG_FMT_I420 || corrupt != 0) {
      Napi::Error::New(env, "VP8 decode: no picture (corrupt, or a frame without its reference)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::ArrayBuffer pixels;
    if (!NewPicture(env, image->d_w, image->d_h, &pixels)) return env.Undefined();
    I420ToBgrx(ConstI420{image->planes[0], image->planes[1], image->planes[2], size_t(image->stride[0]), size_t(image->stride[1]),
                         image->d_w, image->d_h},
               static_cast<uint8_t*>(pixels.Data()), size_t(image->d_w) * 4);
    return Decoded(env, image->d_w, image->d_h, pixels);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (open_) vpx_codec_destroy(&ctx_);
    open_ = false;
    return info.Env().Undefined();
  }

  vpx_codec_ctx_t ctx_{};
  bool open_ = false;
};

}  // namespace

void InitVp8(Napi::Env env, Napi::Object exports) {
  exports.Set("Vp8Encoder", Vp8Encoder::Define(env));
  exports.Set("Vp8Decoder", Vp8Decoder::Define(env));
}
