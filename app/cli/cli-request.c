/* cli-request.c — the method options every explaining command shares
 * (explain, contrast, batch, eval-perturbation) and their mapping onto one
 * LkExplainRequest, so that an option means the same in each. */
#include "config.h"

#include <math.h>

#include "cli.h"
#include "lk-explain.h"

void
cli_method_options_init (CliMethodOptions *o)
{
  /* The sentinels say "not given": the registry's default applies. Steps
   * and seed take G_MININT, so that "--seed 0" reaches the range check
   * (and is refused) instead of meaning the default. */
  *o = (CliMethodOptions) {
    .layer = -1, .masks = -1, .feature_res = -1, .p_keep = -1, .batch_size = -1, .check_every = -1,
    .stop_at = -1, .steps = G_MININT, .seed = G_MININT, .max_steps = G_MININT, .tolerance = NAN,
  };
}

void
cli_method_options_clear (CliMethodOptions *o)
{
  g_free (o->model);
  g_free (o->method);
  g_free (o->quadrature);
  g_free (o->reference);
  g_free (o->measure);
  g_free (o->ad_mode);
  g_free (o->image);
  g_free (o->mask_side);
  g_free (o->unit);
  g_free (o->replace);
  g_free (o->closest);
  g_free (o->farthest);
  g_free (o->method_help);
  g_free (o->image_help);
  g_free (o->prompt_name);
  for (guint i = 0; i < 2; i++)
    {
      g_free (o->prompt[i]);
      g_free (o->prompt_text[i]);
    }
  cli_method_options_init (o);
}

static void
add (GArray *entries, GOptionEntry entry)
{
  g_array_append_val (entries, entry);
}

void
cli_method_options_add_entries (CliMethodOptions *o, GArray *entries, CliOptionSet set)
{
  if (set & CLI_OPTIONS_METHOD)
    {
      g_autofree char *all = lk_method_names_with (LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION, FALSE);

      g_free (o->method_help);
      o->method_help = g_strdup_printf ("%s (default %s; aspects needs a model with an aspect layout)", all,
                                        lk_method_to_string (lk_method_default ()));
      add (entries, (GOptionEntry) { "method", 0, 0, G_OPTION_ARG_STRING, &o->method, o->method_help, "METHOD" });
    }
  add (entries, (GOptionEntry) { "model", 'm', 0, G_OPTION_ARG_STRING, &o->model, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" });
  add (entries, (GOptionEntry) { "layer", 0, 0, G_OPTION_ARG_INT, &o->layer, "Layer to attribute at (IJ default: L−2; BiLRP, H×P: 0, the embedding output; align: the last)", "K" });
  add (entries, (GOptionEntry) { "steps", 0, 0, G_OPTION_ARG_INT, &o->steps, "IJ integration nodes (default 12 Gauss–Legendre, 50 Riemann)", "N" });
  add (entries, (GOptionEntry) { "quadrature", 0, 0, G_OPTION_ARG_STRING, &o->quadrature, "IJ path rule: gauss (default), riemann, or adaptive (the fewest Gauss–Legendre nodes that reach --tolerance)", "RULE" });
  add (entries, (GOptionEntry) { "reference", 0, 0, G_OPTION_ARG_STRING, &o->reference, "IJ path start: the tokens with every non-special one replaced by pad (default) or mask", "R" });
  add (entries, (GOptionEntry) { "tolerance", 0, 0, G_OPTION_ARG_DOUBLE, &o->tolerance, "IJ adaptive: attribution error to reach, relative to the expected ΣA (default 0.001)", "X" });
  add (entries, (GOptionEntry) { "max-steps", 0, 0, G_OPTION_ARG_INT, &o->max_steps, "IJ adaptive: the most Gauss–Legendre nodes (default 32)", "N" });
  add (entries, (GOptionEntry) { "measure", 0, 0, G_OPTION_ARG_STRING, &o->measure, "cos (default) or dot", "M" });
  add (entries, (GOptionEntry) { "ad-mode", 0, 0, G_OPTION_ARG_STRING, &o->ad_mode, "auto (default), forward or reverse", "MODE" });
  add (entries, (GOptionEntry) { "zero-biases", 0, 0, G_OPTION_ARG_NONE, &o->zero_biases, "BiLRP diagnostic: set every bias to zero, so conservation is exact", NULL });
  add (entries, (GOptionEntry) { "truncate-dim", 0, 0, G_OPTION_ARG_INT, &o->truncate_dim, "Matryoshka: explain the similarity of the first N embedding dimensions, as sentence-transformers' truncate_dim (default: all)", "N" });
  add (entries, (GOptionEntry) { "prompt-name", 0, 0, G_OPTION_ARG_STRING, &o->prompt_name, "Put the model's prompt NAME (config_sentence_transformers.json) before both texts, as encode(prompt_name=NAME); none: no prompt, not even the model's default", "NAME" });
  add (entries, (GOptionEntry) { "prompt-a", 0, 0, G_OPTION_ARG_STRING, &o->prompt[0], "The model's prompt NAME before text A only (a query: --prompt-a query)", "NAME" });
  add (entries, (GOptionEntry) { "prompt-b", 0, 0, G_OPTION_ARG_STRING, &o->prompt[1], "The model's prompt NAME before text B (or the caption, or both documents of contrast)", "NAME" });
  add (entries, (GOptionEntry) { "prompt-a-text", 0, 0, G_OPTION_ARG_STRING, &o->prompt_text[0], "A literal prompt before text A (E5's \"query: \")", "TEXT" });
  add (entries, (GOptionEntry) { "prompt-b-text", 0, 0, G_OPTION_ARG_STRING, &o->prompt_text[1], "A literal prompt before text B (E5's \"passage: \")", "TEXT" });
  add (entries, (GOptionEntry) { "seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "Seed of the perturbation curve's random baseline (default 1)", "S" });
  if (set & CLI_OPTIONS_DISTANCE)
    {
      g_autofree char *attributions = lk_method_names_with (LK_INPUTS_IMAGE_CAPTION, TRUE);

      if (set & CLI_OPTIONS_IMAGE)
        {
          g_free (o->image_help);
          o->image_help = g_strdup_printf ("Explain an image (FILE) and one caption instead of two texts (CLIP "
                                           "models): a saliency map (distance) or the patch × word matrix (%s)",
                                           attributions);
          add (entries, (GOptionEntry) { "image", 0, 0, G_OPTION_ARG_FILENAME, &o->image, o->image_help, "FILE" });
        }
      add (entries, (GOptionEntry) { "masks", 0, 0, G_OPTION_ARG_INT, &o->masks, "distance: exactly N random masks (without it: at most 1000, stopping once the map is stable; with --stop-at, at most N)", "N" });
      add (entries, (GOptionEntry) { "feature-res", 0, 0, G_OPTION_ARG_INT, &o->feature_res, "distance: image mask grid cells per axis (default 8)", "R" });
      add (entries, (GOptionEntry) { "p-keep", 0, 0, G_OPTION_ARG_DOUBLE, &o->p_keep, "distance: probability that a cell or token is kept (default 0.5)", "P" });
      add (entries, (GOptionEntry) { "mask-side", 0, 0, G_OPTION_ARG_STRING, &o->mask_side, "distance: mask a (default; the image) or b (text B or the caption)", "SIDE" });
      add (entries, (GOptionEntry) { "unit", 0, 0, G_OPTION_ARG_STRING, &o->unit, "distance: mask each token (default) or each word", "UNIT" });
      add (entries, (GOptionEntry) { "replace", 0, 0, G_OPTION_ARG_STRING, &o->replace, "distance: a masked token becomes the mask token (mask, default) or is dropped (drop)", "HOW" });
      add (entries, (GOptionEntry) { "closest-window", 0, 0, G_OPTION_ARG_STRING, &o->closest, "distance: fractions of the sorted masks counted +1 (default 0:0.1)", "LO:HI" });
      add (entries, (GOptionEntry) { "farthest-window", 0, 0, G_OPTION_ARG_STRING, &o->farthest, "distance: fractions counted −1 (default 0.9:1)", "LO:HI" });
      add (entries, (GOptionEntry) { "batch-size", 0, 0, G_OPTION_ARG_INT, &o->batch_size, "distance: masked inputs per model call (default 32)", "B" });
      add (entries, (GOptionEntry) { "stop-at", 0, 0, G_OPTION_ARG_DOUBLE, &o->stop_at, "distance: stop once the split-half correlation reaches R (default 0.9 unless --masks is given; 0: never)", "R" });
      add (entries, (GOptionEntry) { "check-every", 0, 0, G_OPTION_ARG_INT, &o->check_every, "distance: masks between two early-stop checks (default 100)", "N" });
    }
  if (set & CLI_OPTIONS_PERTURBATION)
    add (entries, (GOptionEntry) { "perturbation", 0, 0, G_OPTION_ARG_NONE, &o->perturbation, "Also compute the perturbation curve", NULL });
}

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

static gboolean
set_double (LkExplainRequest *r, const char *command, const char *option, double value)
{
  char s[G_ASCII_DTOSTR_BUF_SIZE];

  return set_param (r, command, option, g_ascii_dtostr (s, sizeof s, value));
}

static gboolean
parse_window (LkExplainRequest *r, const char *command, const char *text, const char *option,
              const char *lo, const char *hi)
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
  cli_usage (command, msg);
  return FALSE;
}

static gboolean
add_distance_options (const CliMethodOptions *d, LkExplainRequest *r, const char *c)
{
  return (d->masks == -1 || set_int (r, c, "masks", d->masks)) &&
         (d->feature_res == -1 || set_int (r, c, "feature-res", d->feature_res)) &&
         (d->batch_size == -1 || set_int (r, c, "batch-size", d->batch_size)) &&
         (d->check_every == -1 || set_int (r, c, "check-every", d->check_every)) &&
         (d->p_keep == -1 || set_double (r, c, "p-keep", d->p_keep)) &&
         (d->stop_at != -1 ? set_double (r, c, "stop-at", d->stop_at)
                           : d->masks == -1 || set_double (r, c, "stop-at", 0)) &&
         (d->mask_side == NULL || set_param (r, c, "mask-side", d->mask_side)) &&
         (d->unit == NULL || set_param (r, c, "unit", d->unit)) &&
         (d->replace == NULL || set_param (r, c, "replace", d->replace)) &&
         parse_window (r, c, d->closest, "--closest-window", "closest_min", "closest_max") &&
         parse_window (r, c, d->farthest, "--farthest-window", "farthest_min", "farthest_max");
}

/* --prompt-a-text beats --prompt-a, which beats --prompt-name; "none"
 * asks for no prompt. Names are checked against the model by lk_explain. */
static gboolean
add_prompts (const CliMethodOptions *o, LkExplainRequest *r, const char *command)
{
  for (guint s = 0; s < 2; s++)
    {
      const char *name = o->prompt[s] ? o->prompt[s] : o->prompt_name;
      if (o->prompt_text[s] != NULL && o->prompt[s] != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("--prompt-%c and --prompt-%c-text both give text %c's prompt; "
                                                  "use one", 'a' + s, 'a' + s, 'A' + s);
          cli_usage (command, msg);
          return FALSE;
        }
      if (o->prompt_text[s] != NULL)
        lk_explain_request_set_prompt (r, s, NULL, o->prompt_text[s]);
      else if (name != NULL)
        lk_explain_request_set_prompt (r, s, g_str_equal (name, "none") ? "" : name, NULL);
    }
  return TRUE;
}

LkExplainRequest *
cli_method_options_to_request (const CliMethodOptions *o, const char *command)
{
  g_autoptr(LkExplainRequest) r = NULL;
  LkMethod method;

  if (!lk_method_from_string (o->method ? o->method : lk_method_to_string (lk_method_default ()), &method))
    {
      g_autofree char *names = lk_method_names_joined (", ");
      g_autofree char *msg = g_strdup_printf ("unknown method '%s' (expected one of %s)", o->method, names);
      cli_usage (command, msg);
      return NULL;
    }
  r = lk_explain_request_new (method);
  if ((o->layer != -1 && !set_int (r, command, "layer", o->layer)) ||
      (o->steps != G_MININT && !set_int (r, command, "steps", o->steps)) ||
      (o->quadrature && !set_param (r, command, "quadrature", o->quadrature)) ||
      (o->reference && !set_param (r, command, "reference", o->reference)) ||
      (!isnan (o->tolerance) && !set_double (r, command, "tolerance", o->tolerance)) ||
      (o->max_steps != G_MININT && !set_int (r, command, "max-steps", o->max_steps)) ||
      (o->measure && !set_param (r, command, "measure", o->measure)) ||
      (o->ad_mode && !set_param (r, command, "ad-mode", o->ad_mode)) ||
      (o->zero_biases && !set_param (r, command, "zero-biases", "true")) ||
      (o->perturbation && !set_param (r, command, "perturbation", "true")) ||
      (o->seed != G_MININT && !set_int (r, command, "seed", o->seed)) ||
      !add_distance_options (o, r, command) || !add_prompts (o, r, command))
    return NULL;
  return g_steal_pointer (&r);
}
