/* lk-contrast.c — the combination of two results into a ranking contrast;
 * see lk-contrast.h. */
#include "config.h"

#include <math.h>

#include "lk-contrast.h"
#include "lk-error.h"
#include "lk-method-info.h"

static gboolean
same_member (JsonObject *a, JsonObject *b, const char *name)
{
  JsonNode *na = json_object_get_member (a, name), *nb = json_object_get_member (b, name);

  if (na == NULL || nb == NULL)
    return na == nb;
  return json_node_equal (na, nb);
}

static void
copy_members (JsonObject *to, JsonObject *from)
{
  JsonObjectIter it;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&it, from);
  while (json_object_iter_next (&it, &name, &node))
    json_object_set_member (to, name, json_node_copy (node));
}

/* Row sums (per query token) and column sums (per document token). */
static void
margins (const LkMatrix *m, double **rows, double **cols)
{
  *rows = g_new0 (double, MAX (m->rows, 1));
  *cols = g_new0 (double, MAX (m->cols, 1));
  for (guint i = 0; i < m->rows; i++)
    for (guint j = 0; j < m->cols; j++)
      {
        double v = m->data[(gsize) i * m->cols + j];
        (*rows)[i] += v;
        (*cols)[j] += v;
      }
}

static JsonArray *
doubles_array (const double *v, guint n)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; i < n; i++)
    json_array_add_double_element (a, v[i]);
  return a;
}

static JsonObject *
document_object (LkExplanation *x, const double *rows, const double *cols)
{
  JsonObject *d = json_object_new (), *scores = json_object_new ();
  JsonObject *truncated = lk_explanation_lookup_object (x, "truncated");
  const LkMatrix *m = lk_explanation_get_matrix (x);
  double sim = lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN);
  double sum = lk_explanation_get_score (x, LK_SCORE_SUM, NAN);

  json_object_set_string_member (d, "text", lk_explanation_get_text (x, 1));
  json_object_set_array_member (d, "tokens", lk_explanation_dup_tokens_json (x, 1));
  json_object_set_array_member (d, "token_info", lk_explanation_dup_token_info_json (x, 1));
  json_object_set_array_member (d, "saliency", doubles_array (cols, m->cols));
  json_object_set_array_member (d, "query_saliency", doubles_array (rows, m->rows));
  json_object_set_double_member (d, LK_SCORE_SIMILARITY, sim);
  json_object_set_double_member (d, LK_SCORE_SUM, sum);
  json_object_set_double_member (d, "residual", sim - sum);
  json_object_set_boolean_member (d, "truncated",
                                  truncated && json_object_get_boolean_member_with_default (truncated, "b", FALSE));
  /* A copy (its members are numbers): the caller keeps its result. */
  copy_members (scores, lk_explanation_get_scores (x));
  json_object_set_object_member (d, "scores", scores);
  return d;
}

static double
explain_seconds (LkExplanation *x)
{
  JsonObject *t = lk_explanation_lookup_object (x, "timings");

  return t ? json_object_get_double_member_with_default (t, "explain_seconds", 0) : 0;
}

LkExplanation *
lk_contrast_from_results (LkExplanation *x1, LkExplanation *x2, GError **error)
{
  LkExplanation *xs[2] = { x1, x2 };
  const LkMethodInfo *info;
  g_autoptr(LkExplanation) c = NULL;
  double *rows[2] = { NULL }, *cols[2] = { NULL };
  g_autofree double *diff = NULL;
  JsonArray *docs;
  JsonNode *node;
  double sim[2], sum[2];
  guint nq;

  g_return_val_if_fail (LK_IS_EXPLANATION (x1) && LK_IS_EXPLANATION (x2), NULL);

  info = lk_method_info_find (lk_explanation_get_method (x1));
  if (info == NULL || !lk_method_can_contrast (info))
    {
      g_autofree char *takers = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "method '%s' gives no token matrix to contrast: a ranking contrast takes %s",
                   lk_explanation_get_method (x1), takers);
      return NULL;
    }
  if (g_strcmp0 (lk_explanation_get_method (x1), lk_explanation_get_method (x2)) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "the two results come from different methods ('%s' and '%s'): a contrast compares one method's attributions",
                   lk_explanation_get_method (x1), lk_explanation_get_method (x2));
      return NULL;
    }
  if (!same_member (lk_explanation_get_model (x1), lk_explanation_get_model (x2), "id") ||
      !same_member (lk_explanation_get_model (x1), lk_explanation_get_model (x2), "sha256"))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "the two results come from different models (or weights): a contrast needs one model's scores");
      return NULL;
    }
  if (g_strcmp0 (lk_explanation_get_text (x1, 0), lk_explanation_get_text (x2, 0)) != 0 ||
      lk_explanation_get_n_tokens (x1, 0) != lk_explanation_get_n_tokens (x2, 0))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "the two results have different queries (text A): a contrast explains two documents for one query");
      return NULL;
    }
  for (guint k = 0; k < 2; k++)
    {
      const LkMatrix *m = lk_explanation_get_matrix (xs[k]);
      if (m->data == NULL || m->rows != lk_explanation_get_n_tokens (xs[k], 0) ||
          m->cols != lk_explanation_get_n_tokens (xs[k], 1))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "result %u has no token matrix: a contrast needs the token pairs of both", k + 1);
          goto fail;
        }
      margins (m, &rows[k], &cols[k]);
      sim[k] = lk_explanation_get_score (xs[k], LK_SCORE_SIMILARITY, NAN);
      sum[k] = lk_matrix_sum (m);
    }

  nq = lk_explanation_get_n_tokens (x1, 0);
  c = lk_explanation_new (lk_explanation_get_method (x1));
  lk_explanation_set_text (c, 0, lk_explanation_get_text (x1, 0));
  lk_explanation_set_text (c, 1, lk_explanation_get_text (x1, 1));
  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < lk_explanation_get_n_tokens (x1, s); i++)
      lk_explanation_add_token (c, s, lk_explanation_get_token (x1, s, i));
  copy_members (lk_explanation_get_model (c), lk_explanation_get_model (x1));
  copy_members (lk_explanation_get_params (c), lk_explanation_get_params (x1));

  lk_explanation_set_score (c, LK_SCORE_SIMILARITY_1, sim[0]);
  lk_explanation_set_score (c, LK_SCORE_SIMILARITY_2, sim[1]);
  lk_explanation_set_score (c, LK_SCORE_SIMILARITY_DIFFERENCE, sim[0] - sim[1]);
  lk_explanation_set_score (c, LK_SCORE_SUM_1, sum[0]);
  lk_explanation_set_score (c, LK_SCORE_SUM_2, sum[1]);
  lk_explanation_set_score (c, LK_SCORE_SUM_DIFFERENCE, sum[0] - sum[1]);
  lk_explanation_set_score (c, LK_SCORE_RESIDUAL_1, sim[0] - sum[0]);
  lk_explanation_set_score (c, LK_SCORE_RESIDUAL_2, sim[1] - sum[1]);
  lk_explanation_set_score (c, LK_SCORE_RESIDUAL_DIFFERENCE, (sim[0] - sum[0]) - (sim[1] - sum[1]));

  diff = g_new0 (double, MAX (nq, 1));
  for (guint i = 0; i < nq; i++)
    diff[i] = rows[0][i] - rows[1][i];
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, doubles_array (diff, nq));
  lk_explanation_take_extra (c, LK_EXTRA_QUERY_SALIENCY, node);

  docs = json_array_new ();
  for (guint k = 0; k < 2; k++)
    json_array_add_object_element (docs, document_object (xs[k], rows[k], cols[k]));
  json_object_set_array_member (lk_explanation_get_extra (c, LK_EXTRA_CONTRAST), "documents", docs);

  {
    JsonObject *t1 = lk_explanation_lookup_object (x1, "truncated");
    json_object_set_boolean_member (lk_explanation_get_extra (c, "truncated"), "a",
                                    t1 && json_object_get_boolean_member_with_default (t1, "a", FALSE));
  }
  json_object_set_double_member (lk_explanation_get_extra (c, "timings"), "explain_seconds",
                                 explain_seconds (x1) + explain_seconds (x2));
  for (guint k = 0; k < 2; k++)
    g_free (rows[k]), g_free (cols[k]);
  return g_steal_pointer (&c);

fail:
  for (guint k = 0; k < 2; k++)
    g_free (rows[k]), g_free (cols[k]);
  return NULL;
}
