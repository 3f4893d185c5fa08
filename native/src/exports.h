#pragma once
#include <napi.h>

void InitFds(Napi::Env env, Napi::Object exports);
void InitShm(Napi::Env env, Napi::Object exports);
