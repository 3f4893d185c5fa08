#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h>
#include "errors.h"
#include "exports.h"

// Wake-ups across threads and processes: an eventfd is signalled by whoever produced work, and a
// Poller watches it (or any readable fd) from the calling thread's libuv loop, so the consumer
// sleeps in epoll with its event loop free. Atomics.wait cannot do this across processes.

static Napi::Value EventfdCreate(const Napi::CallbackInfo& info) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return ThrowErrno(info.Env(), "eventfd");
  return Napi::Number::New(info.Env(), fd);
}

// Adds 1 to the counter. A saturated counter (EAGAIN) is still readable, so the wake-up stands.
static Napi::Value EventfdSignal(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, &fd)) return info.Env().Undefined();
  uint64_t one = 1;
  ssize_t n;
  do n = write(fd, &one, sizeof one);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN) return ThrowErrno(info.Env(), "eventfd write");
  return info.Env().Undefined();
}

namespace {

class Poller;

// The libuv half of a Poller. It outlives the JS object until uv_close has called back, and it is
// closed at the latest when the environment (the thread) is torn down, before libuv's loop goes.
struct PollHandle {
  uv_poll_t poll;
  int fd = -1;  // our own duplicate, so the caller may close theirs at any time
  bool drain_eventfd = false;
  Poller* owner = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
};

void OnClosed(uv_handle_t* h) {
  PollHandle* p = static_cast<PollHandle*>(h->data);
  close(p->fd);
  if (p->hook != nullptr) napi_remove_async_cleanup_hook(p->hook);
  delete p;
}

void BeginClose(PollHandle* p) {
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&p->poll);
  if (!uv_is_closing(h)) uv_close(h, OnClosed);
}

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod<&Poller::Start>("start"), InstanceMethod<&Poller::Stop>("stop"),
                        InstanceMethod<&Poller::Close>("close")});
  }

  // new Poller(fd, drainEventfd, callback(error | undefined, count))
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info), context_(info.Env(), "Poller") {
    Napi::Env env = info.Env();
    int fd;
    if (!ArgFd(info, 0, &fd)) return;
    if (info.Length() < 3 || !info[1].IsBoolean() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "new Poller(fd, drainEventfd, callback)").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "Poller: no event loop").ThrowAsJavaScriptException();
      return;
    }
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
      ThrowErrno(env, "dup");
      return;
    }
    PollHandle* p = new PollHandle;
    p->fd = own;
    p->drain_eventfd = info[1].As<Napi::Boolean>().Value();
    int rc = uv_poll_init(loop, &p->poll, own);
    if (rc != 0) {  // nothing registered with the loop yet
      close(own);
      delete p;
      Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return;
    }
    p->poll.data = p;
    if (napi_add_async_cleanup_hook(env, OnTeardown, p, &p->hook) != napi_ok) {
      p->hook = nullptr;
      BeginClose(p);
      Napi::Error::New(env, "Poller: cannot register cleanup").ThrowAsJavaScriptException();
      return;
    }
    p->owner = this;
    handle_ = p;
    callback_ = Napi::Persistent(info[2].As<Napi::Function>());
  }

  ~Poller() override { Detach(); }

 private:
  // Environment teardown: the JS side is going away, close the handle while the loop still runs.
  static void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
    PollHandle* p = static_cast<PollHandle*>(arg);
    if (p->owner != nullptr) p->owner->handle_ = nullptr;
    p->owner = nullptr;
    BeginClose(p);
  }

  static void OnPoll(uv_poll_t* h, int status, int) {
    PollHandle* p = static_cast<PollHandle*>(h->data);
    if (p->owner == nullptr) return;
    uint64_t count = 1;
    int err = 0;
    if (status < 0) {
      err = status;
    } else if (p->drain_eventfd) {
      ssize_t n;
      do n = read(p->fd, &count, sizeof count);
      while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // another reader drained it
      if (n < 0) err = uv_translate_sys_error(errno);
      else if (n != static_cast<ssize_t>(sizeof count)) err = UV_EIO;
    }
    if (err != 0) p->owner->StopPolling();  // a broken fd would fire forever
    p->owner->Deliver(err, err != 0 ? 0 : count);
  }

  void Deliver(int err, uint64_t count) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    napi_value error = env.Undefined();
    if (err != 0) error = Napi::Error::New(env, std::string("Poller: ") + uv_strerror(err)).Value();
    napi_value args[2] = {error, Napi::Number::New(env, static_cast<double>(count))};
    napi_value result;
    // The C call, not node-addon-api's wrapper: that one aborts the process when it cannot rethrow,
    // as happens while a worker is being terminated.
    if (napi_make_callback(env, context_, Value(), callback_.Value(), 2, args, &result) == napi_ok) return;
    // An exception in the callback is the thread's uncaught exception, as for any I/O callback;
    // with none pending, the thread is terminating and there is nobody to tell.
    bool pending = false;
    napi_value exception;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &exception) == napi_ok) {
      napi_fatal_exception(env, exception);
    }
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (handle_ == nullptr) {
      Napi::Error::New(info.Env(), "Poller is closed").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    int rc = uv_poll_start(&handle_->poll, UV_READABLE, OnPoll);
    if (rc != 0) {
      Napi::Error::New(info.Env(), std::string("uv_poll_start: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (!active_) {
      Ref();  // an active poller stays alive with nobody holding it, like any libuv handle
      active_ = true;
    }
    return info.Env().Undefined();
  }

  void StopPolling() {
    if (handle_ != nullptr) uv_poll_stop(&handle_->poll);
    if (active_) {
      Unref();
      active_ = false;
    }
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopPolling();
    Detach();
    return info.Env().Undefined();
  }

  void Detach() {
    if (handle_ == nullptr) return;
    handle_->owner = nullptr;
    BeginClose(handle_);
    handle_ = nullptr;
  }

  PollHandle* handle_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
  bool active_ = false;
};

}  // namespace

void InitEventfd(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfdCreate", Napi::Function::New(env, EventfdCreate, "eventfdCreate"));
  exports.Set("eventfdSignal", Napi::Function::New(env, EventfdSignal, "eventfdSignal"));
  exports.Set("Poller", Poller::Define(env));
}
