#include "exports.h"
#include "pixel-args.h"

// spice-server's graduality walk (codecs/image/graduality.ts) in C++: it runs on every update the
// QEMU bridge plans moves for and every image auto-compressed, and in JS it was the largest
// function of the bridge's thread after the move search (bench:profile perf, desktop).

namespace {

// The score of the B,G,R of two pixels at byte offsets a and b: the same (+0.5), contrasting by
// 60 or more in a channel (+1), slightly different (-0.25).
inline double PairScore(const uint8_t* px, size_t a, size_t b) {
  bool different = false;
  for (size_t c = 0; c < 3; c++) {
    const int d = int(px[a + c]) - int(px[b + c]);
    if (d <= -60 || d >= 60) return 1.0;
    if (d != 0) different = true;
  }
  return different ? -0.25 : 0.5;
}

// gradualityScore(pixels: Uint8Array, width, height, stride, jump): the mean pair score of the
// 2x2 squares every `jump` pixels, the walk of graduality.ts (a square needing a right neighbour
// moves one left, and the walk goes on from there). Width or height 1 scores 1.
Napi::Value GradualityScore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PixelRows rows;
  if (!ArgPixelRows(info, 0, &rows)) return env.Undefined();
  double jump;
  if (info.Length() < 5 || !ArgWhole(info[4], &jump) || jump < 1) {
    Napi::TypeError::New(env, "expected (pixels, width, height, stride, jump >= 1)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t width = rows.width, height = rows.height, step = int64_t(jump);
  if (width <= 1 || height <= 1) return Napi::Number::New(env, 1);
  const size_t stride = rows.stride;
  const int64_t lastRow = (height - 1) * width;
  double sum = 0;
  double samples = 0;
  for (int64_t i = width >> 1; i < lastRow; i += step) {
    if ((i + 1) % width == 0) i--;
    const size_t p = size_t(i / width) * stride + size_t(i % width) * 4;
    const double right = PairScore(rows.pixels, p, p + 4);
    const double down = PairScore(rows.pixels, p, p + stride);
    const double diagonal = PairScore(rows.pixels, p, p + stride + 4);
    if (right != 0.5 || down != 0.5 || diagonal != 0.5) sum += right + down + diagonal;
    samples++;
  }
  return Napi::Number::New(env, sum / (samples * 3));
}

}  // namespace

void InitGraduality(Napi::Env env, Napi::Object exports) {
  exports.Set("gradualityScore", Napi::Function::New(env, GradualityScore, "gradualityScore"));
}
