/* cli-render.c — `render`: a saved explanation to a figure file, the same
 * figure the app shows; and the export helper behind `explain --svg`. */
#include "config.h"

#include "cli.h"
#include "lk-error.h"
#include "lk-palette.h"
#include "lk-provenance.h"

gboolean
cli_view_from_string (const char *name, LkView *view)
{
  return lk_view_from_string (name, view);
}

gboolean
cli_check_figure_paths (char * const paths[CLI_N_FIGURE_FORMATS], GError **error)
{
  /* by LkExportFormat */
  const char *flags[CLI_N_FIGURE_FORMATS] = { "--svg", "--png", "--pdf", "--csv" };
  const char *exts[CLI_N_FIGURE_FORMATS] = { ".svg", ".png", ".pdf", ".csv" };

  for (guint i = 0; i < CLI_N_FIGURE_FORMATS; i++)
    {
      LkExportFormat format;

      if (paths[i] == NULL)
        continue;
      if (!lk_export_format_from_path (paths[i], &format, NULL) || format != (LkExportFormat) i)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "%s %s: the file name must end in %s, the format %s writes", flags[i], paths[i], exts[i],
                       flags[i]);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
cli_export_figure_full (LkExplanation *x, const char *path, LkView view, const LkRenderOptions *options,
                        double scale, GError **error)
{
  LkExportFormat format;

  if (!lk_export_format_from_path (path, &format, error))
    return FALSE;
  return lk_render_export (x, view, options, format, scale, path, error);
}

gboolean
cli_export_figure (LkExplanation *x, const char *path, LkView view, GError **error)
{
  return lk_render_export_file (x, path, view, error);
}

/* A map is drawn over the photo at the path the result records: that photo
 * must still be the one explained (its SHA-256), or the figure would show
 * one image's map over another. */
static gboolean
check_image (LkExplanation *x, LkView view, const char *result_path, gboolean allow, GError **error)
{
  const char *extras[] = { "image", "saliency_map" };
  g_autoptr(GError) local = NULL;

  if (view != LK_VIEW_SALIENCY && view != LK_VIEW_REPORT)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (extras); i++)
    {
      gboolean unchecked;

      if (lk_provenance_check_image (lk_explanation_lookup_object (x, extras[i]), &unchecked, &local))
        continue;
      if (!allow)
        {
          g_set_error (error, local->domain, local->code, "%s: %s (--allow-changed-image draws it all the same)",
                       result_path, local->message);
          return FALSE;
        }
      g_printerr ("likeness-cli: warning: %s: %s\n", result_path, local->message);
      g_clear_error (&local);
    }
  return TRUE;
}

int
cli_render (int argc, char **argv)
{
  g_autofree char *view_name = NULL, *palette_name = NULL;
  gboolean words = FALSE, no_specials = FALSE, no_prompt = FALSE, describe = FALSE, allow_changed_image = FALSE;
  double scale = 2.0, threshold = 0;
  int top_k = -1, word = -1;
  GOptionEntry entries[] = {
    { "view", 0, 0, G_OPTION_ARG_STRING, &view_name, "heatmap (default; contrast for a ranking contrast), alignment, saliency, aspects, report or contrast", "VIEW" },
    { "words", 0, 0, G_OPTION_ARG_NONE, &words, "Merge sub-word tokens into words", NULL },
    { "no-specials", 0, 0, G_OPTION_ARG_NONE, &no_specials, "Hide special tokens ([CLS], [SEP], <s> …)", NULL },
    { "no-prompt", 0, 0, G_OPTION_ARG_NONE, &no_prompt, "Hide the tokens of a prompt put before a text (explain --prompt-a …); they still count in the checks", NULL },
    { "palette", 0, 0, G_OPTION_ARG_STRING, &palette_name, "blue-red (default), purple-green or gray", "NAME" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "PNG pixels per point (default 2)", "S" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Alignment: show the K strongest links (default 12; 0: all above --threshold)", "K" },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, "Alignment: hide links below this share of the largest |value| (0–1)", "T" },
    { "describe", 0, 0, G_OPTION_ARG_NONE, &describe, "Also print the figure's description for screen readers", NULL },
    { "allow-changed-image", 0, 0, G_OPTION_ARG_NONE, &allow_changed_image, "Draw a map over its photo even when the photo's SHA-256 differs from the one the result records (a warning instead of an error)", NULL },
    { "word", 0, 0, G_OPTION_ARG_INT, &word, "Saliency of an image and a caption: the caption word (0-based, specials counted) whose map to show (default: the explanation's own choice)", "N" },
    { NULL }
  };
  g_autoptr(LkExplanation) x = NULL;
  LkRenderOptions options;
  LkView view = LK_VIEW_HEATMAP;
  GError *error = NULL;

  if (!cli_parse ("render", "RESULT.json OUT.{svg,png,pdf,csv}",
                  "Draws a saved explanation (from explain --json) as a figure: SVG and PDF keep their text as text; "
                  "CSV holds the values the figure shows, as a table.",
                  entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 3)
    return cli_usage ("render", "expected a result file and an output file");
  lk_render_options_init (&options);
  if (view_name && !cli_view_from_string (view_name, &view))
    return cli_usage ("render", "--view must be heatmap, alignment, saliency, aspects, report or contrast");
  if (palette_name && !lk_palette_from_string (palette_name, &options.palette))
    return cli_usage ("render", "--palette must be blue-red, purple-green or gray");
  if (!(scale > 0 && scale <= 16))
    return cli_usage ("render", "--scale must be more than 0 and at most 16");
  if (threshold < 0 || threshold > 1)
    return cli_usage ("render", "--threshold must be between 0 and 1");
  options.words = words;
  options.hide_prompts = no_prompt;
  options.specials = !no_specials;
  options.threshold = threshold;
  if (top_k >= 0)
    options.top_k = top_k;
  if (word < -1)
    return cli_usage ("render", "--word must be 0 or more");
  options.saliency_word = word;
  if ((x = lk_explanation_load (argv[1], &error)) == NULL)
    return cli_fail (error);
  /* A ranking contrast has no matrix: its own view is the one that shows it. */
  if (view_name == NULL && lk_explanation_lookup_extra (x, LK_EXTRA_CONTRAST) != NULL)
    view = LK_VIEW_CONTRAST;
  if (word >= 0)
    {
      JsonObject *sm = lk_explanation_lookup_object (x, "saliency_map");
      JsonNode *maps = sm ? json_object_get_member (sm, "maps") : NULL;
      guint n = maps && JSON_NODE_HOLDS_ARRAY (maps) ? json_array_get_length (json_node_get_array (maps)) : 0;
      if ((guint) word >= n)
        {
          g_autofree char *takers = lk_method_names_with (LK_INPUTS_IMAGE_CAPTION, TRUE);
          g_autofree char *msg = n ? g_strdup_printf ("--word %d: %s has caption words 0 to %u", word, argv[1], n - 1)
                                   : g_strdup_printf ("--word %d: %s has no per-word maps (saliency_map.maps: "
                                                      "explain --image with %s)", word, argv[1], takers);
          return cli_usage ("render", msg);
        }
    }
  if (!check_image (x, view, argv[1], allow_changed_image, &error))
    return cli_fail (error);
  if (!cli_export_figure_full (x, argv[2], view, &options, scale, &error))
    return cli_fail (error);
  if (cli_format () == CLI_FORMAT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "output");
      json_builder_add_string_value (b, argv[2]);
      json_builder_set_member_name (b, "view");
      json_builder_add_string_value (b, lk_view_to_string (view));
      if (describe)
        {
          g_autofree char *text = lk_render_describe (x, view, &options);
          json_builder_set_member_name (b, "description");
          json_builder_add_string_value (b, text);
        }
      json_builder_end_object (b);
      return cli_print_json (b, &error) ? CLI_EXIT_OK : cli_fail (error);
    }
  if (describe)
    {
      g_autofree char *text = lk_render_describe (x, view, &options);
      g_print ("%s\n", text);
    }
  return CLI_EXIT_OK;
}
