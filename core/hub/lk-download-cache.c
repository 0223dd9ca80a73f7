/* lk-download-cache.c — writing a download into the cache: each blob as
 * blobs/<etag>.incomplete, resumed with a Range request, hashed while it
 * streams and renamed into place only once complete and verified; then the
 * snapshot's relative links and refs/<revision>. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-atomic-file.h"
#include "lk-error.h"
#include "lk-download-private.h"

static void
report (LkDownload *dl, const char *path)
{
  if (dl->progress != NULL)
    dl->progress (path, dl->done, dl->total, dl->progress_data);
}

static gboolean
is_sha256 (const char *etag)
{
  if (strlen (etag) != 64)
    return FALSE;
  for (const char *p = etag; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

G_GNUC_PRINTF (2, 3)
static gboolean
set_errno_error (GError **error, const char *format, ...)
{
  int saved = errno;
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "%s: %s", what, g_strerror (saved));
  return FALSE;
}

/* GIO's file errors into ours; a cancellation stays what it is. */
static gboolean
set_file_error (GError **error, GError *cause, const char *path)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, cause);
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, _("Cannot write %s: %s"), path, cause->message);
      g_error_free (cause);
    }
  return FALSE;
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

/* Re-reads what an earlier attempt kept, so the checksum covers all bytes. */
static gboolean
hash_prefix (LkDownload *dl, const char *partial, goffset length, GChecksum *sum, GError **error)
{
  g_autoptr(GFile) gfile = g_file_new_for_path (partial);
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree guchar *buf = g_malloc (LK_DOWNLOAD_CHUNK_SIZE);
  GError *local_error = NULL;

  if ((in = g_file_read (gfile, dl->cancellable, &local_error)) == NULL)
    return set_file_error (error, local_error, partial);
  while (length > 0)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, MIN (length, LK_DOWNLOAD_CHUNK_SIZE),
                                      dl->cancellable, &local_error);
      if (n < 0)
        return set_file_error (error, local_error, partial);
      if (n == 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_FAILED, _("%s shrank while being read"), partial);
          return FALSE;
        }
      g_checksum_update (sum, buf, n);
      length -= n;
    }
  return TRUE;
}

/* Appends to the partial file from @offset (0: start afresh). */
static GOutputStream *
open_partial (LkDownload *dl, const char *partial, goffset offset, GError **error)
{
  g_autoptr(GFile) gfile = g_file_new_for_path (partial);

  if (offset == 0)
    g_unlink (partial);
  return G_OUTPUT_STREAM (g_file_append_to (gfile, G_FILE_CREATE_NONE, dl->cancellable, error));
}

typedef struct {
  LkRemoteFile *file;
  const char   *partial;
  GInputStream *body;
  goffset       offset;   /* bytes kept from an earlier attempt */
  guint64       expected; /* the whole file; 0 if unknown */
  GChecksum    *sum;
} Transfer;

static void
set_cut_error (LkDownload *dl, GError **error, Transfer *t, const char *why)
{
  /* The numbers are formatted first: a translatable string cannot hold
   * G_GUINT64_FORMAT, gettext would cut it there. */
  g_autofree char *got = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) file_size (t->partial));
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, t->expected);

  g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
               /* Translators: a file, a model, bytes received, bytes expected, the reason, a path. */
               _("Download of “%s” (model “%s”) stopped after %s of %s bytes (%s); "
                 "the partial file %s is kept and the next attempt resumes it"),
               t->file->path, dl->id, got, size, why, t->partial);
}

/* Streams the body into the partial file, hashing and counting it. */
static gboolean
copy_body (LkDownload *dl, Transfer *t, GError **error)
{
  g_autoptr(GOutputStream) out = NULL;
  g_autofree guchar *buf = g_malloc (LK_DOWNLOAD_CHUNK_SIZE);
  g_autoptr(GError) read_error = NULL;
  GError *write_error = NULL;
  guint64 have = t->offset;
  gssize n;

  if ((out = open_partial (dl, t->partial, t->offset, &write_error)) == NULL)
    return set_file_error (error, write_error, t->partial);
  while ((n = g_input_stream_read (t->body, buf, LK_DOWNLOAD_CHUNK_SIZE, dl->cancellable, &read_error)) > 0)
    {
      if (!g_output_stream_write_all (out, buf, n, NULL, dl->cancellable, &write_error))
        return set_file_error (error, write_error, t->partial);
      g_checksum_update (t->sum, buf, n);
      have += n;
      dl->done += n;
      report (dl, t->file->path);
    }
  if (!g_output_stream_close (out, NULL, &write_error))
    return set_file_error (error, write_error, t->partial);
  if (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      return FALSE;
    }
  if (read_error != NULL || (t->expected > 0 && have < t->expected))
    {
      set_cut_error (dl, error, t, read_error != NULL ? read_error->message : _("connection closed"));
      return FALSE;
    }
  return TRUE;
}

/* The size the response announces for the whole file. */
static guint64
announced_size (SoupMessage *msg, goffset offset)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset start, end, total;

  if (soup_message_get_status (msg) == SOUP_STATUS_PARTIAL_CONTENT
      && soup_message_headers_get_content_range (headers, &start, &end, &total) && total > 0)
    return total;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    return offset + soup_message_headers_get_content_length (headers);
  return 0;
}

/* Checks the answer to a (ranged) GET and sets where the body starts.
 * Returns FALSE with no error when the server refused the range (416) and
 * the partial file was dropped: the caller then starts afresh. */
static gboolean
accept_response (LkDownload *dl, Transfer *t, SoupMessage *msg, const char *url, GError **error)
{
  guint status = soup_message_get_status (msg);
  goffset start = -1, end, total;

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      soup_message_headers_get_content_range (soup_message_get_response_headers (msg),
                                              &start, &end, &total);
      if (start == t->offset)
        return TRUE;
      g_autofree char *at = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) start);
      g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) t->offset);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   /* Translators: a URL, then two byte offsets. */
                   _("%s resumed at byte %s instead of %s"), url, at, want);
      return FALSE;
    }
  if (status == SOUP_STATUS_OK)
    {
      /* The server ignored the range: the body is the whole file. */
      t->offset = 0;
      return TRUE;
    }
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && t->offset > 0)
    {
      g_unlink (t->partial);
      return FALSE;
    }
  lk_hub_set_http_error (dl, error, msg, url);
  return FALSE;
}

static gboolean
transfer (LkDownload *dl, Transfer *t, GError **error)
{
  guint64 done_before = dl->done;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autofree char *url = NULL;
      g_autoptr(GInputStream) body = NULL;
      g_autoptr(GError) local_error = NULL;

      t->offset = file_size (t->partial);
      if (t->file->size > 0 && (guint64) t->offset >= t->file->size)
        t->offset = 0; /* nothing sensible to resume: maybe a changed file */
      body = lk_hub_send (dl, "GET", t->file->url, t->offset, &msg, &url, error);
      if (body == NULL)
        return FALSE;
      if (!accept_response (dl, t, msg, url, &local_error))
        {
          if (local_error == NULL)
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      t->expected = t->file->size > 0 ? t->file->size : announced_size (msg, t->offset);
      g_checksum_reset (t->sum);
      if (t->offset > 0 && !hash_prefix (dl, t->partial, t->offset, t->sum, error))
        return FALSE;
      dl->done = done_before + t->offset;
      t->body = body;
      return copy_body (dl, t, error);
    }
  g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
               _("%s refuses to send “%s” (model “%s”)"), t->file->url, t->file->path, dl->id);
  return FALSE;
}

/* A blob is only renamed into place once its size and hash are right; a bad
 * one is deleted, since resuming it could never make it right. */
static gboolean
verify (LkDownload *dl, Transfer *t, GError **error)
{
  const char *expected = t->file->etag;
  const char *got = g_checksum_get_string (t->sum);
  guint64 size = file_size (t->partial);

  if (t->expected > 0 && size != t->expected)
    {
      g_autofree char *want = g_strdup_printf ("%" G_GUINT64_FORMAT, t->expected);
      g_autofree char *got_size = g_strdup_printf ("%" G_GUINT64_FORMAT, size);

      g_unlink (t->partial);
      g_set_error (error, LK_ERROR, LK_ERROR_CHECKSUM,
                   /* Translators: a file, a model, then two sizes in bytes. */
                   _("Size mismatch for “%s” (model “%s”): expected %s bytes, got %s; "
                     "the download was discarded"),
                   t->file->path, dl->id, want, got_size);
      return FALSE;
    }
  if (is_sha256 (expected) && g_ascii_strcasecmp (expected, got) != 0)
    {
      g_unlink (t->partial);
      g_set_error (error, LK_ERROR, LK_ERROR_CHECKSUM,
                   _("Checksum mismatch for “%s” (model “%s”): expected SHA-256 %s, got %s; "
                     "the download was discarded"),
                   t->file->path, dl->id, expected, got);
      return FALSE;
    }
  return TRUE;
}

gboolean
lk_download_fetch_blob (LkDownload *dl, LkRemoteFile *file, GError **error)
{
  g_autofree char *blobs = g_build_filename (dl->repo_dir, "blobs", NULL);
  g_autofree char *blob = g_build_filename (blobs, file->etag, NULL);
  g_autofree char *partial = g_strconcat (blob, ".incomplete", NULL);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  Transfer t = { .file = file, .partial = partial, .sum = sum };

  /* Another revision may share this blob. */
  if (g_file_test (blob, G_FILE_TEST_IS_REGULAR))
    {
      dl->done += file->size;
      report (dl, file->path);
      return TRUE;
    }
  if (g_mkdir_with_parents (blobs, 0755) != 0)
    return set_errno_error (error, _("Cannot create %s"), blobs);
  if (!transfer (dl, &t, error) || !verify (dl, &t, error))
    return FALSE;
  if (g_rename (partial, blob) != 0)
    return set_errno_error (error, _("Cannot rename %s"), partial);
  return TRUE;
}

/* snapshots/<commit>/<path> → ../../blobs/<etag> (one more ../ per folder),
 * relative so the cache can move. symlink() makes a name whole or not at
 * all; only a link to replace is made under a temporary name and renamed. */
gboolean
lk_download_link_file (LkDownload *dl, LkRemoteFile *file, GError **error)
{
  g_autofree char *link = g_build_filename (dl->snapshot_dir, file->path, NULL);
  g_autofree char *parent = g_path_get_dirname (link);
  g_autofree char *tmp = g_strdup_printf ("%s.%08x.tmp", link, g_random_int ());
  g_autoptr(GString) target = g_string_new ("../../");

  for (const char *p = file->path; *p; p++)
    if (*p == '/')
      g_string_append (target, "../");
  g_string_append_printf (target, "blobs/%s", file->etag);

  if (g_mkdir_with_parents (parent, 0755) != 0)
    return set_errno_error (error, _("Cannot create %s"), parent);
  if (symlink (target->str, link) == 0)
    return TRUE;
  if (errno != EEXIST)
    return set_errno_error (error, _("Cannot create the link %s"), link);
  if (symlink (target->str, tmp) != 0)
    return set_errno_error (error, _("Cannot create the link %s"), tmp);
  if (g_rename (tmp, link) != 0)
    {
      set_errno_error (error, _("Cannot rename %s"), tmp);
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

gboolean
lk_download_write_ref (LkDownload *dl, const char *revision, GError **error)
{
  g_autofree char *refs = g_build_filename (dl->repo_dir, "refs", NULL);
  g_autofree char *ref = g_build_filename (refs, revision, NULL);
  GError *local_error = NULL;

  /* A revision that is the commit itself needs no ref. */
  if (g_str_equal (revision, dl->commit))
    return TRUE;
  if (g_mkdir_with_parents (refs, 0755) != 0)
    return set_errno_error (error, _("Cannot create %s"), refs);
  if (!lk_atomic_file_write (ref, dl->commit, strlen (dl->commit), 0644, &local_error))
    return set_file_error (error, local_error, ref);
  return TRUE;
}
