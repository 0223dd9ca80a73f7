/* lk-aspect-train-output.c — where a training run writes, and the rules
 * that keep it from losing anything: OUT is canonicalised and checked
 * before anything is read, nothing is written over an existing OUT, a
 * folder is removed only when it carries our mark (setup.txt in
 * OUT.checkpoint, LK_TRAIN_MARKER in OUT.partial) and no other run holds
 * the checkpoint's lock. */
#define _GNU_SOURCE   /* renameat2 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lk-aspect-train-private.h"
#include "lk-atomic-file.h"
#include "lk-error.h"

#define SETUP_FILE "setup.txt"
#define STATE_FILE "state.pt"

static gboolean
refuse (GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, LK_ERROR, code, msg);
  return FALSE;
}

static gboolean
exists (const char *path)
{
  GStatBuf st;
  return g_lstat (path, &st) == 0;
}

static gboolean
has_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
check_parent (LkTrainOutput *o, GError **error)
{
  if (!g_file_test (o->parent, G_FILE_TEST_EXISTS))
    return refuse (error, LK_ERROR_NOT_FOUND, "cannot write %s: the folder %s does not exist", o->out, o->parent);
  if (!g_file_test (o->parent, G_FILE_TEST_IS_DIR))
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "cannot write %s: %s is not a folder", o->out, o->parent);
  if (access (o->parent, W_OK | X_OK) != 0)
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "cannot write %s: the folder %s is not writable (%s)", o->out,
                   o->parent, g_strerror (errno));
  return TRUE;
}

gboolean
lk_train_output_check (LkTrainOutput *o, const char *out, gboolean resume, GError **error)
{
  o->lock_fd = -1;
  if (out == NULL || *out == '\0')
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "the output folder is empty");
  o->out = g_canonicalize_filename (out, NULL);
  if (strcmp (o->out, "/") == 0)
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s: the root folder cannot be the output folder", out);
  o->parent = g_path_get_dirname (o->out);
  o->checkpoint = g_strconcat (o->out, ".checkpoint", NULL);
  o->partial = g_strconcat (o->out, ".partial", NULL);
  if (!check_parent (o, error))
    return FALSE;
  if (exists (o->out))
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s already exists: choose a new output folder "
                   "(training never writes into or over an existing one)", o->out);
  if (exists (o->partial) && !has_file (o->partial, LK_TRAIN_MARKER))
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s exists and was not made by train-aspects (it has no %s): "
                   "training assembles the model there, so move or delete it, or choose another output folder",
                   o->partial, LK_TRAIN_MARKER);
  o->stale_partial = exists (o->partial);
  if (exists (o->checkpoint) && !has_file (o->checkpoint, SETUP_FILE))
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s exists but is not a train-aspects checkpoint (it has no %s): "
                   "move or delete it, or choose another output folder", o->checkpoint, SETUP_FILE);
  if (resume && !exists (o->checkpoint))
    return refuse (error, LK_ERROR_NOT_FOUND, "--resume: there is no checkpoint at %s", o->checkpoint);
  return TRUE;
}

static gboolean
errno_error (GError **error, const char *path, const char *what)
{
  int errsv = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s (%s)", path, what, g_strerror (errsv));
  return FALSE;
}

static gboolean
open_checkpoint (LkTrainOutput *o, GError **error)
{
  g_autofree char *setup = g_build_filename (o->checkpoint, SETUP_FILE, NULL);
  g_autofree char *old = NULL;

  if (exists (o->checkpoint))
    {
      if (g_file_get_contents (setup, &old, NULL, NULL) && strcmp (old, o->fingerprint) == 0)
        return TRUE;
      return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s holds a checkpoint of another training set-up "
                     "(base, pairs or options differ): delete it to start afresh", o->checkpoint);
    }
  if (g_mkdir (o->checkpoint, 0755) != 0)
    return errno_error (error, o->checkpoint, "cannot create the checkpoint folder");
  o->made_checkpoint = TRUE;
  return lk_atomic_file_write (setup, o->fingerprint, strlen (o->fingerprint), 0644, error);
}

/* A lock and not a PID: it goes with the process, however that ends. */
static gboolean
lock_checkpoint (LkTrainOutput *o, GError **error)
{
  if ((o->lock_fd = open (o->checkpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return errno_error (error, o->checkpoint, "cannot open the checkpoint folder");
  if (flock (o->lock_fd, LOCK_EX | LOCK_NB) == 0)
    return TRUE;
  if (errno == EWOULDBLOCK)
    return refuse (error, LK_ERROR_INVALID_ARGUMENT, "another train-aspects run is writing %s: wait for it to end",
                   o->checkpoint);
  return errno_error (error, o->checkpoint, "cannot lock the checkpoint folder");
}

static gboolean
check_space (LkTrainOutput *o, guint64 need, GError **error)
{
  g_autoptr(GFile) dir = g_file_new_for_path (o->parent);
  g_autoptr(GFileInfo) info = g_file_query_filesystem_info (dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  guint64 free_bytes;

  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;   /* unknown: the writes will say */
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (free_bytes >= need)
    return TRUE;
  return refuse (error, LK_ERROR_INVALID_ARGUMENT, "%s needs about %" G_GUINT64_FORMAT " MB free in %s for the "
                 "trained weights and the checkpoint, but %" G_GUINT64_FORMAT " MB is free",
                 o->out, need / 1000000 + 1, o->parent, free_bytes / 1000000);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)))
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

gboolean
lk_train_output_claim (LkTrainOutput *o, const char *fingerprint, guint64 need_bytes, GError **error)
{
  o->fingerprint = g_strdup (fingerprint);
  if (!check_space (o, need_bytes, error) || !open_checkpoint (o, error) || !lock_checkpoint (o, error))
    return FALSE;
  /* Marked as ours, and we hold the lock: what a killed run left. */
  if (o->stale_partial)
    remove_tree (o->partial);
  return TRUE;
}

gboolean
lk_train_output_has_state (LkTrainOutput *o)
{
  return o->checkpoint && has_file (o->checkpoint, STATE_FILE);
}

gboolean
lk_train_output_open_partial (LkTrainOutput *o, GError **error)
{
  g_autofree char *marker = g_build_filename (o->partial, LK_TRAIN_MARKER, NULL);
  g_autofree char *text = g_strdup_printf ("Made by likeness-cli train-aspects (PID %d) for %s; safe to delete.\n%s",
                                           (int) getpid (), o->out, o->fingerprint);

  if (g_mkdir (o->partial, 0755) != 0)
    return errno_error (error, o->partial, "cannot create the folder");
  return lk_atomic_file_write (marker, text, strlen (text), 0644, error);
}

/* rename(2) would replace an empty folder of the user's at OUT. */
static int
rename_noreplace (const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
  if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -1;
#endif
  if (exists (to))
    {
      errno = EEXIST;
      return -1;
    }
  return g_rename (from, to);
}

gboolean
lk_train_output_publish (LkTrainOutput *o, GError **error)
{
  g_autofree char *marker = g_build_filename (o->out, LK_TRAIN_MARKER, NULL);

  if (rename_noreplace (o->partial, o->out) != 0)
    return errno_error (error, o->out, "cannot rename the assembled model to it");
  g_unlink (marker);
  remove_tree (o->checkpoint);
  return TRUE;
}

void
lk_train_output_abandon (LkTrainOutput *o)
{
  if (o->made_checkpoint && !lk_train_output_has_state (o))
    remove_tree (o->checkpoint);
}

void
lk_train_output_clear (LkTrainOutput *o)
{
  if (o->lock_fd >= 0)
    close (o->lock_fd);
  g_free (o->out);
  g_free (o->parent);
  g_free (o->checkpoint);
  g_free (o->partial);
  g_free (o->fingerprint);
  memset (o, 0, sizeof *o);
  o->lock_fd = -1;
}
