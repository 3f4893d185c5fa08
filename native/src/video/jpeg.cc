#include <turbojpeg.h>
#include <string>
#include <vector>
#include "../exports.h"
#include "../pixel-args.h"
#include "decoded.h"

// JPEG with libjpeg-turbo's TurboJPEG API: the MJPEG stream codec (every frame a complete JPEG)
// and still images. Baseline, 4:2:0, fast integer DCT: what spice-server's MJPEG encoder makes
// (JDCT_IFAST), and what spice-gtk's libjpeg and browsers decode. A TurboJPEG handle is not
// thread-safe, so each thread has its own pair, freed when the thread ends.

namespace {

// A TurboJPEG handle is not reset after an error (libjpeg-turbo 2.1 leaves it mid-decode, and
// every later call then fails too), so a failed call's handle is replaced.
struct Handles {
  tjhandle compress = tjInitCompress();
  tjhandle decompress = tjInitDecompress();
  ~Handles() {
    if (compress != nullptr) tjDestroy(compress);
    if (decompress != nullptr) tjDestroy(decompress);
  }
};

Handles& ThreadHandles() {
  thread_local Handles handles;
  return handles;
}

// Throws the handle's error, then replaces the handle.
Napi::Value Fail(Napi::Env env, tjhandle* handle, tjhandle (*fresh)(), const char* what) {
  Napi::Error::New(env, std::string(what) + ": " + tjGetErrorStr2(*handle)).ThrowAsJavaScriptException();
  if (*handle != nullptr) tjDestroy(*handle);
  *handle = fresh();
  return env.Undefined();
}

// (pixels, width, height, stride, quality 1..100) -> the JPEG in an ArrayBuffer of its own.
Napi::Value EncodeJpeg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PixelRows rows;
  if (!ArgPixelRows(info, 0, &rows)) return env.Undefined();
  if (info.Length() < 5 || !info[4].IsNumber()) {
    Napi::TypeError::New(env, "expected a quality").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int quality = info[4].As<Napi::Number>().Int32Value();
  if (quality < 1 || quality > 100 || rows.width > 65535 || rows.height > 65535 || rows.stride > 0x7fffffff) {
    Napi::RangeError::New(env, "JPEG: quality 1..100, at most 65535x65535 pixels").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  tjhandle& handle = ThreadHandles().compress;
  if (handle == nullptr) return Fail(env, &handle, tjInitCompress, "tjInitCompress");
  // Into a thread's scratch of the worst-case size, so TurboJPEG never reallocates.
  thread_local std::vector<unsigned char> scratch;
  unsigned long capacity = tjBufSize(int(rows.width), int(rows.height), TJSAMP_420);
  if (scratch.size() < capacity) scratch.resize(capacity);
  unsigned char* out = scratch.data();
  unsigned long size = capacity;
  if (tjCompress2(handle, rows.pixels, int(rows.width), int(rows.stride), int(rows.height), TJPF_BGRX, &out, &size, TJSAMP_420, quality,
                  TJFLAG_FASTDCT | TJFLAG_NOREALLOC) != 0)
    return Fail(env, &handle, tjInitCompress, "JPEG encode");
  return CopyOut(env, out, size);
}

// (jpeg: Uint8Array) -> { width, height, pixels: B,G,R,X rows width * 4 bytes apart, X = 0 }.
Napi::Value DecodeJpeg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array data;
  if (!ArgBytes(info, 0, &data)) return env.Undefined();
  tjhandle& handle = ThreadHandles().decompress;
  if (handle == nullptr) return Fail(env, &handle, tjInitDecompress, "tjInitDecompress");
  int width, height, subsampling, colorspace;
  if (data.ByteLength() > 0x7fffffff ||
      tjDecompressHeader3(handle, data.Data(), (unsigned long)data.ByteLength(), &width, &height, &subsampling, &colorspace) != 0)
    return Fail(env, &handle, tjInitDecompress, "JPEG header");
  Napi::ArrayBuffer pixels;
  if (!NewPicture(env, uint32_t(width), uint32_t(height), &pixels)) return env.Undefined();
  uint8_t* out = static_cast<uint8_t*>(pixels.Data());
  // A warning (a truncated or damaged file) is an error here: a partial picture is not a frame.
  if (tjDecompress2(handle, data.Data(), (unsigned long)data.ByteLength(), out, width, width * 4, height, TJPF_BGRX, TJFLAG_STOPONWARNING) != 0)
    return Fail(env, &handle, tjInitDecompress, "JPEG decode");
  for (size_t i = 3; i < pixels.ByteLength(); i += 4) out[i] = 0;
  return Decoded(env, uint32_t(width), uint32_t(height), pixels);
}

}  // namespace

void InitJpeg(Napi::Env env, Napi::Object exports) {
  exports.Set("encodeJpeg", Napi::Function::New(env, EncodeJpeg, "encodeJpeg"));
  exports.Set("decodeJpeg", Napi::Function::New(env, DecodeJpeg, "decodeJpeg"));
}
