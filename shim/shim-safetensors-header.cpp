// shim-safetensors-header.cpp — the safetensors header: an 8-byte
// little-endian length, then a JSON object naming each tensor's dtype,
// shape and data offsets.
//
// The header is untrusted input, so it gets its own small JSON reader with
// a depth limit and every offset, size and shape checked against the file
// before any tensor is made. No libtorch here: tests/fuzz/ fuzzes this file
// on its own.
#include "shim-safetensors-header.h"
#include "shim-error.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <unordered_set>
#include <utility>

namespace lk {

namespace {

struct Json {
  enum Kind { NUL, BOOL, NUM, STR, ARR, OBJ } kind = NUL;
  bool is_int = false;
  int64_t ival = 0;
  std::string str;
  std::vector<Json> items;                            // ARR
  std::vector<std::pair<std::string, Json>> members;  // OBJ
};

class Reader {
public:
  // Each member of the top-level object (but "__metadata__") goes to
  // on_member as soon as it is read, so that no tree of the whole header
  // is ever built.
  using MemberFn = std::function<void (const std::string &key, const Json &value)>;

  Reader (const char *s, size_t n, const std::string &what, MemberFn on_member)
    : p_ (s), end_ (s + n), what_ (what), on_member_ (std::move (on_member)) {}

  // Reads the whole document; returns the kind of its top-level value.
  Json::Kind
  document ()
  {
    Json v = value (0, true);
    ws ();
    if (p_ != end_)
      error ("trailing characters after the JSON header");
    return v.kind;
  }

private:
  const char *p_;
  const char *end_;
  const std::string &what_;
  MemberFn on_member_;

  [[noreturn]] void
  error (const char *msg)
  {
    fail (LK_SHIM_ERROR_FORMAT, "%s: invalid safetensors header: %s", what_.c_str (), msg);
  }

  void ws () { while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) p_++; }

  bool
  eat (char c)
  {
    ws ();
    if (p_ < end_ && *p_ == c) { p_++; return true; }
    return false;
  }

  void expect (char c, const char *msg) { if (!eat (c)) error (msg); }

  void
  literal (const char *lit)
  {
    size_t n = strlen (lit);
    if ((size_t) (end_ - p_) < n || memcmp (p_, lit, n) != 0)
      error ("unexpected token");
    p_ += n;
  }

  // Only what the entries need is kept: the members of the top object
  // but "__metadata__" (handed to on_member_), the first "dtype", "shape"
  // and "data_offsets" of each entry, and the first 9 items of an array in
  // an entry (enough for its size checks). The rest is read for its syntax
  // only and dropped, so that a crafted header cannot make a tree some 80
  // times its size.
  static bool
  keep_member (const Json &obj, int depth, const std::string &key)
  {
    if (depth == 0)
      return key != "__metadata__";
    if (depth == 1 && (key == "dtype" || key == "shape" || key == "data_offsets"))
      {
        for (const auto &m : obj.members)
          if (m.first == key)
            return false;
        return true;
      }
    return false;
  }

  Json
  value (int depth, bool keep)
  {
    if (depth > 32)
      error ("nested too deeply");
    ws ();
    if (p_ >= end_)
      error ("unexpected end of header");
    Json v;
    switch (*p_)
      {
      case '{': object (v, depth, keep); break;
      case '[': array (v, depth, keep); break;
      case '"': v.kind = Json::STR; v.str = string (); break;
      case 't': literal ("true"); v.kind = Json::BOOL; break;
      case 'f': literal ("false"); v.kind = Json::BOOL; break;
      case 'n': literal ("null"); break;
      default: number (v); break;
      }
    return v;
  }

  void
  object (Json &v, int depth, bool keep)
  {
    v.kind = Json::OBJ;
    p_++;
    if (eat ('}'))
      return;
    do
      {
        ws ();
        if (p_ >= end_ || *p_ != '"')
          error ("expected a string key");
        std::string key = string ();
        expect (':', "expected ':' after a key");
        if (!keep || !keep_member (v, depth, key))
          value (depth + 1, false);
        else if (depth == 0)
          on_member_ (key, value (depth + 1, true));
        else
          v.members.emplace_back (std::move (key), value (depth + 1, true));
      }
    while (eat (','));
    expect ('}', "expected ',' or '}' in an object");
  }

  void
  array (Json &v, int depth, bool keep)
  {
    v.kind = Json::ARR;
    p_++;
    if (eat (']'))
      return;
    do
      {
        if (keep && depth == 2 && v.items.size () < 9)
          v.items.push_back (value (depth + 1, false));
        else
          value (depth + 1, false);
      }
    while (eat (','));
    expect (']', "expected ',' or ']' in an array");
  }

  std::string
  string ()
  {
    std::string out;
    p_++;  // opening quote
    while (p_ < end_ && *p_ != '"')
      {
        unsigned char c = (unsigned char) *p_++;
        if (c < 0x20)
          error ("control character in a string");
        if (c != '\\')
          {
            out.push_back ((char) c);
            continue;
          }
        if (p_ >= end_)
          break;
        char e = *p_++;
        switch (e)
          {
          case '"': case '\\': case '/': out.push_back (e); break;
          case 'b': out.push_back ('\b'); break;
          case 'f': out.push_back ('\f'); break;
          case 'n': out.push_back ('\n'); break;
          case 'r': out.push_back ('\r'); break;
          case 't': out.push_back ('\t'); break;
          case 'u': unicode_escape (out); break;
          default: error ("bad escape in a string");
          }
      }
    if (p_ >= end_)
      error ("unterminated string");
    p_++;  // closing quote
    return out;
  }

  void
  unicode_escape (std::string &out)
  {
    if (end_ - p_ < 4)
      error ("short \\u escape");
    unsigned cp = 0;
    for (int i = 0; i < 4; i++)
      {
        char h = *p_++;
        cp <<= 4;
        if (h >= '0' && h <= '9') cp |= h - '0';
        else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
        else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
        else error ("bad hex digit in a \\u escape");
      }
    // Metadata strings are only carried, never interpreted: encode the code
    // unit as UTF-8 (surrogates included) without pairing.
    if (cp < 0x80) out.push_back ((char) cp);
    else if (cp < 0x800) { out.push_back ((char) (0xC0 | (cp >> 6))); out.push_back ((char) (0x80 | (cp & 0x3F))); }
    else { out.push_back ((char) (0xE0 | (cp >> 12))); out.push_back ((char) (0x80 | ((cp >> 6) & 0x3F))); out.push_back ((char) (0x80 | (cp & 0x3F))); }
  }

  void
  number (Json &v)
  {
    const char *start = p_;
    if (p_ < end_ && *p_ == '-')
      p_++;
    bool digits = false, integral = true;
    while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == '+' || *p_ == '-'))
      {
        if (*p_ >= '0' && *p_ <= '9') digits = true; else integral = false;
        p_++;
      }
    if (!digits)
      error ("unexpected character");
    v.kind = Json::NUM;
    if (!integral || p_ - start > 18)
      return;  // not an exact integer: fine for metadata, rejected where an integer is needed
    v.is_int = true;
    v.ival = std::stoll (std::string (start, p_));
  }
};

struct Dtype {
  const char *name;
  StDtype type;
  int size;
};

const Dtype dtypes[] = {
  { "F64", StDtype::F64, 8 }, { "F32", StDtype::F32, 4 }, { "F16", StDtype::F16, 2 },
  { "BF16", StDtype::BF16, 2 }, { "I64", StDtype::I64, 8 }, { "I32", StDtype::I32, 4 },
  { "I16", StDtype::I16, 2 }, { "I8", StDtype::I8, 1 }, { "U8", StDtype::U8, 1 },
  { "BOOL", StDtype::BOOL, 1 },
};

const Dtype &
find_dtype (const Json &v, const std::string &what, const std::string &name)
{
  if (v.kind == Json::STR)
    for (const Dtype &d : dtypes)
      if (v.str == d.name)
        return d;
  fail (LK_SHIM_ERROR_UNSUPPORTED, "%s: tensor '%s' has dtype %s; expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL",
        what.c_str (), name.c_str (), v.kind == Json::STR ? v.str.c_str () : "(not a string)");
}

const Json *
member (const Json &obj, const char *key)
{
  for (const auto &m : obj.members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

StEntry
parse_entry (const std::string &name, const Json &v, uint64_t data_size, const std::string &what)
{
  if (v.kind != Json::OBJ)
    fail (LK_SHIM_ERROR_FORMAT, "%s: header entry '%s' is not an object", what.c_str (), name.c_str ());
  const Json *dt = member (v, "dtype"), *shape = member (v, "shape"), *offs = member (v, "data_offsets");
  if (!dt || !shape || !offs)
    fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s' lacks %s", what.c_str (), name.c_str (),
          !dt ? "\"dtype\"" : !shape ? "\"shape\"" : "\"data_offsets\"");
  const Dtype &d = find_dtype (*dt, what, name);
  StEntry e { name, d.type, d.size, {}, 0, 0 };
  if (shape->kind != Json::ARR || shape->items.size () > 8)
    fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': \"shape\" must be an array of at most 8 sizes", what.c_str (), name.c_str ());
  uint64_t numel = 1;
  for (const Json &dim : shape->items)
    {
      if (dim.kind != Json::NUM || !dim.is_int || dim.ival < 0 || dim.ival > (int64_t) data_size)
        fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': bad dimension in \"shape\"", what.c_str (), name.c_str ());
      e.shape.push_back (dim.ival);
      if (dim.ival != 0 && numel > data_size / (uint64_t) dim.ival + 1)
        fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': shape larger than the file", what.c_str (), name.c_str ());
      numel *= (uint64_t) dim.ival;
    }
  if (offs->kind != Json::ARR || offs->items.size () != 2)
    fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': \"data_offsets\" must be [begin, end]", what.c_str (), name.c_str ());
  for (const Json &o : offs->items)
    if (o.kind != Json::NUM || !o.is_int || o.ival < 0)
      fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': \"data_offsets\" must hold non-negative integers", what.c_str (), name.c_str ());
  e.begin = (uint64_t) offs->items[0].ival;
  e.end = (uint64_t) offs->items[1].ival;
  if (e.begin > e.end || e.end > data_size)
    fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] outside the %llu data bytes",
          what.c_str (), name.c_str (), (unsigned long long) e.begin, (unsigned long long) e.end, (unsigned long long) data_size);
  if (e.end - e.begin != numel * (uint64_t) e.elem_size)
    fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s': %llu bytes for a shape that needs %llu",
          what.c_str (), name.c_str (), (unsigned long long) (e.end - e.begin),
          (unsigned long long) (numel * (uint64_t) e.elem_size));
  return e;
}

void
check_overlaps (std::vector<StEntry> &entries, const std::string &what)
{
  std::sort (entries.begin (), entries.end (), [] (const StEntry &a, const StEntry &b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size (); i++)
    if (entries[i].begin < entries[i - 1].end)
      fail (LK_SHIM_ERROR_FORMAT, "%s: tensors '%s' and '%s' overlap", what.c_str (),
            entries[i - 1].name.c_str (), entries[i].name.c_str ());
}

void
check_unique (const std::vector<StEntry> &entries, const std::string &what)
{
  std::unordered_set<std::string> seen;
  for (const StEntry &e : entries)
    if (!seen.insert (e.name).second)
      fail (LK_SHIM_ERROR_FORMAT, "%s: tensor '%s' appears twice", what.c_str (), e.name.c_str ());
}

} // namespace

StHeader
safetensors_read_header (const uint8_t *data, size_t size, const std::string &what)
{
  if (size < 8)
    fail (LK_SHIM_ERROR_FORMAT, "%s: %zu bytes is too short for a safetensors file", what.c_str (), size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | data[i];
  if (n > size - 8)
    fail (LK_SHIM_ERROR_FORMAT, "%s: header length %llu goes beyond the file (%zu bytes): truncated?",
          what.c_str (), (unsigned long long) n, size);
  if (n > 100u * 1024 * 1024)
    fail (LK_SHIM_ERROR_FORMAT, "%s: header length %llu is implausibly large", what.c_str (), (unsigned long long) n);

  // Entries are checked as they are read, but the first fault is only
  // reported once the whole header has parsed: a JSON error anywhere comes
  // first, then the entries' faults in order, as if checked afterwards.
  StHeader h { {}, 8 + n, size - 8 - n };
  std::exception_ptr entry_error;
  auto on_member = [&] (const std::string &key, const Json &v)
    {
      if (entry_error)
        return;
      try
        {
          h.entries.push_back (parse_entry (key, v, h.data_size, what));
        }
      catch (const Error &)
        {
          entry_error = std::current_exception ();
          h.entries.clear ();
        }
    };
  if (Reader ((const char *) data + 8, n, what, on_member).document () != Json::OBJ)
    fail (LK_SHIM_ERROR_FORMAT, "%s: the header is not a JSON object", what.c_str ());
  if (entry_error)
    std::rethrow_exception (entry_error);
  check_overlaps (h.entries, what);
  check_unique (h.entries, what);
  return h;
}

} // namespace lk
