#include <sasl/sasl.h>
#include <cstring>
#include <mutex>
#include <string>
#include "exports.h"

// The server side of SASL authentication (cyrus-sasl) for the link stage: one SaslServer per
// connection, as spice-server makes one sasl_conn_t per RedStream. The exchange itself (lengths,
// the continue byte, limits) is in actors/server/sasl-exchange.ts; this file only calls libsasl2
// and copies what it returns, checking every length.
//
// Threads: sasl_server_init is not thread-safe and loads the plug-ins once for the whole
// process. The server actor is the only caller of anything here, on its one thread; call_once
// keeps a restarted server actor (a new thread, the same process) from initialising again.

namespace {

// As spice-server: the service name, and the application name whose config file
// (spice.conf, in /etc/sasl2 or the directories of SASL_CONF_PATH) cyrus-sasl reads.
constexpr const char* kName = "spice";
// Bounds on what crosses this file in either direction; the exchange has tighter ones.
constexpr size_t kMaxMechanism = 100;
constexpr size_t kMaxData = 64 * 1024;
constexpr size_t kMaxAddress = 128;

int InitOnce() {
  static std::once_flag once;
  static int result = SASL_FAIL;
  std::call_once(once, [] { result = sasl_server_init(nullptr, kName); });
  return result;
}

void ThrowSasl(Napi::Env env, const char* what, int code, const char* detail) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + (detail != nullptr ? detail : sasl_errstring(code, nullptr, nullptr)));
  e.Set("saslCode", Napi::Number::New(env, code));
  e.ThrowAsJavaScriptException();
}

// Argument `i` as an "ip;port" string, or null for none (a unix socket).
bool ArgAddress(const Napi::CallbackInfo& info, size_t i, std::string* out, bool* given) {
  *given = false;
  if (info[i].IsNull()) return true;
  if (!info[i].IsString()) {
    Napi::TypeError::New(info.Env(), "an address is an \"ip;port\" string or null").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->size() > kMaxAddress || out->find('\0') != std::string::npos) {
    Napi::RangeError::New(info.Env(), "address too long").ThrowAsJavaScriptException();
    return false;
  }
  *given = true;
  return true;
}

// Argument `i` as client data: null (no data, which SASL tells apart from empty) or bytes.
bool ArgData(const Napi::CallbackInfo& info, size_t i, std::string* out, bool* given) {
  *given = false;
  if (info.Length() <= i || info[i].IsNull()) return true;
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(info.Env(), "client data is a Uint8Array or null").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array bytes = info[i].As<Napi::Uint8Array>();
  if (bytes.ByteLength() > kMaxData) {
    Napi::RangeError::New(info.Env(), "client data too long").ThrowAsJavaScriptException();
    return false;
  }
  // A std::string keeps a NUL after the bytes: some mechanisms read the input as a C string.
  out->assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  *given = true;
  return true;
}

class SaslServer : public Napi::ObjectWrap<SaslServer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SaslServer",
                       {InstanceMethod<&SaslServer::Mechanisms>("mechanisms"), InstanceMethod<&SaslServer::Start>("start"),
                        InstanceMethod<&SaslServer::Step>("step"), InstanceMethod<&SaslServer::Username>("username"),
                        InstanceMethod<&SaslServer::Ssf>("ssf"), InstanceMethod<&SaslServer::Dispose>("dispose")});
  }

  // new SaslServer(localAddr | null, remoteAddr | null, externalSsf)
  explicit SaslServer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SaslServer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[2].IsNumber()) {
      Napi::TypeError::New(env, "new SaslServer(localAddr, remoteAddr, externalSsf)").ThrowAsJavaScriptException();
      return;
    }
    std::string local, remote;
    bool hasLocal, hasRemote;
    if (!ArgAddress(info, 0, &local, &hasLocal) || !ArgAddress(info, 1, &remote, &hasRemote)) return;
    int64_t external = info[2].As<Napi::Number>().Int64Value();
    if (external < 0 || external > 1024) {
      Napi::RangeError::New(env, "externalSsf must be 0..1024").ThrowAsJavaScriptException();
      return;
    }
    int rc = InitOnce();
    if (rc != SASL_OK) {
      ThrowSasl(env, "sasl_server_init", rc, nullptr);
      return;
    }
    rc = sasl_server_new(kName, nullptr, nullptr, hasLocal ? local.c_str() : nullptr, hasRemote ? remote.c_str() : nullptr, nullptr,
                         SASL_SUCCESS_DATA, &conn_);
    if (rc != SASL_OK) {
      conn_ = nullptr;
      ThrowSasl(env, "sasl_server_new", rc, nullptr);
      return;
    }
    // The transport's own strength (TLS), as spice-server passes SSL_get_cipher_bits.
    sasl_ssf_t ssf = static_cast<sasl_ssf_t>(external);
    rc = sasl_setprop(conn_, SASL_SSF_EXTERNAL, &ssf);
    if (rc == SASL_OK) {
      // No security layer (max_ssf 0): the link is over TLS and this server never runs
      // sasl_encode/sasl_decode, as spice-gtk asks over TLS.
      sasl_security_properties_t props;
      std::memset(&props, 0, sizeof props);
      props.maxbufsize = 8192;
      rc = sasl_setprop(conn_, SASL_SEC_PROPS, &props);
    }
    if (rc != SASL_OK) {
      ThrowSasl(env, "sasl_setprop", rc, sasl_errdetail(conn_));
      sasl_dispose(&conn_);
    }
  }

  ~SaslServer() override {
    if (conn_ != nullptr) sasl_dispose(&conn_);
  }

 private:
  bool Open(Napi::Env env) {
    if (conn_ != nullptr) return true;
    Napi::Error::New(env, "SaslServer: disposed").ThrowAsJavaScriptException();
    return false;
  }

  // The mechanisms on offer, comma-wrapped (",A,B,") as spice-server sends them.
  Napi::Value Mechanisms(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    const char* list = nullptr;
    unsigned len = 0;
    int rc = sasl_listmech(conn_, nullptr, ",", ",", ",", &list, &len, nullptr);
    if (rc != SASL_OK || list == nullptr) {
      ThrowSasl(env, "sasl_listmech", rc, sasl_errdetail(conn_));
      return env.Undefined();
    }
    return Napi::String::New(env, list, len);
  }

  // start(mechanism, data | null) -> { done, out: Uint8Array | null }; a refusal throws.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsString()) {
      Napi::TypeError::New(env, "start(mechanism, data)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string mechanism = info[0].As<Napi::String>().Utf8Value();
    if (mechanism.empty() || mechanism.size() > kMaxMechanism || mechanism.find('\0') != std::string::npos) {
      Napi::RangeError::New(env, "mechanism name of 1..100 bytes").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string data;
    bool given;
    if (!ArgData(info, 1, &data, &given)) return env.Undefined();
    const char* out = nullptr;
    unsigned outLen = 0;
    int rc = sasl_server_start(conn_, mechanism.c_str(), given ? data.c_str() : nullptr, static_cast<unsigned>(data.size()), &out, &outLen);
    return Reply(env, "sasl_server_start", rc, out, outLen);
  }

  // step(data | null) -> { done, out: Uint8Array | null }; a refusal throws.
  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    std::string data;
    bool given;
    if (!ArgData(info, 0, &data, &given)) return env.Undefined();
    const char* out = nullptr;
    unsigned outLen = 0;
    int rc = sasl_server_step(conn_, given ? data.c_str() : nullptr, static_cast<unsigned>(data.size()), &out, &outLen);
    return Reply(env, "sasl_server_step", rc, out, outLen);
  }

  Napi::Value Reply(Napi::Env env, const char* what, int rc, const char* out, unsigned outLen) {
    if (rc != SASL_OK && rc != SASL_CONTINUE) {
      ThrowSasl(env, what, rc, sasl_errdetail(conn_));
      return env.Undefined();
    }
    if (outLen > kMaxData || (outLen > 0 && out == nullptr)) {
      ThrowSasl(env, what, SASL_BUFOVER, "the mechanism's reply is too long");
      return env.Undefined();
    }
    Napi::Object reply = Napi::Object::New(env);
    reply.Set("done", Napi::Boolean::New(env, rc == SASL_OK));
    reply.Set("out", outLen > 0 ? Napi::Value(Napi::Buffer<char>::Copy(env, out, outLen)) : env.Null());
    return reply;
  }

  // The authenticated user, once start/step has said done.
  Napi::Value Username(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    const void* value = nullptr;
    int rc = sasl_getprop(conn_, SASL_USERNAME, &value);
    if (rc != SASL_OK || value == nullptr) return env.Null();
    const char* name = static_cast<const char*>(value);
    return Napi::String::New(env, name, strnlen(name, 1024));
  }

  // The negotiated security layer's strength (0: none).
  Napi::Value Ssf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Open(env)) return env.Undefined();
    const void* value = nullptr;
    int rc = sasl_getprop(conn_, SASL_SSF, &value);
    if (rc != SASL_OK || value == nullptr) {
      ThrowSasl(env, "sasl_getprop(SASL_SSF)", rc, sasl_errdetail(conn_));
      return env.Undefined();
    }
    return Napi::Number::New(env, *static_cast<const sasl_ssf_t*>(value));
  }

  // Frees the connection now rather than at garbage collection; later calls throw.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (conn_ != nullptr) sasl_dispose(&conn_);
    return info.Env().Undefined();
  }

  sasl_conn_t* conn_ = nullptr;
};

}  // namespace

void InitSasl(Napi::Env env, Napi::Object exports) {
  exports.Set("SaslServer", SaslServer::Define(env));
}
