// shim-error.h — the shim's error type and status helpers. No libtorch, so
// that torch-free parts (the safetensors header parser and its fuzzer) can
// use them.
#pragma once

#include "likeness-shim.h"

#include <stdexcept>
#include <string>

namespace lk {

// An error with a status code; the only exception type the shim throws on purpose.
struct Error : std::runtime_error {
  lk_shim_code code;
  Error (lk_shim_code c, const std::string &msg) : std::runtime_error (msg), code (c) {}
};

[[noreturn]] void fail (lk_shim_code code, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

// Copies @in into @out (@size bytes), control bytes and invalid UTF-8 as \xNN.
void escape_message (const char *in, char *out, size_t size);
void status_set (lk_shim_status *status, lk_shim_code code, const char *message);
void status_ok (lk_shim_status *status);

} // namespace lk
