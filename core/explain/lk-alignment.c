/* lk-alignment.c — the token-embedding baseline: token cosines at a layer
 * (the last by default), each token's best partner (MaxSim) and two
 * BERTScore P, R and F1: bertscore_* as the bert-score package computes
 * them (idf off, no rescale: the special tokens are not averaged over, but
 * may be a token's best partner), and precision/recall/f1 over the content
 * tokens alone on both sides. What the alignment arcs draw. */
#include "config.h"

#include <math.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-methods.h"
#include "lk-model-private.h"

static float *
hidden_at (LkModel *model, const LkEncoding *enc, int layer, const char *what, GError **error)
{
  lk_shim_model *shim = lk_model_get_shim (model);
  int h = lk_shim_model_hidden_size (shim);
  float *out = g_new (float, (gsize) h * enc->n_tokens);
  lk_shim_status st;

  if (lk_shim_hidden_states (shim, enc->ids, enc->n_tokens, layer, out, &st) != 0)
    {
      lk_backend_set_error (&st, NULL, NULL, error);
      g_free (out);
      return NULL;
    }
  if (!lk_check_finite (out, (gsize) h * enc->n_tokens, what, error))
    g_clear_pointer (&out, g_free);
  return out;
}

static JsonArray *
best_partners (const LkMatrix *m, gboolean by_row)
{
  JsonArray *best = json_array_new ();
  guint n = by_row ? m->rows : m->cols, other = by_row ? m->cols : m->rows;

  for (guint i = 0; i < n; i++)
    {
      guint arg = 0;
      for (guint j = 1; j < other; j++)
        {
          double v = by_row ? m->data[(gsize) i * m->cols + j] : m->data[(gsize) j * m->cols + i];
          double w = by_row ? m->data[(gsize) i * m->cols + arg] : m->data[(gsize) arg * m->cols + i];
          if (v > w)
            arg = j;
        }
      json_array_add_int_element (best, arg);
    }
  return best;
}

/* Mean over the content tokens of one side of their best cosine on the
 * other: among the other side's content tokens (@partners_content), or
 * among all its tokens, specials included, as bert-score takes the max. */
static double
greedy_match (const LkMatrix *m, const LkEncoding *ea, const LkEncoding *eb, gboolean rows, gboolean partners_content)
{
  double total = 0;
  guint n = 0;

  for (guint i = 0; i < (rows ? m->rows : m->cols); i++)
    {
      double best = -INFINITY;
      if ((rows ? ea : eb)->special[i])
        continue;
      for (guint j = 0; j < (rows ? m->cols : m->rows); j++)
        if (!partners_content || !(rows ? eb : ea)->special[j])
          best = fmax (best, rows ? m->data[(gsize) i * m->cols + j] : m->data[(gsize) j * m->cols + i]);
      if (isfinite (best))
        {
          total += best;
          n++;
        }
    }
  return n ? total / n : 0;
}

static double
f1 (double p, double r)
{
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

gboolean lk_explain_alignment (LkExplanation *x, LkModel *model, const LkEncoding *ea, const LkEncoding *eb,
                               int layer, GError **error);

gboolean
lk_explain_alignment (LkExplanation *x, LkModel *model, const LkEncoding *ea, const LkEncoding *eb, int layer,
                      GError **error)
{
  int h = lk_shim_model_hidden_size (lk_model_get_shim (model));
  g_autofree float *ha = hidden_at (model, ea, layer, "the hidden states of text A", error);
  g_autofree float *hb = ha ? hidden_at (model, eb, layer, "the hidden states of text B", error) : NULL;
  g_autofree float *emb = NULL;
  const char *texts[2] = { lk_explanation_get_text (x, 0), lk_explanation_get_text (x, 1) };
  guint dim = lk_model_get_dim (model);
  LkMatrix m = { ea->n_tokens, eb->n_tokens, NULL };
  JsonObject *align;
  double p, r, bp, br;

  if (hb == NULL)
    return FALSE;
  m.data = g_new (double, (gsize) m.rows * m.cols);
  for (guint i = 0; i < m.rows; i++)
    for (guint j = 0; j < m.cols; j++)
      m.data[(gsize) i * m.cols + j] = lk_cosine (ha + (gsize) i * h, hb + (gsize) j * h, h);
  align = lk_explanation_get_extra (x, "alignment");
  json_object_set_array_member (align, "best_a", best_partners (&m, TRUE));
  json_object_set_array_member (align, "best_b", best_partners (&m, FALSE));
  bp = greedy_match (&m, ea, eb, TRUE, FALSE);
  br = greedy_match (&m, ea, eb, FALSE, FALSE);
  p = greedy_match (&m, ea, eb, TRUE, TRUE);
  r = greedy_match (&m, ea, eb, FALSE, TRUE);
  lk_explanation_take_matrix (x, &m);
  lk_explanation_set_score (x, LK_SCORE_BERTSCORE_PRECISION, bp);
  lk_explanation_set_score (x, LK_SCORE_BERTSCORE_RECALL, br);
  lk_explanation_set_score (x, LK_SCORE_BERTSCORE_F1, f1 (bp, br));
  lk_explanation_set_score (x, LK_SCORE_PRECISION, p);
  lk_explanation_set_score (x, LK_SCORE_RECALL, r);
  lk_explanation_set_score (x, LK_SCORE_F1, f1 (p, r));
  emb = g_new (float, 2 * dim);
  if (!lk_model_embed (model, texts, 2, emb, NULL, NULL, NULL, NULL, error))
    return FALSE;
  lk_explanation_set_score (x, LK_SCORE_SIMILARITY, lk_cosine (emb, emb + dim, dim));
  lk_explanation_set_score (x, LK_SCORE_SUM, lk_matrix_sum (lk_explanation_get_matrix (x)));
  return TRUE;
}
