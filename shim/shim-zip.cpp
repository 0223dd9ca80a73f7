// shim-zip.cpp — see shim-zip.h. Only the fields that say where bytes are
// are checked (the zip specification, APPNOTE 6.3: end of central
// directory, its zip64 form, central and local headers); the rest is left to
// libtorch.
#include "shim-zip.h"

#include <cstdint>
#include <cstring>

#include "shim-error.h"

namespace lk {

namespace {

uint64_t
le (const unsigned char *p, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

struct Reader {
  const unsigned char *data;
  size_t size;
  const std::string &path;

  const unsigned char *at (uint64_t offset, uint64_t n, const char *what) const
  {
    if (offset > size || n > size - offset)
      fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: %s lies outside the file (%llu bytes at %llu of %zu)",
            path.c_str (), what, (unsigned long long) n, (unsigned long long) offset, size);
    return data + offset;
  }
};

// The zip64 extra field (id 1) holds, in this order and only where the
// 32-bit field is all ones: uncompressed size, compressed size, local offset.
void
zip64_fields (const unsigned char *extra, size_t n, uint64_t *usize, uint64_t *csize, uint64_t *offset)
{
  size_t i = 0;
  while (i + 4 <= n)
    {
      uint64_t id = le (extra + i, 2), len = le (extra + i + 2, 2);
      const unsigned char *f = extra + i + 4;
      size_t left = len;
      i += 4;
      if (len > n - i)
        return;
      if (id == 1)
        {
          for (uint64_t *v : { usize, csize, offset })
            if (*v == 0xFFFFFFFFu && left >= 8)
              {
                *v = le (f, 8);
                f += 8;
                left -= 8;
              }
          return;
        }
      i += len;
    }
}

} // namespace

void
check_zip (const unsigned char *data, size_t size, const std::string &path)
{
  Reader r { data, size, path };
  size_t eocd = SIZE_MAX;
  uint64_t entries, cd_size, cd_offset;

  if (size < 22)
    fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: %zu bytes", path.c_str (), size);
  // The end record is within the last 22 + 65535 bytes (its comment).
  for (size_t i = size - 22 + 1; i-- > 0 && size - i <= 22 + 65535;)
    if (le (data + i, 4) == 0x06054b50)
      {
        eocd = i;
        break;
      }
  if (eocd == SIZE_MAX)
    fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: no end of central directory", path.c_str ());
  entries = le (data + eocd + 10, 2);
  cd_size = le (data + eocd + 12, 4);
  cd_offset = le (data + eocd + 16, 4);
  if (eocd >= 20 && le (data + eocd - 20, 4) == 0x07064b50)
    {
      const unsigned char *z = r.at (le (data + eocd - 20 + 8, 8), 56, "the zip64 end of central directory");
      if (le (z, 4) != 0x06064b50)
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: bad zip64 end of central directory", path.c_str ());
      entries = le (z + 32, 8);
      cd_size = le (z + 40, 8);
      cd_offset = le (z + 48, 8);
    }
  const unsigned char *cd = r.at (cd_offset, cd_size, "the central directory");
  uint64_t pos = 0;
  for (uint64_t e = 0; e < entries; e++)
    {
      if (cd_size - pos < 46 || le (cd + pos, 4) != 0x02014b50)
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: central directory entry %llu is cut or malformed",
              path.c_str (), (unsigned long long) e);
      const unsigned char *h = cd + pos;
      uint64_t method = le (h + 10, 2), csize = le (h + 20, 4), usize = le (h + 24, 4);
      uint64_t name_len = le (h + 28, 2), extra_len = le (h + 30, 2), comment_len = le (h + 32, 2);
      uint64_t offset = le (h + 42, 4);
      if (cd_size - pos - 46 < name_len + extra_len + comment_len)
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: central directory entry %llu is cut",
              path.c_str (), (unsigned long long) e);
      std::string name ((const char *) h + 46, name_len);
      zip64_fields (h + 46 + name_len, extra_len, &usize, &csize, &offset);
      if (method == 0 && csize != usize)
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: the stored entry %s says %llu bytes but holds %llu",
              path.c_str (), name.c_str (), (unsigned long long) usize, (unsigned long long) csize);
      if (method != 0 && method != 8)
        fail (LK_SHIM_ERROR_FORMAT, "%s: the zip entry %s uses compression method %llu; torch.save stores its entries",
              path.c_str (), name.c_str (), (unsigned long long) method);
      const unsigned char *local = r.at (offset, 30, ("the local header of " + name).c_str ());
      if (le (local, 4) != 0x04034b50)
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a valid zip archive: entry %s has no local header", path.c_str (), name.c_str ());
      r.at (offset + 30 + le (local + 26, 2) + le (local + 28, 2), csize, ("the data of " + name).c_str ());
      pos += 46 + name_len + extra_len + comment_len;
    }
}

} // namespace lk
