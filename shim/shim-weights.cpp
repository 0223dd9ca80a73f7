// shim-weights.cpp — named tensors from model.safetensors (memory-mapped)
// or pytorch_model.bin (torch's zip format, read into memory).
#include "shim-private.h"
#include "shim-zip.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
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

const char *const zip_expected =
  "expected torch's zip format (torch.save of PyTorch ≥ 1.6: a zip archive whose data.pkl is pickle protocol 2); "
  "load it and save it again with torch.save, or convert it to model.safetensors";

[[noreturn]] void
not_zip (const std::string &path, const std::vector<char> &bytes)
{
  if (bytes.size () >= 2 && (unsigned char) bytes[0] == 0x80)
    fail (LK_SHIM_ERROR_FORMAT, "%s: a pickle of protocol %d, not a zip archive (torch.save's legacy format, or a "
          "plain pickle); %s", path.c_str (), (unsigned char) bytes[1], zip_expected);
  fail (LK_SHIM_ERROR_FORMAT, "%s: not a zip archive; %s", path.c_str (), zip_expected);
}

// libtorch 1.13's unpickler reads protocol 2 only (what torch.save writes
// unless pickle_protocol says otherwise); its own message ends in the raw
// protocol byte.
void
check_protocol (const std::string &path, const std::vector<char> &bytes)
{
  std::string name;
  at::DataPtr data;
  size_t size = 0;
  try
    {
      caffe2::serialize::PyTorchStreamReader reader (
        std::make_shared<caffe2::serialize::MemoryReadAdapter> (bytes.data (), (off_t) bytes.size ()));
      if (!reader.hasRecord ("data.pkl"))
        fail (LK_SHIM_ERROR_FORMAT, "%s: the zip archive has no data.pkl; %s", path.c_str (), zip_expected);
      std::tie (data, size) = reader.getRecord ("data.pkl");
    }
  catch (const c10::Error &e)
    {
      fail (LK_SHIM_ERROR_FORMAT, "%s: not a readable torch zip archive (%s); %s", path.c_str (),
            e.what_without_backtrace (), zip_expected);
    }
  const unsigned char *p = (const unsigned char *) data.get ();
  if (size < 2 || p[0] != 0x80)
    fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl does not start with a pickle protocol mark; %s", path.c_str (), zip_expected);
  if (p[1] != 2)
    fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl is pickle protocol %d, but this libtorch (%s) reads protocol 2 only; "
          "save it again with torch.save (its default pickle_protocol is 2), or convert it to model.safetensors",
          path.c_str (), p[1], TORCH_VERSION);
  check_pickle (p, size, path);
}

Weights
load_pickle (const std::string &path)
{
  std::ifstream in (path, std::ios::binary);
  if (!in)
    fail (LK_SHIM_ERROR_IO, "%s: cannot open", path.c_str ());
  std::vector<char> bytes ((std::istreambuf_iterator<char> (in)), std::istreambuf_iterator<char> ());
  if (bytes.size () < 4 || bytes[0] != 'P' || bytes[1] != 'K')
    not_zip (path, bytes);
  check_zip ((const unsigned char *) bytes.data (), bytes.size (), path);
  check_protocol (path, bytes);
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
  catch (const std::exception &e)
    {
      // libtorch's unpickler throws what its containers throw (out_of_range
      // for a memo slot never PUT, runtime_error for an unhashable key, …).
      fail (LK_SHIM_ERROR_FORMAT, "%s: cannot read the pickled state dict (%s): it is damaged or not a torch.save file",
            path.c_str (), e.what ());
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
