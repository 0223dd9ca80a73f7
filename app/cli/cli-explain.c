/* cli-explain.c — `explain` and `eval-perturbation`. */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "lk-explain.h"
#include "lk-image.h"
#include "lk-sts.h"

#define DEFAULT_TOP 10

/* The @k token pairs of the largest |value| (specials included: what the
 * matrix holds), strongest first: "top_pair=1 a=coffee b=coffee value=…". */
static void
print_top_pairs (LkExplanation *x, int k)
{
  const LkMatrix *m = lk_explanation_get_matrix (x);
  g_autofree guint *order = NULL;
  gsize n, shown;

  if (m == NULL || m->rows == 0 || m->cols == 0 || k <= 0)
    return;
  n = (gsize) m->rows * m->cols;
  order = g_new (guint, n);
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  /* a partial selection sort: k is small, the matrix may not be */
  shown = MIN ((gsize) k, n);
  for (gsize r = 0; r < shown; r++)
    {
      gsize best = r;
      for (gsize i = r + 1; i < n; i++)
        if (fabs (m->data[order[i]]) > fabs (m->data[order[best]]))
          best = i;
      guint t = order[r];
      order[r] = order[best];
      order[best] = t;
      g_print ("top_pair=%zu a=%s b=%s value=%.6f\n", r + 1,
               lk_explanation_get_token (x, 0, order[r] / m->cols)->text,
               lk_explanation_get_token (x, 1, order[r] % m->cols)->text, m->data[order[r]]);
    }
}

/* An integer as it is, a number (a threshold) with six decimals. */
static void
print_param (JsonObject *params, const char *key)
{
  JsonNode *n = json_object_get_member (params, key);

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_DOUBLE)
    g_print ("%s=%.6f\n", key, json_node_get_double (n));
  else
    g_print ("%s=%" G_GINT64_FORMAT "\n", key, json_object_get_int_member_with_default (params, key, 0));
}

/* key=value lines for scripts: what the registry says a summary of the
 * method shows, its verdict, and any aspects the result carries; then the
 * @top strongest token pairs. */
static void
print_summary (LkExplanation *x, int top)
{
  const char *method = lk_explanation_get_method (x);
  const LkMethodInfo *info = lk_method_info_find (method);
  JsonObject *t = lk_explanation_lookup_object (x, "timings");
  JsonNode *aspects = lk_explanation_lookup_extra (x, LK_EXTRA_ASPECTS);
  JsonArray *list = aspects && JSON_NODE_HOLDS_ARRAY (aspects) ? json_node_get_array (aspects) : NULL;
  JsonObject *res = lk_explanation_lookup_object (x, "residual");

  g_print ("method=%s\nsimilarity=%.6f\n", method, lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN));
  for (guint i = 0; info && i < G_N_ELEMENTS (info->check.summary_params) && info->check.summary_params[i]; i++)
    print_param (lk_explanation_get_params (x), info->check.summary_params[i]);
  for (guint i = 0; info && i < G_N_ELEMENTS (info->check.summary) && info->check.summary[i]; i++)
    if (json_object_has_member (lk_explanation_get_scores (x), info->check.summary[i]))
      g_print ("%s=%.6f\n", info->check.summary[i], lk_explanation_get_score (x, info->check.summary[i], NAN));
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *a = json_array_get_object_element (list, i);
      g_print ("aspect=%s similarity=%.6f share=%.6f\n", json_object_get_string_member_with_default (a, "name", ""),
               json_object_get_double_member_with_default (a, "similarity", NAN),
               json_object_get_double_member_with_default (a, "share", NAN));
    }
  if (res != NULL)
    g_print ("residual similarity=%.6f share=%.6f\n", json_object_get_double_member_with_default (res, "similarity", NAN),
             json_object_get_double_member_with_default (res, "share", NAN));
  if (json_object_has_member (lk_explanation_get_scores (x), LK_SCORE_PERTURBATION_AREA))
    g_print ("perturbation_area=%.6f\nrandom_area=%.6f\n", lk_explanation_get_score (x, LK_SCORE_PERTURBATION_AREA, NAN),
             lk_explanation_get_score (x, LK_SCORE_PERTURBATION_RANDOM_AREA, NAN));
  g_print ("verdict=%s\n", lk_verdict_to_string (lk_explanation_get_verdict (x, NULL)));
  g_print ("seconds=%.3f\n", t ? json_object_get_double_member_with_default (t, "explain_seconds", 0) : 0);
  print_top_pairs (x, top);
}

/* --format json: the result itself (as --json FILE writes it), so that
 * `explain --format json > x.json` feeds `render`. */
static gboolean
print_result_json (LkExplanation *x)
{
  g_autoptr(JsonNode) node = lk_explanation_to_json (x);
  GError *error = NULL;

  if (cli_print_json_node (node, &error))
    return TRUE;
  cli_fail (error);
  return FALSE;
}

/* Every combination is the core's to judge; on the command line a bad one
 * is a usage error, as is a figure path of another format. */
static gboolean
check_request (const char *command, LkExplainRequest *request, char * const figures[CLI_N_FIGURE_FORMATS])
{
  g_autoptr(GError) error = NULL;

  if (lk_explain_request_check (request, NULL, &error) && cli_check_figure_paths (figures, &error))
    return TRUE;
  cli_usage (command, error->message);
  return FALSE;
}

/* Loads the model, explains (with a progress line on a terminal), writes
 * the JSON and the figures; NULL after printing why. */
static LkExplanation *
explain_and_write (const CliMethodOptions *o, LkExplainRequest *request, const char *command, const char *json_path,
                   char * const figures[CLI_N_FIGURE_FORMATS], LkView view)
{
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autofree char *label = g_strdup_printf ("%s %s", command,
                                            lk_method_to_string (lk_explain_request_get_method (request)));
  GError *error = NULL;

  if ((o->image && !lk_image_check_file (o->image, &error)) ||
      (model = cli_load_model (o->model ? o->model : CLI_DEFAULT_MODEL, o->truncate_dim, &error)) == NULL)
    {
      cli_fail (error);
      return NULL;
    }
  {
    g_autoptr(CliProgress) progress = cli_progress_new (label, NULL);
    x = lk_explain (model, request, progress ? cli_progress_fraction : NULL, progress, NULL, &error);
  }
  if (x == NULL || (json_path && !lk_explanation_save (x, json_path, &error)))
    {
      cli_fail (error);
      return NULL;
    }
  for (guint i = 0; i < CLI_N_FIGURE_FORMATS; i++)
    if (figures[i] && !cli_export_figure (x, figures[i], view, &error))
      {
        cli_fail (error);
        return NULL;
      }
  return g_steal_pointer (&x);
}

int
cli_explain (int argc, char **argv)
{
  CliMethodOptions o;
  g_autofree char *json_path = NULL;
  CliFigurePaths figures = { NULL };
  g_autofree char *view_name = NULL;
  int top = DEFAULT_TOP;
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  const GOptionEntry outputs[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the result (schema likeness.explanation/1) to FILE", "FILE" },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Text output: list the K token pairs of the largest |value| (default 10; 0: none)", "K" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_SVG], "Write the figure as SVG", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_PNG], "Write the figure as PNG (2× scale)", "FILE" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_PDF], "Write the figure as PDF", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_CSV], "Write the values the figure shows as CSV (the matrix for heatmap and alignment, each token's for saliency, each aspect's for aspects)", "FILE" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &view_name, "Figure: heatmap (default; alignment for align; saliency for distance and --image), alignment, saliency or report", "VIEW" },
  };
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkExplainRequest) request = NULL;
  LkView view;
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;

  cli_method_options_init (&o);
  cli_method_options_add_entries (&o, entries, CLI_OPTIONS_METHOD | CLI_OPTIONS_DISTANCE | CLI_OPTIONS_IMAGE |
                                               CLI_OPTIONS_PERTURBATION);
  g_array_append_vals (entries, outputs, G_N_ELEMENTS (outputs));
  if (!cli_parse ("explain", "TEXT_A TEXT_B | --image FILE CAPTION",
                  "Explains the similarity of two texts (or, with --image, of an image and a caption): a "
                  "token × token matrix, a saliency map or aspect shares, with its own check. Text output: the "
                  "summary, the verdict and the strongest token pairs; JSON: the whole result.",
                  (GOptionEntry *) entries->data, &argc, &argv))
    goto out;
  if (top < 0)
    {
      cli_usage ("explain", "--top must be 0 or more");
      goto out;
    }
  if (argc != (o.image ? 2 : 3))
    {
      cli_usage ("explain", o.image ? "expected exactly one caption after --image FILE" : "expected exactly two texts");
      goto out;
    }
  if (!cli_check_texts (argc, argv, o.image != NULL, &error))
    {
      rc = cli_fail (error);
      goto out;
    }
  if ((request = cli_method_options_to_request (&o, "explain")) == NULL)
    goto out;
  if (o.image)
    lk_explain_request_set_image (request, o.image, argv[1]);
  else
    lk_explain_request_set_texts (request, argv[1], argv[2]);
  if (!check_request ("explain", request, figures))
    goto out;
  if (!cli_view_from_string (lk_method_info (lk_explain_request_get_method (request))->views[0], &view))
    view = LK_VIEW_HEATMAP;
  if (o.image && view == LK_VIEW_HEATMAP)
    view = LK_VIEW_SALIENCY;  /* an image's patches read best over the image */
  if (view_name && (!cli_view_from_string (view_name, &view) || view == LK_VIEW_CONTRAST))
    {
      cli_usage ("explain", view == LK_VIEW_CONTRAST ? "--view contrast draws a ranking contrast: run likeness-cli contrast"
                                                     : "--view must be heatmap, alignment, saliency, aspects or report");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((x = explain_and_write (&o, request, "explain", json_path, figures, view)) == NULL)
    goto out;
  if (cli_format () == CLI_FORMAT_TEXT)
    print_summary (x, top);
  else if (!print_result_json (x))
    goto out;
  rc = CLI_EXIT_OK;
out:
  for (guint i = 0; i < CLI_N_FIGURE_FORMATS; i++)
    g_free (figures[i]);
  cli_method_options_clear (&o);
  return rc;
}

int
cli_eval_perturbation (int argc, char **argv)
{
  CliMethodOptions o;
  g_auto(GStrv) methods = NULL;
  g_autofree char *data = NULL;
  g_autofree char *attributions = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
  g_autofree char *method_help = g_strdup_printf ("Method to evaluate (repeatable; default %s)", attributions);
  int limit = 200;
  const GOptionEntry own[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, "STS-style data file of pairs", "FILE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use the first K pairs (default 200)", "K" },
  };
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkStsSet) set = NULL;
  g_autoptr(GPtrArray) default_methods = g_ptr_array_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(CliProgress) progress = NULL;
  const char * const *run;
  const LkMethodInfo *all;
  guint n_methods, n_run;
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;
  guint n;

  cli_method_options_init (&o);
  g_array_append_val (entries, ((GOptionEntry) { "method", 0, 0, G_OPTION_ARG_STRING_ARRAY, &methods, method_help, "METHOD" }));
  cli_method_options_add_entries (&o, entries, 0);
  g_array_append_vals (entries, own, G_N_ELEMENTS (own));
  if (!cli_parse ("eval-perturbation", "--data FILE",
                  "Mean perturbation-curve area of each method over the pairs of a data file, with the random baseline "
                  "(smaller is more faithful).", (GOptionEntry *) entries->data, &argc, &argv))
    goto out;
  if (data == NULL || argc != 1)
    {
      cli_usage ("eval-perturbation", "expected --data FILE and no other argument");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((set = lk_sts_load (data, "TEST", &error)) == NULL ||
      (model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, o.truncate_dim, &error)) == NULL)
    {
      rc = cli_fail (error);
      goto out;
    }
  n = MIN ((guint) MAX (limit, 1), set->gold->len);
  o.perturbation = TRUE;
  /* By default the attributions, whose perturbation curve is the point */
  all = lk_method_infos (&n_methods);
  for (guint i = 0; i < n_methods; i++)
    if (lk_method_is_attribution (&all[i]))
      g_ptr_array_add (default_methods, (gpointer) all[i].name);
  g_ptr_array_add (default_methods, NULL);
  run = methods ? (const char * const *) methods : (const char * const *) default_methods->pdata;
  n_run = g_strv_length ((char **) run);
  progress = cli_progress_new ("eval-perturbation", "pairs");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, lk_model_get_id (model));
  json_builder_set_member_name (b, "data");
  json_builder_add_string_value (b, data);
  json_builder_set_member_name (b, "pairs");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "methods");
  json_builder_begin_array (b);
  for (guint k = 0; k < n_run; k++)
    {
      const char * const *m = run + k;
      double area = 0, rnd = 0;
      g_autoptr(LkExplainRequest) r = NULL;
      g_autofree char *label = g_strdup_printf ("eval-perturbation %s (%u/%u)", *m, k + 1, n_run);

      cli_progress_set_label (progress, label);
      g_free (o.method);
      o.method = g_strdup (*m);
      if ((r = cli_method_options_to_request (&o, "eval-perturbation")) == NULL)
        {
          rc = CLI_EXIT_USAGE;
          goto out;
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(LkExplanation) x = NULL;
          lk_explain_request_set_texts (r, g_ptr_array_index (set->a, i), g_ptr_array_index (set->b, i));
          x = lk_explain (model, r, NULL, NULL, NULL, &error);
          if (x == NULL)
            {
              g_clear_pointer (&progress, cli_progress_free);
              rc = cli_fail (error);
              goto out;
            }
          area += lk_explanation_get_score (x, LK_SCORE_PERTURBATION_AREA, 0) / n;
          rnd += lk_explanation_get_score (x, LK_SCORE_PERTURBATION_RANDOM_AREA, 0) / n;
          cli_progress_update (progress, (double) k * n + i + 1, (double) n_run * n);
        }
      if (cli_format () == CLI_FORMAT_TEXT)
        {
          /* above the progress line, which the next method redraws */
          if (progress)
            g_printerr ("\r\033[K");
          g_print ("%s area=%.5f random=%.5f pairs=%u\n", *m, area, rnd, n);
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "method");
      json_builder_add_string_value (b, *m);
      json_builder_set_member_name (b, "area");
      json_builder_add_double_value (b, area);
      json_builder_set_member_name (b, "random_area");
      json_builder_add_double_value (b, rnd);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_clear_pointer (&progress, cli_progress_free);
  if (cli_format () == CLI_FORMAT_JSON && !cli_print_json (b, &error))
    {
      rc = cli_fail (error);
      goto out;
    }
  rc = CLI_EXIT_OK;
out:
  cli_method_options_clear (&o);
  return rc;
}

/* key=value lines for scripts: the two pairs, the balance, the verdict,
 * and one line per query token, in the order of tokens.a. */
static void
print_contrast_summary (LkExplanation *x)
{
  static const char *keys[] = {
    LK_SCORE_SIMILARITY_1, LK_SCORE_SIMILARITY_2, LK_SCORE_SIMILARITY_DIFFERENCE,
    LK_SCORE_SUM_1, LK_SCORE_SUM_2, LK_SCORE_SUM_DIFFERENCE,
    LK_SCORE_RESIDUAL_1, LK_SCORE_RESIDUAL_2, LK_SCORE_RESIDUAL_DIFFERENCE,
  };
  JsonNode *qs = lk_explanation_lookup_extra (x, LK_EXTRA_QUERY_SALIENCY);
  JsonArray *a = qs && JSON_NODE_HOLDS_ARRAY (qs) ? json_node_get_array (qs) : NULL;
  JsonObject *t = lk_explanation_lookup_object (x, "timings");

  g_print ("method=%s\n", lk_explanation_get_method (x));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_print ("%s=%.6f\n", keys[i], lk_explanation_get_score (x, keys[i], NAN));
  for (guint i = 0; a && i < json_array_get_length (a) && i < lk_explanation_get_n_tokens (x, 0); i++)
    g_print ("query_token=%s saliency=%.6f\n", lk_explanation_get_token (x, 0, i)->text,
             json_array_get_double_element (a, i));
  g_print ("verdict=%s\n", lk_verdict_to_string (lk_explanation_get_verdict (x, NULL)));
  g_print ("seconds=%.3f\n", t ? json_object_get_double_member_with_default (t, "explain_seconds", 0) : 0);
}

int
cli_contrast (int argc, char **argv)
{
  CliMethodOptions o;
  g_autofree char *json_path = NULL;
  CliFigurePaths figures = { NULL };
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  const GOptionEntry outputs[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the result (schema likeness.explanation/1, with query_saliency and contrast) to FILE", "FILE" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_SVG], "Write the contrast figure as SVG", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_PNG], "Write the contrast figure as PNG (2× scale)", "FILE" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &figures[LK_EXPORT_PDF], "Write the contrast figure as PDF", "FILE" },
  };
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkExplainRequest) request = NULL;
  g_autofree char *takers = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
  g_autofree char *summary = g_strdup_printf ("Why does DOC_1 score above (or below) DOC_2 for QUERY: the query tokens' "
                                              "saliency of the difference of the two token matrices (%s), adding up to "
                                              "ΣA(q,d1) − ΣA(q,d2), each document's own saliency, and the residual the "
                                              "method cannot assign.", takers);
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;

  cli_method_options_init (&o);
  cli_method_options_add_entries (&o, entries, CLI_OPTIONS_METHOD);
  g_array_append_vals (entries, outputs, G_N_ELEMENTS (outputs));
  if (!cli_parse ("contrast", "QUERY DOC_1 DOC_2", summary, (GOptionEntry *) entries->data, &argc, &argv))
    goto out;
  if (argc != 4)
    {
      cli_usage ("contrast", "expected exactly three texts: the query and two documents");
      goto out;
    }
  if (!cli_check_texts (argc, argv, FALSE, &error))
    {
      rc = cli_fail (error);
      goto out;
    }
  if ((request = cli_method_options_to_request (&o, "contrast")) == NULL)
    goto out;
  lk_explain_request_set_texts (request, argv[1], argv[2]);
  lk_explain_request_set_contrast (request, argv[3]);
  if (!check_request ("contrast", request, figures))
    goto out;
  rc = CLI_EXIT_ERROR;
  if ((x = explain_and_write (&o, request, "contrast", json_path, figures, LK_VIEW_CONTRAST)) == NULL)
    goto out;
  if (cli_format () == CLI_FORMAT_TEXT)
    print_contrast_summary (x);
  else if (!print_result_json (x))
    goto out;
  rc = CLI_EXIT_OK;
out:
  for (guint i = 0; i < CLI_N_FIGURE_FORMATS; i++)
    g_free (figures[i]);
  cli_method_options_clear (&o);
  return rc;
}
