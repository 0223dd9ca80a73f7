/* lk-atomic-file.c — O_TMPFILE in the target's folder, linked in at the
 * end: until then the file has no name, so a killed process leaves nothing.
 * Where the file system lacks O_TMPFILE, a named PATH.tmp-XXXXXX beside the
 * target and a rename, with the name removed on every error path. */
#define _GNU_SOURCE   /* O_TMPFILE */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lk-atomic-file.h"

struct _LkAtomicFile
{
  char *path;
  char *tmp_path;   /* NULL with O_TMPFILE */
  int   fd;
};

static gboolean no_tmpfile;

void
lk_atomic_file_set_no_tmpfile (gboolean value)
{
  no_tmpfile = value;
}

static gboolean
set_errno (GError **error, int errsv, const char *path, const char *what)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s (%s)", path, what, g_strerror (errsv));
  return FALSE;
}

/* EISDIR: a kernel without O_TMPFILE takes it for O_DIRECTORY; ENOENT
 * without /proc, which linkat needs, is a folder's error and not ours. */
static int
open_unnamed (const char *dir, int mode)
{
#ifdef O_TMPFILE
  if (!no_tmpfile && g_file_test ("/proc/self/fd", G_FILE_TEST_IS_DIR))
    {
      int fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
      if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    }
#endif
  errno = EOPNOTSUPP;
  return -1;
}

LkAtomicFile *
lk_atomic_file_new (const char *path, int mode, GError **error)
{
  g_autofree char *dir = NULL;
  LkAtomicFile *f;

  g_return_val_if_fail (path != NULL, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "%s is a folder, not a file", path);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  f = g_new0 (LkAtomicFile, 1);
  f->path = g_strdup (path);
  f->fd = open_unnamed (dir, mode);
  if (f->fd < 0 && errno == EOPNOTSUPP)
    {
      f->tmp_path = g_strdup_printf ("%s.tmp-XXXXXX", path);
      f->fd = g_mkstemp_full (f->tmp_path, O_WRONLY | O_CLOEXEC, mode);
      if (f->fd < 0)
        g_clear_pointer (&f->tmp_path, g_free);
    }
  if (f->fd < 0)
    {
      int errsv = errno;
      if (errsv == ENOENT && !g_file_test (dir, G_FILE_TEST_EXISTS))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: cannot create the file: the folder %s does not exist", path, dir);
      else
        {
          g_autofree char *what = g_strdup_printf ("the folder %s cannot be written to", dir);
          set_errno (error, errsv, path, what);
        }
      lk_atomic_file_free (f);
      errno = errsv;   /* for callers with their own wording */
      return NULL;
    }
  return f;
}

int
lk_atomic_file_get_fd (LkAtomicFile *f)
{
  return f->fd;
}

/* linkat refuses an existing name: link to a fresh one, then rename it over
 * the target (rename is what replaces atomically). */
static int
link_in (LkAtomicFile *f)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", f->fd);

  if (linkat (AT_FDCWD, proc, AT_FDCWD, f->path, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  if (errno != EEXIST)
    return -1;
  for (int tries = 0; tries < 100; tries++)
    {
      g_autofree char *name = g_strdup_printf ("%s.tmp-%08x", f->path, g_random_int ());
      if (linkat (AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0)
        {
          if (errno == EEXIST)
            continue;
          return -1;
        }
      if (rename (name, f->path) == 0)
        return 0;
      int errsv = errno;
      unlink (name);
      errno = errsv;
      return -1;
    }
  errno = EEXIST;
  return -1;
}

gboolean
lk_atomic_file_commit (LkAtomicFile *f, GError **error)
{
  const char *what = NULL;
  int errsv = 0;

  if (fsync (f->fd) != 0 && errno != EINVAL && errno != EROFS)
    what = "cannot write the file to disk";
  else if (f->tmp_path == NULL && link_in (f) != 0)
    what = "cannot put the file in place";
  errsv = errno;
  if (close (f->fd) != 0 && what == NULL && f->tmp_path)
    {
      what = "cannot write the file";
      errsv = errno;
    }
  f->fd = -1;
  if (what == NULL && f->tmp_path)
    {
      if (g_rename (f->tmp_path, f->path) == 0)
        g_clear_pointer (&f->tmp_path, g_free);
      else
        {
          what = "cannot put the file in place";
          errsv = errno;
        }
    }
  return what == NULL || set_errno (error, errsv, f->path, what);
}

void
lk_atomic_file_free (LkAtomicFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  if (f->tmp_path)
    g_unlink (f->tmp_path);
  g_free (f->tmp_path);
  g_free (f->path);
  g_free (f);
}

static gboolean
write_all (int fd, const char *p, gsize length)
{
  while (length > 0)
    {
      gssize n = write (fd, p, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }
      p += n;
      length -= n;
    }
  return TRUE;
}

gboolean
lk_atomic_file_write (const char *path, const void *data, gsize length, int mode, GError **error)
{
  g_autoptr(LkAtomicFile) f = lk_atomic_file_new (path, mode, error);

  if (f == NULL)
    return FALSE;
  if (!write_all (f->fd, data, length))
    return set_errno (error, errno, path, "cannot write the file");
  return lk_atomic_file_commit (f, error);
}
