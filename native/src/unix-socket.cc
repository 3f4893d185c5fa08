#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>
#include "errors.h"
#include "exports.h"

// File descriptors over AF_UNIX stream sockets (SCM_RIGHTS), as QEMU's D-Bus display uses to hand
// over a listener connection and shared memory. Node's net module cannot carry fds, nor make a
// socketpair.

static constexpr size_t kMaxFds = 253;  // SCM_MAX_FD: the kernel's limit per message

static void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

// socketpair(): two connected stream sockets, close-on-exec and non-blocking.
static Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) return ThrowErrno(env, "socketpair");
  Napi::Array pair = Napi::Array::New(env, 2);
  if (!pair.Set(0u, sv[0]) || !pair.Set(1u, sv[1])) {
    close(sv[0]);
    close(sv[1]);
    return env.Undefined();
  }
  return pair;
}

// Reads argument i as a Uint8Array (Buffers are ones) of at least one byte.
static bool ArgBytes(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* length) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(info.Env(), "expected a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array bytes = info[i].As<Napi::Uint8Array>();
  // A stream socket carries fds only along with data, and 0 bytes read means end of stream.
  if (bytes.ByteLength() == 0) {
    Napi::RangeError::New(info.Env(), "at least one byte is needed").ThrowAsJavaScriptException();
    return false;
  }
  *data = bytes.Data();
  *length = bytes.ByteLength();
  return true;
}

// sendFds(socket, data, fds): sendmsg without blocking; returns the bytes sent, 0 if the socket
// is full (nothing sent, fds not passed). The fds stay open here: the receiver gets duplicates.
static Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock;
  uint8_t* data;
  size_t length;
  if (!ArgFd(info, 0, &sock) || !ArgBytes(info, 1, &data, &length)) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsArray()) {
    Napi::TypeError::New(env, "sendFds(socket, data, fds)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = info[2].As<Napi::Array>();
  if (list.Length() > kMaxFds) {
    Napi::RangeError::New(env, "at most 253 fds per message").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int> fds;
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value v = list.Get(k);
    if (v.IsEmpty() || !v.IsNumber() || v.As<Napi::Number>().Int32Value() < 0) {
      if (!env.IsExceptionPending()) Napi::TypeError::New(env, "fds must be fd numbers").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    fds.push_back(v.As<Napi::Number>().Int32Value());
  }

  struct iovec iov = {data, length};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    const size_t payload = fds.size() * sizeof(int);
    control.assign(CMSG_SPACE(payload), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(payload);
    std::memcpy(CMSG_DATA(cmsg), fds.data(), payload);
  }
  ssize_t sent;
  do sent = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, 0);
    return ThrowErrno(env, "sendmsg");
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

// recvFds(socket, into): recvmsg without blocking into `into`; returns { bytes, fds } (bytes 0:
// the peer closed), or null if nothing is there yet. The caller owns the fds (close-on-exec).
static Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock;
  uint8_t* data;
  size_t length;
  if (!ArgFd(info, 0, &sock) || !ArgBytes(info, 1, &data, &length)) return env.Undefined();

  // Room for the most fds one message can carry, so no fd is ever dropped by truncation.
  alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))];
  struct iovec iov = {data, length};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    return ThrowErrno(env, "recvmsg");
  }

  std::vector<int> fds;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t k = 0; k < n; k++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    CloseAll(fds);
    Napi::Error::New(env, "recvmsg: control data truncated").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Array list = Napi::Array::New(env, fds.size());
  Napi::Object result = Napi::Object::New(env);
  bool ok = true;
  for (uint32_t k = 0; ok && k < fds.size(); k++) ok = list.Set(k, fds[k]);
  ok = ok && result.Set("bytes", static_cast<double>(got)) && result.Set("fds", list);
  if (!ok) {
    CloseAll(fds);
    return env.Undefined();
  }
  return result;
}

void InitUnixSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("sendFds", Napi::Function::New(env, SendFds, "sendFds"));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds, "recvFds"));
}
