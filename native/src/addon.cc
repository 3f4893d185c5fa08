#include <dlfcn.h>
#include <mutex>
#include "exports.h"

// Shared memory mappings are unmapped by a deleter in this library, which V8 may call when an
// isolate is torn down after node has closed the addon for that thread; if the library were
// unloaded by then, the call would jump into unmapped code. So it is never unloaded.
static void PinLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr) dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
  });
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  InitFds(env, exports);
  InitShm(env, exports);
  InitEventfd(env, exports);
  InitUnixSocket(env, exports);
  InitTcp(env, exports);
  InitThread(env, exports);
  InitImageEncoders(env, exports);
  InitSasl(env, exports);
  InitJpeg(env, exports);
  InitVp8(env, exports);
  InitH264(env, exports);
  InitOpus(env, exports);
  InitLz4Block(env, exports);
  InitRowCopy(env, exports);
  InitMotionRows(env, exports);
  InitContentHash(env, exports);
  InitMotionSearch(env, exports);
  InitGraduality(env, exports);
  return exports;
}

// Context-aware: the addon is loaded by every worker thread that needs it.
NODE_API_MODULE(spice_native, Init)
