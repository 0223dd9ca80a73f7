/* lk-retrieval.c — exact top-k over a cached corpus embedding. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "lk-atomic-file.h"
#include "lk-batch.h"
#include "lk-error.h"
#include "lk-provenance.h"
#include "lk-retrieval.h"

#define CACHE_MAGIC "likeness-corpus/1\n"
#define EMBED_CHUNK 64

static guint embedded_count;

guint
lk_retrieval_embedded_count (void)
{
  return embedded_count;
}

typedef struct {
  GPtrArray *ids;
  GPtrArray *texts;
} Records;

static void
records_clear (Records *r)
{
  g_clear_pointer (&r->ids, g_ptr_array_unref);
  g_clear_pointer (&r->texts, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Records, records_clear)

static gboolean
blank (const char *s)
{
  return s[strspn (s, " \t\r\n")] == '\0';
}

/* Queries and passages must all be readable: a passage left out would
 * change every ranking, so a bad record stops the run before any work. */
static gboolean
read_records (const char *path, Records *r, GError **error)
{
  g_autoptr(GPtrArray) items = lk_batch_read_records (path, TRUE, error);

  if (items == NULL)
    return FALSE;
  r->ids = g_ptr_array_new_with_free_func (g_free);
  r->texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (g_ptr_array_index (items, i), NULL);
      JsonObject *o = json_node_get_object (node);
      const char *text = json_object_get_string_member_with_default (o, "text", "");

      if (json_object_has_member (o, "error"))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s", json_object_get_string_member (o, "error"));
          return FALSE;
        }
      if (blank (text))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s line %" G_GINT64_FORMAT " (id '%s'): the text is "
                       "empty", path, json_object_get_int_member (o, "line"), json_object_get_string_member (o, "id"));
          return FALSE;
        }
      g_ptr_array_add (r->ids, g_strdup (json_object_get_string_member (o, "id")));
      g_ptr_array_add (r->texts, g_strdup (text));
    }
  if (items->len == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s holds no records {\"id\", \"text\"}", path);
      return FALSE;
    }
  return TRUE;
}

static char *
file_sha256 (const char *path, GError **error)
{
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, error);

  if (map == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (map),
                                      g_mapped_file_get_length (map));
}

char *
lk_retrieval_cache_path (LkModel *model, const char *corpus, GError **error)
{
  g_autoptr(JsonObject) prov = lk_provenance_of_model (lk_model_get_path (model), error);
  g_autofree char *corpus_sha = NULL;
  g_autofree char *key = NULL;
  g_autofree char *name = NULL;
  const char *weights, *revision;

  if (prov == NULL || (corpus_sha = file_sha256 (corpus, error)) == NULL)
    return NULL;
  weights = json_object_get_string_member_with_default (prov, "weights_sha256", "");
  revision = json_object_has_member (prov, "revision") && !json_object_get_null_member (prov, "revision")
             ? json_object_get_string_member (prov, "revision") : "";
  /* Everything that changes an embedding: the weights, the revision (its
   * tokenizer and pooling files), the model's length and normalisation. */
  key = g_strdup_printf ("%s\n%s\n%s\n%u\n%u\n%d\n%s", lk_model_get_id (model), revision, weights,
                         lk_model_get_dim (model), lk_model_get_max_seq_length (model),
                         lk_model_get_normalize (model), corpus_sha);
  name = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  return g_build_filename (g_get_user_cache_dir (), "likeness", "corpus", name, NULL);
}

/* The cached embeddings, when the file is whole and of this shape. */
static float *
cache_read (const char *path, guint n, guint dim)
{
  g_autofree char *data = NULL;
  gsize len, head = strlen (CACHE_MAGIC) + 2 * sizeof (guint32);
  guint32 shape[2];

  if (!g_file_get_contents (path, &data, &len, NULL) || len != head + (gsize) n * dim * sizeof (float) ||
      memcmp (data, CACHE_MAGIC, strlen (CACHE_MAGIC)) != 0)
    return NULL;
  memcpy (shape, data + strlen (CACHE_MAGIC), sizeof shape);
  if (shape[0] != n || shape[1] != dim)
    return NULL;
  return g_memdup2 (data + head, (gsize) n * dim * sizeof (float));
}

static void
cache_write (const char *path, const float *v, guint n, guint dim)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  guint32 shape[2] = { n, dim };
  g_autofree char *dir = g_path_get_dirname (path);

  g_byte_array_append (b, (const guint8 *) CACHE_MAGIC, strlen (CACHE_MAGIC));
  g_byte_array_append (b, (const guint8 *) shape, sizeof shape);
  g_byte_array_append (b, (const guint8 *) v, (gsize) n * dim * sizeof (float));
  /* A cache that cannot be written costs the next run time, not this one
   * its result. */
  if (g_mkdir_with_parents (dir, 0755) == 0)
    lk_atomic_file_write (path, b->data, b->len, 0644, NULL);
}

static gboolean
embed_all (LkModel *model, GPtrArray *texts, float *out, GCancellable *cancellable, GError **error)
{
  guint dim = lk_model_get_dim (model);

  for (guint i = 0; i < texts->len; i += EMBED_CHUNK)
    {
      guint n = MIN (EMBED_CHUNK, texts->len - i);

      if (!lk_model_embed (model, (const char * const *) texts->pdata + i, n, out + (gsize) i * dim, NULL, NULL, NULL,
                           cancellable, error))
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  guint  index;
  double score;
} Hit;

static int
hit_cmp (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static char *
pair_item (const char *qid, const char *query, const char *pid, const char *passage, guint rank, double score)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *id = g_strdup_printf ("%s#%u", qid, rank);

  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "query_id", qid);
  json_object_set_string_member (o, "passage_id", pid);
  json_object_set_int_member (o, "rank", rank);
  json_object_set_double_member (o, "retrieval_score", score);
  json_object_set_string_member (o, "a", query);
  json_object_set_string_member (o, "b", passage);
  root = json_node_init_object (json_node_alloc (), o);  /* it takes its own reference */
  return json_to_string (root, FALSE);
}

GPtrArray *
lk_retrieval_items (LkModel      *model,
                    const char   *queries,
                    const char   *corpus,
                    guint         top_k,
                    guint         shard,
                    guint         n_shards,
                    GCancellable *cancellable,
                    GError      **error)
{
  g_auto(Records) q = { 0 };
  g_auto(Records) c = { 0 };
  g_autofree char *cache = NULL;
  g_autofree float *pe = NULL;
  g_autofree float *qe = NULL;
  g_autofree Hit *hits = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) mine = g_ptr_array_new ();
  guint dim = lk_model_get_dim (model);

  g_return_val_if_fail (top_k > 0 && n_shards > 0 && shard < n_shards, NULL);
  embedded_count = 0;
  if (!read_records (queries, &q, error) || !read_records (corpus, &c, error) ||
      (cache = lk_retrieval_cache_path (model, corpus, error)) == NULL)
    return NULL;
  if ((pe = cache_read (cache, c.texts->len, dim)) == NULL)
    {
      pe = g_new (float, (gsize) c.texts->len * dim);
      if (!embed_all (model, c.texts, pe, cancellable, error))
        return NULL;
      embedded_count = c.texts->len;
      cache_write (cache, pe, c.texts->len, dim);
    }
  /* Only this shard's queries. */
  for (guint i = 0; i < q.ids->len; i++)
    if (lk_batch_shard_of (g_ptr_array_index (q.ids, i), n_shards) == shard)
      g_ptr_array_add (mine, GUINT_TO_POINTER (i));
  qe = g_new (float, (gsize) MAX (mine->len, 1) * dim);
  {
    g_autoptr(GPtrArray) texts = g_ptr_array_new ();
    for (guint i = 0; i < mine->len; i++)
      g_ptr_array_add (texts, g_ptr_array_index (q.texts, GPOINTER_TO_UINT (g_ptr_array_index (mine, i))));
    if (!embed_all (model, texts, qe, cancellable, error))
      return NULL;
  }
  hits = g_new (Hit, c.texts->len);
  for (guint m = 0; m < mine->len; m++)
    {
      guint qi = GPOINTER_TO_UINT (g_ptr_array_index (mine, m));

      for (guint j = 0; j < c.texts->len; j++)
        hits[j] = (Hit) { j, lk_cosine (qe + (gsize) m * dim, pe + (gsize) j * dim, dim) };
      qsort (hits, c.texts->len, sizeof (Hit), hit_cmp);
      for (guint r = 0; r < MIN (top_k, c.texts->len); r++)
        g_ptr_array_add (items, pair_item (g_ptr_array_index (q.ids, qi), g_ptr_array_index (q.texts, qi),
                                           g_ptr_array_index (c.ids, hits[r].index),
                                           g_ptr_array_index (c.texts, hits[r].index), r + 1, hits[r].score));
    }
  return g_steal_pointer (&items);
}
