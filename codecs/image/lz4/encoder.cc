#include "encoder.h"
#include <lz4.h>
#include <algorithm>

// Debian's liblz4 does the compressing; what is ours is the framing spice-common's
// canvas_get_lz4 reads. The client decodes every block into one buffer with
// LZ4_decompress_safe_continue, so blocks compressed as one LZ4 stream may reference the
// blocks before them, which is how spice-server's lz4-encoder.c writes them too.

namespace {

// Constants of format.ts.
constexpr uint8_t kFormat32Bit = 8;
constexpr uint8_t kFormatRgba = 9;
constexpr size_t kHeaderSize = 2;
constexpr size_t kBlockPrefix = 4;
// Rows go to liblz4 in blocks of about this many bytes: LZ4's window is 64 KiB, so bigger
// blocks find no more, and the packing copy of rows with padding stays small.
constexpr size_t kBlockBytes = 256 * 1024;

void PutU32Be(uint8_t* at, uint32_t value) {
  at[0] = uint8_t(value >> 24);
  at[1] = uint8_t(value >> 16);
  at[2] = uint8_t(value >> 8);
  at[3] = uint8_t(value);
}

}  // namespace

size_t EncodeLz4(const PixelRows& image, bool alpha, std::vector<uint8_t>& out) {
  const size_t rowBytes = size_t(image.width) * 4;
  const uint32_t rowsPerBlock = uint32_t(std::max<size_t>(1, kBlockBytes / rowBytes));
  const uint32_t blocks = (image.height + rowsPerBlock - 1) / rowsPerBlock;
  const size_t blockIn = rowBytes * rowsPerBlock;
  // LZ4 blocks are limited to LZ4_MAX_INPUT_SIZE; a row of 2^29 pixels does not reach here.
  const size_t blockBound = size_t(LZ4_compressBound(int(blockIn)));
  out.resize(kHeaderSize + size_t(blocks) * (kBlockPrefix + blockBound));
  out[0] = 1;  // top_down
  out[1] = alpha ? kFormatRgba : kFormat32Bit;
  size_t at = kHeaderSize;

  // A stream's earlier blocks must stay where they were compressed: rows with padding are packed
  // into two alternating buffers, each holding a whole block (the window never reaches further).
  thread_local std::vector<uint8_t> packed[2];
  thread_local LZ4_stream_t stream;
  LZ4_initStream(&stream, sizeof stream);
  const bool inPlace = image.stride == rowBytes;
  for (uint32_t b = 0; b < blocks; b++) {
    const uint32_t first = b * rowsPerBlock;
    const uint32_t rows = std::min(rowsPerBlock, image.height - first);
    const uint8_t* src = image.pixels + size_t(first) * image.stride;
    if (!inPlace) {
      std::vector<uint8_t>& buffer = packed[b & 1];
      buffer.resize(blockIn);
      for (uint32_t y = 0; y < rows; y++) std::memcpy(buffer.data() + size_t(y) * rowBytes, src + size_t(y) * image.stride, rowBytes);
      src = buffer.data();
    }
    const int written = LZ4_compress_fast_continue(&stream, reinterpret_cast<const char*>(src),
                                                   reinterpret_cast<char*>(out.data() + at + kBlockPrefix), int(rowBytes * rows),
                                                   int(blockBound), 1);
    // Cannot fail with a bound-sized output; an empty result would make the client stop early.
    if (written <= 0) return 0;
    PutU32Be(out.data() + at, uint32_t(written));
    at += kBlockPrefix + size_t(written);
  }
  return at;
}
