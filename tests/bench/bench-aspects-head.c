/* bench-aspects-head — what an aspect head learned, beside the base model's
 * own dims and (when given) a fine-tuned aspect space (tests/bench/run
 * aspects-head builds and runs it).
 *
 *   bench-aspects-head MODEL HEAD SICK.txt STS-TEST.csv TRAIN_SECONDS [FINETUNED]
 *
 * On SICK's TEST split: for each aspect, the Spearman correlation between
 * the cosine of its coordinates and its built-in metric: the base model's
 * first n·k dims, the head's (Qe), and the fine-tuned model's. On the STS
 * Benchmark test set: the overall Spearman of the base model and of Qe (the
 * same by construction: Q keeps every cosine), the largest |cos(Qa, Qb) −
 * cos(a, b)| and the largest shares gap. Last line:
 *   aspects_head model=ID stsb_base=NN.NN stsb_head=NN.NN train_seconds=S */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lk-aspects.h"
#include "lk-sts.h"

static void
die (const GError *error)
{
  fprintf (stderr, "bench-aspects-head: %s\n", error->message);
  exit (1);
}

static float *
embed_side (LkModel *m, GPtrArray *texts)
{
  g_autoptr(GError) error = NULL;
  float *out = g_new (float, (gsize) texts->len * lk_model_get_dim (m));

  if (!lk_model_embed (m, (const char * const *) texts->pdata, texts->len, out, NULL, NULL, NULL, NULL, &error))
    die (error);
  return out;
}

/* Qe of every row, as floats again (a ranking does not see the rounding). */
static float *
rotate (const LkAspectHead *h, const float *e, guint n)
{
  float *out = g_new (float, (gsize) n * h->dim);
  g_autofree double *row = g_new (double, h->dim);

  for (guint i = 0; i < n; i++)
    {
      lk_aspect_head_apply (h, e + (gsize) i * h->dim, row);
      for (guint d = 0; d < h->dim; d++)
        out[(gsize) i * h->dim + d] = (float) row[d];
    }
  return out;
}

/* sims: n_pairs × (n_aspects + 1), the residual last. */
static double *
aspect_sims (const LkAspectLayout *l, const float *a, const float *b, guint n, guint d)
{
  guint w = l->n_aspects + 1;
  double *sims = g_new (double, (gsize) n * w);
  g_autofree double *shares = g_new (double, w);
  double overall;

  for (guint i = 0; i < n; i++)
    lk_aspects_decompose (l, a + (gsize) i * d, b + (gsize) i * d, d, &overall, sims + (gsize) i * w, shares);
  return sims;
}

static double
column_spearman (const double *sims, guint w, guint k, const double *metric, guint n)
{
  g_autofree double *col = g_new (double, n), *mcol = g_new (double, n);

  for (guint i = 0; i < n; i++)
    {
      col[i] = sims[(gsize) i * w + k];
      mcol[i] = metric[(gsize) i * LK_N_BUILTIN_METRICS + k];
    }
  return 100 * lk_spearman (col, mcol, n);
}

static double *
finetuned_sims (const char *dir, const LkAspectLayout *head_layout, LkStsSet *sick)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = lk_model_new (dir, NULL, &error);
  g_autoptr(LkAspectLayout) l = NULL;
  g_autofree float *a = NULL, *b = NULL;

  if (m == NULL || (l = lk_aspect_layout_read (lk_model_get_path (m), &error)) == NULL)
    die (error);
  if (l->n_aspects != head_layout->n_aspects || l->aspect_dim != head_layout->aspect_dim)
    {
      fprintf (stderr, "bench-aspects-head: %s has another layout than the head\n", dir);
      exit (1);
    }
  a = embed_side (m, sick->a);
  b = embed_side (m, sick->b);
  return aspect_sims (l, a, b, sick->a->len, lk_model_get_dim (m));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkAspectHead) head = NULL;
  g_autoptr(LkStsSet) sick = NULL, sts = NULL;
  g_autofree float *sa = NULL, *sb = NULL, *qa = NULL, *qb = NULL, *ta = NULL, *tb = NULL, *tqa = NULL, *tqb = NULL;
  g_autofree double *base = NULL, *rot = NULL, *tuned = NULL, *metric = NULL, *cb = NULL, *ch = NULL;
  double worst_cos = 0, worst_gap = 0, stsb_base, stsb_head, *gold;
  guint n, d, w;

  if (argc != 6 && argc != 7)
    {
      fprintf (stderr, "usage: bench-aspects-head MODEL HEAD SICK.txt STS-TEST.csv TRAIN_SECONDS [FINETUNED]\n");
      return 2;
    }
  if ((model = lk_model_new (argv[1], NULL, &error)) == NULL || (head = lk_aspect_head_read (argv[2], &error)) == NULL ||
      !lk_aspect_head_check_model (head, model, &error) || (sick = lk_sts_load (argv[3], "TEST", &error)) == NULL ||
      (sts = lk_sts_load (argv[4], NULL, &error)) == NULL)
    die (error);
  if (head->layout->n_aspects != LK_N_BUILTIN_METRICS)
    {
      fprintf (stderr, "bench-aspects-head: %s was not trained on the built-in metrics\n", argv[2]);
      return 1;
    }
  n = sick->a->len;
  d = head->dim;
  w = head->layout->n_aspects + 1;
  sa = embed_side (model, sick->a);
  sb = embed_side (model, sick->b);
  qa = rotate (head, sa, n);
  qb = rotate (head, sb, n);
  base = aspect_sims (head->layout, sa, sb, n, d);
  rot = aspect_sims (head->layout, qa, qb, n, d);
  if (argc == 7)
    tuned = finetuned_sims (argv[6], head->layout, sick);
  metric = g_new (double, (gsize) n * LK_N_BUILTIN_METRICS);
  for (guint i = 0; i < n; i++)
    lk_builtin_metrics (sick->a->pdata[i], sick->b->pdata[i], metric + (gsize) i * LK_N_BUILTIN_METRICS);
  printf ("%s, SICK test (%u pairs): Spearman x100 between each aspect's cosine and its built-in metric\n", argv[1], n);
  printf ("%-16s %8s %8s %10s\n", "aspect", "base", "head", tuned ? "fine-tuned" : "");
  for (guint k = 0; k < head->layout->n_aspects; k++)
    {
      printf ("%-16s %8.2f %8.2f", head->layout->names[k], column_spearman (base, w, k, metric, n),
              column_spearman (rot, w, k, metric, n));
      if (tuned)
        printf (" %10.2f", column_spearman (tuned, w, k, metric, n));
      printf ("\n");
    }

  /* STSb test: the model's cosine and Qe's, pair by pair. */
  n = sts->a->len;
  ta = embed_side (model, sts->a);
  tb = embed_side (model, sts->b);
  tqa = rotate (head, ta, n);
  tqb = rotate (head, tb, n);
  cb = g_new (double, n);
  ch = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      double overall, sims[LK_N_BUILTIN_METRICS + 1], shares[LK_N_BUILTIN_METRICS + 1];
      cb[i] = lk_cosine (ta + (gsize) i * d, tb + (gsize) i * d, d);
      ch[i] = lk_cosine (tqa + (gsize) i * d, tqb + (gsize) i * d, d);
      lk_aspects_decompose (head->layout, tqa + (gsize) i * d, tqb + (gsize) i * d, d, &overall, sims, shares);
      worst_cos = fmax (worst_cos, fabs (ch[i] - cb[i]));
      worst_gap = fmax (worst_gap, fabs (overall - cb[i]));
    }
  gold = (double *) sts->gold->data;
  stsb_base = 100 * lk_spearman (cb, gold, n);
  stsb_head = 100 * lk_spearman (ch, gold, n);
  printf ("STSb test (%u pairs): overall Spearman x100 %.2f base, %.2f head; max |cos(Qa,Qb) - cos(a,b)| %.2g; "
          "max |sum of shares - score| %.2g (Q orthogonal to %.2g)\n", n, stsb_base, stsb_head, worst_cos, worst_gap,
          head->orthogonality);
  printf ("aspects_head model=%s stsb_base=%.2f stsb_head=%.2f train_seconds=%s\n", argv[1], stsb_base, stsb_head,
          argv[5]);
  return 0;
}
