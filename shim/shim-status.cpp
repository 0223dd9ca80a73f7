// shim-status.cpp — status objects and the one error path.
#include "shim-error.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace lk {

void
fail (lk_shim_code code, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  throw Error (code, buf);
}

namespace {

// The length of the valid UTF-8 sequence at s (0 if none): messages quote
// libtorch and file contents, which may hold any byte.
size_t
utf8_length (const unsigned char *s)
{
  int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || (n == 2 && s[0] < 0xc2))
    return 0;
  for (int i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return (size_t) n;
}

} // namespace

// Control bytes and invalid UTF-8 come out as \xNN: a message is text.
void
escape_message (const char *in, char *out, size_t size)
{
  const unsigned char *s = (const unsigned char *) (in ? in : "");
  size_t o = 0;

  while (*s)
    {
      size_t n = utf8_length (s);
      bool plain = n > 1 || (n == 1 && *s >= 0x20 && *s != 0x7f);
      size_t need = plain ? n : 4;
      if (o + need + 1 > size)
        break;
      if (plain)
        memcpy (out + o, s, n);
      else
        snprintf (out + o, 5, "\\x%02x", *s);
      o += need;
      s += plain ? n : 1;
    }
  out[o] = '\0';
}

void
status_set (lk_shim_status *status, lk_shim_code code, const char *message)
{
  if (!status)
    return;
  status->code = code;
  escape_message (message, status->message, sizeof status->message);
}

void
status_ok (lk_shim_status *status)
{
  status_set (status, LK_SHIM_OK, "");
}

} // namespace lk
