// shim-private.h — internals shared by the shim's translation units.
#pragma once

#include "likeness-shim.h"
#include "shim-error.h"

#include <torch/torch.h>

#include <cstdarg>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace lk {

// A read-only memory map of a whole file, shared by the tensors that view it.
struct MappedFile {
  void *data = nullptr;
  size_t size = 0;
  explicit MappedFile (const std::string &path);
  ~MappedFile ();
  MappedFile (const MappedFile &) = delete;
  MappedFile &operator= (const MappedFile &) = delete;
};

// Named tensors of one weights file (CPU, possibly viewing a memory map).
struct Weights {
  std::unordered_map<std::string, torch::Tensor> tensors;
  std::shared_ptr<MappedFile> map;
  std::string path;
};

// safetensors: parses and checks the header of data[0..size) (see
// shim-safetensors-header.h, which needs no libtorch) and returns CPU
// tensors viewing that memory; each tensor holds a reference to owner.
std::unordered_map<std::string, torch::Tensor>
safetensors_parse (const uint8_t *data, size_t size, const std::string &what,
                   std::shared_ptr<const void> owner);

// Loads model.safetensors (memory-mapped) or pytorch_model.bin (torch's zip format).
Weights load_weights (const std::string &path);

// Looks tensors up by name, under whatever prefix the checkpoint used
// ("bert.", "roberta.", "mpnet.", "0.auto_model.", "clip." …): the prefix is
// what stands before @anchor, a tensor every checkpoint of the architecture
// has; @what ends the error when there is none ("not a … checkpoint?").
// get() checks the shape and returns float32 on the device.
class WeightLoader {
public:
  WeightLoader (Weights &w, const char *anchor, torch::Device device, const char *what);
  torch::Tensor get (const std::string &name, std::vector<int64_t> shape);

protected:
  Weights &w_;
  torch::Device device_;
  std::string prefix_;
};

// The nodes α_k and weights w_k of a path integral over [0, 1] with n
// nodes: right Riemann (α = 1, 1 − 1/n, …, 1/n) or Gauss–Legendre.
struct Quadrature {
  std::vector<double> nodes, weights;
};
Quadrature path_quadrature (lk_shim_quadrature rule, int n);

// Abort/progress helpers for the long calls.
struct Run {
  const lk_shim_run_params *p;
  void progress (double f) const { if (p && p->progress) p->progress (f, p->user_data); }
  void check_abort () const
  {
    if (p && p->abort && p->abort (p->user_data))
      throw Error (LK_SHIM_ERROR_CANCELLED, "cancelled");
  }
};

// Installs the caching CPU allocator of shim-alloc.cpp (once; not under
// AddressSanitizer). Called before a model is loaded.
void install_cpu_allocator ();
// Frees the blocks that allocator keeps, after a long computation (an
// explanation), so that an idle app does not hold its peak memory.
void trim_cpu_cache ();
// Calls trim_cpu_cache when it goes out of scope, however the scope ends
// (a cancelled explanation too). Declare it before the tensors it outlives.
struct TrimCpuCacheOnExit {
  ~TrimCpuCacheOnExit () { trim_cpu_cache (); }
};

} // namespace lk

// Every extern "C" body runs inside this: no exception crosses into C.
#define LK_SHIM_GUARD(status, on_error, ...)                                   \
  try {                                                                        \
    __VA_ARGS__                                                                \
  } catch (const lk::Error &e_) {                                              \
    lk::status_set ((status), e_.code, e_.what ());                            \
    on_error;                                                                  \
  } catch (const c10::Error &e_) {                                             \
    lk::status_set ((status), LK_SHIM_ERROR_INTERNAL, e_.what_without_backtrace ()); \
    on_error;                                                                  \
  } catch (const std::bad_alloc &) {                                           \
    lk::status_set ((status), LK_SHIM_ERROR_INTERNAL, "out of memory");       \
    on_error;                                                                  \
  } catch (const std::exception &e_) {                                         \
    lk::status_set ((status), LK_SHIM_ERROR_INTERNAL, e_.what ());             \
    on_error;                                                                  \
  } catch (...) {                                                              \
    lk::status_set ((status), LK_SHIM_ERROR_INTERNAL, "unknown C++ exception"); \
    on_error;                                                                  \
  }
