#pragma once
#include <napi.h>

void InitFds(Napi::Env env, Napi::Object exports);
void InitShm(Napi::Env env, Napi::Object exports);
void InitEventfd(Napi::Env env, Napi::Object exports);
void InitUnixSocket(Napi::Env env, Napi::Object exports);
void InitTcp(Napi::Env env, Napi::Object exports);
void InitThread(Napi::Env env, Napi::Object exports);
void InitImageEncoders(Napi::Env env, Napi::Object exports);
void InitSasl(Napi::Env env, Napi::Object exports);
void InitJpeg(Napi::Env env, Napi::Object exports);
void InitVp8(Napi::Env env, Napi::Object exports);
void InitH264(Napi::Env env, Napi::Object exports);
void InitOpus(Napi::Env env, Napi::Object exports);
void InitLz4Block(Napi::Env env, Napi::Object exports);
void InitRowCopy(Napi::Env env, Napi::Object exports);
void InitMotionRows(Napi::Env env, Napi::Object exports);
void InitContentHash(Napi::Env env, Napi::Object exports);
void InitMotionSearch(Napi::Env env, Napi::Object exports);
void InitGraduality(Napi::Env env, Napi::Object exports);
