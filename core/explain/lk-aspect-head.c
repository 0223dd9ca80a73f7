/* lk-aspect-head.c — aspect heads (METHODS.md §5 "Aspects without
 * fine-tuning", docs/aspects.md): an orthogonal map Q over a frozen model's
 * embeddings whose first n·k output coordinates are the aspects. The file
 * (a safetensors file with one F32 tensor "Q" and the layout and
 * provenance in its metadata), where the heads live, and how a model finds
 * its own. Training is in lk-aspect-head-train.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lk-aspects.h"
#include "lk-atomic-file.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-provenance.h"
#include "lk-runtime.h"

/* A header larger than this is not one of ours (ours take about 1 KB). */
#define MAX_HEADER (1 << 20)
/* The largest orthogonality error a head may have. Ours are written from a
 * double-precision product of reflections, rounded once to float: about
 * 1e-7. F16 would give ~1e-3, which is why the format takes F32 only. */
#define MAX_ORTHOGONALITY 1e-5

void
lk_aspect_head_free (LkAspectHead *head)
{
  if (head == NULL)
    return;
  lk_aspect_layout_free (head->layout);
  g_free (head->q);
  g_free (head->path);
  g_free (head->model_id);
  g_free (head->weights_sha256);
  g_clear_pointer (&head->meta, json_object_unref);
  g_free (head);
}

static gpointer
head_invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s", path, what);
  return NULL;
}

/* The 8-byte length and the JSON header of a safetensors file. */
static JsonObject *
read_header (const char *path, const guint8 *data, gsize size, guint64 *header_len, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  guint64 n = 0;

  if (size < 8)
    return head_invalid (error, path, "not an aspect head: shorter than a safetensors header");
  for (int i = 7; i >= 0; i--)
    n = (n << 8) | data[i];
  if (n == 0 || n > MAX_HEADER || n > size - 8)
    return head_invalid (error, path, "not an aspect head: the safetensors header length is out of range");
  if ((root = lk_json_parse ((const char *) data + 8, (gssize) n, path, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return head_invalid (error, path, "not an aspect head: the header is not a JSON object");
  *header_len = n;
  return json_object_ref (json_node_get_object (root));
}

static const char *
meta_string (JsonObject *meta, const char *key, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (meta, key);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      g_autofree char *msg = g_strdup_printf ("the metadata has no \"%s\" (a string)", key);
      return head_invalid (error, path, msg);
    }
  return json_node_get_string (n);
}

static gboolean
meta_uint (JsonObject *meta, const char *key, const char *path, guint *out, GError **error)
{
  const char *s = meta_string (meta, key, path, error);
  guint64 v;

  if (s == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (s, 10, 1, 65536, &v, NULL))
    {
      g_autofree char *msg = g_strdup_printf ("\"%s\" is \"%s\", expected a positive integer", key, s);
      return head_invalid (error, path, msg), FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

/* A metadata value that holds JSON itself (safetensors metadata are strings). */
static JsonNode *
meta_json (JsonObject *meta, const char *key, const char *path, GError **error)
{
  const char *s = meta_string (meta, key, path, error);
  g_autofree char *what = g_strdup_printf ("%s, metadata \"%s\"", path, key);

  return s ? lk_json_parse (s, -1, what, error) : NULL;
}

/* The layout and provenance of the metadata: format, model_id,
 * weights_sha256, embedding_dim, n_aspects, aspect_dim, aspects. */
static LkAspectHead *
head_from_meta (JsonObject *meta, const char *path, GError **error)
{
  g_autoptr(LkAspectHead) h = g_new0 (LkAspectHead, 1);
  g_autoptr(JsonNode) names = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  const char *format, *id, *sha;
  guint n, k;

  if ((format = meta_string (meta, "format", path, error)) == NULL)
    return NULL;
  if (strcmp (format, LK_ASPECT_HEAD_FORMAT) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("\"format\" is \"%s\", expected \"" LK_ASPECT_HEAD_FORMAT "\"", format);
      return head_invalid (error, path, msg);
    }
  if ((id = meta_string (meta, "model_id", path, error)) == NULL ||
      (sha = meta_string (meta, "weights_sha256", path, error)) == NULL ||
      !meta_uint (meta, "embedding_dim", path, &h->dim, error) || !meta_uint (meta, "n_aspects", path, &n, error) ||
      !meta_uint (meta, "aspect_dim", path, &k, error) || (names = meta_json (meta, "aspects", path, error)) == NULL)
    return NULL;
  if ((guint64) n * k > h->dim)
    {
      g_autofree char *msg = g_strdup_printf ("%u aspects × %u dims do not fit in %u dims", n, k, h->dim);
      return head_invalid (error, path, msg);
    }
  if (!JSON_NODE_HOLDS_ARRAY (names) || json_array_get_length (json_node_get_array (names)) != n)
    {
      g_autofree char *msg = g_strdup_printf ("\"aspects\" must be a JSON list of %u names", n);
      return head_invalid (error, path, msg);
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (json_node_get_array (names), i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        return head_invalid (error, path, "every entry of \"aspects\" must be a name (a string)");
      g_ptr_array_add (list, (gpointer) json_node_get_string (e));
    }
  g_ptr_array_add (list, NULL);
  h->layout = lk_aspect_layout_new (n, k, (const char * const *) list->pdata);
  h->layout->source = g_strdup (path);
  h->path = g_strdup (path);
  h->model_id = g_strdup (id);
  h->weights_sha256 = g_strdup (sha);
  h->meta = json_object_ref (meta);
  return g_steal_pointer (&h);
}

/* The one tensor: "Q", F32, [D, D], the whole data section. */
static gboolean
check_tensor (JsonObject *header, const char *path, guint dim, guint64 data_len, GError **error)
{
  gsize want = (gsize) dim * dim * sizeof (float);
  JsonNode *q = json_object_get_member (header, "Q");
  JsonObject *o;
  JsonArray *shape, *offsets;
  g_autofree char *msg = NULL;

  if (json_object_get_size (header) != 2 || q == NULL || !JSON_NODE_HOLDS_OBJECT (q))
    return head_invalid (error, path, "expected exactly one tensor, \"Q\", beside the metadata"), FALSE;
  o = json_node_get_object (q);
  shape = json_object_has_member (o, "shape") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "shape"))
          ? json_object_get_array_member (o, "shape") : NULL;
  offsets = json_object_has_member (o, "data_offsets") &&
            JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "data_offsets"))
            ? json_object_get_array_member (o, "data_offsets") : NULL;
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "dtype", ""), "F32") != 0)
    return head_invalid (error, path, "tensor \"Q\" must be F32 (F16 would not keep the cosines to float precision)"), FALSE;
  if (shape == NULL || json_array_get_length (shape) != 2 || json_array_get_int_element (shape, 0) != dim ||
      json_array_get_int_element (shape, 1) != dim)
    {
      msg = g_strdup_printf ("tensor \"Q\" must have the shape [%u, %u] (embedding_dim)", dim, dim);
      return head_invalid (error, path, msg), FALSE;
    }
  if (offsets == NULL || json_array_get_length (offsets) != 2 || json_array_get_int_element (offsets, 0) != 0 ||
      (guint64) json_array_get_int_element (offsets, 1) != want || data_len != want)
    {
      msg = g_strdup_printf ("tensor \"Q\" must fill the data section: %" G_GSIZE_FORMAT " bytes, the file has %"
                             G_GUINT64_FORMAT, want, data_len);
      return head_invalid (error, path, msg), FALSE;
    }
  return TRUE;
}

double
lk_aspect_head_orthogonality (const float *q, guint dim)
{
  double worst = 0;

  for (guint i = 0; i < dim; i++)
    for (guint j = i; j < dim; j++)
      {
        const float *a = q + (gsize) i * dim, *b = q + (gsize) j * dim;
        double dot = 0;
        for (guint d = 0; d < dim; d++)
          dot += (double) a[d] * b[d];
        worst = fmax (worst, fabs (dot - (i == j)));
      }
  return worst;
}

/* The whole head, or with @with_q FALSE its header only (all that finding
 * a model's head among several needs; Q itself is checked when read). */
static LkAspectHead *
read_head (const char *path, gboolean with_q, GError **error)
{
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(LkAspectHead) h = NULL;
  JsonNode *meta;
  const guint8 *data;
  gsize size;
  guint64 hlen;

  if (map == NULL)
    return NULL;
  data = (const guint8 *) g_mapped_file_get_contents (map);
  size = g_mapped_file_get_length (map);
  if ((header = read_header (path, data, size, &hlen, error)) == NULL)
    return NULL;
  meta = json_object_get_member (header, "__metadata__");
  if (meta == NULL || !JSON_NODE_HOLDS_OBJECT (meta))
    return head_invalid (error, path, "not an aspect head: the header has no \"__metadata__\"");
  if ((h = head_from_meta (json_node_get_object (meta), path, error)) == NULL ||
      !check_tensor (header, path, h->dim, size - 8 - hlen, error))
    return NULL;
  if (!with_q)
    return g_steal_pointer (&h);
  h->q = g_new (float, (gsize) h->dim * h->dim);
  memcpy (h->q, data + 8 + hlen, (gsize) h->dim * h->dim * sizeof (float));
  if (!lk_check_finite (h->q, (gsize) h->dim * h->dim, path, error))
    return NULL;
  h->orthogonality = lk_aspect_head_orthogonality (h->q, h->dim);
  if (!(h->orthogonality <= MAX_ORTHOGONALITY))
    {
      g_autofree char *msg = g_strdup_printf ("Q is not orthogonal: max |QQᵀ − I| = %.3g, more than %g, so it would "
                                              "not keep the model's cosines", h->orthogonality, MAX_ORTHOGONALITY);
      return head_invalid (error, path, msg);
    }
  return g_steal_pointer (&h);
}

LkAspectHead *
lk_aspect_head_read (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  return read_head (path, TRUE, error);
}

static void
add_meta (JsonObject *meta, const char *key, JsonNode *value)
{
  g_autofree char *s = lk_json_to_data (value, FALSE, key, NULL, NULL);

  json_object_set_string_member (meta, key, s ? s : "null");
  json_node_unref (value);
}

static void
set_uint (JsonObject *meta, const char *key, guint value)
{
  char buf[16];

  g_snprintf (buf, sizeof buf, "%u", value);
  json_object_set_string_member (meta, key, buf);
}

static JsonNode *
names_node (const LkAspectLayout *l)
{
  JsonArray *a = json_array_new ();
  JsonNode *n = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < l->n_aspects; i++)
    json_array_add_string_element (a, l->names[i]);
  json_node_take_array (n, a);
  return n;
}

gboolean
lk_aspect_head_write (const LkAspectHead *head, const char *path, GError **error)
{
  g_autoptr(JsonObject) meta = json_object_new ();
  g_autoptr(JsonObject) q = json_object_new ();
  g_autoptr(JsonObject) top = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *text = NULL;
  gsize len, data_len = (gsize) head->dim * head->dim * sizeof (float);
  guint8 len8[8];
  GList *members;

  g_return_val_if_fail (head != NULL && head->q != NULL && path != NULL, FALSE);
  /* Whatever else the caller records (metrics, ranges, training) first;
   * the fields the reader relies on are set here, last. */
  if (head->meta)
    {
      members = json_object_get_members (head->meta);
      for (GList *l = members; l; l = l->next)
        json_object_set_member (meta, l->data, json_node_copy (json_object_get_member (head->meta, l->data)));
      g_list_free (members);
    }
  json_object_set_string_member (meta, "format", LK_ASPECT_HEAD_FORMAT);
  json_object_set_string_member (meta, "model_id", head->model_id);
  json_object_set_string_member (meta, "weights_sha256", head->weights_sha256);
  set_uint (meta, "embedding_dim", head->dim);
  set_uint (meta, "n_aspects", head->layout->n_aspects);
  set_uint (meta, "aspect_dim", head->layout->aspect_dim);
  add_meta (meta, "aspects", names_node (head->layout));
  json_object_set_string_member (q, "dtype", "F32");
  json_object_set_array_member (q, "shape", json_array_sized_new (2));
  json_array_add_int_element (json_object_get_array_member (q, "shape"), head->dim);
  json_array_add_int_element (json_object_get_array_member (q, "shape"), head->dim);
  json_object_set_array_member (q, "data_offsets", json_array_sized_new (2));
  json_array_add_int_element (json_object_get_array_member (q, "data_offsets"), 0);
  json_array_add_int_element (json_object_get_array_member (q, "data_offsets"), (gint64) data_len);
  json_object_set_object_member (top, "__metadata__", json_object_ref (meta));
  json_object_set_object_member (top, "Q", json_object_ref (q));
  json_node_set_object (root, top);
  if ((text = lk_json_to_data (root, FALSE, path, &len, error)) == NULL)
    return FALSE;
  /* Padded with spaces to 8 bytes, as safetensors' own writer does. */
  g_byte_array_set_size (out, 8);
  g_byte_array_append (out, (const guint8 *) text, len);
  while ((out->len - 8) % 8)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) (((guint64) out->len - 8) >> (8 * i));
  memcpy (out->data, len8, 8);
  g_byte_array_append (out, (const guint8 *) head->q, data_len);
  return lk_atomic_file_write (path, out->data, out->len, 0644, error);
}

/* ---- which model a head is for ---- */

static char *
model_weights_sha256 (LkModel *model, GError **error)
{
  g_autoptr(JsonObject) prov = lk_provenance_of_model (lk_model_get_path (model), error);
  const char *sha = prov ? json_object_get_string_member_with_default (prov, "weights_sha256", NULL) : NULL;

  if (prov != NULL && sha == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "%s: no weights file to match an aspect head against",
                 lk_model_get_path (model));
  return g_strdup (sha);
}

gboolean
lk_aspect_head_check_model (const LkAspectHead *head, LkModel *model, GError **error)
{
  g_autofree char *sha = NULL;

  g_return_val_if_fail (head != NULL && LK_IS_MODEL (model), FALSE);
  if ((sha = model_weights_sha256 (model, error)) == NULL)
    return FALSE;
  if (strcmp (sha, head->weights_sha256) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%s is an aspect head for %s (weights SHA-256 %.12s…), not for %s (weights SHA-256 %.12s…): "
                   "train one for this model with likeness-cli train-aspects --head",
                   head->path, head->model_id, head->weights_sha256, lk_model_get_id (model), sha);
      return FALSE;
    }
  if (lk_model_get_dim (model) != head->dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s maps %u dims, but %s embeds in %u", head->path,
                   head->dim, lk_model_get_id (model), lk_model_get_dim (model));
      return FALSE;
    }
  return TRUE;
}

char **
lk_aspect_head_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new ();
  const char *env = g_getenv ("LIKENESS_ASPECT_HEADS");
  char *source = g_build_filename (LK_SOURCE_DIR, "data", "aspect-heads", NULL);
  char *installed = g_build_filename (LK_PKGDATADIR, "aspect-heads", NULL);

  /* The environment's first (tests, a shared folder), then the user's own
   * (heads trained for their models), then the shipped ones: the source
   * tree's when running from the build folder, else the installed copy. */
  if (env && *env)
    {
      g_auto(GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; parts[i]; i++)
        if (*parts[i])
          g_ptr_array_add (dirs, g_strdup (parts[i]));
    }
  g_ptr_array_add (dirs, g_build_filename (g_get_user_data_dir (), "likeness", "aspect-heads", NULL));
  if (lk_runtime_running_uninstalled ())
    {
      g_ptr_array_add (dirs, source);
      g_free (installed);
    }
  else
    {
      g_ptr_array_add (dirs, installed);
      g_free (source);
    }
  g_ptr_array_add (dirs, NULL);
  return (char **) g_ptr_array_free (dirs, FALSE);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The first head in @dirs made for weights @sha; else NULL, and in @other
 * the path of a head for the same model id but other weights. */
static char *
find_in (char **dirs, const char *sha, const char *id, char **other)
{
  for (guint i = 0; dirs[i]; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (dirs[i], 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        if (g_str_has_suffix (name, ".safetensors"))
          g_ptr_array_add (names, g_strdup (name));
      /* In name order: the same folder gives the same head every time. */
      g_ptr_array_sort (names, compare_names);
      for (guint k = 0; k < names->len; k++)
        {
          g_autofree char *path = g_build_filename (dirs[i], names->pdata[k], NULL);
          g_autoptr(LkAspectHead) h = read_head (path, FALSE, NULL);
          if (h && strcmp (h->weights_sha256, sha) == 0)
            return g_steal_pointer (&path);
          if (h && *other == NULL && g_strcmp0 (h->model_id, id) == 0)
            *other = g_steal_pointer (&path);
        }
    }
  return NULL;
}

char *
lk_aspect_head_find_path (char **dirs, const char *weights_sha256)
{
  g_autofree char *other = NULL;

  return find_in (dirs, weights_sha256, NULL, &other);
}

LkAspectHead *
lk_aspect_head_find (LkModel *model, GError **error)
{
  g_auto(GStrv) dirs = lk_aspect_head_dirs ();
  g_autofree char *sha = NULL, *path = NULL, *other = NULL, *where = NULL;
  LkAspectHead *h;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  if ((sha = model_weights_sha256 (model, error)) == NULL)
    return NULL;
  if ((path = find_in (dirs, sha, lk_model_get_id (model), &other)) != NULL)
    {
      if ((h = lk_aspect_head_read (path, error)) != NULL && !lk_aspect_head_check_model (h, model, error))
        g_clear_pointer (&h, lk_aspect_head_free);
      return h;
    }
  where = g_strjoinv (", ", dirs);
  if (other != NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                 "%s has no aspect layout, and the aspect head for %s (%s) was trained for other weights than "
                 "these (SHA-256 %.12s…): train one with likeness-cli train-aspects --head",
                 lk_model_get_path (model), lk_model_get_id (model), other, sha);
  else
    g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                 "%s has no aspect layout (" LK_ASPECTS_FILE " or an S3BERT config.py) and no aspect head was "
                 "found for its weights in %s: train one with likeness-cli train-aspects --head (docs/aspects.md)",
                 lk_model_get_path (model), where);
  return NULL;
}

void
lk_aspect_head_apply (const LkAspectHead *head, const float *e, double *out)
{
  for (guint d = 0; d < head->dim; d++)
    {
      const float *row = head->q + (gsize) d * head->dim;
      double s = 0;
      for (guint j = 0; j < head->dim; j++)
        s += (double) row[j] * e[j];
      out[d] = s;
    }
}
