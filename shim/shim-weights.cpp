// shim-weights.cpp — named tensors from model.safetensors (memory-mapped)
// or pytorch_model.bin (torch's zip format, read into memory).
#include "shim-private.h"
#include "shim-zip.h"

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
  check_zip ((const unsigned char *) bytes.data (), bytes.size (), path);
  c10::IValue v;
  try
    {
      v = torch::pickle_load (bytes);
    }
  catch (const c10::Error &e)
    {
      fail (LK_SHIM_ERROR_FORMAT, "%s: cannot read the pickled state dict: %s", path.c_str (), e.what_without_backtrace ());
    }
  catch (const std::bad_alloc &)
    {
      // libtorch's unpickler reserves what a length field declares before reading it.
      fail (LK_SHIM_ERROR_FORMAT, "%s: the pickled state dict declares a record larger than memory allows "
            "(the file is %zu bytes): it is damaged or not a torch.save file", path.c_str (), bytes.size ());
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

WeightLoader::WeightLoader (Weights &w, const char *anchor, torch::Device device, const char *what)
  : w_ (w), device_ (device)
{
  if (w_.tensors.count (anchor))
    return;
  size_t n = strlen (anchor);
  for (const auto &kv : w_.tensors)
    if (kv.first.size () > n && kv.first.compare (kv.first.size () - n, n, anchor) == 0)
      {
        prefix_ = kv.first.substr (0, kv.first.size () - n);
        return;
      }
  fail (LK_SHIM_ERROR_MISSING_WEIGHT, "%s: no tensor named '%s': %s", w_.path.c_str (), anchor, what);
}

torch::Tensor
WeightLoader::get (const std::string &name, std::vector<int64_t> shape)
{
  auto it = w_.tensors.find (prefix_ + name);
  if (it == w_.tensors.end ())
    fail (LK_SHIM_ERROR_MISSING_WEIGHT, "%s: missing tensor '%s%s'", w_.path.c_str (), prefix_.c_str (), name.c_str ());
  const torch::Tensor &t = it->second;
  if (t.sizes () != c10::IntArrayRef (shape))
    {
      std::string want, got;
      for (auto s : shape) want += std::to_string (s) + " ";
      for (auto s : t.sizes ()) got += std::to_string (s) + " ";
      fail (LK_SHIM_ERROR_MISSING_WEIGHT, "%s: tensor '%s%s' has shape [ %s] but the config implies [ %s]",
            w_.path.c_str (), prefix_.c_str (), name.c_str (), got.c_str (), want.c_str ());
    }
  if (!t.is_floating_point ())
    fail (LK_SHIM_ERROR_UNSUPPORTED, "%s: tensor '%s' is not floating point", w_.path.c_str (), name.c_str ());
  // Compute in float32 whatever the storage dtype; views of the map stay views on the CPU.
  return t.to (device_, torch::kFloat32);
}

} // namespace lk
