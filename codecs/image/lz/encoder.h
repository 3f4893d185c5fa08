#pragma once
#include <vector>
#include "../pixel-rows.h"

// The SPICE LZ encoder (format.ts tells the stream): `image` as an LZ_RGB payload, header and
// stream, into `out` (resized to fit). Returns its length. The passes make its type: RGB32 (kRgb),
// RGBA (kRgbAlpha: the same, then an alpha pass) or XXXA (kAlpha: the alpha pass alone, JPEG_ALPHA's
// alpha plane). The caller has checked the bitmap (encoder.ts).
enum class LzPasses { kRgb, kRgbAlpha, kAlpha };
size_t EncodeLz(const PixelRows& image, LzPasses passes, std::vector<uint8_t>& out);
