/* lk-backend.c — see lk-backend.h. */
#include "config.h"

#include "lk-backend.h"
#include "lk-error.h"

int
lk_backend_abort (void *user_data)
{
  GCancellable *cancellable = user_data ? *(GCancellable **) user_data : NULL;

  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

gboolean
lk_backend_set_error (const lk_shim_status *status,
                      const char           *what,
                      const char           *cancelled,
                      GError              **error)
{
  g_return_val_if_fail (status != NULL, FALSE);

  if (status->code == LK_SHIM_ERROR_CANCELLED)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, cancelled ? cancelled : status->message);
  else
    g_set_error (error, LK_ERROR, status->code == LK_SHIM_ERROR_INVALID ? LK_ERROR_INVALID_ARGUMENT : LK_ERROR_BACKEND,
                 "%s%s%s", what ? what : "", what ? ": " : "", status->message);
  return FALSE;
}
