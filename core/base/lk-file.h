/* lk-file.h — what kind of file a path is, for messages that say why a
 * folder, a FIFO or a device is refused before anything blocks on it. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* "a folder", "a named pipe (FIFO)", "a socket", "a device", … (translated). */
const char *lk_file_kind          (mode_t       mode);

/* TRUE when @path is a regular file (through symbolic links); else FALSE
 * with "PATH is a named pipe (FIFO), not WHAT" or "PATH: cannot read WHAT:
 * REASON" (LK_ERROR_NOT_FOUND when it does not exist). */
gboolean    lk_file_check_regular (const char  *path,
                                   const char  *what,
                                   GError     **error);

G_END_DECLS
