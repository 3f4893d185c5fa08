#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

// Golomb-Rice codes for 8-bit samples, as family.ts builds them for the decoder: the encoder's
// side (codewords, residual folding, context buckets).
namespace quic {

constexpr int kCodes = 8;       // codes per family (MAXNUMCODES)
constexpr int kBpc = 8;         // bits per channel of RGB32 and RGBA
constexpr int kMaxCodeLen = 26; // DEFmaxclen
constexpr int kContexts = 256;
// Buckets of 1, 2, 4, ... contexts: 8 cover the 256 contexts of 8-bit samples.
constexpr int kMaxBuckets = 8;

struct Family {
  // Codeword bits << 5 | length, and the length alone, per [value * kCodes + code].
  std::array<uint32_t, 256 * kCodes> codeword{};
  std::array<uint8_t, 256 * kCodes> codeLen{};
  std::array<uint8_t, 256> fold{};
  std::array<uint8_t, 256> bucketOf{};
  std::array<uint16_t, kMaxBuckets + 1> bucketStart{};
  int buckets = 0;

  Family() {
    auto lowMask = [](int bits) { return bits >= 32 ? 0xffffffffu : (1u << bits) - 1; };
    auto ceilLog2 = [](uint32_t v) { return v <= 1 ? 0 : 32 - __builtin_clz(v - 1); };
    for (int l = 0; l < kBpc; l++) {
      uint32_t escapeZeros = std::min<uint32_t>(kMaxCodeLen - kBpc, lowMask(kBpc - l));
      uint32_t grCount = escapeZeros << l;
      uint32_t escapeLen = escapeZeros + ceilLog2(256 - grCount);
      for (uint32_t n = 0; n < 256; n++) {
        bool escaped = n >= grCount;
        uint32_t len = escaped ? escapeLen : (n >> l) + l + 1;
        uint32_t bits = escaped ? n - grCount : (1u << l) | (n & lowMask(l));
        codeLen[n * kCodes + l] = uint8_t(len);
        codeword[n * kCodes + l] = bits << 5 | len;
      }
    }
    for (int s = 0; s < 256; s++) fold[s] = uint8_t(s <= 127 ? s << 1 : ((255 - s) << 1) + 1);
    // Buckets of 1, 2, 4, ... contexts; the last absorbs the rest (fill_model_structures).
    int start = 0;
    for (int size = 1; start < 256; size *= 2) {
      int end = start + size - 1 + size >= 256 ? 255 : start + size - 1;
      std::fill(bucketOf.begin() + start, bucketOf.begin() + end + 1, uint8_t(buckets));
      bucketStart[buckets++] = uint16_t(start);
      start = end + 1;
    }
    bucketStart[buckets] = 256;
  }
};

inline const Family& Family8() {
  static const Family family;
  return family;
}

}  // namespace quic
