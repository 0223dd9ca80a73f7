/* cli-explain.c — `explain` and `eval-perturbation`. */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "lk-methods.h"
#include "lk-sts.h"

typedef struct {
  char     *model;
  char     *method;
  int       layer;
  int       steps;
  char     *quadrature;
  char     *measure;
  char     *ad_mode;
  gboolean  zero_biases;
  gboolean  perturbation;
  int       seed;
} ExplainOptions;

static void
options_clear (ExplainOptions *o)
{
  g_free (o->model);
  g_free (o->method);
  g_free (o->quadrature);
  g_free (o->measure);
  g_free (o->ad_mode);
}

#define EXPLAIN_ENTRIES(o) \
  { "model", 'm', 0, G_OPTION_ARG_STRING, &(o).model, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" }, \
  { "layer", 0, 0, G_OPTION_ARG_INT, &(o).layer, "Layer to attribute at (IJ default: L−2; BiLRP, H×P: 0, the embedding output)", "K" }, \
  { "steps", 0, 0, G_OPTION_ARG_INT, &(o).steps, "IJ integration nodes (default 16 Gauss–Legendre, 50 Riemann)", "N" }, \
  { "quadrature", 0, 0, G_OPTION_ARG_STRING, &(o).quadrature, "IJ path rule: gauss (default) or riemann", "RULE" }, \
  { "measure", 0, 0, G_OPTION_ARG_STRING, &(o).measure, "cos (default) or dot", "M" }, \
  { "ad-mode", 0, 0, G_OPTION_ARG_STRING, &(o).ad_mode, "auto (default), forward or reverse", "MODE" }, \
  { "zero-biases", 0, 0, G_OPTION_ARG_NONE, &(o).zero_biases, "BiLRP diagnostic: set every bias to zero, so conservation is exact", NULL }, \
  { "seed", 0, 0, G_OPTION_ARG_INT, &(o).seed, "Seed of the perturbation curve's random baseline (default 1)", "S" }

static gboolean
to_params (const ExplainOptions *o, LkExplainParams *p, const char *command)
{
  LkMethod method;

  if (!lk_method_from_string (o->method ? o->method : "ij", &method))
    {
      g_autofree char *msg = g_strdup_printf ("unknown method '%s' (expected ij, bilrp, hxp or align)", o->method);
      cli_usage (command, msg);
      return FALSE;
    }
  lk_explain_params_init (p, method);
  p->layer = o->layer;
  p->steps = o->steps;
  p->zero_biases = o->zero_biases;
  p->perturbation = o->perturbation;
  p->seed = o->seed > 0 ? o->seed : 1;
  if (o->quadrature && g_strcmp0 (o->quadrature, "gauss") != 0 && g_strcmp0 (o->quadrature, "riemann") != 0)
    return cli_usage (command, "--quadrature must be gauss or riemann"), FALSE;
  if (g_strcmp0 (o->quadrature, "riemann") == 0)
    p->quadrature = LK_QUADRATURE_RIEMANN;
  if (o->measure && g_strcmp0 (o->measure, "cos") != 0 && g_strcmp0 (o->measure, "dot") != 0)
    return cli_usage (command, "--measure must be cos or dot"), FALSE;
  if (g_strcmp0 (o->measure, "dot") == 0)
    p->measure = LK_MEASURE_DOT;
  if (o->ad_mode && !g_strv_contains ((const char *[]) { "auto", "forward", "reverse", NULL }, o->ad_mode))
    return cli_usage (command, "--ad-mode must be auto, forward or reverse"), FALSE;
  p->ad_mode = g_strcmp0 (o->ad_mode, "forward") == 0 ? LK_AD_FORWARD
             : g_strcmp0 (o->ad_mode, "reverse") == 0 ? LK_AD_REVERSE : LK_AD_AUTO;
  if (o->layer < -1)
    return cli_usage (command, "--layer must be 0 or more"), FALSE;
  if (o->steps < 0 || o->steps > 10000)
    return cli_usage (command, "--steps must be between 1 and 10000"), FALSE;
  return TRUE;
}

static void
on_progress (double fraction, gpointer data)
{
  g_printerr ("\r%3.0f%%", 100 * fraction);
}

static void
print_summary (LkExplanation *x)
{
  const char *method = lk_explanation_get_method (x);
  JsonObject *t = lk_explanation_get_extra (x, "timings");

  g_print ("method=%s\nsimilarity=%.6f\n", method, lk_explanation_get_score (x, "similarity", NAN));
  if (g_strcmp0 (method, "align") == 0)
    g_print ("precision=%.6f\nrecall=%.6f\nf1=%.6f\n", lk_explanation_get_score (x, "precision", NAN),
             lk_explanation_get_score (x, "recall", NAN), lk_explanation_get_score (x, "f1", NAN));
  else
    {
      g_print ("sum=%.6f\n", lk_explanation_get_score (x, "sum", NAN));
      if (g_strcmp0 (method, "ij") == 0)
        g_print ("expected=%.6f\nerror=%.6f (ΣA against the expected value)\nerror_vs_score=%.6f\n",
                 lk_explanation_get_score (x, "expected", NAN), lk_explanation_get_score (x, "error", NAN),
                 lk_explanation_get_score (x, "error_vs_score", NAN));
      else
        g_print ("conservation_gap=%.6f (relative %.4f)\n", lk_explanation_get_score (x, "error", NAN),
                 lk_explanation_get_score (x, "error_relative", NAN));
    }
  if (json_object_has_member (lk_explanation_get_scores (x), "perturbation_area"))
    g_print ("perturbation_area=%.6f\nrandom_area=%.6f\n", lk_explanation_get_score (x, "perturbation_area", NAN),
             lk_explanation_get_score (x, "perturbation_random_area", NAN));
  g_print ("seconds=%.3f\n", json_object_get_double_member_with_default (t, "explain_seconds", 0));
}

int
cli_explain (int argc, char **argv)
{
  ExplainOptions o = { .layer = -1 };
  g_autofree char *json_path = NULL;
  g_autofree char *svg = NULL, *png = NULL, *pdf = NULL;
  g_autofree char *view_name = NULL;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &o.method, "ij (default), bilrp, hxp or align", "METHOD" },
    EXPLAIN_ENTRIES (o),
    { "perturbation", 0, 0, G_OPTION_ARG_NONE, &o.perturbation, "Also compute the perturbation curve", NULL },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the result (schema likeness.explanation/1) to FILE", "FILE" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg, "Write the figure as SVG", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Write the figure as PNG (2× scale)", "FILE" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf, "Write the figure as PDF", "FILE" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &view_name, "Figure: heatmap (default; alignment for align), alignment, saliency or report", "VIEW" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkExplanation) x = NULL;
  LkView view;
  LkExplainParams p;
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;

  if (!cli_parse ("explain", "TEXT_A TEXT_B",
                  "Explains the similarity of two texts: a token × token matrix with its own faithfulness check.",
                  entries, &argc, &argv))
    goto out;
  if (argc != 3)
    {
      cli_usage ("explain", "expected exactly two texts");
      goto out;
    }
  if (!to_params (&o, &p, "explain"))
    goto out;
  view = p.method == LK_METHOD_ALIGN ? LK_VIEW_ALIGNMENT : LK_VIEW_HEATMAP;
  if (view_name && !cli_view_from_string (view_name, &view))
    {
      cli_usage ("explain", "--view must be heatmap, alignment, saliency or report");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, &error)) == NULL ||
      (x = lk_explain (model, argv[1], argv[2], &p, isatty (2) ? on_progress : NULL, NULL, NULL, &error)) == NULL ||
      (json_path && !lk_explanation_save (x, json_path, &error)))
    {
      if (isatty (2))
        g_printerr ("\r");
      rc = cli_fail (error);
      goto out;
    }
  if (isatty (2))
    g_printerr ("\r    \r");
  if ((svg && !cli_export_figure (x, svg, view, &error)) ||
      (png && !cli_export_figure (x, png, view, &error)) ||
      (pdf && !cli_export_figure (x, pdf, view, &error)))
      {
        rc = cli_fail (error);
        goto out;
      }
  print_summary (x);
  rc = CLI_EXIT_OK;
out:
  options_clear (&o);
  return rc;
}

int
cli_eval_perturbation (int argc, char **argv)
{
  ExplainOptions o = { .layer = -1 };
  g_auto(GStrv) methods = NULL;
  g_autofree char *data = NULL;
  int limit = 200;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING_ARRAY, &methods, "Method to evaluate (repeatable; default bilrp, hxp, ij)", "METHOD" },
    EXPLAIN_ENTRIES (o),
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, "STS-style data file of pairs", "FILE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use the first K pairs (default 200)", "K" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkStsSet) set = NULL;
  const char *default_methods[] = { "bilrp", "hxp", "ij", NULL };
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;
  guint n;

  if (!cli_parse ("eval-perturbation", "--data FILE",
                  "Mean perturbation-curve area of each method over the pairs of a data file, with the random baseline "
                  "(smaller is more faithful).", entries, &argc, &argv))
    goto out;
  if (data == NULL || argc != 1)
    {
      cli_usage ("eval-perturbation", "expected --data FILE and no other argument");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((set = lk_sts_load (data, "TEST", &error)) == NULL ||
      (model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, &error)) == NULL)
    {
      rc = cli_fail (error);
      goto out;
    }
  n = MIN ((guint) MAX (limit, 1), set->gold->len);
  o.perturbation = TRUE;
  for (const char * const *m = methods ? (const char * const *) methods : default_methods; *m; m++)
    {
      double area = 0, rnd = 0;
      LkExplainParams p;
      g_free (o.method);
      o.method = g_strdup (*m);
      if (!to_params (&o, &p, "eval-perturbation"))
        {
          rc = CLI_EXIT_USAGE;
          goto out;
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(LkExplanation) x = lk_explain (model, g_ptr_array_index (set->a, i), g_ptr_array_index (set->b, i),
                                                   &p, NULL, NULL, NULL, &error);
          if (x == NULL)
            {
              rc = cli_fail (error);
              goto out;
            }
          area += lk_explanation_get_score (x, "perturbation_area", 0) / n;
          rnd += lk_explanation_get_score (x, "perturbation_random_area", 0) / n;
        }
      g_print ("%s area=%.5f random=%.5f pairs=%u\n", *m, area, rnd, n);
    }
  rc = CLI_EXIT_OK;
out:
  options_clear (&o);
  return rc;
}
