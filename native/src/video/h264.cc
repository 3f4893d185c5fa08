#include <wels/codec_api.h>
#include "../exports.h"
#include "h264-sps.h"
#include "stream-wrap.h"

// H.264 with Cisco's openh264 (BSD-licensed; x264 is GPL): constrained baseline (CAVLC, one
// slice, no B frames), Annex-B access units (start codes, SPS and PPS before every IDR, so a
// key frame decodes alone), bit-rate rate control without skipped frames (the caller drops
// before encoding), an IDR on demand. The VUI names the matrix yuv.cc used (limited range).
// 4:2:0 H.264 has whole 2x2 blocks only: an odd width or height is encoded one pixel larger,
// the last column or row repeated (a decoder shows it; SPICE scales the stream to its box).

namespace {

uint32_t Even(uint32_t n) { return (n + 1) & ~1u; }

class H264Encode {
 public:
  std::string Open(EncoderShape shape, Rate rate) {
    if (WelsCreateSVCEncoder(&encoder_) != 0 || encoder_ == nullptr) return "H.264: openh264 encoder not created";
    int quiet = WELS_LOG_QUIET;
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &quiet);
    width_ = Even(shape.width);
    height_ = Even(shape.height);
    SEncParamExt p;
    encoder_->GetDefaultParams(&p);
    p.iUsageType = CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = int(width_);
    p.iPicHeight = int(height_);
    p.iTargetBitrate = int(rate.bit_rate);
    p.iMaxBitrate = UNSPECIFIED_BIT_RATE;
    p.iRCMode = RC_BITRATE_MODE;
    p.fMaxFrameRate = float(rate.frame_rate);
    p.bEnableFrameSkip = false;
    p.iMultipleThreadIdc = 1;
    p.iSpatialLayerNum = 1;
    p.iTemporalLayerNum = 1;
    p.uiIntraPeriod = 0;  // IDRs on demand only: SPICE's TCP loses nothing, and each IDR costs
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.iEntropyCodingModeFlag = 0;
    p.iComplexityMode = LOW_COMPLEXITY;
    p.bEnableDenoise = false;
    // Background detection marks still-looking blocks as background and skips them: a small
    // change in a large frame (a 16x16 marker, a cursorless caret) then stays stale on screen.
    p.bEnableBackgroundDetection = false;
    p.bEnableAdaptiveQuant = true;
    p.bEnableSceneChangeDetect = true;
    p.bPrefixNalAddingCtrl = false;
    p.iLoopFilterDisableIdc = 0;
    SSpatialLayerConfig& layer = p.sSpatialLayers[0];
    layer.iVideoWidth = int(width_);
    layer.iVideoHeight = int(height_);
    layer.fFrameRate = float(rate.frame_rate);
    layer.iSpatialBitrate = int(rate.bit_rate);
    layer.iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
    layer.uiProfileIdc = PRO_BASELINE;
    layer.uiLevelIdc = LEVEL_UNKNOWN;  // openh264 picks the level from size and rate
    layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    layer.bVideoSignalTypePresent = true;
    layer.uiVideoFormat = VF_UNDEF;
    layer.bFullRange = false;
    layer.bColorDescriptionPresent = true;
    bool hd = MatrixFor(height_) == YuvMatrix::kBt709;
    layer.uiColorPrimaries = hd ? CP_BT709 : CP_SMPTE170M;
    layer.uiTransferCharacteristics = hd ? TRC_BT709 : TRC_SMPTE170M;
    layer.uiColorMatrix = hd ? CM_BT709 : CM_SMPTE170M;
    if (encoder_->InitializeExt(&p) != cmResultSuccess)
      return "H.264: openh264 refused the settings (" + std::to_string(width_) + "x" + std::to_string(height_) + ")";
    initialized_ = true;
    int format = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
    yuv_.resize(size_t(width_) * height_ * 3 / 2);
    frame_rate_ = rate.frame_rate;
    return "";
  }

  std::string Encode(const PixelRows& rows, bool key, std::vector<uint8_t>* out) {
    uint8_t* y = yuv_.data();
    uint8_t* u = y + size_t(width_) * height_;
    uint8_t* v = u + size_t(width_ / 2) * (height_ / 2);
    BgrxToI420(rows, I420{y, u, v, width_, width_ / 2, width_, height_}, MatrixFor(height_));
    SSourcePicture picture{};
    picture.iColorFormat = videoFormatI420;
    picture.iPicWidth = int(width_);
    picture.iPicHeight = int(height_);
    picture.iStride[0] = int(width_);
    picture.iStride[1] = picture.iStride[2] = int(width_ / 2);
    picture.pData[0] = y;
    picture.pData[1] = u;
    picture.pData[2] = v;
    picture.uiTimeStamp = static_cast<long long>(time_ms_);
    if (key) encoder_->ForceIntraFrame(true);
    SFrameBSInfo bits{};
    if (encoder_->EncodeFrame(&picture, &bits) != cmResultSuccess) return "H.264 encode failed";
    time_ms_ += 1000 / frame_rate_;
    out->clear();
    for (int l = 0; l < bits.iLayerNum; l++) {
      const SLayerBSInfo& layer = bits.sLayerInfo[l];
      size_t size = 0;
      for (int n = 0; n < layer.iNalCount; n++) size += size_t(layer.pNalLengthInByte[n]);
      out->insert(out->end(), layer.pBsBuf, layer.pBsBuf + size);
    }
    return bits.eFrameType == videoFrameTypeSkip || out->empty() ? "H.264 encode: no frame came out" : "";
  }

  std::string SetRate(Rate rate) {
    SBitrateInfo bits{SPATIAL_LAYER_ALL, int(rate.bit_rate)};
    float fps = float(rate.frame_rate);
    if (encoder_->SetOption(ENCODER_OPTION_BITRATE, &bits) != cmResultSuccess ||
        encoder_->SetOption(ENCODER_OPTION_FRAME_RATE, &fps) != cmResultSuccess)
      return "H.264: openh264 refused the rate";
    frame_rate_ = rate.frame_rate;
    return "";
  }

  ~H264Encode() {
    if (encoder_ == nullptr) return;
    if (initialized_) encoder_->Uninitialize();
    WelsDestroySVCEncoder(encoder_);
  }

 private:
  ISVCEncoder* encoder_ = nullptr;
  bool initialized_ = false;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
  double frame_rate_ = 30;
  double time_ms_ = 0;
  std::vector<uint8_t> yuv_;
};

class H264Decode {
 public:
  std::string Open() {
    if (WelsCreateDecoder(&decoder_) != 0 || decoder_ == nullptr) return "H.264: openh264 decoder not created";
    int quiet = WELS_LOG_QUIET;
    decoder_->SetOption(DECODER_OPTION_TRACE_LEVEL, &quiet);
    SDecodingParam p{};
    p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
    p.eEcActiveIdc = ERROR_CON_DISABLE;  // a damaged frame is an error, not a concealed guess
    if (decoder_->Initialize(&p) != 0) return "H.264: openh264 decoder not initialised";
    initialized_ = true;
    return "";
  }

  // One Annex-B access unit; damaged input is an error.
  std::string Decode(const uint8_t* data, size_t size, ConstI420* picture) {
    std::string sizes = CheckSpsSizes(data, size, kMaxDecodedPixels);
    if (!sizes.empty()) return sizes;
    unsigned char* planes[3] = {nullptr, nullptr, nullptr};
    SBufferInfo out{};
    DECODING_STATE state = decoder_->DecodeFrameNoDelay(data, int(size), planes, &out);
    if (state != dsErrorFree) return "H.264 decode: damaged or unusable access unit (openh264 state " + std::to_string(state) + ")";
    if (out.iBufferStatus != 1 || planes[0] == nullptr) return "H.264 decode: no picture in this access unit";
    const SSysMEMBuffer& b = out.UsrData.sSystemBuffer;
    if (b.iFormat != videoFormatI420 || b.iWidth < 1 || b.iHeight < 1) return "H.264 decode: unexpected picture format";
    *picture = ConstI420{planes[0], planes[1], planes[2], size_t(b.iStride[0]), size_t(b.iStride[1]), uint32_t(b.iWidth), uint32_t(b.iHeight)};
    return "";
  }

  ~H264Decode() {
    if (decoder_ == nullptr) return;
    if (initialized_) decoder_->Uninitialize();
    WelsDestroyDecoder(decoder_);
  }

 private:
  ISVCDecoder* decoder_ = nullptr;
  bool initialized_ = false;
};

}  // namespace

void InitH264(Napi::Env env, Napi::Object exports) {
  exports.Set("H264Encoder", EncoderWrap<H264Encode>::Define(env, "H264Encoder"));
  exports.Set("H264Decoder", DecoderWrap<H264Decode>::Define(env, "H264Decoder"));
}
