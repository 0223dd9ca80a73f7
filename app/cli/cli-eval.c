/* cli-eval.c — `eval-sts`: cosine similarity against gold scores. */
#include "config.h"

#include "cli.h"
#include "lk-sts.h"

typedef struct {
  CliProgress *line;
  guint        n;   /* sentences */
} EmbedProgress;

static void
on_embed_progress (double fraction, gpointer data)
{
  EmbedProgress *p = data;

  cli_progress_update (p->line, fraction * p->n, p->n);
}

/* Each distinct sentence is embedded once, with a progress line on a
 * terminal (1,379 pairs take a minute). */
static gboolean
embed_pairs (LkModel *model, LkStsSet *set, double *sims, GError **error)
{
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) uniq = g_ptr_array_new ();
  g_autoptr(CliProgress) line = NULL;
  g_autofree float *e = NULL;
  EmbedProgress progress;
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
  line = cli_progress_new ("eval-sts: embedding", "sentences");
  progress = (EmbedProgress) { line, uniq->len };
  if (!lk_model_embed (model, (const char * const *) uniq->pdata, uniq->len, e, NULL,
                       line ? on_embed_progress : NULL, &progress, NULL, error))
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
  int truncate_dim = 0;
  g_autofree char *split = NULL;
  int limit = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { "truncate-dim", 0, 0, G_OPTION_ARG_INT, &truncate_dim, "Matryoshka: the first N embedding dimensions only, as sentence-transformers' truncate_dim (default: all)", "N" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "SICK.txt only: TRAIN, TRIAL, TEST (default) or all", "SPLIT" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use only the first K pairs", "K" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkStsSet) set = NULL;
  g_autofree double *sims = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GError *error = NULL;
  double pearson, spearman, seconds;
  const char *want_split;
  gint64 t0;
  guint n;

  if (!cli_parse ("eval-sts", "FILE",
                  "Correlates the model's cosine similarities with the gold scores of an STS Benchmark, SICK or BIOSSES file "
                  "and prints Pearson and Spearman ×100; the last text line is spearman=NN.NN.",
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
  if ((model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, truncate_dim, &error)) == NULL)
    return cli_fail (error);
  n = set->gold->len;
  sims = g_new (double, n);
  t0 = g_get_monotonic_time ();
  if (!embed_pairs (model, set, sims, &error))
    return cli_fail (error);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  pearson = 100 * lk_pearson (sims, (double *) set->gold->data, n);
  spearman = 100 * lk_spearman (sims, (double *) set->gold->data, n);
  if (cli_format () == CLI_FORMAT_TEXT)
    {
      g_print ("model=%s\nfile=%s\nformat=%s\npairs=%u\nseconds=%.2f\n", lk_model_get_id (model), argv[1],
               set->format, n, seconds);
      g_print ("pearson=%.2f\n", pearson);
      g_print ("spearman=%.2f\n", spearman);
      return CLI_EXIT_OK;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, lk_model_get_id (model));
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, argv[1]);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, set->format);
  json_builder_set_member_name (b, "pairs");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, seconds);
  json_builder_set_member_name (b, "pearson");
  json_builder_add_double_value (b, pearson);
  json_builder_set_member_name (b, "spearman");
  json_builder_add_double_value (b, spearman);
  json_builder_end_object (b);
  if (!cli_print_json (b, &error))
    return cli_fail (error);
  return CLI_EXIT_OK;
}
