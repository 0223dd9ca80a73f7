/* cli-explain.c — `explain` and `eval-perturbation`. */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "lk-explain.h"
#include "lk-image.h"
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

/* One option into the request, by the registry's parameter name; a wrong
 * value is a usage error naming the option. */
static gboolean
set_param (LkExplainRequest *r, const char *command, const char *option, const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;

  if (lk_explain_request_set_string (r, option, value, &error))
    return TRUE;
  msg = g_strdup_printf ("--%s", error->message);
  g_strdelimit (msg, "_", '-');
  cli_usage (command, msg);
  return FALSE;
}

static gboolean
set_int (LkExplainRequest *r, const char *command, const char *option, int value)
{
  g_autofree char *s = g_strdup_printf ("%d", value);
  return set_param (r, command, option, s);
}

static LkExplainRequest *
to_request (const ExplainOptions *o, const char *command)
{
  g_autoptr(LkExplainRequest) r = NULL;
  LkMethod method;

  if (!lk_method_from_string (o->method ? o->method : lk_method_to_string (LK_METHOD_IJ), &method))
    {
      g_autofree char *names = lk_method_names_joined (", ");
      g_autofree char *msg = g_strdup_printf ("unknown method '%s' (expected one of %s)", o->method, names);
      cli_usage (command, msg);
      return NULL;
    }
  r = lk_explain_request_new (method);
  if ((o->layer != -1 && !set_int (r, command, "layer", o->layer)) ||
      (o->steps != 0 && !set_int (r, command, "steps", o->steps)) ||
      (o->quadrature && !set_param (r, command, "quadrature", o->quadrature)) ||
      (o->measure && !set_param (r, command, "measure", o->measure)) ||
      (o->ad_mode && !set_param (r, command, "ad-mode", o->ad_mode)) ||
      (o->zero_biases && !set_param (r, command, "zero-biases", "true")) ||
      (o->perturbation && !set_param (r, command, "perturbation", "true")) ||
      (o->seed != 0 && !set_int (r, command, "seed", o->seed)))
    return NULL;
  return g_steal_pointer (&r);
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
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &(d).image, image_help, "FILE" }, \
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
parse_window (LkExplainRequest *r, const char *text, const char *option, const char *lo, const char *hi)
{
  g_auto(GStrv) parts = text ? g_strsplit (text, ":", 0) : NULL;
  g_autofree char *msg = NULL;

  if (text == NULL)
    return TRUE;
  if (g_strv_length (parts) == 2 && *parts[0] && *parts[1] &&
      lk_explain_request_set_string (r, lo, parts[0], NULL) && lk_explain_request_set_string (r, hi, parts[1], NULL) &&
      lk_explain_request_get (r, lk_param_info_find (lo)->param) < lk_explain_request_get (r, lk_param_info_find (hi)->param))
    return TRUE;
  msg = g_strdup_printf ("%s must be LO:HI with 0 ≤ LO < HI ≤ 1, not '%s'", option, text);
  cli_usage ("explain", msg);
  return FALSE;
}

static gboolean
add_distance_options (const DistanceOptions *d, LkExplainRequest *r)
{
  const char *c = "explain";

  return (d->masks == -1 || set_int (r, c, "masks", d->masks)) &&
         (d->feature_res == -1 || set_int (r, c, "feature-res", d->feature_res)) &&
         (d->batch_size == -1 || set_int (r, c, "batch-size", d->batch_size)) &&
         (d->check_every == -1 || set_int (r, c, "check-every", d->check_every)) &&
         (d->p_keep == -1 || set_param (r, c, "p-keep", g_ascii_dtostr ((char[G_ASCII_DTOSTR_BUF_SIZE]) { 0 },
                                                                          G_ASCII_DTOSTR_BUF_SIZE, d->p_keep))) &&
         (d->stop_at == 0 || set_param (r, c, "stop-at", g_ascii_dtostr ((char[G_ASCII_DTOSTR_BUF_SIZE]) { 0 },
                                                                           G_ASCII_DTOSTR_BUF_SIZE, d->stop_at))) &&
         (d->mask_side == NULL || set_param (r, c, "mask-side", d->mask_side)) &&
         (d->unit == NULL || set_param (r, c, "unit", d->unit)) &&
         (d->replace == NULL || set_param (r, c, "replace", d->replace)) &&
         parse_window (r, d->closest, "--closest-window", "closest_min", "closest_max") &&
         parse_window (r, d->farthest, "--farthest-window", "farthest_min", "farthest_max");
}

static void
on_progress (double fraction, gpointer data)
{
  g_printerr ("\r%3.0f%%", 100 * fraction);
}

/* key=value lines for scripts: what the registry says a summary of the
 * method shows, its verdict, and any aspects the result carries. */
static void
print_summary (LkExplanation *x)
{
  const char *method = lk_explanation_get_method (x);
  const LkMethodInfo *info = lk_method_info_find (method);
  JsonObject *t = lk_explanation_lookup_object (x, "timings");
  JsonNode *aspects = lk_explanation_lookup_extra (x, LK_EXTRA_ASPECTS);
  JsonArray *list = aspects && JSON_NODE_HOLDS_ARRAY (aspects) ? json_node_get_array (aspects) : NULL;
  JsonObject *res = lk_explanation_lookup_object (x, "residual");

  g_print ("method=%s\nsimilarity=%.6f\n", method, lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN));
  for (guint i = 0; info && i < G_N_ELEMENTS (info->check.summary_params) && info->check.summary_params[i]; i++)
    g_print ("%s=%" G_GINT64_FORMAT "\n", info->check.summary_params[i],
             json_object_get_int_member_with_default (lk_explanation_get_params (x), info->check.summary_params[i], 0));
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
}

int
cli_explain (int argc, char **argv)
{
  ExplainOptions o = { .layer = -1 };
  DistanceOptions d = { .masks = -1, .feature_res = -1, .p_keep = -1, .batch_size = -1, .check_every = -1 };
  g_autofree char *json_path = NULL;
  g_autofree char *svg = NULL, *png = NULL, *pdf = NULL;
  g_autofree char *view_name = NULL;
  /* The methods as the registry lists them. */
  g_autofree char *all = lk_method_names_with (LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION, FALSE);
  g_autofree char *attributions = lk_method_names_with (LK_INPUTS_IMAGE_CAPTION, TRUE);
  g_autofree char *method_help = g_strdup_printf ("%s (default %s; aspects needs a model with an aspect layout)", all,
                                                  lk_method_to_string (LK_METHOD_IJ));
  g_autofree char *image_help = g_strdup_printf ("Explain an image (FILE) and one caption instead of two texts (CLIP "
                                                 "models): a saliency map (distance) or the patch × word matrix (%s)",
                                                 attributions);
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING, &o.method, method_help, "METHOD" },
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
  g_autoptr(LkExplainRequest) request = NULL;
  LkView view;
  GError *error = NULL;
  int rc = CLI_EXIT_USAGE;

  if (!cli_parse ("explain", "TEXT_A TEXT_B",
                  "Explains the similarity of two texts (or, with --image, of an image and a caption): a "
                  "token × token matrix, a saliency map or aspect shares, with its own check.",
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
  if ((request = to_request (&o, "explain")) == NULL || !add_distance_options (&d, request))
    goto out;
  if (d.image)
    lk_explain_request_set_image (request, d.image, argv[1]);
  else
    lk_explain_request_set_texts (request, argv[1], argv[2]);
  /* Every combination is the core's to judge; here it is a usage error. */
  if (!lk_explain_request_check (request, NULL, &error))
    {
      g_autofree char *msg = g_strdup (error->message);
      g_clear_error (&error);
      cli_usage ("explain", msg);
      goto out;
    }
  if (!cli_view_from_string (lk_method_info (lk_explain_request_get_method (request))->views[0], &view))
    view = LK_VIEW_HEATMAP;
  if (d.image && view == LK_VIEW_HEATMAP)
    view = LK_VIEW_SALIENCY;  /* an image's patches read best over the image */
  if (view_name && !cli_view_from_string (view_name, &view))
    {
      cli_usage ("explain", "--view must be heatmap, alignment, saliency, aspects or report");
      goto out;
    }
  rc = CLI_EXIT_ERROR;
  if ((d.image && !lk_image_check_file (d.image, &error)) ||
      (model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, &error)) == NULL ||
      (x = lk_explain (model, request, isatty (2) ? on_progress : NULL, NULL, NULL, &error)) == NULL ||
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
  g_autofree char *attributions = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
  g_autofree char *method_help = g_strdup_printf ("Method to evaluate (repeatable; default %s)", attributions);
  int limit = 200;
  GOptionEntry entries[] = {
    { "method", 0, 0, G_OPTION_ARG_STRING_ARRAY, &methods, method_help, "METHOD" },
    EXPLAIN_ENTRIES (o),
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, "STS-style data file of pairs", "FILE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use the first K pairs (default 200)", "K" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkStsSet) set = NULL;
  g_autoptr(GPtrArray) default_methods = g_ptr_array_new ();
  const LkMethodInfo *all;
  guint n_methods;
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
  /* By default the attributions, whose perturbation curve is the point */
  all = lk_method_infos (&n_methods);
  for (guint i = 0; i < n_methods; i++)
    if (lk_method_is_attribution (&all[i]))
      g_ptr_array_add (default_methods, (gpointer) all[i].name);
  g_ptr_array_add (default_methods, NULL);
  for (const char * const *m = methods ? (const char * const *) methods : (const char * const *) default_methods->pdata;
       *m; m++)
    {
      double area = 0, rnd = 0;
      g_autoptr(LkExplainRequest) r = NULL;
      g_free (o.method);
      o.method = g_strdup (*m);
      if ((r = to_request (&o, "eval-perturbation")) == NULL)
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
