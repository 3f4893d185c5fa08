#include <fcntl.h>
#include <unistd.h>
#include "errors.h"
#include "exports.h"

// dup(fd) with close-on-exec: how a socket accepted on one thread is adopted by another
// (node has no JS way to duplicate a socket fd).
static Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return info.Env().Undefined();
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ThrowErrno(info.Env(), "dup");
  return Napi::Number::New(info.Env(), copy);
}

static Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return info.Env().Undefined();
  if (close(fd) < 0) return ThrowErrno(info.Env(), "close");
  return info.Env().Undefined();
}

void InitFds(Napi::Env env, Napi::Object exports) {
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
}
