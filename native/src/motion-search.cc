#include <cstdint>
#include "exports.h"
#include "pixel-args.h"

// The per-pixel loops of the QEMU bridge's move search (codecs/motion/moves.ts), in C++: with
// the graduality sampled before it (graduality.cc) they were a third of the bridge thread's CPU
// on the desktop workload (bench:profile perf), the JS mostly still in V8's baseline tier in
// bench:e2e's window. The TS side keeps the decisions; here are the scans.

namespace {

bool Wholes(const Napi::CallbackInfo& info, std::initializer_list<size_t> at, double* out) {
  size_t k = 0;
  for (size_t i : at)
    if (info.Length() <= i || !ArgWhole(info[i], &out[k++])) return false;
  return true;
}

constexpr uint32_t kHashBase = 0x01000193u;

// The hash of a run of `n` pixels (h * B + colour, 32 bits): the new picture's anchors
// (anchorHashes) and every run of the old one (rollingMatches, which rolls it along a row) must
// hash alike, so both take it from here.
inline uint32_t RunHash(const uint32_t* p, size_t n) {
  uint32_t h = 0;
  for (size_t i = 0; i < n; i++) h = h * kHashBase + (p[i] & kRgb);
  return h;
}

// anchorHashes(words, starts: Int32Array, count, anchor, out: Int32Array): the hash of the run of
// `anchor` pixels from each of the first `count` word offsets in `starts`, into out.
Napi::Value AnchorHashes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array w;
  double n[2];
  bool ok = info.Length() >= 5 && ArgWords(info[0], &w) && IsTypedArrayOf(info[1], napi_int32_array) && Wholes(info, {2, 3}, n) &&
            IsTypedArrayOf(info[4], napi_int32_array);
  if (!ok) {
    Napi::TypeError::New(env, "expected (words: Uint32Array, starts: Int32Array, count, anchor, out: Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array startsArg = info[1].As<Napi::Int32Array>();
  Napi::Int32Array out = info[4].As<Napi::Int32Array>();
  const double count = n[0], anchor = n[1];
  if (count > double(startsArg.ElementLength()) || count > double(out.ElementLength())) {
    Napi::RangeError::New(env, "anchorHashes: count is beyond starts or out").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int32_t* starts = startsArg.Data();
  const double words = double(w.ElementLength());
  for (size_t i = 0; i < size_t(count); i++)
    if (starts[i] < 0 || double(starts[i]) + anchor > words) {
      Napi::RangeError::New(env, "anchorHashes: a run is outside the words").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  int32_t* o = out.Data();
  for (size_t i = 0; i < size_t(count); i++) o[i] = int32_t(RunHash(w.Data() + starts[i], size_t(anchor)));
  return env.Undefined();
}

// rollingMatches(words, stride, x, y, width, height, anchor, seen: Uint8Array(65536), fromRow,
// out: Int32Array): the hash of every run of `anchor` pixels in the box's rows from `fromRow` on
// (RunHash), rolled along each row; where seen[h & 0xffff] is set, (x, y, h) goes into out from
// out[1], their count in out[0]. Stops before a row that might not fit; returns the row to go on
// from (height when done).
Napi::Value RollingMatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array w;
  double n[7];
  bool ok = info.Length() >= 10 && ArgWords(info[0], &w) && Wholes(info, {1, 2, 3, 4, 5, 6, 8}, n) &&
            IsTypedArrayOf(info[7], napi_uint8_array) && IsTypedArrayOf(info[9], napi_int32_array);
  if (!ok) {
    Napi::TypeError::New(env, "expected (words: Uint32Array, stride, x, y, width, height, anchor, seen: Uint8Array, fromRow, out: Int32Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double stride = n[0], x = n[1], y = n[2], width = n[3], height = n[4], anchor = n[5], fromRow = n[6];
  Napi::Uint8Array seen = info[7].As<Napi::Uint8Array>();
  Napi::Int32Array out = info[9].As<Napi::Int32Array>();
  const double perRow = width >= anchor ? width - anchor + 1 : 0;
  if (!RowsFit(double(w.ElementLength()), y * stride + x, stride, width, height) || seen.ElementLength() != 65536 || anchor < 1 ||
      double(out.ElementLength()) < 1 + 3 * perRow) {
    Napi::RangeError::New(env, "rollingMatches: the rows, the filter or out do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t topPower = 1;
  for (double i = 1; i < anchor; i++) topPower *= kHashBase;
  const uint32_t* words = w.Data();
  const uint8_t* filter = seen.Data();
  int32_t* o = out.Data();
  const size_t capacity = out.ElementLength();
  size_t used = 1;
  size_t row = size_t(fromRow);
  const size_t a = size_t(anchor), cols = size_t(width);
  for (; row < size_t(height) && perRow > 0; row++) {
    if (used + 3 * size_t(perRow) > capacity) break;
    const uint32_t* p = words + size_t((y + double(row)) * stride + x);
    uint32_t h = RunHash(p, a);
    for (size_t c = 0;; c++) {
      if (filter[h & 0xffff]) {
        o[used++] = int32_t(c);
        o[used++] = int32_t(row);
        o[used++] = int32_t(h);
      }
      if (c + a >= cols) break;
      h = (h - (p[c] & kRgb) * topPower) * kHashBase + (p[c + a] & kRgb);
    }
  }
  o[0] = int32_t((used - 1) / 3);
  return Napi::Number::New(env, perRow > 0 ? double(row) : height);
}

// tileKinds(now, nowStride, nowX, nowY, old, oldStride, oldWidth, oldHeight, left, top, width,
// height, tile, offsets: Int32Array [dx, dy, ...], out: Int8Array): for each tile of the box
// (left, top, width, height in the old picture's coordinates; its new pixels in `now` from
// nowX, nowY), row by row: the first offset k whose source (the tile moved by it, inside the old
// picture) shows the tile's new pixels exactly, else -1; unchanged tiles -2, or -3 - k when
// offset k shows them too (moves.ts's kinds).
Napi::Value TileKinds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint32Array now, old;
  double n[11];
  bool ok = info.Length() >= 15 && ArgWords(info[0], &now) && ArgWords(info[4], &old) && Wholes(info, {1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12}, n) &&
            IsTypedArrayOf(info[13], napi_int32_array) && IsTypedArrayOf(info[14], napi_int8_array);
  if (!ok) {
    Napi::TypeError::New(env,
                         "expected (now: Uint32Array, nowStride, nowX, nowY, old: Uint32Array, oldStride, oldWidth, oldHeight, left, top, "
                         "width, height, tile, offsets: Int32Array, out: Int8Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double nowStride = n[0], nowX = n[1], nowY = n[2], oldStride = n[3], oldW = n[4], oldH = n[5], left = n[6], top = n[7],
               width = n[8], height = n[9], tile = n[10];
  Napi::Int32Array offsetsArg = info[13].As<Napi::Int32Array>();
  Napi::Int8Array out = info[14].As<Napi::Int8Array>();
  const double cols = tile >= 1 ? std::ceil(width / tile) : 0, tileRows = tile >= 1 ? std::ceil(height / tile) : 0;
  const size_t offsetCount = offsetsArg.ElementLength() / 2;
  if (tile < 1 || offsetCount > 120 || offsetsArg.ElementLength() % 2 != 0 || oldStride < oldW ||
      !RowsFit(double(now.ElementLength()), nowY * nowStride + nowX, nowStride, width, height) ||
      !RowsFit(double(old.ElementLength()), 0, oldStride, oldW, oldH) || left + width > oldW || top + height > oldH ||
      double(out.ElementLength()) < cols * tileRows) {
    Napi::RangeError::New(env, "tileKinds: the box, the pictures or out do not fit").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint32_t* nw = now.Data();
  const uint32_t* ow = old.Data();
  const int32_t* offsets = offsetsArg.Data();
  int8_t* kinds = out.Data();
  const int64_t T = int64_t(tile), W = int64_t(width), H = int64_t(height), L = int64_t(left), Tp = int64_t(top);
  const int64_t sw = int64_t(oldW), sh = int64_t(oldH);
  const size_t ns = size_t(nowStride), os = size_t(oldStride);
  // Whether the tile's new pixels (box coordinates x, y) equal the old picture's at sx, sy.
  auto same = [&](int64_t x, int64_t y, int64_t w, int64_t h, int64_t sx, int64_t sy) {
    const uint32_t* p = nw + size_t(nowY + double(y)) * ns + size_t(nowX) + size_t(x);
    return SameColours(p, ns, ow + size_t(sy) * os + size_t(sx), os, size_t(w), size_t(h));
  };
  size_t k = 0;
  for (int64_t y = 0; y < H; y += T) {
    const int64_t h = y + T <= H ? T : H - y;
    for (int64_t x = 0; x < W; x += T, k++) {
      const int64_t w = x + T <= W ? T : W - x;
      const int64_t tl = L + x, tt = Tp + y;
      int by = -1;
      for (size_t o = 0; o < offsetCount && by < 0; o++) {
        const int64_t sx = tl + offsets[2 * o], sy = tt + offsets[2 * o + 1];
        if (sx < 0 || sy < 0 || sx + w > sw || sy + h > sh) continue;
        if (same(x, y, w, h, sx, sy)) by = int(o);
      }
      if (same(x, y, w, h, tl, tt)) kinds[k] = int8_t(by >= 0 ? -3 - by : -2);
      else kinds[k] = int8_t(by);
    }
  }
  return env.Undefined();
}

}  // namespace

void InitMotionSearch(Napi::Env env, Napi::Object exports) {
  exports.Set("anchorHashes", Napi::Function::New(env, AnchorHashes, "anchorHashes"));
  exports.Set("rollingMatches", Napi::Function::New(env, RollingMatches, "rollingMatches"));
  exports.Set("tileKinds", Napi::Function::New(env, TileKinds, "tileKinds"));
}
