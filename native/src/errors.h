#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

// Throws a JS Error naming the call and errno's text; returns an empty value for the caller to return.
inline Napi::Value ThrowErrno(Napi::Env env, const char* what, int err = errno) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reads argument `i` as a non-negative int32 fd, or throws a TypeError.
inline bool ArgFd(const Napi::CallbackInfo& info, size_t i, int* fd) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "expected an fd number").ThrowAsJavaScriptException();
    return false;
  }
  int v = info[i].As<Napi::Number>().Int32Value();
  if (v < 0) {
    Napi::RangeError::New(info.Env(), "fd must be >= 0").ThrowAsJavaScriptException();
    return false;
  }
  *fd = v;
  return true;
}
