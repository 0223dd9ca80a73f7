/* lk-provenance.c — see lk-provenance.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-image.h"
#include "lk-json.h"
#include "lk-provenance.h"

/* The cache: one JSON object, path → { size, mtime_ns, inode, sha256 }. It is
 * only a shortcut: a missing, unreadable or corrupt file is ignored and
 * written anew. */
static GMutex cache_lock;
static JsonObject *cache;
static guint n_hashed;

static char *
cache_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "likeness", "sha256.json", NULL);
}

static JsonObject *
cache_get (void)
{
  if (cache == NULL)
    {
      g_autofree char *path = cache_path ();
      g_autoptr(JsonNode) root = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        root = lk_json_load (path, FALSE, NULL);
      cache = root && JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : json_object_new ();
      /* Entries of files that are gone (a model removed, a photo renamed)
       * would make the cache grow for ever. */
      GList *paths = json_object_get_members (cache);
      for (GList *l = paths; l; l = l->next)
        if (!g_file_test (l->data, G_FILE_TEST_EXISTS) || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (cache, l->data)))
          json_object_remove_member (cache, l->data);
      g_list_free (paths);
    }
  return cache;
}

static void
cache_save (void)
{
  g_autofree char *path = cache_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, cache);
  /* Not fatal: the hash is right either way, only the next run is slower. */
  if (g_mkdir_with_parents (dir, 0755) == 0)
    lk_json_save_atomic (node, path, NULL);
}

static char *
hash_file (const char *path, GError **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1 << 20);
  FILE *f = g_fopen (path, "rb");
  size_t n;

  if (f == NULL)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: cannot read it to hash it: %s",
                   path, g_strerror (errsv));
      return NULL;
    }
  while ((n = fread (buf, 1, 1 << 20, f)) > 0)
    g_checksum_update (sum, buf, n);
  if (ferror (f))
    {
      fclose (f);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: read error while hashing it", path);
      return NULL;
    }
  fclose (f);
  n_hashed++;
  return g_strdup (g_checksum_get_string (sum));
}

char *
lk_file_sha256 (const char *path, GError **error)
{
  g_autofree char *abs = NULL;
  GStatBuf st;
  JsonObject *entry;
  char *sha;
  gint64 mtime_ns;

  g_return_val_if_fail (path != NULL, NULL);
  abs = g_canonicalize_filename (path, NULL);
  if (g_stat (abs, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: cannot hash it: %s", path, g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file, cannot hash it", path);
      return NULL;
    }
  mtime_ns = (gint64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  g_mutex_lock (&cache_lock);
  entry = json_object_has_member (cache_get (), abs) ? json_object_get_object_member (cache_get (), abs) : NULL;
  if (entry != NULL
      && json_object_get_int_member_with_default (entry, "size", -1) == (gint64) st.st_size
      && json_object_get_int_member_with_default (entry, "mtime_ns", -1) == mtime_ns
      && json_object_get_int_member_with_default (entry, "inode", -1) == (gint64) st.st_ino
      && json_object_get_string_member_with_default (entry, "sha256", NULL) != NULL
      && strlen (json_object_get_string_member (entry, "sha256")) == 64)
    {
      sha = g_strdup (json_object_get_string_member (entry, "sha256"));
      g_mutex_unlock (&cache_lock);
      return sha;
    }
  g_mutex_unlock (&cache_lock);
  /* Hashed outside the lock: hundreds of MB take a second or more. */
  if ((sha = hash_file (abs, error)) == NULL)
    return NULL;
  g_mutex_lock (&cache_lock);
  entry = json_object_new ();
  json_object_set_int_member (entry, "size", st.st_size);
  json_object_set_int_member (entry, "mtime_ns", mtime_ns);
  json_object_set_int_member (entry, "inode", st.st_ino);
  json_object_set_string_member (entry, "sha256", sha);
  json_object_set_object_member (cache_get (), abs, entry);
  cache_save ();
  g_mutex_unlock (&cache_lock);
  return sha;
}

guint
lk_file_sha256_count (void)
{
  return n_hashed;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
add_files (JsonObject *files, const char *root, const char *rel, int depth, GError **error)
{
  g_autofree char *dir_path = rel ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  /* Sorted, so that two results of one model list their files alike. */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      g_autofree char *r = rel ? g_build_filename (rel, n, NULL) : g_strdup (n);
      g_autofree char *full = g_build_filename (root, r, NULL);

      /* What the loader reads: the top-level files and the numbered module
       * folders (1_Pooling, 2_Dense); not the README, nor onnx/ or
       * openvino/, which can hold gigabytes nothing here reads. */
      if (n[0] == '.' || g_str_has_suffix (n, ".md"))
        continue;
      if (g_file_test (full, G_FILE_TEST_IS_DIR))
        {
          if (depth == 0 && g_ascii_isdigit (n[0]) && strchr (n, '_') != NULL
              && !add_files (files, root, r, depth + 1, error))
            return FALSE;
        }
      else if (g_file_test (full, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *sha = lk_file_sha256 (full, error);

          if (sha == NULL)
            return FALSE;
          json_object_set_string_member (files, r, sha);
        }
    }
  return TRUE;
}

JsonObject *
lk_provenance_of_model (const char *dir, GError **error)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonObject) files = json_object_new ();
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  g_autofree char *parent = g_path_get_dirname (abs);
  g_autofree char *parent_name = g_path_get_basename (parent);
  g_autofree char *rev = g_path_get_basename (abs);
  const char *weights[] = { "model.safetensors", "pytorch_model.bin", NULL };

  if (!add_files (files, abs, NULL, 0, error))
    return NULL;
  /* The hub cache's layout: models--ORG--NAME/snapshots/COMMIT. */
  if (g_str_equal (parent_name, "snapshots") && strstr (abs, "/models--") != NULL)
    {
      json_object_set_string_member (o, "source", "hub cache");
      json_object_set_string_member (o, "revision", rev);
    }
  else
    {
      json_object_set_string_member (o, "source", "local folder");
      json_object_set_null_member (o, "revision");
    }
  for (guint i = 0; weights[i]; i++)
    if (json_object_has_member (files, weights[i]))
      {
        json_object_set_string_member (o, "weights_sha256", json_object_get_string_member (files, weights[i]));
        break;
      }
  json_object_set_object_member (o, "files", g_steal_pointer (&files));
  return g_steal_pointer (&o);
}

gboolean
lk_provenance_check_image (JsonObject *image, gboolean *unchecked, GError **error)
{
  const char *path, *recorded;
  g_autofree char *now = NULL;

  *unchecked = TRUE;
  if (image == NULL)
    return TRUE;
  path = json_object_get_string_member_with_default (image, "absolute_path", NULL);
  if (path == NULL)
    path = json_object_get_string_member_with_default (image, "image", NULL);
  recorded = json_object_get_string_member_with_default (image, "sha256", NULL);
  if (path == NULL || recorded == NULL)
    return TRUE;
  /* A photo that is now a pipe or a folder gets the image loader's words. */
  if (!lk_image_check_file (path, error) || (now = lk_file_sha256 (path, error)) == NULL)
    return FALSE;
  *unchecked = FALSE;
  if (g_ascii_strcasecmp (now, recorded) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "%s is not the image this result was made from: its SHA-256 is %s, the result records %s",
                   path, now, recorded);
      return FALSE;
    }
  return TRUE;
}
