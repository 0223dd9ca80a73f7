// shim-safetensors.cpp — tensors from a safetensors file: the header is
// parsed and checked in shim-safetensors-header.cpp (no libtorch); here the
// file is mapped and each entry becomes a CPU tensor viewing that memory.
#include "shim-private.h"
#include "shim-safetensors-header.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lk {

namespace {

torch::ScalarType
scalar_type (StDtype d)
{
  switch (d)
    {
    case StDtype::F64: return torch::kFloat64;
    case StDtype::F32: return torch::kFloat32;
    case StDtype::F16: return torch::kFloat16;
    case StDtype::BF16: return torch::kBFloat16;
    case StDtype::I64: return torch::kInt64;
    case StDtype::I32: return torch::kInt32;
    case StDtype::I16: return torch::kInt16;
    case StDtype::I8: return torch::kInt8;
    case StDtype::U8: return torch::kUInt8;
    case StDtype::BOOL: return torch::kBool;
    }
  fail (LK_SHIM_ERROR_INTERNAL, "unknown safetensors dtype %d", (int) d);
}

} // namespace

std::unordered_map<std::string, torch::Tensor>
safetensors_parse (const uint8_t *data, size_t size, const std::string &what,
                   std::shared_ptr<const void> owner)
{
  StHeader h = safetensors_read_header (data, size, what);
  const uint8_t *base = data + h.data_offset;

  std::unordered_map<std::string, torch::Tensor> out;
  for (const StEntry &e : h.entries)
    {
      auto opts = torch::TensorOptions ().dtype (scalar_type (e.dtype));
      // from_blob needs no alignment for the CPU kernels we use, but an
      // unaligned view is cloned so that vectorised code never faults.
      const void *ptr = base + e.begin;
      // Each view holds the memory it reads, so the map lives as long as any tensor.
      torch::Tensor t = torch::from_blob (const_cast<void *> (ptr), e.shape, [owner] (void *) {}, opts);
      if (((uintptr_t) ptr) % e.elem_size != 0)
        t = t.clone ();
      out.emplace (e.name, t);
    }
  return out;
}

MappedFile::MappedFile (const std::string &path)
{
  int fd = open (path.c_str (), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail (LK_SHIM_ERROR_IO, "%s: cannot open: %s", path.c_str (), strerror (errno));
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      fail (LK_SHIM_ERROR_IO, "%s: not a regular file", path.c_str ());
    }
  size = (size_t) st.st_size;
  if (size > 0)
    {
      data = mmap (nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED)
        {
          int err = errno;
          close (fd);
          data = nullptr;
          fail (LK_SHIM_ERROR_IO, "%s: cannot map: %s", path.c_str (), strerror (err));
        }
    }
  close (fd);
}

MappedFile::~MappedFile ()
{
  if (data)
    munmap (data, size);
}

} // namespace lk

extern "C" int
lk_shim_safetensors_validate (const uint8_t *data, size_t size, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    lk::safetensors_read_header (data, size, "(memory)");
    lk::status_ok (status);
    return 0;
  )
}
