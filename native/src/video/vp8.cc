#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include "../exports.h"
#include "stream-wrap.h"

// VP8 with libvpx, as spice-server's GStreamer vp8enc runs it: one pass, realtime deadline, CBR,
// no lag (each call returns its frame), error resilient, no dropped frames (the caller drops
// before encoding), a key frame on demand. One thread: the compressor pool gives each stream
// its thread, and frames of a stream are encoded in order.

namespace {

std::string VpxError(vpx_codec_ctx_t* ctx, const char* what) {
  const char* detail = vpx_codec_error_detail(ctx);
  return std::string(what) + ": " + vpx_codec_error(ctx) + (detail != nullptr ? std::string(" (") + detail + ")" : "");
}

constexpr int kTimebase = 90000;  // pts in 1/90000 s, so every frame rate's duration is near whole

class Vp8Encode {
 public:
  std::string Open(EncoderShape shape, Rate rate) {
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg_, 0) != VPX_CODEC_OK) return "VP8: no default configuration";
    cfg_.g_w = shape.width;
    cfg_.g_h = shape.height;
    cfg_.g_timebase = {1, kTimebase};
    cfg_.g_threads = 1;
    cfg_.g_lag_in_frames = 0;
    cfg_.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg_.g_pass = VPX_RC_ONE_PASS;
    cfg_.rc_end_usage = VPX_CBR;
    cfg_.rc_dropframe_thresh = 0;
    cfg_.rc_resize_allowed = 0;
    cfg_.rc_min_quantizer = 4;
    cfg_.rc_max_quantizer = 56;
    cfg_.rc_undershoot_pct = 95;
    cfg_.rc_overshoot_pct = 15;
    // A buffer of one second (ms): the rate follows the link within a second, and a key frame's
    // cost is spread over the frames after it instead of starving the next few.
    cfg_.rc_buf_sz = 1000;
    cfg_.rc_buf_initial_sz = 600;
    cfg_.rc_buf_optimal_sz = 800;
    cfg_.kf_mode = VPX_KF_AUTO;
    cfg_.kf_max_dist = 300;  // a fresh start now and then, though SPICE's TCP loses nothing
    Apply(rate);
    if (vpx_codec_enc_init(&ctx_, vpx_codec_vp8_cx(), &cfg_, 0) != VPX_CODEC_OK) return VpxError(&ctx_, "VP8 encoder");
    open_ = true;
    // A fixed realtime speed (negative: libvpx's own speed choice would follow the wall clock, so
    // the same frames would give other bytes on a loaded machine); 12 costs little quality. Static
    // blocks are skipped.
    vpx_codec_control(&ctx_, VP8E_SET_CPUUSED, -12);
    vpx_codec_control(&ctx_, VP8E_SET_STATIC_THRESHOLD, 1);
    vpx_codec_control(&ctx_, VP8E_SET_NOISE_SENSITIVITY, 0);
    vpx_codec_control(&ctx_, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
    yuv_.resize(size_t(shape.width) * shape.height + 2 * size_t((shape.width + 1) / 2) * ((shape.height + 1) / 2));
    vpx_img_wrap(&image_, VPX_IMG_FMT_I420, shape.width, shape.height, 1, yuv_.data());
    return "";
  }

  std::string Encode(const PixelRows& rows, bool key, std::vector<uint8_t>* out) {
    BgrxToI420(rows,
               I420{image_.planes[0], image_.planes[1], image_.planes[2], size_t(image_.stride[0]), size_t(image_.stride[1]), rows.width,
                    rows.height},
               MatrixFor(rows.height));
    if (vpx_codec_encode(&ctx_, &image_, pts_, duration_, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK)
      return VpxError(&ctx_, "VP8 encode");
    pts_ += duration_;
    out->clear();
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&ctx_, &iter)) {
      if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      const uint8_t* data = static_cast<const uint8_t*>(pkt->data.frame.buf);
      out->insert(out->end(), data, data + pkt->data.frame.sz);
    }
    return out->empty() ? "VP8 encode: no frame came out" : "";
  }

  std::string SetRate(Rate rate) {
    Apply(rate);
    return vpx_codec_enc_config_set(&ctx_, &cfg_) == VPX_CODEC_OK ? "" : VpxError(&ctx_, "VP8 rate");
  }

  ~Vp8Encode() {
    if (open_) vpx_codec_destroy(&ctx_);
  }

 private:
  void Apply(Rate rate) {
    cfg_.rc_target_bitrate = (rate.bit_rate + 999) / 1000;  // kbit/s
    duration_ = static_cast<unsigned long>(kTimebase / rate.frame_rate);
  }

  vpx_codec_ctx_t ctx_{};
  vpx_codec_enc_cfg_t cfg_{};
  vpx_image_t image_{};
  std::vector<uint8_t> yuv_;
  int64_t pts_ = 0;
  unsigned long duration_ = 0;
  bool open_ = false;
};

class Vp8Decode {
 public:
  std::string Open() {
    vpx_codec_dec_cfg_t cfg{};
    cfg.threads = 1;
    if (vpx_codec_dec_init(&ctx_, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) return VpxError(&ctx_, "VP8 decoder");
    open_ = true;
    return "";
  }

  // A damaged frame, or one without its reference, is an error.
  std::string Decode(const uint8_t* data, size_t size, ConstI420* picture) {
    // A key frame names its size (RFC 6386 9.1): refuse a huge one before libvpx allocates for it.
    if (size >= 10 && (data[0] & 1) == 0 && data[3] == 0x9d && data[4] == 0x01 && data[5] == 0x2a &&
        double((data[6] | data[7] << 8) & 0x3fff) * double((data[8] | data[9] << 8) & 0x3fff) > kMaxDecodedPixels)
      return "VP8 decode: key frame larger than 8192x8192 pixels";
    if (vpx_codec_decode(&ctx_, data, static_cast<unsigned int>(size), nullptr, 0) != VPX_CODEC_OK) return VpxError(&ctx_, "VP8 decode");
    vpx_codec_iter_t iter = nullptr;
    vpx_image_t* image = vpx_codec_get_frame(&ctx_, &iter);
    int corrupt = 0;
    vpx_codec_control(&ctx_, VP8D_GET_FRAME_CORRUPTED, &corrupt);
    if (image == nullptr || image->fmt != VPX_IMG_FMT_I420 || corrupt != 0)
      return "VP8 decode: no picture (corrupt, or a frame without its reference)";
    *picture = ConstI420{image->planes[0], image->planes[1], image->planes[2], size_t(image->stride[0]), size_t(image->stride[1]),
                         image->d_w, image->d_h};
    return "";
  }

  ~Vp8Decode() {
    if (open_) vpx_codec_destroy(&ctx_);
  }

 private:
  vpx_codec_ctx_t ctx_{};
  bool open_ = false;
};

}  // namespace

void InitVp8(Napi::Env env, Napi::Object exports) {
  exports.Set("Vp8Encoder", EncoderWrap<Vp8Encode>::Define(env, "Vp8Encoder"));
  exports.Set("Vp8Decoder", DecoderWrap<Vp8Decode>::Define(env, "Vp8Decoder"));
}
