#include "encoder.h"
#include <algorithm>
#include <type_traits>

// Greedy LZ over pixels (not bytes): at each position three candidates are tried — the previous
// pixel (a run), the pixel one row up (screen content repeats vertically), and the last position
// whose next 3 pixels hashed alike (HASH_LOG 13) — and the longest match wins.
//
// C++ rather than TypeScript: this loop is the encoder's time, and in V8 it ran at 0.2-0.9x of
// spice-common's C (0.4x geomean on the corpus: bounds checks, no unaligned word loads, a packing
// copy of every pixel first). Here it reads the caller's rows in place, two pixels a compare.

namespace {

// Constants of format.ts.
constexpr uint32_t kHeaderSize = 28;
constexpr uint32_t kMagic = 0x20205a4c;
constexpr uint32_t kVersion = 0x00010001;
constexpr uint32_t kTypeRgb32 = 8;
constexpr uint32_t kTypeRgba = 9;
constexpr uint32_t kTypeXxxa = 10;
constexpr uint32_t kMaxCopy = 32;
constexpr uint32_t kLenEscape = 7;
constexpr uint32_t kMaxDistance = 8191;
constexpr uint32_t kMaxFarDistance = 65535 + kMaxDistance - 1;

constexpr int kHashLog = 13;
// A match this long is taken at once, without trying the other candidates.
constexpr uint32_t kGoodEnough = 64;

// How one pass reads and codes its pixels. Minimum lengths are chosen so that a match never
// costs more than the literals it replaces (+1 for the control byte it may force on the next
// literals): PassBound is then a true bound on the output.
struct RgbPass {
  static uint32_t At(const uint8_t* px, uint32_t k) { return LoadPixel(px + size_t(k) * 4) & 0xffffff; }
  // Pixels k and k + 1 at once.
  static uint64_t Pair(const uint8_t* px, uint32_t k) {
    uint64_t pair;
    std::memcpy(&pair, px + size_t(k) * 4, 8);
    return pair & 0x00ffffff00ffffffull;
  }
  static constexpr uint32_t kLiteralBytes = 3;
  static constexpr uint32_t kLengthBias = 0;
  static constexpr uint32_t kMinNear = 2;
  static constexpr uint32_t kMinFar = 2;
};
struct AlphaPass {
  static uint32_t At(const uint8_t* px, uint32_t k) { return px[size_t(k) * 4 + 3]; }
  static constexpr uint32_t kLiteralBytes = 1;
  static constexpr uint32_t kLengthBias = 2;
  static constexpr uint32_t kMinNear = 3;
  static constexpr uint32_t kMinFar = 5;
};

// Every pixel a literal, plus a control byte per kMaxCopy of them (+3: literals are stored as words).
size_t PassBound(size_t n, uint32_t literalBytes) { return n * literalBytes + (n + kMaxCopy - 1) / kMaxCopy + 3; }

inline uint32_t Hash3(uint32_t a, uint32_t b, uint32_t c) {
  return (a * 0x9e3779b1u ^ b * 0x85ebca77u ^ c * 0xc2b2ae3du) >> (32 - kHashLog);
}

// Length of the common run of the pixels from a and from b (a < b), at most `max`.
template <typename P>
inline uint32_t MatchLength(const uint8_t* px, uint32_t a, uint32_t b, uint32_t max) {
  uint32_t k = 0;
  if constexpr (std::is_same_v<P, RgbPass>) {
    // Two pixels a compare while both fit.
    for (; k + 2 <= max; k += 2) {
      uint64_t diff = P::Pair(px, a + k) ^ P::Pair(px, b + k);
      if (diff) return k + (uint32_t(diff) == 0);
    }
  }
  while (k < max && P::At(px, a + k) == P::At(px, b + k)) k++;
  return k;
}

// How far the pixels from a (a < i) repeat those from i, at most `max`; 0 when too short to
// code. In the RGB pass any match needs 2 pixels: one compare of a pair settles most candidates.
template <typename P>
inline uint32_t Candidate(const uint8_t* px, uint32_t a, uint32_t i, uint32_t max) {
  if constexpr (std::is_same_v<P, RgbPass>) {
    static_assert(P::kMinNear == 2 && P::kMinFar == 2);
    if (max < 2 || P::Pair(px, a) != P::Pair(px, i)) return 0;
    return 2 + MatchLength<P>(px, a + 2, i + 2, max - 2);
  } else {
    return P::At(px, a) == P::At(px, i) ? MatchLength<P>(px, a, i, max) : 0;
  }
}

template <typename P>
uint8_t* WriteLiterals(const uint8_t* px, uint32_t from, uint32_t to, uint8_t* out) {
  while (from < to) {
    uint32_t count = std::min(kMaxCopy, to - from);
    *out++ = uint8_t(count - 1);
    for (uint32_t end = from + count; from < end; from++) {
      if constexpr (P::kLiteralBytes == 3) {
        uint32_t v = LoadPixel(px + size_t(from) * 4);
        std::memcpy(out, &v, 4);  // B,G,R and a byte the next write covers
        out += 3;
      } else {
        *out++ = uint8_t(P::At(px, from));
      }
    }
  }
  return out;
}

// A match of length field `field` (>= 1) at pixel distance `dist` (1..kMaxFarDistance).
uint8_t* WriteMatch(uint8_t* out, uint32_t field, uint32_t dist) {
  uint32_t biased = dist - 1;
  bool far = biased >= kMaxDistance;
  uint32_t high = far ? 31 : biased >> 8;
  if (field < kLenEscape) {
    *out++ = uint8_t((field << 5) | high);
  } else {
    *out++ = uint8_t((kLenEscape << 5) | high);
    uint32_t rest = field - kLenEscape;
    for (; rest >= 255; rest -= 255) *out++ = 255;
    *out++ = uint8_t(rest);
  }
  if (far) {
    uint32_t d = biased - kMaxDistance;
    out[0] = 255;
    out[1] = uint8_t(d >> 8);
    out[2] = uint8_t(d);
    return out + 3;
  }
  *out++ = uint8_t(biased);
  return out;
}

struct Match {
  uint32_t len = 0;  // 0: no match worth coding
  uint32_t dist = 0;
};

// The hash candidate at i: the last position whose next 3 pixels hashed as these do. Records i.
template <typename P>
inline uint32_t HashCandidate(const uint8_t* px, uint32_t i, int32_t* htab) {
  uint32_t h = Hash3(P::At(px, i), P::At(px, i + 1), P::At(px, i + 2));
  int32_t cand = htab[h];
  htab[h] = int32_t(i);
  return cand < 0 ? 0 : i - uint32_t(cand);
}

// The longest of the three candidates at pixel i (ties to the earlier tried), if worth coding.
template <typename P>
inline Match FindMatch(const uint8_t* px, uint32_t i, uint32_t n, uint32_t width, int32_t* htab) {
  const uint32_t max = n - i;
  if constexpr (std::is_same_v<P, RgbPass>) {
    // Most pixels of a photo repeat neither neighbour: one branch settles both, then only the
    // hash candidate is left (the general path below finds the same, 1.4x slower).
    if (max > 2) {
      const uint64_t pair = P::Pair(px, i);
      const bool left = i > 0 && P::Pair(px, i - 1) == pair;
      const bool up = i >= width && width > 1 && P::Pair(px, i - width) == pair;
      if (!(left | up)) {
        uint32_t dist = HashCandidate<P>(px, i, htab);
        if (dist == 0 || dist > kMaxFarDistance || P::Pair(px, i - dist) != pair) return {};
        return {2 + MatchLength<P>(px, i - dist + 2, i + 2, max - 2), dist};
      }
    }
  }
  Match best;
  if (i > 0 && (best.len = Candidate<P>(px, i - 1, i, max)) != 0) best.dist = 1;
  if (best.len < kGoodEnough && i >= width && width > 1) {
    uint32_t len = Candidate<P>(px, i - width, i, max);
    if (len > best.len) best = {len, width};
  }
  if (best.len < kGoodEnough && max > 2) {
    uint32_t dist = HashCandidate<P>(px, i, htab);
    if (dist != 0 && dist <= kMaxFarDistance && dist != best.dist) {
      uint32_t len = Candidate<P>(px, i - dist, i, max);
      if (len > best.len) best = {len, dist};
    }
  }
  if (best.len < (best.dist <= kMaxDistance ? P::kMinNear : P::kMinFar)) return {};
  return best;
}

// Codes the n pixels of px (rows packed) into out; returns the new end.
template <typename P>
uint8_t* CompressPass(const uint8_t* px, uint32_t n, uint32_t width, uint8_t* out) {
  int32_t htab[1 << kHashLog];
  std::fill(std::begin(htab), std::end(htab), -1);
  uint32_t litStart = 0;
  uint32_t i = 0;
  while (i < n) {
    Match m = FindMatch<P>(px, i, n, width, htab);
    if (m.len == 0) {
      i++;
      continue;
    }
    out = WriteLiterals<P>(px, litStart, i, out);
    out = WriteMatch(out, m.len - P::kLengthBias, m.dist);
    i += m.len;
    litStart = i;
    // Seed the table at the match end, where the next repeat of this content is likeliest to start.
    for (uint32_t j = i >= 2 ? i - 2 : 0; j < i && j + 2 < n; j++) htab[Hash3(P::At(px, j), P::At(px, j + 1), P::At(px, j + 2))] = int32_t(j);
  }
  return WriteLiterals<P>(px, litStart, n, out);
}

void PutBigEndian(uint8_t* at, uint32_t value) {
  at[0] = uint8_t(value >> 24);
  at[1] = uint8_t(value >> 16);
  at[2] = uint8_t(value >> 8);
  at[3] = uint8_t(value);
}

// Rows with padding are packed once, so that matches may run across rows as pixel indices.
thread_local std::vector<uint8_t> packedRows;

const uint8_t* Packed(const PixelRows& image) {
  size_t row = size_t(image.width) * 4;
  if (image.stride == row) return image.pixels;
  packedRows.resize(row * image.height);
  for (uint32_t y = 0; y < image.height; y++) std::memcpy(packedRows.data() + y * row, image.pixels + y * image.stride, row);
  return packedRows.data();
}

}  // namespace

size_t EncodeLz(const PixelRows& image, LzPasses passes, std::vector<uint8_t>& out) {
  const uint32_t n = image.width * image.height;
  const bool rgb = passes != LzPasses::kAlpha;
  const bool alpha = passes != LzPasses::kRgb;
  out.resize(kHeaderSize + (rgb ? PassBound(n, 3) : 0) + (alpha ? PassBound(n, 1) : 0));
  const uint32_t type = !alpha ? kTypeRgb32 : rgb ? kTypeRgba : kTypeXxxa;
  const uint32_t header[] = {kMagic, kVersion, type, image.width, image.height, image.width * 4, 1};
  for (size_t k = 0; k < 7; k++) PutBigEndian(out.data() + k * 4, header[k]);
  const uint8_t* px = Packed(image);
  uint8_t* end = out.data() + kHeaderSize;
  if (rgb) end = CompressPass<RgbPass>(px, n, image.width, end);
  if (alpha) end = CompressPass<AlphaPass>(px, n, image.width, end);
  return size_t(end - out.data());
}
