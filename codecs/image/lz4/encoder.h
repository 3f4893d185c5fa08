#pragma once
#include <vector>
#include "../pixel-rows.h"

// The SPICE LZ4 image (format.ts tells the layout): `image` as 32BIT (or, with alpha, RGBA)
// rows of width*4 bytes, top-down, in LZ4 blocks, into `out` (resized to fit). Returns its
// length. The caller has checked the bitmap (encoder.ts).
size_t EncodeLz4(const PixelRows& image, bool alpha, std::vector<uint8_t>& out);
