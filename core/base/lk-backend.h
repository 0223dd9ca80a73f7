/* lk-backend.h — the one bridge between the shim's C API and GLib: a shim
 * status becomes a GError, a GCancellable becomes the shim's abort
 * callback. Every call into the shim goes through these two. */
#pragma once

#include <gio/gio.h>

#include "likeness-shim.h"

G_BEGIN_DECLS

/* The shim's abort callback. @user_data points to a GCancellable pointer
 * (which may be NULL): the address of a GCancellable * variable, or a
 * struct whose first member is the GCancellable * (so that one user_data
 * serves the progress callback too). */
int      lk_backend_abort     (void                 *user_data);

/* Sets @error from a failed call's @status and returns FALSE:
 * LK_SHIM_ERROR_CANCELLED becomes G_IO_ERROR_CANCELLED (with @cancelled as
 * the message, or the shim's when NULL), LK_SHIM_ERROR_INVALID
 * LK_ERROR_INVALID_ARGUMENT, anything else LK_ERROR_BACKEND; the message is
 * prefixed with "@what: " when @what is not NULL (the model, the file or
 * the step that failed). */
gboolean lk_backend_set_error (const lk_shim_status *status,
                               const char           *what,
                               const char           *cancelled,
                               GError              **error);

G_END_DECLS
