// shim-zip.cpp — see shim-zip.h. Only the fields that say where bytes are
// are checked (the zip specification, APPNOTE 6.3: end of central
// directory, its zip64 form, central and local headers); the rest is left to
// libtorch.
#include "shim-zip.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

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

void
check_pickle (const unsigned char *data, size_t size, const std::string &path)
{
  // Per opcode (pickletools' table, protocols 0–5): its argument — a fixed
  // size, one or two newline-ended lines (−1, −2), or a length of 1, 4 or 8
  // bytes before the bytes themselves (100 + the length's size) — and its
  // effect on the stack: how many items it pops and pushes, or, for the
  // opcodes that take everything above the last mark (mark = 1), how many
  // items they need below that mark and push in its place. libtorch's
  // unpickler takes stack.back() without looking, so an opcode that finds
  // too few items reads before the vector: the walk below refuses it.
  struct Op { unsigned char op; int arg; int pop; int push; int mark; };
  static const Op ops[] = {
    { '(', 0, 0, 0, 0 },    // MARK (handled below)
    { '.', 0, 1, 0, 0 },    // STOP
    { '0', 0, 1, 0, 0 },    // POP
    { '1', 0, 0, 0, 1 },    // POP_MARK
    { '2', 0, 1, 2, 0 },    // DUP
    { 'N', 0, 0, 1, 0 }, { 0x88, 0, 0, 1, 0 }, { 0x89, 0, 0, 1, 0 },
    { ')', 0, 0, 1, 0 }, { ']', 0, 0, 1, 0 }, { '}', 0, 0, 1, 0 }, { 0x8f, 0, 0, 1, 0 },
    { 'R', 0, 2, 1, 0 },    // REDUCE
    { 'a', 0, 2, 1, 0 },    // APPEND
    { 'b', 0, 2, 1, 0 },    // BUILD
    { 's', 0, 3, 1, 0 },    // SETITEM
    { 0x81, 0, 2, 1, 0 },   // NEWOBJ
    { 0x92, 0, 3, 1, 0 },   // NEWOBJ_EX
    { 0x93, 0, 2, 1, 0 },   // STACK_GLOBAL
    { 0x94, 0, 1, 1, 0 },   // MEMOIZE
    { 'Q', 0, 1, 1, 0 },    // BINPERSID
    { 0x85, 0, 1, 1, 0 }, { 0x86, 0, 2, 1, 0 }, { 0x87, 0, 3, 1, 0 }, // TUPLE1-3
    { 0x97, 0, 0, 1, 0 }, { 0x98, 0, 1, 1, 0 }, // NEXT_BUFFER, READONLY_BUFFER
    { 'd', 0, 0, 1, 1 }, { 'l', 0, 0, 1, 1 }, { 't', 0, 0, 1, 1 }, { 0x91, 0, 0, 1, 1 }, // DICT LIST TUPLE FROZENSET
    { 'o', 0, 0, 1, 1 },    // OBJ (the class is above the mark; checked below)
    { 'e', 0, 1, 1, 1 }, { 'u', 0, 1, 1, 1 }, { 0x90, 0, 1, 1, 1 }, // APPENDS SETITEMS ADDITEMS
    { 'K', 1, 0, 1, 0 }, { 'h', 1, 0, 1, 0 }, { 'q', 1, 1, 1, 0 }, { 0x80, 1, 0, 0, 0 }, { 0x82, 1, 0, 1, 0 },
    { 'M', 2, 0, 1, 0 }, { 0x83, 2, 0, 1, 0 },
    { 'J', 4, 0, 1, 0 }, { 'j', 4, 0, 1, 0 }, { 'r', 4, 1, 1, 0 }, { 0x84, 4, 0, 1, 0 },
    { 'G', 8, 0, 1, 0 }, { 0x95, 8, 0, 0, 0 },
    { 'I', -1, 0, 1, 0 }, { 'L', -1, 0, 1, 0 }, { 'S', -1, 0, 1, 0 }, { 'V', -1, 0, 1, 0 },
    { 'F', -1, 0, 1, 0 }, { 'P', -1, 0, 1, 0 }, { 'g', -1, 0, 1, 0 }, { 'p', -1, 1, 1, 0 },
    { 'c', -2, 0, 1, 0 }, { 'i', -2, 0, 1, 1 },
    { 'U', 101, 0, 1, 0 }, { 0x8c, 101, 0, 1, 0 }, { 'C', 101, 0, 1, 0 }, { 0x8a, 101, 0, 1, 0 },
    { 'T', 104, 0, 1, 0 }, { 'X', 104, 0, 1, 0 }, { 'B', 104, 0, 1, 0 }, { 0x8b, 104, 0, 1, 0 },
    { 0x8d, 108, 0, 1, 0 }, { 0x8e, 108, 0, 1, 0 }, { 0x96, 108, 0, 1, 0 },
  };
  size_t i = 0, n_ops = 0, depth = 0;
  std::vector<size_t> marks;
  std::vector<bool> memo;

  while (i < size)
    {
      unsigned char op = data[i];
      size_t at = i++;
      n_ops++;
      const Op *o = nullptr;
      for (const auto &c : ops)
        if (c.op == op)
          o = &c;
      if (o == nullptr)
        fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl has an unknown pickle opcode 0x%02x at byte %zu", path.c_str (), op, at);

      // The stack: items above the last mark are all an opcode may pop.
      size_t base = marks.empty () ? 0 : marks.back ();
      if (op == '(')
        marks.push_back (depth);
      else if (o->mark)
        {
          if (marks.empty ())
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl's opcode 0x%02x at byte %zu needs a mark, and none is set",
                  path.c_str (), op, at);
          size_t m = marks.back ();
          marks.pop_back ();
          size_t below = marks.empty () ? 0 : marks.back ();
          if (m - below < (size_t) o->pop || (op == 'o' && depth == m))
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl's opcode 0x%02x at byte %zu finds too few items on the stack",
                  path.c_str (), op, at);
          depth = m - (size_t) o->pop + (size_t) (op == '1' ? 0 : o->push);
        }
      else
        {
          if (depth - base < (size_t) o->pop)
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl's opcode 0x%02x at byte %zu finds %zu items on the stack and needs %d",
                  path.c_str (), op, at, depth - base, o->pop);
          depth = depth - (size_t) o->pop + (size_t) o->push;
        }
      if (op == '.')
        {
          if (depth != 0 || !marks.empty ())
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl stops at byte %zu with %zu more items or marks on the stack",
                  path.c_str (), at, depth + marks.size ());
          return;
        }

      if (op == 0x94)
        {
          // MEMOIZE: the top item goes to the next free index.
          size_t k = (size_t) std::count (memo.begin (), memo.end (), true);
          if (memo.size () <= k)
            memo.resize (k + 1, false);
          memo[k] = true;
          continue;
        }

      uint64_t n = 0;
      if (o->arg > 0 && o->arg < 100 && (size_t) o->arg > size - i)
        fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl ends inside the argument of opcode 0x%02x at byte %zu",
              path.c_str (), op, at);
      if (op == 'q' || op == 'r' || op == 'h' || op == 'j')
        {
          // The memo: the unpickler sizes it by the largest index PUT (a
          // pickler numbers them from 0, one per opcode at most) and reads a
          // GET without looking, so a GET must name an index PUT before.
          n = le (data + i, o->arg);
          i += (size_t) o->arg;
          if (n >= n_ops)
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl %s memo entry %llu at byte %zu, after %zu opcodes",
                  path.c_str (), op == 'q' || op == 'r' ? "puts" : "gets", (unsigned long long) n, at, n_ops - 1);
          if (op == 'q' || op == 'r')
            {
              if (memo.size () <= n)
                memo.resize (n + 1, false);
              memo[n] = true;
            }
          else if (n >= memo.size () || !memo[n])
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl gets memo entry %llu at byte %zu, which was never put",
                  path.c_str (), (unsigned long long) n, at);
          continue;
        }
      if (o->arg >= 0 && o->arg < 100)
        n = (uint64_t) o->arg;
      else if (o->arg < 0)
        {
          for (int line = 0; line < -o->arg; line++)
            {
              const void *nl = i < size ? memchr (data + i, '\n', size - i) : nullptr;
              if (nl == nullptr)
                fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl ends inside the argument of opcode 0x%02x at byte %zu",
                      path.c_str (), op, at);
              i = (size_t) ((const unsigned char *) nl - data) + 1;
            }
          continue;
        }
      else
        {
          int len = o->arg - 100;
          if ((size_t) len > size - i)
            fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl ends inside the length of opcode 0x%02x at byte %zu",
                  path.c_str (), op, at);
          n = le (data + i, len);
          i += (size_t) len;
        }

      if (n > size - i)
        fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl's opcode 0x%02x at byte %zu declares %llu bytes, but %zu remain",
              path.c_str (), op, at, (unsigned long long) n, size - i);
      i += (size_t) n;
    }
  fail (LK_SHIM_ERROR_FORMAT, "%s: data.pkl ends without the pickle's STOP opcode", path.c_str ());
}

} // namespace lk
