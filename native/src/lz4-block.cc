#include <lz4.h>
#include <vector>
#include "exports.h"
#include "pixel-args.h"

// Plain LZ4 blocks for the spicevmc channels' COMPRESSED_DATA (spice-server's spicevmc.cpp
// compresses with LZ4_compress_default and decompresses with LZ4_decompress_safe).

// (data) -> the compressed block, or null when it would not be smaller than the data.
static Napi::Value CompressLz4BlockJs(const Napi::CallbackInfo& info) {
  thread_local std::vector<char> scratch;
  Napi::Uint8Array data;
  if (!ArgBytes(info, 0, &data)) return info.Env().Undefined();
  if (data.ByteLength() == 0 || data.ByteLength() > size_t(LZ4_MAX_INPUT_SIZE)) return info.Env().Null();
  scratch.resize(size_t(LZ4_compressBound(int(data.ByteLength()))));
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(data.Data()), scratch.data(), int(data.ByteLength()), int(scratch.size()));
  if (n <= 0 || size_t(n) >= data.ByteLength()) return info.Env().Null();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<const uint8_t*>(scratch.data()), size_t(n));
}

// (block, size) -> exactly `size` bytes, or null when the block is malformed or decodes to another size.
static Napi::Value DecompressLz4BlockJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array block;
  if (!ArgBytes(info, 0, &block)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "expected (block, size)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t size = info[1].As<Napi::Number>().Int64Value();
  if (size <= 0 || size > LZ4_MAX_INPUT_SIZE || block.ByteLength() > size_t(LZ4_MAX_INPUT_SIZE)) return env.Null();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size_t(size));
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(block.Data()), reinterpret_cast<char*>(out.Data()), int(block.ByteLength()),
                                    int(size));
  if (n != size) return env.Null();
  return out;
}

void InitLz4Block(Napi::Env env, Napi::Object exports) {
  exports.Set("compressLz4Block", Napi::Function::New(env, CompressLz4BlockJs, "compressLz4Block"));
  exports.Set("decompressLz4Block", Napi::Function::New(env, DecompressLz4BlockJs, "decompressLz4Block"));
}
