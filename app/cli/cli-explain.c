/* cli-explain.c — `explain` and `eval-perturbation`. */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "lk-distance.h"
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
  { "steps", 0, 0, G_OPTION_ARG_INT, &(o).steps, "IJ integration nodes (default 12 Gauss–Legendre, 50 Riemann)", "N" }, \
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
      g_autofree char *names = lk_method_names_joined (", ");
      g_autofree char *msg = g_strdup_printf ("unknown method '%s' (expected one of %s)", o->method, names);
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

/* --method distance */
typedef struct {
  char    *image;
  int      masks;
  int      feature_res;
  double   p_keep;
  char    *mask_side;
  char    *unit;
  char    *replace;
  char    *closest;
  char    *farthest;
  int      batch_size;
  double   stop_at;
  int      check_every;
} DistanceOptions;

static void
distance_options_clear (DistanceOptions *d)
{
  g_free (d->image);
  g_free (d->mask_side);
  g_free (d->unit);
  g_free (d->replace);
  g_free (d->closest);
  g_free (d->farthest);
}

#define DISTANCE_ENTRIES(d) \
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &(d).image, "Explain an image (FILE) and one caption instead of two texts (CLIP models): a saliency map (distance) or the patch × word matrix (ij, bilrp, hxp)", "FILE" }, \
  { "masks", 0, 0, G_OPTION_ARG_INT, &(d).masks, "distance: number of random masks (default 1000)", "N" }, \
  { "feature-res", 0, 0, G_OPTION_ARG_INT, &(d).feature_res, "distance: image mask grid cells per axis (default 8)", "R" }, \
  { "p-keep", 0, 0, G_OPTION_ARG_DOUBLE, &(d).p_keep, "distance: probability that a cell or token is kept (default 0.5)", "P" }, \
  { "mask-side", 0, 0, G_OPTION_ARG_STRING, &(d).mask_side, "distance: mask a (default; the image) or b (text B or the caption)", "SIDE" }, \
  { "unit", 0, 0, G_OPTION_ARG_STRING, &(d).unit, "distance: mask each token (default) or each word", "UNIT" }, \
  { "replace", 0, 0, G_OPTION_ARG_STRING, &(d).replace, "distance: a masked token becomes the mask token (mask, default) or is dropped (drop)", "HOW" }, \
  { "closest-window", 0, 0, G_OPTION_ARG_STRING, &(d).closest, "distance: fractions of the sorted masks counted +1 (default 0:0.1)", "LO:HI" }, \
  { "farthest-window", 0, 0, G_OPTION_ARG_STRING, &(d).farthest, "distance: fractions counted −1 (default 0.9:1)", "LO:HI" }, \
  { "batch-size", 0, 0, G_OPTION_ARG_INT, &(d).batch_size, "distance: masked inputs per model call (default 32)", "B" }, \
  { "stop-at", 0, 0, G_OPTION_ARG_DOUBLE, &(d).stop_at, "distance: stop early once the split-half correlation reaches R (default 0: never)", "R" }, \
  { "check-every", 0, 0, G_OPTION_ARG_INT, &(d).check_every, "distance: masks between two early-stop checks (default 100)", "N" }

static gboolean
distance_options_given (const DistanceOptions *d)
{
  return d->image || d->masks != -1 || d->feature_res != -1 || d->p_keep != -1 || d->mask_side || d->unit ||
         d->replace || d->closest || d->farthest || d->batch_size != -1 || d->stop_at != 0 || d->check_every != -1;
}

static gboolean
parse_window (const char *text, const char *option, double *lo, double *hi)
{
  g_auto(GStrv) parts = text ? g_strsplit (text, ":", 0) : NULL;
  g_autofree char *msg = NULL;
  char *end_lo = NULL, *end_hi = NULL;

  if (text == NULL)
    return TRUE;
  if (g_strv_length (parts) == 2)
    {
      *lo = g_ascii_strtod (parts[0], &end_lo);
      *hi = g_ascii_strtod (parts[1], &end_hi);
      if (*parts[0] && *parts[1] && *end_lo == '\0' && *end_hi == '\0' && *lo >= 0 && *lo < *hi && *hi <= 1)
        return TRUE;
    }
  msg = g_strdup_printf ("%s must be LO:HI with 0 ≤ LO < HI ≤ 1, not '%s'", option, text);
  cli_usage ("explain", msg);
  return FALSE;
}

static gboolean
to_distance_params (const DistanceOptions *d, const ExplainOptions *o, LkDistanceParams *p)
{
  g_autoptr(GError) error = NULL;

  lk_distance_params_init (p);
  p->seed = o->seed > 0 ? o->seed : 1;
  if (d->masks != -1)
    p->n_masks = MAX (d->masks, 0);
  if (d->feature_res != -1)
    p->feature_res = MAX (d->feature_res, 0);
  if (d->p_keep != -1)
    p->p_keep = d->p_keep;
  if (d->batch_size != -1)
    p->batch_size = MAX (d->batch_size, 0);
  if (d->check_every != -1)
    p->check_every = MAX (d->check_every, 0);
  p->stop_at = d->stop_at;
  if (d->mask_side && g_strcmp0 (d->mask_side, "a") != 0 && g_strcmp0 (d->mask_side, "b") != 0)
    return cli_usage ("explain", "--mask-side must be a or b"), FALSE;
  p->mask_side = g_strcmp0 (d->mask_side, "b") == 0;
  if (d->unit && g_strcmp0 (d->unit, "token") != 0 && g_strcmp0 (d->unit, "word") != 0)
    return cli_usage ("explain", "--unit must be token or word"), FALSE;
  p->unit = g_strcmp0 (d->unit, "word") == 0 ? LK_DISTANCE_UNIT_WORD : LK_DISTANCE_UNIT_TOKEN;
  if (d->replace && g_strcmp0 (d->replace, "mask") != 0 && g_strcmp0 (d->replace, "drop") != 0)
    return cli_usage ("explain", "--replace must be mask or drop"), FALSE;
  p->replace = g_strcmp0 (d->replace, "drop") == 0 ? LK_DISTANCE_REPLACE_DROP : LK_DISTANCE_REPLACE_MASK;
  if (!parse_window (d->closest, "--closest-window", &p->pos_min, &p->pos_max) ||
      !parse_window (d->farthest, "--farthest-window", &p->neg_min, &p->neg_max))
    return FALSE;
  if (!lk_distance_params_check (p, &error))
    return cli_usage ("explain", error->message), FALSE;
  return TRUE;
}

static void
print_distance_summary (LkExplanation *x)
{
  JsonObject *params = lk_explanation_get_params (x);

  g_print ("masks=%" G_GINT64_FORMAT "\nsplit_half=%.4f\nsplit_half_corrected=%.4f\n",
           json_object_get_int_member_with_default (params, "n_masks_used", 0),
           lk_explanation_get_score (x, LK_SCORE_SPLIT_HALF, NAN), lk_explanation_get_score (x, LK_SCORE_SPLIT_HALF_CORRECTED, NAN));
}

static void
on_progress (double fraction, gpointer data)
{
  g_printerr ("\r%3.0f%%", 100 * fraction);
}

static LkExplanation *
run_explain (LkModel *model, const LkExplainParams *p, const LkDistanceParams *dp, const char *image, char **argv,
             GError **error)
{
  LkProgressFunc progress = isatty (2) ? on_progress : NULL;

  if (p->method != LK_METHOD_DISTANCE && image)  /* ij, bilrp, hxp: patch × word */
    return lk_explain_image (model, image, argv[1], p, progress, NULL, NULL, error);
  if (p->method != LK_METHOD_DISTANCE)
    return lk_explain (model, argv[1], argv[2], p, progress, NULL, NULL, error);
  if (image)
    return lk_explain_distance_image (model, image, argv[1], dp, progress, NULL, NULL, error);
  return lk_explain_distance_text (model, argv[1], argv[2], dp, progress, NULL, NULL, error);
}

static void
print_summary (LkExplanation *x)
{
  const char *method = lk_explanation_get_method (x);
  JsonObject *t = lk_explanation_lookup_object (x, "timings");

  g_print ("method=%s\nsimilarity=%.6f\n", method, lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN));
  if (g_strcmp0 (method, "distance") == 0)
    print_distance_summary (x);
  else if (g_strcmp0 (method, "align") == 0)
    g_print ("precision=%.6f\nrecall=%.6f\nf1=%.6f\n", lk_explanation_get_score (x, LK_SCORE_PRECISION, NAN),
             lk_explanation_get_score (x, LK_SCORE_RECALL, NAN), lk_explanation_get_score (x, LK_SCORE_F1, NAN));
  else
    {
      g_print ("sum=%.6f\n", lk_explanation_get_score (x, LK_SCORE_SUM, NAN));
      if (g_strcmp0 (method, "ij") == 0)
        g_print ("expected=%.6f\nerror=%.6f (ΣA against the expected value)\nerror_vs_score=%.6f\n",
                 lk_explanation_get_score (x, LK_SCORE_EXPECTED, NAN), lk_explanation_get_score (x, LK_SCORE_ERROR, NAN),
                 lk_explanation_get_score (x, LK_SCORE_ERROR_VS_SCORE, NAN));
      else
        g_print ("conservation_gap=%.6f (relative %.4f)\n", lk_explanation_get_score (x, LK_SCORE_ERROR, NAN),
                 lk_explanation_get_score (x, LK_SCORE_ERROR_RELATIVE, NAN));
    }
  if (json_object_has_member (lk_explanation_get_scores (x), LK_SCORE_PERTURBATION_AREA))
    g_print ("perturbation_area=%.6f\nrandom_area=%.6f\n", lk_explanation_get_score (x, LK_SCORE_PERTURBATION_AREA, NAN),
             lk_explanation_get_score (x, LK_SCORE_PERTURBATION_RANDOM_AREA, NAN));
  g_print ("seconds=%.3f\n", t ? json_object_get_double_member_with_default (t, "explain_seconds", 0) : 0);
}

int
cli_explain (int argc, char **argv)
{
  ExplainOptions o = { .layer = -1 };
  DistanceOptions d = { .masks = -1, .feature_res = -1, .p_keep = -1, .batch_size = -1, .check_every = -1 };
  g_autofree char *json_path = NULL;
  g_autofree char *svg = NULL, *png = NULL, *pdf = NULL;
  g_autofree char *view_name = NULL;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &o.method, "ij (default), bilrp, hxp, align, distance or aspects (a model with an aspect layout)", "METHOD" },
    EXPLAIN_ENTRIES (o),
    DISTANCE_ENTRIES (d),
    { "perturbation", 0, 0, G_OPTION_ARG_NONE, &o.perturbation, "Also compute the perturbation curve", NULL },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the result (schema likeness.explanation/1) to FILE", "FILE" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg, "Write the figure as SVG", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Write the figure as PNG (2× scale)", "FILE" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf, "Write the figure as PDF", "FILE" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &view_name, "Figure: heatmap (default; alignment for align; saliency for distance and --image), alignment, saliency or report", "VIEW" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkExplanation) x = NULL;
  LkView view;
  LkExplainParams p;
  LkDistanceParams dp;
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;

  if (!cli_parse ("explain", "TEXT_A TEXT_B",
                  "Explains the similarity of two texts (or, with --method distance, of an image and a caption): a "
                  "token × token matrix or a saliency map, with its own check.",
                  entries, &argc, &argv))
    goto out;
  if (argc != (d.image ? 2 : 3))
    {
      cli_usage ("explain", d.image ? "expected exactly one caption after --image FILE" : "expected exactly two texts");
      goto out;
    }
  if (!cli_check_texts (argc, argv, d.image != NULL, &error))
    {
      rc = cli_fail (error);
      goto out;
    }
  if (g_strcmp0 (o.method, "aspects") == 0)
    {
      const char *figures[3] = { svg, png, pdf };
      rc = cli_explain_aspects (o.model, argv[1], argv[2], json_path, figures, view_name);
      goto out;
    }
  if (!to_params (&o, &p, "explain"))
    goto out;
  if (d.image && p.method != LK_METHOD_DISTANCE)
    {
      /* --image also takes ij, bilrp and hxp: the patch × word matrix */
      char *image = g_steal_pointer (&d.image);
      gboolean others = distance_options_given (&d);
      d.image = image;
      if (!others && (p.method == LK_METHOD_ALIGN || p.perturbation))
        {
          cli_usage ("explain", p.method == LK_METHOD_ALIGN ? "--image takes --method ij, bilrp, hxp or distance, not align"
                                                            : "--perturbation does not apply to an image and a caption");
          goto out;
        }
      if (others)
        {
          cli_usage ("explain", "--masks, --feature-res, --p-keep, --mask-side, --unit, --replace, "
                                "--closest-window, --farthest-window, --batch-size, --stop-at and --check-every "
                                "need --method distance");
          goto out;
        }
    }
  else if (p.method != LK_METHOD_DISTANCE && distance_options_given (&d))
    {
      cli_usage ("explain", "--image, --masks, --feature-res, --p-keep, --mask-side, --unit, --replace, "
                            "--closest-window, --farthest-window, --batch-size, --stop-at and --check-every "
                            "need --method distance");
      goto out;
    }
  if (p.method == LK_METHOD_DISTANCE && !to_distance_params (&d, &o, &dp))
    goto out;
  view = p.method == LK_METHOD_ALIGN ? LK_VIEW_ALIGNMENT : p.method == LK_METHOD_DISTANCE || d.image ? LK_VIEW_SALIENCY : LK_VIEW_HEATMAP;
  if (view_name && !cli_view_from_string (view_name, &view))
    {
      cli_usage ("explain", "--view must be heatmap, alignment, saliency or report");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((d.image && !lk_image_check_file (d.image, &error)) ||
      (model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, &error)) == NULL ||
      (x = run_explain (model, &p, &dp, d.image, argv, &error)) == NULL ||
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
  distance_options_clear (&d);
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
          area += lk_explanation_get_score (x, LK_SCORE_PERTURBATION_AREA, 0) / n;
          rnd += lk_explanation_get_score (x, LK_SCORE_PERTURBATION_RANDOM_AREA, 0) / n;
        }
      g_print ("%s area=%.5f random=%.5f pairs=%u\n", *m, area, rnd, n);
    }
  rc = CLI_EXIT_OK;
out:
  options_clear (&o);
  return rc;
}
