/* test-helpers.h — shared fixtures of the core tests. */
#pragma once

#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "lk-model.h"

#define LK_TEST_MODEL "sentence-transformers/all-MiniLM-L6-v2"

/* The real default model from the Hugging Face cache; a missing model fails
 * the test with the reason (tools/fetch-models.py seeds it). */
static inline LkModel *
lk_test_load_model (const char *name)
{
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_AUTO, 0 };
  LkModel *m = lk_model_new (name, &opts, &error);

  if (m == NULL)
    g_error ("cannot load %s (run tools/fetch-models.py): %s", name, error->message);
  return m;
}

static inline void
lk_test_assert_message (const GError *error, const char *fragment)
{
  g_assert_nonnull (error);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected “%s” in the error “%s”", fragment, error->message);
}

/* A scratch copy of a folder's files (one level plus 1_Pooling). */
static inline char *
lk_test_copy_model_dir (const char *src)
{
  char *dir = g_dir_make_tmp ("lk-model-XXXXXX", NULL);
  const char *names[] = { "config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                          "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "1_Pooling/config.json", NULL };
  g_autofree char *pool = g_build_filename (dir, "1_Pooling", NULL);

  g_mkdir (pool, 0755);
  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *from = g_build_filename (src, names[i], NULL);
      g_autofree char *to = g_build_filename (dir, names[i], NULL);
      g_autofree char *data = NULL;
      gsize len;
      if (g_file_get_contents (from, &data, &len, NULL))
        g_file_set_contents (to, data, len, NULL);
    }
  return dir;
}

/* Makes the folder @dir read-only for this process: mode 0555, and, since
 * root writes through mode bits but not through the immutable flag, also
 * chattr +i when running as root. FALSE (with the reason printed) when
 * neither stops this process; lk_test_make_writable () undoes it. */
static inline gboolean
lk_test_make_unwritable (const char *dir)
{
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  if (access (dir, W_OK) == 0)
    {
      g_autofree char *cmd = g_strdup_printf ("chattr +i '%s'", dir);
      gboolean ok = g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
      g_test_message ("mode 0555 does not stop root: chattr +i %s", ok ? "instead" : "failed");
    }
  if (access (dir, W_OK) == 0)
    {
      g_test_message ("running with the right to write anywhere (root, no chattr): not checking a read-only folder");
      return FALSE;
    }
  return TRUE;
}

static inline void
lk_test_make_writable (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("chattr -i '%s'", dir);

  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_chmod (dir, 0755);
}

/* Removes @path and, for a folder, everything below it; a symbolic link
 * is removed, never followed (the hub cache's snapshots link to blobs). */
static inline void
lk_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && (dir = g_dir_open (path, 0, NULL)) != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        lk_test_rm_rf (child);
      }
  g_remove (path);
}

/* "[[[[…1…]]]]" nested @depth deep inside @before … @after: the hostile
 * file that overflowed json-glib's recursive parser. */
static inline char *
lk_test_deep_json (const char *before, guint depth, const char *after)
{
  GString *s = g_string_new (before);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  g_string_append_c (s, '1');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append (s, after);
  return g_string_free (s, FALSE);
}

/* A scratch copy of the committed tiny BERT (tests/golden/tiny/bert) whose
 * tensor @tensor holds @value at element @index: a model from the hub with
 * NaN or Inf in its weights. The offset comes from the safetensors header. */
static inline char *
lk_test_poisoned_tiny_bert (const char *tensor, guint index, float value)
{
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  char *dir = lk_test_copy_model_dir (src);
  g_autofree char *from = g_build_filename (src, "model.safetensors", NULL);
  g_autofree char *to = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *data = NULL, *text = NULL;
  g_autofree char *offsets = NULL;
  gsize len;
  guint64 n, start;
  const char *entry, *at;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  memcpy (&n, data, 8);
  n = GUINT64_FROM_LE (n);
  g_assert_cmpuint (8 + n, <=, len);
  text = g_strndup (data + 8, n);
  /* {"NAME":{"dtype":"F32","shape":[…],"data_offsets":[START,END]},…} */
  offsets = g_strdup_printf ("\"%s\":", tensor);
  g_assert_nonnull ((entry = strstr (text, offsets)));
  g_assert_nonnull ((at = strstr (entry, "\"data_offsets\":[")));
  start = g_ascii_strtoull (at + strlen ("\"data_offsets\":["), NULL, 10);
  g_assert_cmpuint (8 + n + start + 4 * (index + 1), <=, len);
  memcpy (data + 8 + n + start + 4 * index, &value, 4);   /* F32, little-endian host */
  g_assert_true (g_file_set_contents (to, data, len, NULL));
  return dir;
}
