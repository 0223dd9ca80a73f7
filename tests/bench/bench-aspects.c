/* bench-aspects — what an aspect space trained with the built-in metrics
 * learned (tests/bench/run aspects builds and runs it).
 *
 *   bench-aspects BASE TRAINED SICK.txt STS-TEST.csv TRAIN_SECONDS
 *
 * On SICK's TEST split: for each aspect, the Spearman correlation between
 * the cosine of its sub-embeddings and its built-in metric, in the trained
 * model and, for the same dimensions, in the base model. On the STS
 * Benchmark test set: the overall Spearman of both. Last line:
 *   aspects stsb_before=NN.NN stsb_after=NN.NN */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lk-aspects.h"
#include "lk-sts.h"

static float *
embed_side (LkModel *m, GPtrArray *texts)
{
  g_autoptr(GError) error = NULL;
  float *out = g_new (float, (gsize) texts->len * lk_model_get_dim (m));

  if (!lk_model_embed (m, (const char * const *) texts->pdata, texts->len, out, NULL, NULL, NULL, NULL, &error))
    {
      fprintf (stderr, "bench-aspects: %s\n", error->message);
      exit (1);
    }
  return out;
}

static double
sts_spearman (LkModel *m, LkStsSet *set)
{
  g_autofree float *a = embed_side (m, set->a), *b = embed_side (m, set->b);
  g_autofree double *cos = g_new (double, set->a->len);
  guint d = lk_model_get_dim (m);

  for (guint i = 0; i < set->a->len; i++)
    cos[i] = lk_cosine (a + (gsize) i * d, b + (gsize) i * d, d);
  return 100 * lk_spearman (cos, (double *) set->gold->data, set->a->len);
}

/* sims: n_pairs × (n_aspects + 1), the residual last. */
static double *
aspect_sims (LkModel *m, const LkAspectLayout *l, LkStsSet *set)
{
  g_autofree float *a = embed_side (m, set->a), *b = embed_side (m, set->b);
  guint d = lk_model_get_dim (m), n = l->n_aspects + 1;
  double *sims = g_new (double, (gsize) set->a->len * n);
  g_autofree double *shares = g_new (double, n);
  double overall;

  for (guint i = 0; i < set->a->len; i++)
    lk_aspects_decompose (l, a + (gsize) i * d, b + (gsize) i * d, d, &overall, sims + (gsize) i * n, shares);
  return sims;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) base = NULL, trained = NULL;
  g_autoptr(LkStsSet) sick = NULL, sts = NULL;
  g_autoptr(LkAspectLayout) layout = NULL;
  g_autofree double *sb = NULL, *st = NULL, *metric = NULL, *col = NULL, *mcol = NULL;
  double before, after;
  guint n;

  if (argc != 6)
    {
      fprintf (stderr, "usage: bench-aspects BASE TRAINED SICK.txt STS-TEST.csv TRAIN_SECONDS\n");
      return 2;
    }
  if ((base = lk_model_new (argv[1], NULL, &error)) == NULL || (trained = lk_model_new (argv[2], NULL, &error)) == NULL ||
      (layout = lk_aspect_layout_read (lk_model_get_path (trained), &error)) == NULL ||
      (sick = lk_sts_load (argv[3], "TEST", &error)) == NULL || (sts = lk_sts_load (argv[4], NULL, &error)) == NULL)
    {
      fprintf (stderr, "bench-aspects: %s\n", error->message);
      return 1;
    }
  if (layout->n_aspects != LK_N_BUILTIN_METRICS)
    {
      fprintf (stderr, "bench-aspects: %s was not trained on the built-in metrics\n", argv[2]);
      return 1;
    }
  n = sick->a->len;
  sb = aspect_sims (base, layout, sick);
  st = aspect_sims (trained, layout, sick);
  metric = g_new (double, (gsize) n * LK_N_BUILTIN_METRICS);
  for (guint i = 0; i < n; i++)
    lk_builtin_metrics (sick->a->pdata[i], sick->b->pdata[i], metric + (gsize) i * LK_N_BUILTIN_METRICS);
  col = g_new (double, n);
  mcol = g_new (double, n);
  printf ("SICK test (%u pairs): Spearman x100 between each aspect's sub-embedding cosine and its built-in metric\n", n);
  printf ("%-16s %8s %8s\n", "aspect", "base", "trained");
  for (guint k = 0; k < layout->n_aspects; k++)
    {
      double rho[2];
      for (int which = 0; which < 2; which++)
        {
          const double *s = which ? st : sb;
          for (guint i = 0; i < n; i++)
            {
              col[i] = s[(gsize) i * (layout->n_aspects + 1) + k];
              mcol[i] = metric[(gsize) i * LK_N_BUILTIN_METRICS + k];
            }
          rho[which] = 100 * lk_spearman (col, mcol, n);
        }
      printf ("%-16s %8.2f %8.2f\n", layout->names[k], rho[0], rho[1]);
    }
  before = sts_spearman (base, sts);
  after = sts_spearman (trained, sts);
  printf ("STSb test (%u pairs): overall Spearman x100 %.2f before, %.2f after\n", sts->a->len, before, after);
  printf ("training: %s s\n", argv[5]);
  printf ("aspects stsb_before=%.2f stsb_after=%.2f\n", before, after);
  return 0;
}
