#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "errors.h"
#include "exports.h"

// TCP_NOTSENT_LOWAT: the socket stops taking writes while more than `bytes` wait unsent in the
// kernel. Without it the send buffer autotunes up to megabytes, and on a slow link a backlog of
// frames sits there, out of reach of the red-worker's pipe that would have dropped the
// overdrawn ones; with it the backlog stays in user space (node's write queue, then the pipe).
// Sent-but-unacknowledged data is not counted, so throughput still follows the congestion window.
static Napi::Value SetNotSentLowat(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(info.Env(), "bytes must be a number").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  int bytes = info[1].As<Napi::Number>().Int32Value();
  if (bytes < 0) {
    Napi::RangeError::New(info.Env(), "bytes must not be negative").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof bytes) < 0) return ThrowErrno(info.Env(), "setsockopt(TCP_NOTSENT_LOWAT)");
  return info.Env().Undefined();
}

void InitTcp(Napi::Env env, Napi::Object exports) {
  exports.Set("setNotSentLowat", Napi::Function::New(env, SetNotSentLowat, "setNotSentLowat"));
}
