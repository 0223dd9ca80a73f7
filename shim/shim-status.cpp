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

void
status_set (lk_shim_status *status, lk_shim_code code, const char *message)
{
  if (!status)
    return;
  status->code = code;
  snprintf (status->message, sizeof status->message, "%s", message ? message : "");
}

void
status_ok (lk_shim_status *status)
{
  status_set (status, LK_SHIM_OK, "");
}

} // namespace lk
