#pragma once
#include <vector>
#include "../pixel-rows.h"

// The SPICE LZ encoder (format.ts tells the stream): `image` as an LZ_RGB payload, header and
// stream, of type RGB32 or (alpha) RGBA, into `out` (resized to fit). Returns its length.
// The caller has checked the bitmap (encoder.ts).
size_t EncodeLz(const PixelRows& image, bool alpha, std::vector<uint8_t>& out);
