#include "encoder.h"
#include <algorithm>
#include <unordered_map>

// Greedy LZ over pixels against a window of earlier images. At each pixel three candidates are
// tried: the previous pixel (a run), the pixel a row up, and the last window position whose next
// 3 pixels hashed alike — in this image or an earlier one (a scrolled or redrawn screen finds its
// pixels in the image before it). The longest wins. The dictionary lives in shared memory
// (format.ts's layout) so that any compressor thread can encode against a client's window.

namespace {

// Constants of format.ts.
constexpr uint32_t kMagic = 0x20205a4c;
constexpr uint32_t kVersion = 0x00010001;
constexpr uint8_t kTypeRgb32 = 8;
constexpr uint32_t kHeaderSize = 33;
constexpr uint32_t kMaxCopy = 32;
constexpr uint32_t kLenEscape = 7;
constexpr size_t kRingPixels = 4, kMaxImages = 8, kNextId = 16, kNextPosition = 24, kOldestId = 32;
constexpr size_t kCrossPixels = 40, kSamePixels = 48, kLiteralPixels = 56, kHeaderBytes = 128;
constexpr int kHashLog = 16;
constexpr size_t kEntryBytes = 16;
constexpr uint64_t kShortOffset = 1u << 12, kLongOffset = 1u << 17, kVeryLongOffset = 1u << 25;
// A match this long is taken at once, without trying the other candidates.
constexpr uint32_t kGoodEnough = 64;

template <typename T>
T Load(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}
template <typename T>
void Store(uint8_t* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

uint32_t Hash(const uint32_t* px) {
  uint32_t h = px[0] * 2654435761u;
  h ^= px[1] * 2246822519u;
  h ^= px[2] * 3266489917u;
  return h >> (32 - kHashLog);
}

// Pixels equal from a and b on, at most `limit`.
uint32_t MatchLength(const uint32_t* a, const uint32_t* b, uint32_t limit) {
  uint32_t n = 0;
  while (n < limit && a[n] == b[n]) n++;
  return n;
}

struct Writer {
  uint8_t* at;
  void Byte(uint32_t v) { *at++ = uint8_t(v); }
  void U32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) Byte(v >> s);
  }
  void Literals(const uint32_t* px, uint32_t count) {
    while (count > 0) {
      uint32_t run = std::min(count, kMaxCopy);
      Byte(run - 1);
      for (uint32_t k = 0; k < run; k++) {
        Byte(px[k]);
        Byte(px[k] >> 8);
        Byte(px[k] >> 16);
      }
      px += run;
      count -= run;
    }
  }
  // `offset` as the stream carries it: distance - 1 in this image, the pixel index in another.
  void Match(uint32_t len, uint64_t imageDistance, uint64_t offset) {
    const bool longOffset = offset >= kShortOffset;
    Byte((std::min(len, kLenEscape) << 5) | (longOffset ? 0x10 : 0) | (offset & 0x0f));
    if (len >= kLenEscape) {
      uint32_t rest = len - kLenEscape;
      for (; rest >= 255; rest -= 255) Byte(255);
      Byte(rest);
    }
    Byte(offset >> 4);
    if (!longOffset) {
      // 6 bits here, 8 more a byte.
      uint32_t extra = imageDistance < (1u << 6) ? 0 : imageDistance < (1u << 14) ? 1 : imageDistance < (1u << 22) ? 2 : 3;
      Byte((extra << 6) | (imageDistance & 0x3f));
      for (uint32_t k = 0; k < extra; k++) Byte(imageDistance >> (6 + 8 * k));
    } else {
      const bool veryLong = offset >= kLongOffset;
      uint32_t extra = imageDistance == 0 ? 0 : imageDistance < (1u << 8) ? 1 : imageDistance < (1u << 16) ? 2 : 3;
      Byte((extra << 6) | (veryLong ? 0x20 : 0) | ((offset >> 12) & 0x1f));
      for (uint32_t k = 0; k < extra; k++) Byte(imageDistance >> (8 * k));
      if (veryLong) Byte(offset >> 17);
    }
  }
};

// What a match costs on the wire (at most), to weigh it against literals.
uint32_t MatchCost(uint64_t imageDistance, uint64_t offset) {
  uint32_t cost = 3;
  if (offset < kShortOffset) return cost + (imageDistance < (1u << 6) ? 0 : imageDistance < (1u << 14) ? 1 : imageDistance < (1u << 22) ? 2 : 3);
  return cost + (offset >= kLongOffset ? 1 : 0) + (imageDistance == 0 ? 0 : imageDistance < (1u << 8) ? 1 : imageDistance < (1u << 16) ? 2 : 3);
}

uint64_t RowHash(const uint32_t* px, uint32_t width) {
  uint64_t h = 14695981039346656037ull;
  for (uint32_t x = 0; x < width; x++) h = (h ^ px[x]) * 1099511628211ull;
  return h;
}

bool Uniform(const uint32_t* px, uint32_t width) {
  for (uint32_t x = 1; x < width; x++)
    if (px[x] != px[0]) return false;
  return true;
}

// Scroll detection: when the image before this one has the same width, the shift (as a window
// distance, start + i - source) that puts this image's first row with content on an equal row of
// it; 0 when there is none. A scrolled screen is then one match into the image before.
template <typename Entry>
uint64_t ScrollDelta(const uint32_t* ring, uint64_t ringPixels, Entry entry, uint64_t oldest, uint64_t id, uint64_t start,
                     const uint32_t* cur, uint32_t width, uint32_t height) {
  if (oldest >= id || Load<uint32_t>(entry(id - 1) + 12) != width) return 0;
  const uint64_t prevStart = Load<uint64_t>(entry(id - 1));
  const uint32_t prevRows = Load<uint32_t>(entry(id - 1) + 8) / width;
  const uint32_t* prev = ring + prevStart % ringPixels;
  // A few rows with content, each looked up among the previous image's rows; a shift counts
  // when the 16 rows from there (as many as both have) are equal too, since lone rows (a rule,
  // a border) repeat.
  std::unordered_multimap<uint64_t, uint32_t> rows;
  for (uint32_t y = 0; y < prevRows; y++) rows.emplace(RowHash(prev + size_t(y) * width, width), y);
  const size_t rowBytes = size_t(width) * 4;
  for (uint32_t y = 0, tried = 0; y < height && tried < 8; y++) {
    const uint32_t* row = cur + size_t(y) * width;
    if (Uniform(row, width)) continue;
    tried++;
    auto [from, to] = rows.equal_range(RowHash(row, width));
    for (int candidates = 0; from != to && candidates < 16; ++from, ++candidates) {
      const uint32_t py = from->second;
      const uint32_t span = std::min({16u, height - y, prevRows - py});
      if (std::memcmp(prev + size_t(py) * width, row, rowBytes * span) != 0) continue;
      return start + uint64_t(y) * width - (prevStart + uint64_t(py) * width);
    }
  }
  return 0;
}

}  // namespace

size_t EncodeGlz(uint8_t* dict, size_t dictBytes, const PixelRows& image, std::vector<uint8_t>& out) {
  if (dictBytes < kHeaderBytes) return 0;
  const uint64_t ringPixels = Load<uint32_t>(dict + kRingPixels);
  const uint64_t maxImages = Load<uint32_t>(dict + kMaxImages);
  // Two tables: positions in this image as it is coded, and positions in earlier images (filled
  // once an image is done), so that a pixel triple common in this image still finds its match
  // in the one before (a scroll).
  const size_t hashBytes = (size_t(1) << kHashLog) * 8 * 2;
  const size_t entriesAt = kHeaderBytes + hashBytes;
  const size_t ringAt = entriesAt + maxImages * kEntryBytes;
  if (ringPixels == 0 || maxImages < 2 || dictBytes < ringAt + ringPixels * 4 || ringAt % 4 != 0) return 0;
  uint8_t* hashTable = dict + kHeaderBytes;
  uint8_t* earlierTable = hashTable + hashBytes / 2;
  uint8_t* entries = dict + entriesAt;
  uint32_t* ring = reinterpret_cast<uint32_t*>(dict + ringAt);
  auto entry = [&](uint64_t id) { return entries + (id % maxImages) * kEntryBytes; };

  const uint64_t n = uint64_t(image.width) * image.height;
  if (n > ringPixels) return 0;
  const uint64_t id = Load<uint64_t>(dict + kNextId);
  uint64_t start = Load<uint64_t>(dict + kNextPosition);
  // Each image lies contiguous in the ring: one that would wrap starts at the ring's start.
  if (start % ringPixels + n > ringPixels) start += ringPixels - start % ringPixels;
  const uint64_t end = start + n;
  uint64_t oldest = Load<uint64_t>(dict + kOldestId);
  while (oldest < id && (end - Load<uint64_t>(entry(oldest)) > ringPixels || id - oldest >= maxImages)) oldest++;
  const uint64_t windowStart = oldest < id ? Load<uint64_t>(entry(oldest)) : start;

  // The image into the ring, B,G,R,0 (the client's decoded pixels, what later matches compare).
  uint32_t* cur = ring + start % ringPixels;
  for (uint32_t y = 0; y < image.height; y++) {
    const uint8_t* row = image.pixels + size_t(y) * image.stride;
    for (uint32_t x = 0; x < image.width; x++) cur[size_t(y) * image.width + x] = LoadPixel(row + size_t(x) * 4) & 0xffffff;
  }

  out.resize(kHeaderSize + n * 3 + (n + kMaxCopy - 1) / kMaxCopy + 16);
  Writer w{out.data()};
  w.U32(kMagic);
  w.U32(kVersion);
  w.Byte(kTypeRgb32 | (1 << 4));
  w.U32(image.width);
  w.U32(image.height);
  w.U32(image.width * 4);
  w.U32(uint32_t(id >> 32));
  w.U32(uint32_t(id));
  w.U32(uint32_t(id - oldest));

  uint64_t cross = 0, same = 0;
  uint64_t literalFrom = 0;
  const uint64_t width = image.width;
  // The image in the window holding position g (< start): ids oldest..id-1 lie in increasing positions.
  auto imageAt = [&](uint64_t g) {
    uint64_t lo = oldest, hi = id - 1;
    while (lo < hi) {
      uint64_t mid = (lo + hi + 1) / 2;
      if (Load<uint64_t>(entry(mid)) <= g) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // Where each pixel of the row above and of this row was copied from (window position + 1; 0:
  // a literal): the pixel below that source is the best guess for the pixel below, when content
  // moved (a scroll, a dragged window) or repeats an earlier image.
  thread_local std::vector<uint64_t> sourceAbove, sourceHere;
  sourceAbove.assign(width, 0);
  sourceHere.assign(width, 0);
  uint64_t row = 0;
  auto source = [&](uint64_t k, uint64_t from) {
    if (k / width != row) {
      row = k / width;
      std::swap(sourceAbove, sourceHere);
      std::fill(sourceHere.begin(), sourceHere.end(), 0);
    }
    sourceHere[k % width] = from;
  };
  const uint64_t scrollDelta = ScrollDelta(ring, ringPixels, entry, oldest, id, start, cur, image.width, image.height);
  uint64_t lastCrossDelta = 0;
  const bool previousSameShape = oldest < id && Load<uint32_t>(entry(id - 1) + 12) == image.width && Load<uint32_t>(entry(id - 1) + 8) == n;
  const uint64_t previousStart = previousSameShape ? Load<uint64_t>(entry(id - 1)) : 0;
  for (uint64_t i = 0; i < n;) {
    const uint64_t left = n - i;
    uint32_t limit = uint32_t(std::min<uint64_t>(left, 1u << 30));
    uint32_t bestLen = 0, bestGain = 0;
    uint64_t bestDistance = 0, bestOffset = 0, bestFrom = 0;
    auto consider = [&](uint32_t len, uint64_t imageDistance, uint64_t offset, uint64_t from) {
      if (len == 0) return;
      uint32_t cost = MatchCost(imageDistance, offset);
      // Literals would cost 3 bytes a pixel: a match must save something.
      if (len * 3 <= cost) return;
      uint32_t gain = len * 3 - cost;
      if (gain > bestGain) bestGain = gain, bestLen = len, bestDistance = imageDistance, bestOffset = offset, bestFrom = from;
    };
    // A match from window position g, in this image or an earlier one still in the window.
    auto considerPosition = [&](uint64_t g) {
      if (g < windowStart || g >= start + i) return;
      if (g >= start) {
        const uint64_t back = start + i - g;
        if (back - 1 < kVeryLongOffset) consider(MatchLength(cur + i, cur + (g - start), limit), 0, back - 1, g);
        return;
      }
      const uint64_t ref = imageAt(g);
      const uint64_t refStart = Load<uint64_t>(entry(ref));
      const uint64_t refPixels = Load<uint32_t>(entry(ref) + 8);
      const uint64_t offset = g - refStart;
      if (g < refStart || offset >= refPixels || offset >= kVeryLongOffset) return;
      uint32_t refLimit = uint32_t(std::min<uint64_t>(limit, refPixels - offset));
      consider(MatchLength(cur + i, ring + g % ringPixels, refLimit), id - ref, offset, g);
    };
    // The same pixel of the image before when it had this shape (a redrawn, mostly unchanged
    // region), the scroll found, and the shift of the last match into an earlier image: each can
    // cover the rest of the image in one match.
    if (previousSameShape) considerPosition(previousStart + i);
    if (scrollDelta != 0) considerPosition(start + i - scrollDelta);
    if (lastCrossDelta != 0 && lastCrossDelta != scrollDelta) considerPosition(start + i - lastCrossDelta);
    // The pixel below the source of the pixel above next: it keeps a moved region's rows on
    // their source, where a run or the row above would stop at the next change.
    if (i >= width && sourceAbove[i % width] != 0) {
      const uint64_t above = sourceAbove[i % width] - 1;
      const uint64_t aboveWidth = above >= start ? width : Load<uint32_t>(entry(imageAt(above)) + 12);
      considerPosition(above + aboveWidth);
    }
    if (bestLen < kGoodEnough && i >= 1) consider(MatchLength(cur + i, cur + i - 1, limit), 0, 0, start + i - 1);
    if (bestLen < kGoodEnough && i >= width) consider(MatchLength(cur + i, cur + i - width, limit), 0, width - 1, start + i - width);
    if (left >= 3) {
      uint8_t* slot = hashTable + size_t(Hash(cur + i)) * 8;
      const uint64_t stored = Load<uint64_t>(slot);
      Store<uint64_t>(slot, start + i + 1);
      if (bestLen < kGoodEnough && stored != 0) considerPosition(stored - 1);
      const uint64_t earlier = Load<uint64_t>(earlierTable + size_t(Hash(cur + i)) * 8);
      if (bestLen < kGoodEnough && earlier != 0) considerPosition(earlier - 1);
    }
    if (bestLen == 0) {
      source(i, 0);
      i++;
      continue;
    }
    w.Literals(cur + literalFrom, uint32_t(i - literalFrom));
    w.Match(bestLen, bestDistance, bestOffset);
    (bestDistance ? cross : same) += bestLen;
    if (bestDistance) lastCrossDelta = start + i - bestFrom;
    // Later pixels may match into this one's middle: hash its positions too.
    const uint64_t hashStop = n >= 2 ? n - 2 : 0;
    for (uint64_t k = i; k < i + bestLen; k++) {
      if (k > i && k < hashStop) Store<uint64_t>(hashTable + size_t(Hash(cur + k)) * 8, start + k + 1);
      source(k, bestFrom + (k - i) + 1);
    }
    i += bestLen;
    literalFrom = i;
  }
  w.Literals(cur + literalFrom, uint32_t(n - literalFrom));
  for (uint64_t k = 0; k + 2 < n; k++) Store<uint64_t>(earlierTable + size_t(Hash(cur + k)) * 8, start + k + 1);

  Store<uint64_t>(entry(id), start);
  Store<uint32_t>(entry(id) + 8, uint32_t(n));
  Store<uint32_t>(entry(id) + 12, image.width);
  Store<uint64_t>(dict + kNextId, id + 1);
  Store<uint64_t>(dict + kNextPosition, end);
  Store<uint64_t>(dict + kOldestId, oldest);
  Store<uint64_t>(dict + kCrossPixels, Load<uint64_t>(dict + kCrossPixels) + cross);
  Store<uint64_t>(dict + kSamePixels, Load<uint64_t>(dict + kSamePixels) + same);
  Store<uint64_t>(dict + kLiteralPixels, Load<uint64_t>(dict + kLiteralPixels) + (n - cross - same));
  return size_t(w.at - out.data());
}
