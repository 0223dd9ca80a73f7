/* lk-file.c — regular files only. */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-file.h"

const char *
lk_file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return _("a folder");
  if (S_ISFIFO (mode))
    return _("a named pipe (FIFO)");
  if (S_ISSOCK (mode))
    return _("a socket");
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return _("a device");
  return _("something other than a regular file");
}

gboolean
lk_file_check_regular (const char *path, const char *what, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, LK_ERROR, errsv == ENOENT ? LK_ERROR_NOT_FOUND : LK_ERROR_INVALID_ARGUMENT,
                   _("%s: cannot read %s: %s"), path, what, g_strerror (errsv));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("%s is %s, not %s"), path,
                   lk_file_kind (st.st_mode), what);
      return FALSE;
    }
  return TRUE;
}
