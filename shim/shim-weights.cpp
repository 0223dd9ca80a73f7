// shim-weights.cpp — named tensors from model.safetensors (memory-mapped)
// or pytorch_model.bin (torch's zip format, read into memory).
#include "shim-private.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace lk {

namespace {

bool
ends_with (const std::string &s, const char *suffix)
{
  size_t n = strlen (suffix);
  return s.size () >= n && s.compare (s.size () - n, n, suffix) == 0;
}

Weights
load_safetensors (const std::string &path)
{
  Weights w;
  w.path = path;
  w.map = std::make_shared<MappedFile> (path);
  w.tensors = safetensors_parse ((const uint8_t *) w.map->data, w.map->size, path, w.map);
  return w;
}

Weights
load_pickle (const std::string &path)
{
  std::ifstream in (path, std::ios::binary);
  if (!in)
    fail (LK_SHIM_ERROR_IO, "%s: cannot open", path.c_str ());
  std::vector<char> bytes ((std::istreambuf_iterator<char> (in)), std::istreambuf_iterator<char> ());
  if (bytes.size () < 4 || bytes[0] != 'P' || bytes[1] != 'K')
    fail (LK_SHIM_ERROR_FORMAT, "%s: not a zip archive; only the zip format of torch.save (PyTorch ≥ 1.6) is read", path.c_str ());
  c10::IValue v;
  try
    {
      v = torch::pickle_load (bytes);
    }
  catch (const c10::Error &e)
    {
      fail (LK_SHIM_ERROR_FORMAT, "%s: cannot read the pickled state dict: %s", path.c_str (), e.what_without_backtrace ());
    }
  if (!v.isGenericDict ())
    fail (LK_SHIM_ERROR_FORMAT, "%s: expected a state dict (name → tensor), got %s", path.c_str (), v.tagKind ().c_str ());
  Weights w;
  w.path = path;
  for (const auto &item : v.toGenericDict ())
    if (item.key ().isString () && item.value ().isTensor ())
      w.tensors.emplace (item.key ().toStringRef (), item.value ().toTensor ());
  return w;
}

} // namespace

Weights
load_weights (const std::string &path)
{
  if (ends_with (path, ".safetensors"))
    return load_safetensors (path);
  if (ends_with (path, ".bin") || ends_with (path, ".pt") || ends_with (path, ".pth"))
    return load_pickle (path);
  fail (LK_SHIM_ERROR_UNSUPPORTED, "%s: unknown weights format (expected .safetensors or pytorch_model.bin)", path.c_str ());
}

} // namespace lk
