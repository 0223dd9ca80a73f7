/* lk-error.h — the error domain of the Likeness core. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LK_ERROR (lk_error_quark ())

typedef enum {
  LK_ERROR_FAILED,          /* anything not covered below */
  LK_ERROR_NOT_FOUND,       /* a model, file or field that should be there is not */
  LK_ERROR_INVALID_DATA,    /* a file's content is malformed (which file, which field, what was expected) */
  LK_ERROR_UNSUPPORTED,     /* a valid but unsupported architecture, dtype, tokenizer type … */
  LK_ERROR_INVALID_ARGUMENT,/* a bad value from the caller or the user */
  LK_ERROR_NETWORK,         /* a download failed */
  LK_ERROR_CHECKSUM,        /* a downloaded file does not match its expected SHA-256 */
  LK_ERROR_OFFLINE,         /* a download was needed but HF_HUB_OFFLINE=1 */
  LK_ERROR_BACKEND,         /* the libtorch shim reported an error */
} LkError;

GQuark lk_error_quark (void);

G_END_DECLS
