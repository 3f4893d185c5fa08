#include <node.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errors.h"
#include "exports.h"

// Shared memory as a SharedArrayBuffer. Node 20's N-API cannot create one, so this part uses
// V8 directly (and ties the binary to the Node major it was built for).

static Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "memfdCreate(name, size)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  double size = info[1].As<Napi::Number>().DoubleValue();
  if (!(size > 0 && size <= 1ull << 40)) {
    Napi::RangeError::New(env, "memfd size must be 1 byte .. 1 TiB").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "memfd_create");
  if (ftruncate(fd, static_cast<off_t>(size)) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "ftruncate", err);
  }
  return Napi::Number::New(env, fd);
}

static void Unmap(void* data, size_t length, void*) { munmap(data, length); }

// mapShared(fd, size): the whole file mapped read-write and shared; the mapping lives as long
// as any SharedArrayBuffer (on any thread) refers to it, and is unmapped once after that.
static Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "mapShared(fd, size)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double size = info[1].As<Napi::Number>().DoubleValue();
  struct stat st;
  if (fstat(fd, &st) < 0) return ThrowErrno(env, "fstat");
  if (!(size > 0 && size <= static_cast<double>(st.st_size))) {
    Napi::RangeError::New(env, "mapShared: size must be > 0 and within the file").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t length = static_cast<size_t>(size);
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) return ThrowErrno(env, "mmap");
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::shared_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(data, length, Unmap, nullptr);
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(isolate, std::move(store));
  // Same conversion node's own v8impl::JsValueFromV8LocalValue does.
  napi_value value = reinterpret_cast<napi_value>(*sab);
  return Napi::Value(env, value);
}

void InitShm(Napi::Env env, Napi::Object exports) {
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("mapShared", Napi::Function::New(env, MapShared, "mapShared"));
}
