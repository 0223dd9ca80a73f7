/* lk-batch.c — batch files in, JSON Lines out. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "lk-atomic-file.h"
#include "lk-batch.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"

typedef enum { FORMAT_JSONL, FORMAT_TSV, FORMAT_CSV } Format;

struct _LkBatchReader {
  GObject           parent_instance;
  char             *path;
  char             *dir;
  Format            format;
  GDataInputStream *in;
  guint             line;       /* of the last line read, 1-based */
  char            **columns;    /* TSV/CSV: the header */
  gboolean          texts;      /* records {"id", "text"}: queries, a corpus */
  guint             nul_line;   /* the last line read that held a NUL byte */
};

G_DEFINE_FINAL_TYPE (LkBatchReader, lk_batch_reader, G_TYPE_OBJECT)

/* The members an item may have besides "meta"; others go into "meta". */
static const char * const item_members[] = {
  "id", "a", "b", "b2", "image", "query_id", "passage_id", "rank", "retrieval_score", NULL
};
static const char * const text_members[] = { "id", "text", NULL };

static void
lk_batch_reader_finalize (GObject *object)
{
  LkBatchReader *self = LK_BATCH_READER (object);

  g_free (self->path);
  g_free (self->dir);
  g_clear_object (&self->in);
  g_strfreev (self->columns);
  G_OBJECT_CLASS (lk_batch_reader_parent_class)->finalize (object);
}

static void
lk_batch_reader_class_init (LkBatchReaderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_batch_reader_finalize;
}

static void
lk_batch_reader_init (LkBatchReader *self)
{
}

/* One physical line without its end, NULL at the end of the file. */
static char *
read_line (LkBatchReader *self, GError **error)
{
  gsize len;
  char *line = g_data_input_stream_read_line (self->in, &len, NULL, error);

  if (line == NULL)
    return NULL;
  self->line++;
  /* A NUL inside a line would cut it short unseen: the item's error. */
  if (strlen (line) != len)
    self->nul_line = self->line;
  if (len > 0 && line[len - 1] == '\r')
    line[len - 1] = '\0';
  return line;
}

static gboolean
blank (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

/* CSV (RFC 4180): fields separated by commas, quoted with '"' ('""' inside
 * is one quote); a quoted field may hold commas and line ends, so a record
 * can take several lines. NULL at the end of the file. */
static GStrv
read_csv_record (LkBatchReader *self, GError **error)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  g_autofree char *line = NULL;
  gboolean quoted = FALSE, was_quoted = FALSE;
  guint first_line;

  do
    {
      GError *local = NULL;

      g_free (line);
      if ((line = read_line (self, &local)) == NULL)
        {
          if (local)
            g_propagate_error (error, local);
          else if (quoted)
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                         "%s: the quoted field that starts on line %u is never closed", self->path, first_line);
          return NULL;
        }
    }
  while (!quoted && blank (line));
  first_line = self->line;
  for (;;)
    {
      for (const char *p = line; ; p++)
        {
          if (quoted)
            {
              if (*p == '\0')
                break;
              if (*p == '"' && p[1] == '"')
                g_string_append_c (field, '"'), p++;
              else if (*p == '"')
                quoted = FALSE;
              else
                g_string_append_c (field, *p);
            }
          else if (*p == '"' && field->len == 0 && !was_quoted)
            quoted = was_quoted = TRUE;
          else if (*p == ',' || *p == '\0')
            {
              g_ptr_array_add (fields, g_strdup (field->str));
              g_string_truncate (field, 0);
              was_quoted = FALSE;
              if (*p == '\0')
                {
                  g_ptr_array_add (fields, NULL);
                  return (GStrv) g_ptr_array_free (g_steal_pointer (&fields), FALSE);
                }
            }
          else
            g_string_append_c (field, *p);
        }
      /* A line end inside quotes belongs to the field. */
      g_string_append_c (field, '\n');
      g_free (line);
      if ((line = read_line (self, error)) == NULL)
        {
          if (error && *error == NULL)
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                         "%s: the quoted field that starts on line %u is never closed", self->path, first_line);
          return NULL;
        }
    }
}

static GStrv
read_record (LkBatchReader *self, GError **error)
{
  g_autofree char *line = NULL;

  if (self->format == FORMAT_CSV)
    return read_csv_record (self, error);
  do
    {
      g_free (line);
      if ((line = read_line (self, error)) == NULL)
        return NULL;
    }
  while (blank (line));
  return g_strsplit (line, "\t", -1);
}

static gboolean
ends_with (const char *path, const char *suffix)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, suffix);
}

LkBatchReader *
lk_batch_reader_new (const char *path, GError **error)
{
  return lk_batch_reader_new_full (path, FALSE, error);
}

LkBatchReader *
lk_batch_reader_new_full (const char *path, gboolean texts, GError **error)
{
  g_autoptr(LkBatchReader) self = g_object_new (LK_TYPE_BATCH_READER, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  GError *local = NULL;

  self->path = g_strdup (path);
  self->texts = texts;
  if (ends_with (path, ".jsonl") || ends_with (path, ".ndjson") || ends_with (path, ".json"))
    self->format = FORMAT_JSONL;
  else if (ends_with (path, ".tsv") || ends_with (path, ".tab"))
    self->format = FORMAT_TSV;
  else if (ends_with (path, ".csv"))
    self->format = FORMAT_CSV;
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%s: cannot tell the format from the name: expected .jsonl (JSON Lines), .tsv or .csv", path);
      return NULL;
    }
  /* A FIFO or a device would block the read below. */
  if (!lk_file_check_regular (path, texts ? "a file of records {id, text}" : "a batch input file", error))
    return NULL;
  if ((stream = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "cannot read %s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  {
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    self->dir = g_path_get_dirname (abs);
  }
  self->in = g_data_input_stream_new (G_INPUT_STREAM (stream));
  g_data_input_stream_set_newline_type (self->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
  if (self->format != FORMAT_JSONL)
    {
      g_auto(GStrv) header = read_record (self, &local);

      if (header == NULL)
        {
          if (local == NULL)
            g_set_error (&local, LK_ERROR, LK_ERROR_INVALID_DATA, "%s is empty: expected a header row naming the "
                         "columns (id, a, b or id, image, b)", path);
          g_propagate_error (error, local);
          return NULL;
        }
      for (guint i = 0; header[i]; i++)
        {
          g_strstrip (header[i]);
          for (guint j = 0; j < i; j++)
            if (g_str_equal (header[i], header[j]))
              {
                g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the header names the column '%s' twice",
                             path, header[i]);
                return NULL;
              }
        }
      if (texts && !g_strv_contains ((const char * const *) header, "text"))
        {
          g_autofree char *found = g_strjoinv (", ", header);
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the header row has the columns %s; expected "
                       "a column text, and optionally id", path, found);
          return NULL;
        }
      if (!texts &&
          (!g_strv_contains ((const char * const *) header, "b") ||
           (!g_strv_contains ((const char * const *) header, "a") &&
            !g_strv_contains ((const char * const *) header, "image"))))
        {
          g_autofree char *found = g_strjoinv (", ", header);
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the header row has the columns %s; expected "
                       "columns a and b (two texts) or image and b (an image and its caption), and optionally id",
                       path, found);
          return NULL;
        }
      self->columns = g_steal_pointer (&header);
    }
  return g_steal_pointer (&self);
}

/* An item that could not be read: its id when known, else its line. */
static char *
error_item (const char *id, guint line, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static char *
error_item (const char *id, guint line, const char *fmt, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *message = NULL;
  g_autofree char *line_id = g_strdup_printf ("%u", line);
  va_list args;

  va_start (args, fmt);
  message = g_strdup_vprintf (fmt, args);
  va_end (args);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id ? id : line_id);
  json_builder_set_member_name (b, "line");
  json_builder_add_int_value (b, line);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* @o (a parsed JSONL line or a row made into an object) as an item. */
static char *
normalise (LkBatchReader *self, JsonObject *o)
{
  g_autoptr(JsonObject) item = json_object_new ();
  g_autoptr(JsonObject) meta = json_object_new ();
  g_autofree char *id = NULL;
  g_autoptr(GList) members = json_object_get_members (o);
  JsonNode *idn = json_object_get_member (o, "id");
  g_autoptr(JsonNode) root = NULL;

  if (idn == NULL)
    id = g_strdup_printf ("%u", self->line);
  else if (JSON_NODE_HOLDS_VALUE (idn) && json_node_get_value_type (idn) == G_TYPE_STRING &&
           *json_node_get_string (idn) != '\0')
    id = g_strdup (json_node_get_string (idn));
  else if (JSON_NODE_HOLDS_VALUE (idn) && json_node_get_value_type (idn) == G_TYPE_INT64)
    id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (idn));
  else
    return error_item (NULL, self->line, "%s line %u: \"id\" must be a non-empty string or an integer",
                       self->path, self->line);
  json_object_set_string_member (item, "id", id);
  json_object_set_int_member (item, "line", self->line);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *v = json_object_get_member (o, name);

      if (g_str_equal (name, "id"))
        continue;
      if (!g_strv_contains (self->texts ? text_members : item_members, name))
        {
          json_object_set_member (meta, name, json_node_copy (v));
          continue;
        }
      if ((g_str_equal (name, "a") || g_str_equal (name, "b") || g_str_equal (name, "b2") || g_str_equal (name, "image") ||
           g_str_equal (name, "text") ||
           g_str_equal (name, "query_id") || g_str_equal (name, "passage_id")) &&
          !(JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING))
        return error_item (id, self->line, "%s line %u: \"%s\" must be a string", self->path, self->line, name);
      if (g_str_equal (name, "image"))
        {
          g_autofree char *abs = g_canonicalize_filename (json_node_get_string (v), self->dir);
          json_object_set_string_member (item, "image", abs);
        }
      else
        json_object_set_member (item, name, json_node_copy (v));
    }
  if (self->texts && !json_object_has_member (item, "text"))
    return error_item (id, self->line, "%s line %u: expected \"text\"", self->path, self->line);
  if (!self->texts &&
      (!json_object_has_member (item, "b") ||
       json_object_has_member (item, "a") == json_object_has_member (item, "image")))
    return error_item (id, self->line, "%s line %u: expected \"a\" and \"b\" (two texts) or \"image\" and \"b\" "
                       "(an image and its caption)", self->path, self->line);
  if (json_object_has_member (item, "b2") && !json_object_has_member (item, "a"))
    return error_item (id, self->line, "%s line %u: \"b2\" (a contrast's document 2) needs \"a\" (the query) "
                       "and \"b\" (document 1), not an image", self->path, self->line);
  if (json_object_get_size (meta) > 0)
    json_object_set_object_member (item, "meta", g_steal_pointer (&meta));
  root = json_node_init_object (json_node_alloc (), item);
  return json_to_string (root, FALSE);
}

static gboolean
utf8_fields (GStrv row)
{
  for (guint i = 0; row[i]; i++)
    if (!g_utf8_validate (row[i], -1, NULL))
      return FALSE;
  return TRUE;
}

gboolean
lk_batch_reader_next (LkBatchReader *self, char **item, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *where = NULL;
  char *out;

  g_return_val_if_fail (LK_IS_BATCH_READER (self), FALSE);
  if (self->format != FORMAT_JSONL)
    {
      g_auto(GStrv) row = read_record (self, &local);
      g_autoptr(JsonObject) o = NULL;
      guint n, n_cols = g_strv_length (self->columns);

      if (row == NULL)
        {
          if (local && g_error_matches (local, LK_ERROR, LK_ERROR_INVALID_DATA))
            out = error_item (NULL, self->line, "%s", local->message);
          else if (local)
            return g_propagate_error (error, g_steal_pointer (&local)), FALSE;
          else
            return FALSE;
        }
      else if (self->nul_line == self->line)
        out = error_item (NULL, self->line, "%s line %u holds a NUL byte", self->path, self->line);
      else if ((n = g_strv_length (row)) != n_cols)
        out = error_item (NULL, self->line, "%s line %u: %u fields where the header has %u columns",
                          self->path, self->line, n, n_cols);
      else if (!utf8_fields (row))
        out = error_item (NULL, self->line, "%s line %u is not valid UTF-8", self->path, self->line);
      else
        {
          o = json_object_new ();
          for (guint i = 0; i < n_cols; i++)
            json_object_set_string_member (o, self->columns[i], row[i]);
          out = normalise (self, o);
        }
      if (item)
        *item = out;
      else
        g_free (out);
      return TRUE;
    }
  do
    {
      g_free (text);
      if ((text = read_line (self, &local)) == NULL)
        {
          if (local)
            return g_propagate_error (error, g_steal_pointer (&local)), FALSE;
          return FALSE;
        }
    }
  while (blank (text));
  where = g_strdup_printf ("%s line %u", self->path, self->line);
  if (self->nul_line == self->line)
    out = error_item (NULL, self->line, "%s holds a NUL byte", where);
  else if (!g_utf8_validate (text, -1, NULL))
    out = error_item (NULL, self->line, "%s is not valid UTF-8", where);
  else if ((node = lk_json_parse (text, -1, where, &local)) == NULL)
    out = error_item (NULL, self->line, "%s", local->message);
  else if (!JSON_NODE_HOLDS_OBJECT (node))
    out = error_item (NULL, self->line, "%s: expected a JSON object {\"id\", \"a\", \"b\"}", where);
  else
    out = normalise (self, json_node_get_object (node));
  if (item)
    *item = out;
  else
    g_free (out);
  return TRUE;
}

guint
lk_batch_shard_of (const char *id, guint n_shards)
{
  guint8 digest[32];
  gsize len = sizeof digest;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint64 v = 0;

  g_return_val_if_fail (n_shards > 0, 0);
  g_checksum_update (sum, (const guchar *) id, strlen (id));
  g_checksum_get_digest (sum, digest, &len);
  for (guint i = 0; i < 8; i++)
    v = (v << 8) | digest[i];
  return (guint) (v % n_shards);
}

/* ---- one item ---- */

static void
copy_member (JsonObject *to, JsonObject *from, const char *name)
{
  if (json_object_has_member (from, name))
    json_object_set_member (to, name, json_node_copy (json_object_get_member (from, name)));
}

/* The members of the item that travel into its line. */
static void
copy_item_members (JsonObject *to, JsonObject *item)
{
  static const char * const kept[] = { "id", "line", "query_id", "passage_id", "rank", "retrieval_score", "meta" };

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    copy_member (to, item, kept[i]);
}

static char *
error_line (JsonObject *item, const char *message)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonNode) root = NULL;

  copy_item_members (o, item);
  json_object_set_string_member (o, "error", message);
  root = json_node_init_object (json_node_alloc (), o);  /* it takes its own reference */
  return json_to_string (root, FALSE);
}

static char *
explain_item (LkModel                *model,
              const LkExplainRequest *request,
              const char             *item,
              gboolean               *failed,
              GCancellable           *cancellable,
              GError                **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(LkExplainRequest) r = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();
  JsonObject *o;
  g_autofree char *what = NULL;
  char *line;

  *failed = TRUE;
  if ((node = lk_json_parse (item, -1, "the item", &local)) == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return error_line (empty, local ? local->message : "the item is not a JSON object");
  o = json_node_get_object (node);
  if (json_object_has_member (o, "error"))
    return error_line (o, json_object_get_string_member_with_default (o, "error", ""));
  r = lk_explain_request_copy (request);
  if (json_object_has_member (o, "image"))
    lk_explain_request_set_image (r, json_object_get_string_member (o, "image"),
                                  json_object_get_string_member_with_default (o, "b", ""));
  else
    lk_explain_request_set_texts (r, json_object_get_string_member_with_default (o, "a", ""),
                                  json_object_get_string_member_with_default (o, "b", ""));
  /* An item with "b2" asks why "b" ranks above it for "a" (lk-contrast.h). */
  lk_explain_request_set_contrast (r, json_object_get_string_member_with_default (o, "b2", NULL));
  if (!lk_explain_request_check (r, model, &local) ||
      (x = lk_explain (model, r, NULL, NULL, cancellable, &local)) == NULL)
    {
      g_autofree char *msg = NULL;

      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return g_propagate_error (error, g_steal_pointer (&local)), NULL;
      msg = g_strdup_printf ("item %s (line %" G_GINT64_FORMAT "): %s",
                             json_object_get_string_member_with_default (o, "id", "?"),
                             json_object_get_int_member_with_default (o, "line", 0), local->message);
      return error_line (o, msg);
    }
  result = lk_explanation_to_json (x);
  copy_item_members (json_node_get_object (result), o);
  what = g_strdup_printf ("the result of item %s", json_object_get_string_member_with_default (o, "id", "?"));
  if ((line = lk_json_to_data (result, FALSE, what, NULL, &local)) == NULL)
    return error_line (o, local->message);
  *failed = FALSE;
  return line;
}

char *
lk_batch_explain_item (LkModel                *model,
                       const LkExplainRequest *request,
                       const char             *item,
                       GCancellable           *cancellable,
                       GError                **error)
{
  gboolean failed;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (request != NULL && item != NULL, NULL);
  return explain_item (model, request, item, &failed, cancellable, error);
}

/* ---- a run ---- */

/* Every item of @path, refusing duplicate ids. */
GPtrArray *
lk_batch_read_items (const char *path, GError **error)
{
  return lk_batch_read_records (path, FALSE, error);
}

GPtrArray *
lk_batch_read_records (const char *path, gboolean texts, GError **error)
{
  g_autoptr(LkBatchReader) reader = lk_batch_reader_new_full (path, texts, error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  char *item;
  GError *local = NULL;

  if (reader == NULL)
    return NULL;
  while (lk_batch_reader_next (reader, &item, &local))
    {
      g_autoptr(JsonNode) node = json_from_string (item, NULL);
      JsonObject *o = json_node_get_object (node);
      const char *id = json_object_get_string_member (o, "id");
      guint line = json_object_get_int_member (o, "line");
      gpointer prev;

      g_ptr_array_add (items, item);
      if (g_hash_table_lookup_extended (lines, id, NULL, &prev))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the id '%s' is on line %u and on line %u: "
                       "ids must be unique (they decide shards, --resume and merges)", path, id,
                       GPOINTER_TO_UINT (prev), line);
          return NULL;
        }
      g_hash_table_insert (lines, g_strdup (id), GUINT_TO_POINTER (line));
    }
  if (local)
    return g_propagate_error (error, local), NULL;
  return g_steal_pointer (&items);
}

/* The id of a line written before, NULL when the line is not one;
 * @failed (optional): whether it is an error line. */
static char *
line_info (const char *line, gboolean *failed, char **method, char **model)
{
  g_autoptr(JsonNode) node = lk_json_parse (line, -1, "a line", NULL);
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *id = o ? json_object_get_string_member_with_default (o, "id", NULL) : NULL;
  JsonNode *m;

  if (failed)
    *failed = o && json_object_has_member (o, "error");
  if (method && o && (m = json_object_get_member (o, "method")) && JSON_NODE_HOLDS_OBJECT (m))
    *method = g_strdup (json_object_get_string_member_with_default (json_node_get_object (m), "name", NULL));
  if (model && o && (m = json_object_get_member (o, "model")) && JSON_NODE_HOLDS_OBJECT (m))
    *model = g_strdup (json_object_get_string_member_with_default (json_node_get_object (m), "id", NULL));
  return g_strdup (id);
}

static char *
line_id (const char *line, gboolean *failed)
{
  return line_info (line, failed, NULL, NULL);
}

/* The ids in @output, after dropping a last line without its newline (a
 * run killed while writing it, if the system wrote part of it). A result
 * of another method or model is an error: resuming would mix two runs. */
static GHashTable *
read_done (const char *output, const char *method, const char *model, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GError *local = NULL;
  gsize whole;
  guint n = 0;

  if (!g_file_get_contents (output, &data, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local);
          return g_steal_pointer (&done);
        }
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "cannot read %s to resume: %s", output, local->message);
      g_error_free (local);
      return NULL;
    }
  for (whole = len; whole > 0 && data[whole - 1] != '\n'; whole--)
    ;
  if (whole < len && truncate (output, whole) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "cannot drop the cut-off last line of %s: %s", output,
                   g_strerror (errno));
      return NULL;
    }
  data[whole] = '\0';
  for (char *p = data, *nl; *p; p = nl + 1)
    {
      g_autofree char *id = NULL, *m = NULL, *mo = NULL;

      nl = strchr (p, '\n');
      *nl = '\0';
      n++;
      if (blank (p))
        continue;
      if ((id = line_info (p, NULL, &m, &mo)) == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s line %u is not a batch line (a JSON object with "
                       "an \"id\"): not resuming into a file this program did not write", output, n);
          return NULL;
        }
      if ((m && g_strcmp0 (m, method) != 0) || (mo && g_strcmp0 (mo, model) != 0))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s line %u was made with the method %s on the "
                       "model %s, and this run is %s on %s: resuming would mix two runs; choose another output",
                       output, n, m ? m : method, mo ? mo : model, method, model);
          return NULL;
        }
      g_hash_table_add (done, g_steal_pointer (&id));
    }
  return g_steal_pointer (&done);
}

/* All of @len bytes, or none: a failed write is cut back off. */
static gboolean
append_line (int fd, const char *output, const char *line, GError **error)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  gsize len = strlen (text), off = 0;
  off_t start = lseek (fd, 0, SEEK_END);

  while (off < len)
    {
      ssize_t w = write (fd, text + off, len - off);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int saved = errno;
          if (start >= 0 && ftruncate (fd, start) != 0)
            { /* the partial line stays; --resume drops it */ }
          g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "cannot write to %s: %s", output, g_strerror (saved));
          return FALSE;
        }
      off += w;
    }
  return TRUE;
}

gboolean
lk_batch_check_output (const char *output, const char * const *inputs, GError **error)
{
  GStatBuf st, in;

  if (g_stat (output, &st) != 0)
    {
      g_autofree char *dir = g_path_get_dirname (output);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return TRUE;
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "cannot write %s: the folder %s does not exist", output, dir);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s is %s, not a file results can be written to",
                   output, lk_file_kind (st.st_mode));
      return FALSE;
    }
  /* Appending to an input would read as its own results on --resume. */
  for (guint i = 0; inputs[i]; i++)
    if (g_stat (inputs[i], &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino)
      {
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s is both an input and the output: choose "
                     "another output", output);
        return FALSE;
      }
  return TRUE;
}

gboolean
lk_batch_run_items (LkModel                *model,
                    const LkExplainRequest *request,
                    GPtrArray              *items,
                    const char             *output,
                    guint                   shard,
                    guint                   n_shards,
                    gboolean                resume,
                    LkBatchProgressFunc     progress,
                    gpointer                progress_data,
                    GCancellable           *cancellable,
                    GError                **error)
{
  g_autoptr(GHashTable) done = NULL;
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  g_autoptr(GTimer) timer = g_timer_new ();
  LkBatchProgress p = { 0 };
  GStatBuf st;
  int fd;

  g_return_val_if_fail (n_shards > 0 && shard < n_shards, FALSE);
  if (!lk_batch_check_output (output, (const char *[]) { NULL }, error))
    return FALSE;
  if (!resume && g_stat (output, &st) == 0 && st.st_size > 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s already holds results: continue it with "
                   "--resume, or choose another output", output);
      return FALSE;
    }
  if ((done = resume ? read_done (output, lk_method_to_string (lk_explain_request_get_method (request)),
                                  lk_model_get_id (model), error)
              : g_hash_table_new (g_str_hash, g_str_equal)) == NULL)
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    {
      const char *item = g_ptr_array_index (items, i);
      g_autoptr(JsonNode) node = json_from_string (item, NULL);
      const char *id = json_object_get_string_member (json_node_get_object (node), "id");
      const char *key = json_object_has_member (json_node_get_object (node), "query_id")
                        ? json_object_get_string_member (json_node_get_object (node), "query_id") : id;

      /* Retrieval items shard by query, so that one shard retrieves each
       * of its queries once. */
      if (lk_batch_shard_of (key, n_shards) != shard)
        continue;
      p.total++;
      if (g_hash_table_contains (done, id))
        p.skipped++;
      else
        g_ptr_array_add (todo, (gpointer) item);
    }
  fd = g_open (output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *dir = g_path_get_dirname (output);
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "cannot write %s: %s%s%s", output, g_strerror (saved),
                   saved == ENOENT ? "; the folder does not exist: " : "", saved == ENOENT ? dir : "");
      return FALSE;
    }
  if (progress)
    progress (&p, progress_data);
  for (guint i = 0; i < todo->len; i++)
    {
      gboolean failed;
      g_autofree char *line = explain_item (model, request, g_ptr_array_index (todo, i), &failed, cancellable, error);

      if (line == NULL || !append_line (fd, output, line, error))
        {
          close (fd);
          return FALSE;
        }
      p.done++;
      p.failed += failed;
      p.seconds = g_timer_elapsed (timer, NULL);
      if (progress)
        progress (&p, progress_data);
    }
  if (fdatasync (fd) != 0 || close (fd) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "cannot write %s: %s", output, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
lk_batch_run (LkModel                *model,
              const LkExplainRequest *request,
              const char             *input,
              const char             *output,
              guint                   shard,
              guint                   n_shards,
              gboolean                resume,
              LkBatchProgressFunc     progress,
              gpointer                progress_data,
              GCancellable           *cancellable,
              GError                **error)
{
  g_autoptr(GPtrArray) items = NULL;

  if (!lk_batch_check_output (output, (const char *[]) { input, NULL }, error) ||
      (items = lk_batch_read_items (input, error)) == NULL)
    return FALSE;
  return lk_batch_run_items (model, request, items, output, shard, n_shards, resume, progress, progress_data,
                             cancellable, error);
}

/* ---- merge ---- */

gboolean
lk_batch_merge (const char * const *inputs,
                const char         *output,
                const char         *expected,
                guint              *n_lines,
                guint              *n_failed,
                GError            **error)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) from = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  guint failed = 0;

  for (guint f = 0; inputs[f]; f++)
    {
      g_autofree char *data = NULL;
      GError *local = NULL;
      guint n = 0;

      if (!lk_file_check_regular (inputs[f], "a batch output", error))
        return FALSE;
      if (!g_file_get_contents (inputs[f], &data, NULL, &local))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "cannot read %s: %s", inputs[f], local->message);
          g_error_free (local);
          return FALSE;
        }
      for (char *p = data, *nl; p && *p; p = nl ? nl + 1 : NULL)
        {
          g_autofree char *id = NULL;
          const char *other;
          gboolean bad;
          char *key;

          nl = strchr (p, '\n');
          if (nl == NULL)
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the last line is cut short (a killed run?): "
                           "finish it with batch --resume first", inputs[f]);
              return FALSE;
            }
          *nl = '\0';
          n++;
          if (blank (p))
            continue;
          if ((id = line_id (p, &bad)) == NULL)
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s line %u is not a batch line (a JSON object "
                           "with an \"id\")", inputs[f], n);
              return FALSE;
            }
          if ((other = g_hash_table_lookup (from, id)) != NULL)
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "the id '%s' is in %s and in %s%s: a shard was "
                           "run twice or the shards overlap", id, other, inputs[f],
                           g_str_equal (other, inputs[f]) ? " twice" : "");
              return FALSE;
            }
          failed += bad;
          key = g_steal_pointer (&id);
          g_hash_table_insert (from, g_strdup (key), (gpointer) inputs[f]);
          g_ptr_array_add (order, key);
          g_hash_table_insert (by_id, key, g_strdup (p));
        }
    }
  if (expected)
    {
      g_autoptr(GPtrArray) items = lk_batch_read_items (expected, error);
      g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
      guint missing = 0;
      g_autoptr(GString) some = g_string_new (NULL);

      if (items == NULL)
        return FALSE;
      g_ptr_array_set_size (order, 0);
      for (guint i = 0; i < items->len; i++)
        {
          g_autoptr(JsonNode) node = json_from_string (g_ptr_array_index (items, i), NULL);
          const char *id = json_object_get_string_member (json_node_get_object (node), "id");
          gpointer key = NULL;

          if (!g_hash_table_lookup_extended (by_id, id, &key, NULL))
            {
              if (missing++ < 5)
                g_string_append_printf (some, "%s'%s'", some->len ? ", " : "", id);
              continue;
            }
          g_hash_table_add (wanted, key);
          g_ptr_array_add (order, key);
        }
      if (missing > 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%u of the %u items of %s have no line (%s%s): a "
                       "shard is missing or unfinished", missing, items->len, expected, some->str,
                       missing > 5 ? ", …" : "");
          return FALSE;
        }
      if (g_hash_table_size (wanted) != g_hash_table_size (by_id))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%u lines have ids that %s does not have: the shards "
                       "come from another input", g_hash_table_size (by_id) - g_hash_table_size (wanted), expected);
          return FALSE;
        }
    }
  for (guint i = 0; i < order->len; i++)
    {
      g_string_append (out, g_hash_table_lookup (by_id, g_ptr_array_index (order, i)));
      g_string_append_c (out, '\n');
    }
  if (n_lines)
    *n_lines = g_hash_table_size (by_id);
  if (n_failed)
    *n_failed = failed;
  return lk_atomic_file_write (output, out->str, out->len, 0666, error);
}
