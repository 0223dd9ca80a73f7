// fuzz-safetensors.cpp — libFuzzer target for the safetensors header parser
// (shim-safetensors-header.cpp), which needs no libtorch.
//
// Every input must either be rejected with an lk::Error or yield entries
// that lie inside the data section, fit their shape, and do not overlap:
// what the tensor side relies on before viewing the memory.
#include "shim-error.h"
#include "shim-safetensors-header.h"

#include <cstdlib>
#include <cstring>
#include <unordered_set>

static void
check (bool cond)
{
  if (!cond)
    abort ();
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  // A copy of exactly `size` bytes, so that ASan sees any read past the end.
  uint8_t *buf = (uint8_t *) malloc (size ? size : 1);
  if (size)
    memcpy (buf, data, size);
  try
    {
      lk::StHeader h = lk::safetensors_read_header (buf, size, "fuzz");
      check (h.data_offset + h.data_size == size);
      std::unordered_set<std::string> names;
      uint64_t prev_end = 0;
      for (const lk::StEntry &e : h.entries)
        {
          check (names.insert (e.name).second);
          check (e.begin <= e.end && e.end <= h.data_size);
          check (e.begin >= prev_end);
          prev_end = e.end;
          check (e.shape.size () <= 8);
          uint64_t numel = 1;
          for (int64_t d : e.shape)
            {
              check (d >= 0);
              numel *= (uint64_t) d;
            }
          check (numel * (uint64_t) e.elem_size == e.end - e.begin);
          // Touch the bytes the tensor would view.
          volatile uint8_t sink = 0;
          for (uint64_t i = e.begin; i < e.end; i++)
            sink ^= buf[h.data_offset + i];
          (void) sink;
        }
    }
  catch (const lk::Error &e)
    {
      check (e.code != LK_SHIM_OK && e.what ()[0] != '\0');
    }
  free (buf);
  return 0;
}
