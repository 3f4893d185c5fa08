#include <wels/codec_api.h>
#include <string>
#include <vector>
#include "../exports.h"
#include "../pixel-args.h"
#include "decoded.h"
#include "encoder-args.h"
#include "yuv.h"

// H.264 with Cisco's openh264 (BSD-licensed; x264 is GPL): constrained baseline (CAVLC, one
// slice, no B frames), Annex-B access units (start codes, SPS and PPS before every IDR, so a
// key frame decodes alone), bit-rate rate control without skipped frames (the caller drops
// before encoding), an IDR on demand. The VUI says BT.601 limited range, the matrix yuv.cc uses.
// 4:2:0 H.264 has whole 2x2 blocks only: an odd width or height is encoded one pixel larger,
// the last column or row repeated (a decoder shows it; SPICE scales the stream to its box).

namespace {

uint32_t Even(uint32_t n) { return (n + 1) & ~1u; }

Napi::Value Fail(Napi::Env env, const std::string& what) {
  Napi::Error::New(env, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

class H264Encoder : public Napi::ObjectWrap<H264Encoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "H264Encoder",
                       {InstanceMethod<&H264Encoder::Encode>("encode"), InstanceMethod<&H264Encoder::SetRate>("setRate"),
                        InstanceMethod<&H264Encoder::Close>("close")});
  }

  // (width, height, bitRate, frameRate)
  explicit H264Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<H264Encoder>(info) {
    if (!ArgShape(info, 0, &shape_) || !ArgRate(info, 2, &bit_rate_, &frame_rate_)) return;
    Open(info.Env());
  }

  ~H264Encoder() override { Shut(); }

 private:
  bool Open(Napi::Env env) {
    if (WelsCreateSVCEncoder(&encoder_) != 0 || encoder_ == nullptr) {
      Fail(env, "H.264: openh264 encoder not created");
      return false;
    }
    int quiet = WELS_LOG_QUIET;
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &quiet);
    SEncParamExt p;
    encoder_->GetDefaultParams(&p);
    uint32_t width = Even(shape_.width), height = Even(shape_.height);
    p.iUsageType = CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = int(width);
    p.iPicHeight = int(height);
    p.iTargetBitrate = int(bit_rate_);
    p.iMaxBitrate = UNSPECIFIED_BIT_RATE;
    p.iRCMode = RC_BITRATE_MODE;
    p.fMaxFrameRate = float(frame_rate_);
    p.bEnableFrameSkip = false;
    p.iMultipleThreadIdc = 1;
    p.iSpatialLayerNum = 1;
    p.iTemporalLayerNum = 1;
    p.uiIntraPeriod = 0;  // IDRs on demand only: SPICE's TCP loses nothing, and each IDR costs
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.iEntropyCodingModeFlag = 0;
    p.iComplexityMode = LOW_COMPLEXITY;
    p.bEnableDenoise = false;
    p.bEnableBackgroundDetection = true;
    p.bEnableAdaptiveQuant = true;
    p.bEnableSceneChangeDetect = true;
    p.bPrefixNalAddingCtrl = false;
    p.iLoopFilterDisableIdc = 0;
    SSpatialLayerConfig& layer = p.sSpatialLayers[0];
    layer.iVideoWidth = int(width);
    layer.iVideoHeight = int(height);
    layer.fFrameRate = float(frame_rate_);
    layer.iSpatialBitrate = int(bit_rate_);
    layer.iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
    layer.uiProfileIdc = PRO_BASELINE;
    layer.uiLevelIdc = LEVEL_UNKNOWN;  // openh264 picks the level from size and rate
    layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    layer.bVideoSignalTypePresent = true;
    layer.uiVideoFormat = VF_UNDEF;
    layer.bFullRange = false;
    layer.bColorDescriptionPresent = true;
    layer.uiColorPrimaries = CP_SMPTE170M;
    layer.uiTransferCharacteristics = TRC_SMPTE170M;
    layer.uiColorMatrix = CM_SMPTE170M;
    if (encoder_->InitializeExt(&p) != cmResultSuccess) {
      Shut();
      Fail(env, "H.264: openh264 refused the settings (" + std::to_string(width) + "x" + std::to_string(height) + ")");
      return false;
    }
    int format = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
    yuv_.resize(size_t(width) * height * 3 / 2);
    return true;
  }

  void Shut() {
    if (encoder_ == nullptr) return;
    encoder_->Uninitialize();
    WelsDestroySVCEncoder(encoder_);
    encoder_ = nullptr;
  }

  // (pixels, width, height, stride, keyFrame) -> one Annex-B access unit. Another size restarts
  // the encoder, so that frame is an IDR.
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PixelRows rows;
    if (!ArgPixelRows(info, 0, &rows)) return env.Undefined();
    bool key = info.Length() > 4 && info[4].ToBoolean().Value();
    if (closed_) return Fail(env, "H.264 encoder closed");
    if (rows.width > 8192 || rows.height > 8192) return Fail(env, "H.264: at most 8192x8192");
    if (rows.width != shape_.width || rows.height != shape_.height) {
      Shut();
      shape_ = EncoderShape{rows.width, rows.height};
    }
    if (encoder_ == nullptr && !Open(env)) return env.Undefined();
    uint32_t width = Even(shape_.width), height = Even(shape_.height);
    uint8_t* y = yuv_.data();
    uint8_t* u = y + size_t(width) * height;
    uint8_t* v = u + size_t(width / 2) * (height / 2);
    BgrxToI420(rows, I420{y, u, v, width, width / 2, width, height});
    SSourcePicture picture{};
    picture.iColorFormat = videoFormatI420;
    picture.iPicWidth = int(width);
    picture.iPicHeight = int(height);
    picture.iStride[0] = int(width);
    picture.iStride[1] = picture.iStride[2] = int(width / 2);
    picture.pData[0] = y;
    picture.pData[1] = u;
    picture.pData[2] = v;
    picture.uiTimeStamp = static_cast<long long>(frames_ * 1000 / frame_rate_);
    if (key) encoder_->ForceIntraFrame(true);
    SFrameBSInfo bits{};
    if (encoder_->EncodeFrame(&picture, &bits) != cmResultSuccess) return Fail(env, "H.264 encode failed");
    frames_++;
    out_.clear();
    for (int l = 0; l < bits.iLayerNum; l++) {
      const SLayerBSInfo& layer = bits.sLayerInfo[l];
      size_t size = 0;
      for (int n = 0; n < layer.iNalCount; n++) size += size_t(layer.pNalLengthInByte[n]);
      out_.insert(out_.end(), layer.pBsBuf, layer.pBsBuf + size);
    }
    if (bits.eFrameType == videoFrameTypeSkip || out_.empty()) return Fail(env, "H.264 encode: no frame came out");
    return CopyOut(env, out_.data(), out_.size());
  }

  // (bitRate, frameRate): takes effect from the next frame.
  Napi::Value SetRate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgRate(info, 0, &bit_rate_, &frame_rate_) || encoder_ == nullptr) return env.Undefined();
    SBitrateInfo rate{SPATIAL_LAYER_ALL, int(bit_rate_)};
    float fps = float(frame_rate_);
    if (encoder_->SetOption(ENCODER_OPTION_BITRATE, &rate) != cmResultSuccess ||
        encoder_->SetOption(ENCODER_OPTION_FRAME_RATE, &fps) != cmResultSuccess)
      return Fail(env, "H.264: openh264 refused the rate");
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
  ISVCEncoder* encoder_ = nullptr;
  std::vector<uint8_t> yuv_;
  std::vector<uint8_t> out_;
  uint64_t frames_ = 0;
  bool closed_ = false;
};

class H264Decoder : public Napi::ObjectWrap<H264Decoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "H264Decoder", {InstanceMethod<&H264Decoder::Decode>("decode"), InstanceMethod<&H264Decoder::Close>("close")});
  }

  explicit H264Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<H264Decoder>(info) {
    if (WelsCreateDecoder(&decoder_) != 0 || decoder_ == nullptr) {
      decoder_ = nullptr;
      Fail(info.Env(), "H.264: openh264 decoder not created");
      return;
    }
    int quiet = WELS_LOG_QUIET;
    decoder_->SetOption(DECODER_OPTION_TRACE_LEVEL, &quiet);
    SDecodingParam p{};
    p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
    p.eEcActiveIdc = ERROR_CON_DISABLE;  // a damaged frame is an error, not a concealed guess
    if (decoder_->Initialize(&p) != 0) {
      Shut();
      Fail(info.Env(), "H.264: openh264 decoder not initialised");
    }
  }

  ~H264Decoder() override { Shut(); }

 private:
  void Shut() {
    if (decoder_ == nullptr) return;
    decoder_->Uninitialize();
    WelsDestroyDecoder(decoder_);
    decoder_ = nullptr;
  }

  // (access unit: Uint8Array, Annex-B) -> the decoded picture; damaged input throws.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array data;
    if (!ArgBytes(info, 0, &data)) return env.Undefined();
    if (decoder_ == nullptr) return Fail(env, "H.264 decoder closed");
    if (data.ByteLength() == 0 || data.ByteLength() > 0x7fffffff) return Fail(env, "H.264 decode: empty or oversized access unit");
    unsigned char* planes[3] = {nullptr, nullptr, nullptr};
    SBufferInfo out{};
    DECODING_STATE state = decoder_->DecodeFrameNoDelay(data.Data(), int(data.ByteLength()), planes, &out);
    if (state != dsErrorFree) return Fail(env, "H.264 decode: damaged or unusable access unit (openh264 state " + std::to_string(state) + ")");
    if (out.iBufferStatus != 1 || planes[0] == nullptr) return Fail(env, "H.264 decode: no picture in this access unit");
    const SSysMEMBuffer& b = out.UsrData.sSystemBuffer;
    if (b.iFormat != videoFormatI420 || b.iWidth < 1 || b.iHeight < 1) return Fail(env, "H.264 decode: unexpected picture format");
    Napi::ArrayBuffer pixels;
    if (!NewPicture(env, uint32_t(b.iWidth), uint32_t(b.iHeight), &pixels)) return env.Undefined();
    I420ToBgrx(ConstI420{planes[0], planes[1], planes[2], size_t(b.iStride[0]), size_t(b.iStride[1]), uint32_t(b.iWidth), uint32_t(b.iHeight)},
               static_cast<uint8_t*>(pixels.Data()), size_t(b.iWidth) * 4);
    return Decoded(env, uint32_t(b.iWidth), uint32_t(b.iHeight), pixels);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    return info.Env().Undefined();
  }

  ISVCDecoder* decoder_ = nullptr;
};

}  // namespace

void InitH264(Napi::Env env, Napi::Object exports) {
  exports.Set("H264Encoder", H264Encoder::Define(env));
  exports.Set("H264Decoder", H264Decoder::Define(env));
}
