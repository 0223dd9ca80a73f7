/* lk-atomic-file.h — files that appear whole or not at all. Every writer of
 * a user's file goes through here, so that a crash (SIGKILL, abort) leaves
 * neither half a file nor a temporary one, and errors name the user's path. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LkAtomicFile LkAtomicFile;

/* Opens an unnamed file in @path's folder (O_TMPFILE where the file system
 * has it, else PATH.tmp-XXXXXX, removed on every error and on free). */
LkAtomicFile *lk_atomic_file_new       (const char    *path,
                                        int            mode,
                                        GError       **error);
int           lk_atomic_file_get_fd    (LkAtomicFile  *file);
/* Flushes the data to disk and puts the file at its path (replacing what
 * was there); the file is closed either way. */
gboolean      lk_atomic_file_commit    (LkAtomicFile  *file,
                                        GError       **error);
/* Without a commit, the data goes: nothing appears at the path. */
void          lk_atomic_file_free      (LkAtomicFile  *file);

/* All of @data to @path, atomically. */
gboolean      lk_atomic_file_write     (const char    *path,
                                        const void    *data,
                                        gsize          length,
                                        int            mode,
                                        GError       **error);

/* Tests: TRUE makes every later file take the PATH.tmp-XXXXXX way. */
void          lk_atomic_file_set_no_tmpfile (gboolean no_tmpfile);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAtomicFile, lk_atomic_file_free)

G_END_DECLS
