/* lk-aspects.c — aspect layouts and the exact decomposition of a pair's
 * cosine over an S3BERT aspect space (METHODS.md §4). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lk-aspects.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-method-info.h"
#include "lk-methods-private.h"
#include "lk-model-store.h"
#include "lk-provenance.h"

LkAspectLayout *
lk_aspect_layout_new (guint n_aspects, guint aspect_dim, const char * const *names)
{
  LkAspectLayout *l = g_new0 (LkAspectLayout, 1);

  l->n_aspects = n_aspects;
  l->aspect_dim = aspect_dim;
  l->names = g_new0 (char *, n_aspects + 1);
  for (guint i = 0; i < n_aspects; i++)
    l->names[i] = names && names[i] ? g_strdup (names[i]) : g_strdup_printf ("aspect %u", i + 1);
  return l;
}

void
lk_aspect_layout_free (LkAspectLayout *layout)
{
  if (layout == NULL)
    return;
  g_strfreev (layout->names);
  g_free (layout->source);
  g_free (layout);
}

static gboolean
layout_invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s", path, what);
  return FALSE;
}

static gboolean
positive_int (JsonObject *o, const char *member, const char *path, guint *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) <= 0 || json_node_get_int (n) > 65536)
    {
      g_autofree char *msg = g_strdup_printf ("\"%s\" must be a positive integer", member);
      return layout_invalid (error, path, msg);
    }
  *out = (guint) json_node_get_int (n);
  return TRUE;
}

/* likeness_aspects.json: {"format": "likeness.aspects/1", "n_aspects": n,
 * "aspect_dim": k, "aspects": [n names], …}; docs/aspects.md. */
static LkAspectLayout *
read_json (const char *path, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  JsonObject *o;
  JsonArray *list;
  guint n, k;
  LkAspectLayout *l;

  if ((root = lk_json_parse_file (path, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return layout_invalid (error, path, "expected a JSON object"), NULL;
  o = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "format", NULL), LK_ASPECTS_FORMAT) != 0)
    return layout_invalid (error, path, "\"format\" must be \"" LK_ASPECTS_FORMAT "\""), NULL;
  if (!positive_int (o, "n_aspects", path, &n, error) || !positive_int (o, "aspect_dim", path, &k, error))
    return NULL;
  if (!json_object_has_member (o, "aspects") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "aspects")))
    return layout_invalid (error, path, "\"aspects\" must be a list of names"), NULL;
  list = json_object_get_array_member (o, "aspects");
  if (json_array_get_length (list) != n)
    {
      g_autofree char *msg = g_strdup_printf ("\"aspects\" has %u names but \"n_aspects\" is %u",
                                              json_array_get_length (list), n);
      return layout_invalid (error, path, msg), NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (list, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        return layout_invalid (error, path, "every entry of \"aspects\" must be a name (a string)"), NULL;
      g_ptr_array_add (names, (gpointer) json_node_get_string (e));
    }
  g_ptr_array_add (names, NULL);
  l = lk_aspect_layout_new (n, k, (const char * const *) names->pdata);
  l->source = g_strdup (path);
  return l;
}

/* S3BERT's config.py: "N = 15", "FEATURE_DIM = 16" and the FEATURES list,
 * whose first two entries are the inputs ('input1', 'input2'). */
static LkAspectLayout *
read_s3bert_config (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GRegex) assign = g_regex_new ("^(N|FEATURE_DIM)\\s*=\\s*(\\d+)\\s*$", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GRegex) lists = g_regex_new ("^FEATURES\\s*\\+?=\\s*\\[([^\\]]*)\\]", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GRegex) item = g_regex_new ("['\"]([^'\"]*)['\"]", 0, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GMatchInfo) m = NULL;
  guint n = 0, k = 0;
  LkAspectLayout *l;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  for (g_regex_match (assign, text, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
    {
      g_autofree char *key = g_match_info_fetch (m, 1), *val = g_match_info_fetch (m, 2);
      guint64 v = g_ascii_strtoull (val, NULL, 10);
      if (v == 0 || v > 65536)
        return layout_invalid (error, path, "N and FEATURE_DIM must be positive integers"), NULL;
      *(strcmp (key, "N") == 0 ? &n : &k) = (guint) v;
    }
  g_clear_pointer (&m, g_match_info_free);
  if (n == 0 || k == 0)
    return layout_invalid (error, path, "an S3BERT config.py needs \"N = <aspects>\" and \"FEATURE_DIM = <dims>\""), NULL;
  for (g_regex_match (lists, text, 0, &m); g_match_info_matches (m); g_match_info_next (m, NULL))
    {
      g_autofree char *body = g_match_info_fetch (m, 1);
      g_autoptr(GMatchInfo) im = NULL;
      for (g_regex_match (item, body, 0, &im); g_match_info_matches (im); g_match_info_next (im, NULL))
        {
          g_autofree char *name = g_strstrip (g_match_info_fetch (im, 1));
          if (strcmp (name, "input1") != 0 && strcmp (name, "input2") != 0)
            g_ptr_array_add (names, g_steal_pointer (&name));
        }
    }
  if (names->len != 0 && names->len != n)
    {
      g_autofree char *msg = g_strdup_printf ("FEATURES names %u metrics but N is %u", names->len, n);
      return layout_invalid (error, path, msg), NULL;
    }
  g_ptr_array_add (names, NULL);
  l = lk_aspect_layout_new (n, k, names->len > 1 ? (const char * const *) names->pdata : NULL);
  l->source = g_strdup (path);
  return l;
}

LkAspectLayout *
lk_aspect_layout_read (const char *model_dir, GError **error)
{
  g_autofree char *json = g_build_filename (model_dir, LK_ASPECTS_FILE, NULL);
  g_autofree char *py = g_build_filename (model_dir, "config.py", NULL);

  if (g_file_test (json, G_FILE_TEST_IS_REGULAR))
    return read_json (json, error);
  if (g_file_test (py, G_FILE_TEST_IS_REGULAR))
    return read_s3bert_config (py, error);
  g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
               "%s has no aspect layout: expected " LK_ASPECTS_FILE " (docs/aspects.md) or an S3BERT config.py",
               model_dir);
  return NULL;
}

/* In double: a head's Qe is computed in double, and its shares add up to
 * cos(Qa, Qb) to double rounding. */
static void
decompose (const LkAspectLayout *layout, const double *a, const double *b, guint dim, double *overall, double *sims,
           double *shares)
{
  guint n = layout->n_aspects, k = layout->aspect_dim;
  double na = 0, nb = 0, norm;

  for (guint d = 0; d < dim; d++)
    {
      na += a[d] * a[d];
      nb += b[d] * b[d];
    }
  norm = fmax (sqrt (na) * sqrt (nb), 1e-12);
  *overall = 0;
  for (guint i = 0; i <= n; i++)
    {
      guint from = i * k, to = i < n ? from + k : dim;
      double ab = 0, aa = 0, bb = 0;
      for (guint d = from; d < to; d++)
        {
          ab += a[d] * b[d];
          aa += a[d] * a[d];
          bb += b[d] * b[d];
        }
      sims[i] = to > from ? ab / fmax (sqrt (aa) * sqrt (bb), 1e-12) : NAN;
      shares[i] = ab / norm;
      *overall += shares[i];
    }
}

gboolean
lk_aspects_decompose (const LkAspectLayout *layout,
                      const float          *a,
                      const float          *b,
                      guint                 dim,
                      double               *overall,
                      double               *sims,
                      double               *shares)
{
  g_autofree double *da = NULL, *db = NULL;

  if ((guint64) layout->n_aspects * layout->aspect_dim > dim)
    return FALSE;
  da = g_new (double, dim);
  db = g_new (double, dim);
  for (guint d = 0; d < dim; d++)
    {
      da[d] = a[d];
      db[d] = b[d];
    }
  decompose (layout, da, db, dim, overall, sims, shares);
  return TRUE;
}

static JsonNode *
aspect_node (const char *name, double similarity, double share)
{
  JsonObject *o = json_object_new ();
  JsonNode *node;

  if (name)
    json_object_set_string_member (o, "name", name);
  if (isnan (similarity))
    json_object_set_null_member (o, "similarity");
  else
    json_object_set_double_member (o, "similarity", similarity);
  json_object_set_double_member (o, "share", share);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  return node;
}

/* The tokens of one text, as the model sees them, and whether it was cut. */
static void
add_tokens (LkExplanation *x, guint side, LkModel *model, const char *text)
{
  g_autoptr(GError) error = NULL;
  LkEncoding *enc = lk_model_tokenize (model, text, &error);

  if (enc == NULL)
    return;
  lk_methods_add_tokens (x, side, model, enc);
  json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), side ? "b" : "a", enc->truncated);
  lk_encoding_free (enc);
}

static void
set_model (LkExplanation *x, LkModel *model, const LkAspectLayout *l, const LkAspectHead *head)
{
  JsonObject *p = lk_explanation_get_params (x);

  lk_methods_set_model (x, model);
  json_object_set_int_member (p, "n_aspects", l->n_aspects);
  json_object_set_int_member (p, "aspect_dims", l->aspect_dim);
  json_object_set_int_member (p, "residual_dims", lk_model_get_dim (model) - l->n_aspects * l->aspect_dim);
  json_object_set_string_member (p, "layout", l->source ? l->source : "given");
  /* A head: the aspects are coordinates of Qe, not of e (docs/aspects.md). */
  json_object_set_string_member (p, "space", head ? "head" : "embedding");
  if (head)
    {
      g_autofree char *sha = lk_file_sha256 (head->path, NULL);
      json_object_set_string_member (p, "head", head->path);
      if (sha)
        json_object_set_string_member (p, "head_sha256", sha);
      json_object_set_double_member (p, "head_orthogonality", head->orthogonality);
    }
}

/* The layout to use: the caller's, the model folder's own, else a head
 * made for the model's weights (@head set). */
static const LkAspectLayout *
find_layout (LkModel *model, const LkAspectLayout *given, LkAspectLayout **own, LkAspectHead **head, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (given != NULL)
    return given;
  if ((*own = lk_aspect_layout_read (lk_model_get_path (model), &local)) != NULL)
    return *own;
  if (!g_error_matches (local, LK_ERROR, LK_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if ((*head = lk_aspect_head_find (model, error)) == NULL)
    return NULL;
  return (*head)->layout;
}

gboolean
lk_aspects_available (const char *model_dir)
{
  g_autoptr(LkAspectLayout) own = lk_aspect_layout_read (model_dir, NULL);
  g_autoptr(JsonObject) prov = NULL;
  g_auto(GStrv) dirs = NULL;
  g_autofree char *path = NULL;
  const char *sha;

  if (own != NULL)
    return TRUE;
  if ((prov = lk_provenance_of_model (model_dir, NULL)) == NULL ||
      (sha = json_object_get_string_member_with_default (prov, "weights_sha256", NULL)) == NULL)
    return FALSE;
  dirs = lk_aspect_head_dirs ();
  path = lk_aspect_head_find_path (dirs, sha);
  return path != NULL;
}

static void
available_thread (GTask *task, gpointer source, gpointer name, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autofree char *dir = lk_model_store_resolve (name, FALSE, NULL, NULL, cancellable, &error);

  if (dir == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, lk_aspects_available (dir));
}

void
lk_aspects_available_async (const char          *model_name,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (model_name != NULL);
  g_task_set_source_tag (task, lk_aspects_available_async);
  g_task_set_task_data (task, g_strdup (model_name), g_free);
  g_task_run_in_thread (task, available_thread);
}

gboolean
lk_aspects_available_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

LkExplanation *
lk_explain_aspects (LkModel              *model,
                    const LkAspectLayout *given,
                    const char           *text_a,
                    const char           *text_b,
                    GCancellable         *cancellable,
                    GError              **error)
{
  g_autoptr(LkAspectLayout) own = NULL;
  g_autoptr(LkAspectHead) head = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autofree float *e = NULL;
  g_autofree double *sims = NULL, *shares = NULL, *qa = NULL, *qb = NULL;
  const char *texts[] = { text_a, text_b };
  guint dim = lk_model_get_dim (model);
  gint64 t0 = g_get_monotonic_time ();
  const LkAspectLayout *layout;
  JsonArray *list;
  JsonNode *node;
  double overall, cosine;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  if ((layout = find_layout (model, given, &own, &head, error)) == NULL)
    return NULL;
  if ((guint64) layout->n_aspects * layout->aspect_dim > dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "%s: the aspect layout needs %u aspects × %u dims = %u dims, but %s embeds in %u",
                   layout->source ? layout->source : lk_model_get_path (model), layout->n_aspects, layout->aspect_dim,
                   layout->n_aspects * layout->aspect_dim, lk_model_get_id (model), dim);
      return NULL;
    }
  e = g_new (float, 2 * (gsize) dim);
  if (!lk_model_embed (model, texts, 2, e, NULL, NULL, NULL, cancellable, error))
    return NULL;
  sims = g_new (double, layout->n_aspects + 1);
  shares = g_new (double, layout->n_aspects + 1);
  qa = g_new (double, dim);
  qb = g_new (double, dim);
  for (guint d = 0; d < dim; d++)
    {
      qa[d] = e[d];
      qb[d] = e[dim + d];
    }
  if (head)
    {
      lk_aspect_head_apply (head, e, qa);
      lk_aspect_head_apply (head, e + dim, qb);
    }
  decompose (layout, qa, qb, dim, &overall, sims, shares);
  /* The model's own score, from e: with a head, the gap below is how far
   * Q is from keeping it (float rounding: about 1e-7). */
  cosine = lk_cosine (e, e + dim, dim);

  x = lk_explanation_new (lk_method_to_string (LK_METHOD_ASPECTS));
  lk_explanation_set_text (x, 0, text_a);
  lk_explanation_set_text (x, 1, text_b);
  add_tokens (x, 0, model, text_a);
  add_tokens (x, 1, model, text_b);
  set_model (x, model, layout, head);
  lk_explanation_set_score (x, LK_SCORE_SIMILARITY, cosine);
  lk_explanation_set_score (x, LK_SCORE_SHARES_SUM, overall);
  lk_explanation_set_score (x, LK_SCORE_SHARES_GAP, fabs (overall - cosine));
  list = json_array_new ();
  for (guint i = 0; i < layout->n_aspects; i++)
    json_array_add_element (list, aspect_node (layout->names[i], sims[i], shares[i]));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, list);
  lk_explanation_take_extra (x, LK_EXTRA_ASPECTS, node);
  lk_explanation_take_extra (x, "residual", aspect_node (NULL, sims[layout->n_aspects], shares[layout->n_aspects]));
  json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "explain_seconds",
                                 (g_get_monotonic_time () - t0) / 1e6);
  return g_steal_pointer (&x);
}
