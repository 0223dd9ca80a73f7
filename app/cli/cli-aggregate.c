/* cli-aggregate.c — `aggregate`: what a whole batch run says. */
#include "config.h"

#include <math.h>

#include "cli.h"
#include "lk-aggregate.h"
#include "lk-json.h"

static void
print_top (JsonArray *list, const char *what, guint n)
{
  for (guint i = 0; list && i < MIN (n, json_array_get_length (list)); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      g_print ("%s=%s sum=%.6f share=%.4f items=%" G_GINT64_FORMAT "\n", what,
               json_object_get_string_member (o, "word"), json_object_get_double_member (o, "sum"),
               json_object_get_double_member (o, "share"), json_object_get_int_member (o, "items"));
    }
}

int
cli_aggregate (int argc, char **argv)
{
  g_autofree char *json_path = NULL, *csv = NULL, *svg = NULL, *png = NULL, *pdf = NULL;
  int top = 30;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Write the summary (schema likeness.aggregate/1) to FILE", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv, "Write the word tables as CSV", "FILE" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg, "Draw the summary as SVG", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Draw the summary as PNG (2× scale)", "FILE" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf, "Draw the summary as PDF", "FILE" },
    { "top", 'n', 0, G_OPTION_ARG_INT, &top, "Keep the N strongest words (default 30)", "N" },
    { NULL }
  };
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *specials;
  GError *error = NULL;

  if (!cli_parse ("aggregate", "ALL.jsonl…",
                  "Summarises batch outputs: the words that carry most of ΣA, the share on special tokens and "
                  "punctuation, the faithfulness checks, aspect shares, and in retrieval mode the query words "
                  "that decide rank 1 over rank 2.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc < 2)
    return cli_usage ("aggregate", "expected one or more batch outputs");
  if (top < 1 || top > 100000)
    return cli_usage ("aggregate", "--top must be between 1 and 100000");
  if (!cli_check_figure_paths ((char *[CLI_N_FIGURE_FORMATS]) { svg, png, pdf, NULL }, &error))
    {
      g_autofree char *msg = g_strdup (error->message);
      g_clear_error (&error);
      return cli_usage ("aggregate", msg);
    }
  if ((summary = lk_aggregate_files ((const char * const *) argv + 1, top, &error)) == NULL)
    return cli_fail (error);
  node = json_node_init_object (json_node_alloc (), summary);
  if ((json_path && !lk_json_save_atomic (node, json_path, &error)) ||
      (csv && !lk_aggregate_write_csv (summary, csv, &error)) ||
      (svg && !lk_render_aggregate_export (summary, svg, 1, &error)) ||
      (png && !lk_render_aggregate_export (summary, png, 2, &error)) ||
      (pdf && !lk_render_aggregate_export (summary, pdf, 1, &error)))
    return cli_fail (error);
  /* JSON: the whole summary, as --json FILE writes it */
  if (cli_format () == CLI_FORMAT_JSON)
    return cli_print_json_node (node, &error) ? CLI_EXIT_OK : cli_fail (error);
  specials = json_object_get_object_member (summary, "specials");
  g_print ("items=%" G_GINT64_FORMAT "\nfailed=%" G_GINT64_FORMAT "\nattributions=%" G_GINT64_FORMAT "\n",
           json_object_get_int_member (summary, "items"), json_object_get_int_member (summary, "failed"),
           json_object_get_int_member (summary, "attributions"));
  g_print ("specials_share=%.4f\nspecials_abs_share=%.4f\nitems_mostly_specials=%" G_GINT64_FORMAT "\n",
           json_object_get_double_member (specials, "share_mean"), json_object_get_double_member (specials, "abs_share_mean"),
           json_object_get_int_member (specials, "items_over_half"));
  print_top (json_object_get_array_member (summary, "words"), "word", 10);
  return CLI_EXIT_OK;
}
