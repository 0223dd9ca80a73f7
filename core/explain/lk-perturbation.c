/* lk-perturbation.c — the perturbation curve of METHODS.md §2: how fast
 * does a text's embedding come back as its most relevant tokens return? */
#include "config.h"

#include <math.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-methods.h"
#include "lk-model-private.h"

/* Token relevance of one side: the matrix sum-pooled over the other side. */
static double *
pooled_relevance (const LkMatrix *m, guint side)
{
  guint n = side ? m->cols : m->rows;
  double *r = g_new0 (double, n);

  for (guint i = 0; i < m->rows; i++)
    for (guint j = 0; j < m->cols; j++)
      r[side ? j : i] += m->data[(gsize) i * m->cols + j];
  return r;
}


/* The content (non-special) positions of @enc in text order, into @order;
 * returns their number. */
static guint
content_positions (const LkEncoding *enc, guint *order)
{
  guint n = 0;

  for (guint i = 0; i < enc->n_tokens; i++)
    if (!enc->special[i])
      order[n++] = i;
  return n;
}

static gint
by_relevance (gconstpointer a, gconstpointer b, gpointer keys)
{
  const double *r = keys;
  double x = r[*(const guint *) a], y = r[*(const guint *) b];
  return (x < y) - (x > y);  /* descending */
}

/* Sequences with the first k of @order (content positions) kept, k = 0..n,
 * specials always kept, original order preserved. */
static void
add_sequences (const LkEncoding *enc, const guint *order, guint n, GPtrArray *seqs, GArray *lens)
{
  g_autofree gboolean *keep = g_new0 (gboolean, enc->n_tokens);

  for (guint k = 0; k <= n; k++)
    {
      gint32 *ids = g_new (gint32, enc->n_tokens);
      int len = 0;
      if (k > 0)
        keep[order[k - 1]] = TRUE;
      for (guint i = 0; i < enc->n_tokens; i++)
        if (enc->special[i] || keep[i])
          ids[len++] = enc->ids[i];
      g_ptr_array_add (seqs, ids);
      g_array_append_val (lens, len);
    }
}

static double
area (const double *curve, guint n)
{
  double a = 0;
  if (n == 0)
    return curve[0];
  for (guint k = 0; k < n; k++)
    a += (curve[k] + curve[k + 1]) / 2;
  return a / n;
}

static JsonArray *
curve_array (const double *c, guint n)
{
  JsonArray *a = json_array_new ();
  for (guint k = 0; k <= n; k++)
    json_array_add_double_element (a, c[k]);
  return a;
}

/* Curves of one side: the explanation's order first, then @n_random random orders. */
static gboolean
side_curves (LkModel *model, const LkEncoding *enc, const double *rel, guint n_random, GRand *rng,
             JsonObject *out, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) seqs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) lens = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree guint *order = g_new (guint, enc->n_tokens);
  guint n = 0, dim = lk_model_get_dim (model);
  g_autofree float *emb = NULL;
  g_autofree double *curve = NULL, *rnd = NULL;
  lk_shim_status st;

  n = content_positions (enc, order);
  g_qsort_with_data (order, n, sizeof *order, by_relevance, (gpointer) rel);
  add_sequences (enc, order, n, seqs, lens);
  /* The random orders are shuffled from the text's order, so that with one
   * seed every method is measured against the same random baseline. */
  content_positions (enc, order);
  for (guint r = 0; r < n_random; r++)
    {
      for (guint i = n; i > 1; i--)
        {
          guint j = g_rand_int_range (rng, 0, i), t = order[i - 1];
          order[i - 1] = order[j];
          order[j] = t;
        }
      add_sequences (enc, order, n, seqs, lens);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  emb = g_new (float, (gsize) seqs->len * dim);
  if (lk_shim_embed (lk_model_get_shim (model), seqs->len, (const int32_t *const *) seqs->pdata,
                     (const int *) lens->data, emb, NULL, &st) != 0)
    return lk_backend_set_error (&st, "perturbation curve", NULL, error);
  if (!lk_check_finite (emb, (gsize) seqs->len * dim, "an embedding of the perturbation curve", error))
    return FALSE;
  curve = g_new0 (double, n + 1);
  rnd = g_new0 (double, n + 1);
  for (guint s = 0; s < seqs->len; s++)
    {
      guint k = s % (n + 1), full = (s / (n + 1)) * (n + 1) + n;
      double d = 0;
      for (guint i = 0; i < dim; i++)
        {
          double x = emb[(gsize) s * dim + i] - emb[(gsize) full * dim + i];
          d += x * x;
        }
      if (s <= n)
        curve[k] = sqrt (d);
      else
        rnd[k] += sqrt (d) / n_random;
    }
  json_object_set_array_member (out, "curve", curve_array (curve, n));
  json_object_set_double_member (out, "area", area (curve, n));
  json_object_set_array_member (out, "random_curve", curve_array (rnd, n));
  json_object_set_double_member (out, "random_area", area (rnd, n));
  return TRUE;
}

gboolean
lk_explanation_add_perturbation (LkExplanation *x,
                                 LkModel       *model,
                                 guint          n_random,
                                 guint          seed,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  const LkMatrix *m = lk_explanation_get_matrix (x);
  JsonObject *pert = lk_explanation_get_extra (x, "perturbation");
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  double a = 0, ra = 0;

  g_return_val_if_fail (n_random > 0, FALSE);
  if (m->data == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "the explanation has no matrix to order tokens by");
      return FALSE;
    }
  for (guint side = 0; side < 2; side++)
    {
      g_autoptr(LkEncoding) enc = lk_model_tokenize (model, lk_explanation_get_text (x, side), error);
      g_autofree double *rel = pooled_relevance (m, side);
      JsonObject *o = json_object_new ();
      if (enc == NULL || enc->n_tokens != (side ? m->cols : m->rows))
        {
          json_object_unref (o);
          if (enc != NULL)
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                         "the explanation's tokens do not match %s's tokenizer", lk_model_get_id (model));
          return FALSE;
        }
      json_object_set_object_member (pert, side ? "b" : "a", o);
      if (!side_curves (model, enc, rel, n_random, rng, o, cancellable, error))
        return FALSE;
      a += json_object_get_double_member (o, "area") / 2;
      ra += json_object_get_double_member (o, "random_area") / 2;
    }
  json_object_set_double_member (pert, "area", a);
  json_object_set_double_member (pert, "random_area", ra);
  json_object_set_int_member (pert, "n_random", n_random);
  json_object_set_int_member (pert, "seed", seed);
  lk_explanation_set_score (x, LK_SCORE_PERTURBATION_AREA, a);
  lk_explanation_set_score (x, LK_SCORE_PERTURBATION_RANDOM_AREA, ra);
  return TRUE;
}
