#pragma once
#include <vector>
#include "../pixel-rows.h"

// The SPICE GLZ encoder (format.ts tells the stream and the dictionary layout): adds `image`
// to the dictionary at `dictionary` (`dictionaryBytes` long, made by dictionary.ts) as the next
// image id, evicting the oldest images it no longer has room for, and writes its GLZ_RGB
// payload (header + RGB32 stream, top-down) into `out` (resized to fit). Returns its length,
// or 0 when the dictionary is malformed or the image is larger than its window. The caller
// holds the dictionary's lock and has checked the bitmap.
size_t EncodeGlz(uint8_t* dictionary, size_t dictionaryBytes, const PixelRows& image, std::vector<uint8_t>& out);
