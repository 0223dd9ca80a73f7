// fuzz-pickle.cpp — libFuzzer target for reading pytorch_model.bin (torch's
// zip format with a pickled state dict), the shim's lk::load_weights. Only
// the shim's reader is instrumented; libtorch's unpickler is not, but it runs
// on the fuzzed bytes all the same. Every failure must be the shim's own
// error (lk::Error), never another exception or a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "shim-private.h"

static std::string
fuzz_path ()
{
  static std::string path;

  if (path.empty ())
    {
      char dir[] = "/tmp/lk-fuzz-pickle-XXXXXX";
      if (mkdtemp (dir) == nullptr)
        abort ();
      path = std::string (dir) + "/pytorch_model.bin";
    }
  return path;
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string path = fuzz_path ();
  {
    std::ofstream out (path, std::ios::binary | std::ios::trunc);
    out.write ((const char *) data, (std::streamsize) size);
  }
  try
    {
      lk::Weights w = lk::load_weights (path);
      for (const auto &kv : w.tensors)
        if (!kv.second.defined ())
          abort ();
    }
  catch (const lk::Error &)
    {
    }
  return 0;
}
