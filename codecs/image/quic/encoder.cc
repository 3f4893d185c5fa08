#include "encoder.h"
#include <algorithm>
#include <array>
#include "bit-writer.h"
#include "evolution.h"
#include "family.h"
#include "melcode.h"

// The QUIC encoder as the TypeScript decoder beside it reads it (plane-walker.ts has the walk,
// family.ts, model.ts, evolution.ts and melcode.ts the parts): its bytes are spice-common
// quic.c's for the same image, which the tests check against recorded streams.
//
// C++ rather than TypeScript: the per-pixel work (prediction, two table lookups, a bit write per
// channel) ran at 0.15-0.35x of quic.c in V8; compiled, with the channel loop unrolled per group
// and the bit writer in registers, it runs at quic.c's speed.

namespace {

using namespace quic;

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
      : width_(width), span_(width + 1), residuals_(size_t(span_) * G::kChannels), writer_(writer), f_(Family8()) {
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
    uint32_t length = RunLength(row_, x, end);
    melcode_.Encode(writer_, length);
    return x + length;
  }

  // How many pixels from x on (before `end`) repeat pixel x - 1: four compared at a time.
  static uint32_t RunLength(const uint8_t* row, uint32_t x, uint32_t end) {
    const uint64_t mask = uint64_t(G::kMask) << 32 | G::kMask;
    const uint64_t repeated = (uint64_t(LoadPixel(row + size_t(x) * 4 - 4)) * 0x100000001ull) & mask;
    auto differs = [&](uint32_t at) {
      uint64_t pair;
      std::memcpy(&pair, row + size_t(at) * 4, 8);
      return (pair & mask) ^ repeated;
    };
    const uint32_t start = x;
    for (; x + 4 <= end; x += 4) {
      uint64_t low = differs(x), high = differs(x + 2);
      if (low | high) return x - start + (low ? (uint32_t(low) == 0) : 2 + (uint32_t(high) == 0));
    }
    for (; x + 2 <= end; x += 2) {
      uint64_t diff = differs(x);
      if (diff) return x - start + (uint32_t(diff) == 0);
    }
    if (x < end && Same(row + size_t(x) * 4 - 4, row + size_t(x) * 4)) x++;
    return x - start;
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
  std::array<uint8_t, G::kChannels * kMaxBuckets> best_;
  std::array<uint32_t, G::kChannels * kMaxBuckets * kCodes> counters_;
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
