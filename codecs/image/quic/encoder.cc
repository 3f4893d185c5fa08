#include "encoder.h"
#include <algorithm>
#include <array>

// The QUIC encoder as the TypeScript decoder beside it reads it (plane-walker.ts has the walk,
// family.ts, model.ts, evolution.ts and melcode.ts the parts): its bytes are spice-common
// quic.c's for the same image, which the tests check against recorded streams.
//
// C++ rather than TypeScript: the per-pixel work (prediction, a table lookup, a bit write per
// channel) ran at 0.25-0.35x of quic.c in V8; compiled, with the channel loop unrolled per group
// and the bit writer in registers, it runs at quic.c's speed.

namespace {

// --- Golomb-Rice codes for 8-bit samples (family.ts) -----------------------------------------

constexpr int kCodes = 8;       // codes per family (MAXNUMCODES)
constexpr int kBpc = 8;         // bits per channel of RGB32 and RGBA
constexpr int kMaxCodeLen = 26; // DEFmaxclen
constexpr int kContexts = 256;

struct Family {
  // Codeword bits << 5 | length, and the length alone, per [value * kCodes + code].
  std::array<uint32_t, 256 * kCodes> codeword{};
  std::array<uint8_t, 256 * kCodes> codeLen{};
  std::array<uint8_t, 256> fold{};
  std::array<uint8_t, 256> bucketOf{};
  std::array<uint16_t, 10> bucketStart{};
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

const Family& family8() {
  static const Family family;
  return family;
}

// --- The bit sink (bit-writer.ts): MSB first in 32-bit words, stored little-endian -----------

// A value: a loop copies it into locals and back, so that its state stays in registers there.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint32_t>& words) : storage_(&words), words_(words.data()), capacity_(words.size()) {}

  // The `len` low bits of `bits` (1 <= len <= 31, nothing set above them).
  inline void Put(uint32_t bits, int len) {
    pending_ = pending_ << len | bits;
    held_ += len;
    if (held_ >= 32) {
      held_ -= 32;
      Emit(uint32_t(pending_ >> held_));
    }
  }

  void Put32(uint32_t value) {
    Put(value >> 16, 16);
    Put(value & 0xffff, 16);
  }

  void PutOnes(uint32_t n) {
    for (uint32_t full = n >> 5; full > 0; full--) Put32(0xffffffff);
    int rest = int(n & 31);
    if (rest) Put(0xffffffffu >> (32 - rest), rest);
  }

  // quic.c's flush(): the last word padded with zeros, then a zero word (decoders read ahead).
  size_t Finish() {
    if (held_ > 0) Emit(uint32_t(pending_ << (32 - held_)));
    Emit(0);
    return count_;
  }

 private:
  inline void Emit(uint32_t word) {
    if (__builtin_expect(count_ == capacity_, 0)) {
      storage_->resize(capacity_ * 2);
      words_ = storage_->data();
      capacity_ = storage_->size();
    }
    words_[count_++] = word;
  }

  std::vector<uint32_t>* storage_;
  uint32_t* words_;
  size_t capacity_;
  size_t count_ = 0;
  // The last `held_` (< 32) bits of `pending_` are not yet in a word.
  uint64_t pending_ = 0;
  int held_ = 0;
};

// --- When the models learn (evolution.ts) ------------------------------------------------------

constexpr uint8_t kChaos[256] = {
    0x42, 0x17, 0x53, 0x55, 0x07, 0x52, 0x28, 0x8e, 0x8c, 0xe0, 0xaf, 0xac, 0x64, 0x86, 0x92, 0x4b,
    0x44, 0x13, 0xea, 0x1d, 0x50, 0x7f, 0xb9, 0x33, 0xd0, 0x03, 0x05, 0x4e, 0x0f, 0x9e, 0x94, 0x89,
    0xa4, 0x6d, 0x43, 0xf9, 0xbd, 0x00, 0x08, 0x45, 0x29, 0xce, 0x6b, 0x5b, 0xab, 0xbb, 0x1f, 0xe3,
    0x27, 0x7c, 0x2a, 0xa6, 0x4d, 0x36, 0x7e, 0xc1, 0x1a, 0xc3, 0x0b, 0x3d, 0x74, 0xa2, 0xc7, 0xf0,
    0x04, 0x3b, 0x16, 0x0c, 0x96, 0x88, 0xb2, 0x84, 0x8a, 0x46, 0x2c, 0xc8, 0x8b, 0xee, 0xdf, 0x73,
    0x75, 0x11, 0x01, 0x2b, 0x6e, 0x3c, 0xe4, 0x76, 0x0a, 0x9b, 0x67, 0x6c, 0x56, 0xe9, 0x57, 0xc2,
    0xec, 0x40, 0x68, 0xb5, 0xa8, 0xb0, 0x90, 0xeb, 0x60, 0x5c, 0xe1, 0x4c, 0x54, 0x02, 0x78, 0xbe,
    0x77, 0xfa, 0x12, 0x14, 0x0d, 0x37, 0x26, 0x9d, 0x79, 0xd3, 0x31, 0x21, 0x6f, 0xbf, 0xfb, 0x80,
    0x23, 0xfd, 0x93, 0x19, 0x2e, 0x66, 0xfc, 0xc4, 0x63, 0x41, 0x9a, 0xe8, 0x9c, 0xca, 0x85, 0x0e,
    0xd9, 0xd2, 0x70, 0xf1, 0xd4, 0x7b, 0x3e, 0xe2, 0xae, 0x87, 0xa1, 0x34, 0x22, 0x7a, 0xc9, 0x5d,
    0x48, 0xf7, 0xfe, 0xbc, 0xa5, 0x24, 0xe5, 0x72, 0xc6, 0x83, 0x4a, 0x1c, 0x30, 0x98, 0x5a, 0x7d,
    0x39, 0x1e, 0xcb, 0xb6, 0x82, 0x06, 0x32, 0xef, 0x47, 0x91, 0xa3, 0x35, 0x20, 0xcc, 0xd7, 0xd1,
    0xc5, 0x15, 0x71, 0xb7, 0xb3, 0x2d, 0xb4, 0x1b, 0xe7, 0x99, 0xa7, 0xff, 0xd6, 0xd8, 0xaa, 0xf4,
    0x38, 0xe6, 0x69, 0xa9, 0xb8, 0xa0, 0xcd, 0x58, 0xda, 0xf3, 0xdb, 0xf8, 0x3a, 0x65, 0x18, 0x6a,
    0x8f, 0xdc, 0x51, 0x5e, 0x5f, 0xcf, 0x10, 0x97, 0x59, 0xf6, 0x61, 0x62, 0x81, 0xdd, 0x9f, 0xf2,
    0xf5, 0x95, 0xb1, 0x4f, 0x2f, 0x49, 0xc0, 0xba, 0x25, 0xad, 0xde, 0x8d, 0x09, 0xed, 0x3f, 0xd5,
};
constexpr int kTriggers[] = {110, 550, 900, 800, 550, 400, 350, 250, 140, 160, 140};
constexpr int kWaitMaskMaxIndex = 6;
constexpr uint32_t kPixelsPerWaitMask = 2048;

struct Evolution {
  uint32_t waitCount = 0;
  uint32_t pixelsLeft = kPixelsPerWaitMask;
  uint32_t waitMask = 0;
  uint32_t trigger = kTriggers[0];
  int maskIndex = 0;
  uint8_t seed = 0xff;

  uint32_t NextGap() { return kChaos[++seed] & waitMask; }
  bool Growing() const { return maskIndex < kWaitMaskMaxIndex; }
  void Widen() {
    maskIndex++;
    waitMask = (1u << maskIndex) - 1;
    trigger = kTriggers[std::min<int>(maskIndex, std::size(kTriggers) - 1)];
    pixelsLeft = kPixelsPerWaitMask;
  }
};

// --- The run-length coder (melcode.ts) ---------------------------------------------------------

constexpr uint8_t kRunBits[32] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};

class Melcode {
 public:
  void Encode(BitWriter& writer, uint32_t length) {
    uint32_t hits = 0;
    while (length >= order_) {
      hits++;
      length -= order_;
      if (state_ < 31) Set(state_ + 1);
    }
    writer.PutOnes(hits);
    writer.Put(length, bits_ + 1);
    if (state_ > 0) Set(state_ - 1);
  }

 private:
  void Set(int state) {
    state_ = state;
    bits_ = kRunBits[state];
    order_ = 1u << bits_;
  }
  int state_ = 0;
  int bits_ = 0;
  uint32_t order_ = 1;
};

// --- A channel group walked over the image (plane-walker.ts, plane-encoder.ts) ---------------

// R, G, B share a model schedule and a run coder; alpha has its own (quic.c channels[3]).
struct RgbGroup {
  static constexpr int kChannels = 3;
  static constexpr int kOffsets[3] = {2, 1, 0};
  static constexpr uint32_t kMask = 0x00ffffff;
};
struct AlphaGroup {
  static constexpr int kChannels = 1;
  static constexpr int kOffsets[1] = {3};
  static constexpr uint32_t kMask = 0xff000000;
};

template <typename G>
class PlaneEncoder {
 public:
  PlaneEncoder(uint32_t width, BitWriter& writer)
      : width_(width), span_(width + 1), residuals_(size_t(span_) * G::kChannels), writer_(writer), f_(family8()) {
    codeFor_.fill(kBpc - 1);
    best_.fill(kBpc - 1);
    counters_.fill(0);
  }

  // Codes the row at `row`; `above` is the previous row, or null on the first.
  void WalkRow(const uint8_t* row, const uint8_t* above) {
    row_ = row;
    above_ = above;
    for (int c = 0; c < G::kChannels; c++) residuals_[c * span_] = above ? residuals_[c * span_ + 1] : 0;
    uint32_t start = 0;
    uint32_t width = width_;
    while (evolution_.Growing() && evolution_.pixelsLeft <= width) {
      Segment(start, start + evolution_.pixelsLeft);
      width -= evolution_.pixelsLeft;
      start += evolution_.pixelsLeft;
      evolution_.Widen();
    }
    if (width > 0) {
      Segment(start, start + width);
      if (evolution_.Growing()) evolution_.pixelsLeft -= width;
    }
  }

 private:
  static bool Same(const uint8_t* a, const uint8_t* b) { return ((LoadPixel(a) ^ LoadPixel(b)) & G::kMask) == 0; }

  void Segment(uint32_t x, uint32_t end) {
    Evolution& ev = evolution_;
    uint32_t stop;
    if (x == 0) {
      CodeFirst();
      if (ev.waitCount > 0) {
        ev.waitCount--;
      } else {
        ev.waitCount = ev.NextGap();
        Learn(0);
      }
      x = 1;
      stop = 1 + ev.waitCount;
    } else {
      stop = x + ev.waitCount;
    }
    uint32_t runAt = 0;
    for (;;) {
      uint32_t limit = stop < end ? stop + 1 : end;
      x = above_ ? CodeSpan<true>(x, limit, runAt) : CodeSpan<false>(x, limit, runAt);
      if (x < limit) {
        runAt = x;
        ev.waitCount = stop - x;
        x = CodeRun(x, end);
        if (x >= end) return;
        stop = x + ev.waitCount;
      } else if (stop < end) {
        Learn(stop);
        stop = x + ev.NextGap();
      } else {
        ev.waitCount = stop - end;
        return;
      }
    }
  }

  // Pixel 0 of a row, predicted from the pixel above (0 on the first row).
  void CodeFirst() {
    for (int c = 0; c < G::kChannels; c++) {
      int off = G::kOffsets[c];
      uint8_t predicted = above_ ? above_[off] : 0;
      uint8_t value = f_.fold[uint8_t(row_[off] - predicted)];
      uint8_t* res = &residuals_[c * span_];
      uint32_t code = f_.codeword[value * kCodes + codeFor_[c * kContexts + res[0]]];
      res[1] = value;
      writer_.Put(code >> 5, code & 31);
    }
  }

  // Pixels x .. limit - 1, predicted from the left neighbour (and, below the first row, the
  // pixel above); stops at a pixel where a run starts.
  template <bool kBelowFirst>
  uint32_t CodeSpan(uint32_t x, uint32_t limit, uint32_t runAt) {
    const uint8_t* row = row_;
    const uint8_t* above = above_;
    uint8_t* res = residuals_.data();
    const uint32_t span = span_;
    BitWriter writer = writer_;
    for (; x < limit; x++) {
      const uint8_t* at = row + size_t(x) * 4;
      const uint8_t* up = at - 4;
      if constexpr (kBelowFirst) {
        // A run may start past x = 2, not where the last one ended, when the row above repeats
        // here and the current row just repeated.
        up = above + size_t(x) * 4;
        if (x > 2 && x != runAt && Same(up - 4, up) && Same(at - 8, at - 4)) break;
      }
      for (int c = 0; c < G::kChannels; c++) {
        int off = G::kOffsets[c];
        // On the first row `up` is the left pixel, so the average is the left pixel.
        uint8_t predicted = uint8_t((at[off - 4] + up[off]) >> 1);
        uint8_t value = f_.fold[uint8_t(at[off] - predicted)];
        uint8_t* r = res + c * span + x;
        uint32_t code = f_.codeword[value * kCodes + codeFor_[c * kContexts + r[0]]];
        r[1] = value;
        writer.Put(code >> 5, code & 31);
      }
    }
    writer_ = writer;
    return x;
  }

  // A run from x, bounded by `end`; returns the first pixel after it.
  uint32_t CodeRun(uint32_t x, uint32_t end) {
    uint32_t start = x;
    while (Same(row_ + size_t(x) * 4 - 4, row_ + size_t(x) * 4) && ++x < end) {
    }
    melcode_.Encode(writer_, x - start);
    return x;
  }

  // Model update with the residuals of pixel x, in the buckets of their left contexts (model.ts).
  void Learn(uint32_t x) {
    for (int c = 0; c < G::kChannels; c++) Update(c, residuals_[c * span_ + x], residuals_[c * span_ + x + 1]);
  }

  // Charges `value` to every code of the context's bucket, keeps the cheapest as the bucket's
  // (ties keep the longer code, as quic.c scans downwards), halves the counts past the trigger.
  void Update(int channel, uint8_t context, uint8_t value) {
    int local = f_.bucketOf[context];
    int bucket = channel * f_.buckets + local;
    uint32_t* counters = &counters_[bucket * kCodes];
    const uint8_t* lens = &f_.codeLen[value * kCodes];
    int best = kBpc - 1;
    uint32_t bestLen = counters[best] += lens[best];
    for (int l = kBpc - 2; l >= 0; l--) {
      uint32_t len = counters[l] += lens[l];
      if (len < bestLen) {
        best = l;
        bestLen = len;
      }
    }
    if (best_[bucket] != best) {
      best_[bucket] = uint8_t(best);
      uint8_t* codes = &codeFor_[channel * kContexts];
      std::fill(codes + f_.bucketStart[local], codes + f_.bucketStart[local + 1], uint8_t(best));
    }
    if (bestLen > evolution_.trigger) {
      for (int l = 0; l < kBpc; l++) counters[l] >>= 1;
    }
  }

  const uint32_t width_;
  const uint32_t span_;
  // Per channel, the last residual of every column; entry 0 is the column before the first.
  std::vector<uint8_t> residuals_;
  BitWriter& writer_;
  const Family& f_;
  // Best code per [channel * kContexts + context]: a bucket's best copied to all its contexts.
  std::array<uint8_t, G::kChannels * kContexts> codeFor_;
  std::array<uint8_t, G::kChannels * 16> best_;
  std::array<uint32_t, G::kChannels * 16 * kCodes> counters_;
  Evolution evolution_;
  Melcode melcode_;
  const uint8_t* row_ = nullptr;
  const uint8_t* above_ = nullptr;
};

// format.ts
constexpr uint32_t kQuicMagic = 0x43495551;
constexpr uint32_t kQuicVersion = 0;
constexpr uint32_t kTypeRgb32 = 4;
constexpr uint32_t kTypeRgba = 5;

}  // namespace

size_t EncodeQuic(const PixelRows& image, bool alpha, std::vector<uint32_t>& out) {
  // A byte a pixel covers photos (about 0.8); the writer doubles its buffer past that.
  out.resize(std::max<size_t>(out.size(), size_t(image.width) * image.height / 4 + 64));
  BitWriter writer(out);
  for (uint32_t v : {kQuicMagic, kQuicVersion, alpha ? kTypeRgba : kTypeRgb32, image.width, image.height}) writer.Put32(v);
  PlaneEncoder<RgbGroup> colour(image.width, writer);
  PlaneEncoder<AlphaGroup> opacity(image.width, writer);
  const uint8_t* above = nullptr;
  for (uint32_t y = 0; y < image.height; y++) {
    const uint8_t* row = image.pixels + y * image.stride;
    colour.WalkRow(row, above);
    if (alpha) opacity.WalkRow(row, above);
    above = row;
  }
  return writer.Finish();
}
