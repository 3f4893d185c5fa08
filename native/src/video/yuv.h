#pragma once
#include <cstddef>
#include <cstdint>
#include "../../../codecs/image/pixel-rows.h"

// Planar 4:2:0 pictures (I420: Y, then U and V at half width and height, rounded up) and their
// conversion from and to SPICE's B,G,R,X pixels, limited range.
//
// The matrix follows GStreamer's default for pictures that do not say theirs (video-info.c):
// BT.709 above 576 rows, BT.601 otherwise. A VP8 frame cannot say it, and spice-gtk's vp8dec !
// videoconvert then assumes that default; our H.264 says the same one in its VUI; our decoders
// take it by the same rule. So every client converts back with the matrix we used.
enum class YuvMatrix { kBt601, kBt709 };

inline YuvMatrix MatrixFor(uint32_t height) { return height > 576 ? YuvMatrix::kBt709 : YuvMatrix::kBt601; }

struct I420 {
  uint8_t* y;
  uint8_t* u;
  uint8_t* v;
  size_t y_stride;
  size_t uv_stride;
  uint32_t width;   // of the picture, >= the source's: the source's last column/row is repeated
  uint32_t height;
};

struct ConstI420 {
  const uint8_t* y;
  const uint8_t* u;
  const uint8_t* v;
  size_t y_stride;
  size_t uv_stride;
  uint32_t width;
  uint32_t height;
};

void BgrxToI420(const PixelRows& src, const I420& dst, YuvMatrix matrix);
// Writes width*height pixels, X = 0, rows `stride` bytes apart.
void I420ToBgrx(const ConstI420& src, uint8_t* dst, size_t stride, YuvMatrix matrix);
