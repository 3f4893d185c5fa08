#pragma once
#include <cstddef>
#include <cstdint>
#include "../../../codecs/image/pixel-rows.h"

// Planar 4:2:0 pictures (I420: Y, then U and V at half width and height, rounded up) and their
// conversion from and to SPICE's B,G,R,X pixels. BT.601 limited range: what VP8 declares
// (colour space 0) and what our H.264 stream declares in its VUI, so every decoder converts back
// with the same matrix.

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

void BgrxToI420(const PixelRows& src, const I420& dst);
// Writes width*height pixels, X = 0, rows `stride` bytes apart.
void I420ToBgrx(const ConstI420& src, uint8_t* dst, size_t stride);
