#include <pthread.h>
#include <string>
#include "exports.h"

// Names the calling thread as `ps -T`, `top -H` and /proc/PID/task/TID/comm show it, so that an
// actor's CPU can be told apart from its neighbours' (node names every thread "node"). Linux
// keeps 15 bytes; a longer name is cut.
static Napi::Value SetThreadName(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "name must be a string").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value().substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
  return info.Env().Undefined();
}

void InitThread(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreadName", Napi::Function::New(env, SetThreadName, "setThreadName"));
}
