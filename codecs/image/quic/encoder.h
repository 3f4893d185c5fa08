#pragma once
#include <vector>
#include "../pixel-rows.h"

// The QUIC encoder: `image` as a QUIC stream (the bytes after `u32 data_size` in a SpiceImage of
// type QUIC) of type RGB32 or (alpha) RGBA, in whole 32-bit words, into `out` (resized to fit).
// Returns its length in words. The caller has checked the bitmap (encoder.ts).
size_t EncodeQuic(const PixelRows& image, bool alpha, std::vector<uint32_t>& out);
