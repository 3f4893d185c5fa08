#include "exports.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitFds(env, exports);
  InitShm(env, exports);
  InitEventfd(env, exports);
  InitUnixSocket(env, exports);
  return exports;
}

// Context-aware: the addon is loaded by every worker thread that needs it.
NODE_API_MODULE(spice_native, Init)
