#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

// What the C++ image encoders read: a Bitmap32 (bitmap.ts) as bytes, B,G,R,X/A a pixel, rows
// top-down `stride` bytes apart. Any alignment: pixels are loaded with memcpy.
struct PixelRows {
  const uint8_t* pixels;
  uint32_t width;
  uint32_t height;
  size_t stride;
};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pixels are read as little-endian words: B | G<<8 | R<<16 | X<<24");

inline uint32_t LoadPixel(const uint8_t* at) {
  uint32_t word;
  std::memcpy(&word, at, 4);
  return word;
}
