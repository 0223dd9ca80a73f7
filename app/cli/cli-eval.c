/* cli-eval.c — `eval-sts`: cosine similarity against gold scores. */
#include "config.h"

#include "cli.h"
#include "lk-sts.h"

/* Each distinct sentence is embedded once. */
static gboolean
embed_pairs (LkModel *model, LkStsSet *set, double *sims, GError **error)
{
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) uniq = g_ptr_array_new ();
  g_autofree float *e = NULL;
  guint dim = lk_model_get_dim (model), n = set->gold->len;

  for (guint i = 0; i < 2 * n; i++)
    {
      const char *s = g_ptr_array_index (i < n ? set->a : set->b, i % n);
      if (!g_hash_table_contains (index, s))
        {
          g_hash_table_insert (index, (gpointer) s, GUINT_TO_POINTER (uniq->len));
          g_ptr_array_add (uniq, (gpointer) s);
        }
    }
  e = g_new (float, (gsize) uniq->len * dim);
  if (!lk_model_embed (model, (const char * const *) uniq->pdata, uniq->len, e, NULL, NULL, NULL, NULL, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      guint ia = GPOINTER_TO_UINT (g_hash_table_lookup (index, g_ptr_array_index (set->a, i)));
      guint ib = GPOINTER_TO_UINT (g_hash_table_lookup (index, g_ptr_array_index (set->b, i)));
      sims[i] = lk_cosine (e + (gsize) ia * dim, e + (gsize) ib * dim, dim);
    }
  return TRUE;
}

int
cli_eval_sts (int argc, char **argv)
{
  g_autofree char *model_name = NULL;
  g_autofree char *split = NULL;
  int limit = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "SICK.txt only: TRAIN, TRIAL, TEST (default) or all", "SPLIT" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use only the first K pairs", "K" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkStsSet) set = NULL;
  g_autofree double *sims = NULL;
  GError *error = NULL;
  const char *want_split;
  gint64 t0;
  guint n;

  if (!cli_parse ("eval-sts", "FILE",
                  "Correlates the model's cosine similarities with the gold scores of an STS Benchmark, SICK or BIOSSES file "
                  "and prints Pearson and Spearman ×100; the last line is spearman=NN.NN.",
                  entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 2)
    return cli_usage ("eval-sts", "expected one data file");
  want_split = split == NULL ? "TEST" : g_ascii_strcasecmp (split, "all") == 0 ? NULL : split;
  if ((set = lk_sts_load (argv[1], want_split, &error)) == NULL)
    return cli_fail (error);
  if (limit > 0 && (guint) limit < set->gold->len)
    {
      g_ptr_array_set_size (set->a, limit);
      g_ptr_array_set_size (set->b, limit);
      g_array_set_size (set->gold, limit);
    }
  if ((model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, &error)) == NULL)
    return cli_fail (error);
  n = set->gold->len;
  sims = g_new (double, n);
  t0 = g_get_monotonic_time ();
  if (!embed_pairs (model, set, sims, &error))
    return cli_fail (error);
  g_print ("model=%s\nfile=%s\nformat=%s\npairs=%u\nseconds=%.2f\n", lk_model_get_id (model), argv[1],
           set->format, n, (g_get_monotonic_time () - t0) / 1e6);
  g_print ("pearson=%.2f\n", 100 * lk_pearson (sims, (double *) set->gold->data, n));
  g_print ("spearman=%.2f\n", 100 * lk_spearman (sims, (double *) set->gold->data, n));
  return CLI_EXIT_OK;
}
