/* cli-common.c — option parsing, model loading, errors and JSON output. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lk-error.h"
#include "lk-eta.h"
#include "lk-json.h"

static CliFormat format = CLI_FORMAT_TEXT;

CliFormat
cli_format (void)
{
  return format;
}

gboolean
cli_parse (const char    *command,
           const char    *params,
           const char    *summary,
           GOptionEntry  *entries,
           int           *argc,
           char        ***argv)
{
  g_autofree char *prgname = g_strdup_printf ("likeness-cli %s", command);
  g_autoptr(GOptionContext) ctx = g_option_context_new (params);
  g_autoptr(GError) error = NULL;
  g_autofree char *format_name = NULL;
  GOptionEntry format_entry[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name,
      "What stdout gets: text (the default: key=value lines) or json (one JSON document)", "FORMAT" },
    { NULL }
  };

  /* The usage line reads "likeness-cli COMMAND [OPTION…] PARAMS", as in
   * the man page. */
  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_description (ctx,
    "Exit status: 0 on success, 1 when the command fails (a model, file or text it cannot use), "
    "2 for a bad command line.\n"
    "Environment: HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN, LIKENESS_DEVICE (auto, cpu, cuda), LIKENESS_THREADS,\n"
    "LIKENESS_ASPECT_HEADS (folders searched first for aspect heads).\n"
    "See likeness-cli(1).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_main_entries (ctx, format_entry, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      cli_usage (command, error->message);
      return FALSE;
    }
  if (format_name == NULL || strcmp (format_name, "text") == 0)
    format = CLI_FORMAT_TEXT;
  else if (strcmp (format_name, "json") == 0)
    format = CLI_FORMAT_JSON;
  else
    {
      g_autofree char *msg = g_strdup_printf ("--format must be text or json, not '%s'", format_name);
      cli_usage (command, msg);
      return FALSE;
    }
  return TRUE;
}

int
cli_usage (const char *command, const char *message)
{
  g_printerr ("likeness-cli %s: %s\nTry 'likeness-cli %s --help'.\n", command, message, command);
  return CLI_EXIT_USAGE;
}

int
cli_fail (GError *error)
{
  g_printerr ("likeness-cli: error: %s\n", error->message);
  g_error_free (error);
  return CLI_EXIT_ERROR;
}

/* @data: whether a progress line is on the terminal. */
static void
on_download (const char *file, guint64 done, guint64 total, gpointer data)
{
  if (total == 0)
    return;
  g_printerr ("\rdownloading %s: %5.1f%% of %.1f MB", file, 100.0 * done / total, total / 1e6);
  *(gboolean *) data = TRUE;
}

LkModel *
cli_load_model (const char *name, int truncate_dim, GError **error)
{
  gboolean drawn = isatty (2);
  LkModelOptions options;
  LkModel *model;

  lk_model_options_init_from_env (&options);
  options.truncate_dim = truncate_dim;
  /* A model takes seconds to load: say so, on a terminal. */
  if (drawn)
    g_printerr ("loading model %s…", name);
  model = lk_model_load (name, LK_MODEL_LOAD_ALLOW_DOWNLOAD, &options, isatty (2) ? on_download : NULL,
                         &drawn, NULL, error);
  if (drawn)
    g_printerr ("\r\033[K");
  return model;
}

gboolean
cli_check_texts (int argc, char **argv, gboolean caption, GError **error)
{
  for (int i = 1; i < argc; i++)
    {
      const char *bad = NULL;
      g_autofree char *name = NULL;

      if (g_utf8_validate (argv[i], -1, &bad))
        continue;
      name = caption ? g_strdup ("the caption")
             : argc == 3 ? g_strdup_printf ("text %c", 'A' + i - 1) : g_strdup_printf ("text %d", i);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%s (argument %d) is not valid UTF-8: byte 0x%02X at byte offset %ld "
                   "does not start or continue a character", name, i + 1, (guchar) *bad, (long) (bad - argv[i]));
      return FALSE;
    }
  return TRUE;
}

gboolean
cli_print_json_node (JsonNode *node, GError **error)
{
  g_autofree char *text = lk_json_to_data (node, TRUE, "the output", NULL, error);

  if (text == NULL)
    return FALSE;
  g_print ("%s\n", text);
  return TRUE;
}

gboolean
cli_print_json (JsonBuilder *builder, GError **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return cli_print_json_node (root, error);
}

/* Text output: the members of a flat object as key=value lines; an array
 * of number arrays a line per row, its values comma-separated (no spaces
 * inside a value). */
static void
print_text (JsonNode *root)
{
  JsonObject *o = json_node_get_object (root);
  g_autoptr(GList) members = json_object_get_members (o);

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *v = json_object_get_member (o, l->data);
      if (JSON_NODE_HOLDS_ARRAY (v))
        {
          JsonArray *rows = json_node_get_array (v);
          /* one line per element, "embeddings=v1,v2,…" */
          for (guint i = 0; i < json_array_get_length (rows); i++)
            {
              JsonArray *row = json_array_get_array_element (rows, i);
              g_print ("%s=", (char *) l->data);
              for (guint d = 0; d < json_array_get_length (row); d++)
                g_print ("%s%.9g", d ? "," : "", json_array_get_double_element (row, d));
              g_print ("\n");
            }
        }
      else if (json_node_get_value_type (v) == G_TYPE_DOUBLE)
        g_print ("%s=%.6f\n", (char *) l->data, json_node_get_double (v));
      else if (json_node_get_value_type (v) == G_TYPE_BOOLEAN)
        g_print ("%s=%s\n", (char *) l->data, json_node_get_boolean (v) ? "true" : "false");
      else if (json_node_get_value_type (v) == G_TYPE_INT64)
        g_print ("%s=%" G_GINT64_FORMAT "\n", (char *) l->data, json_node_get_int (v));
      else
        g_print ("%s=%s\n", (char *) l->data, json_node_get_string (v));
    }
}

gboolean
cli_print_result (JsonBuilder *b, GError **error)
{
  g_autoptr(JsonNode) root = NULL;

  if (cli_format () == CLI_FORMAT_JSON)
    return cli_print_json (b, error);
  /* the JSON check too: no NaN printed as text either */
  root = json_builder_get_root (b);
  if (!lk_json_check_finite (root, "the output", error))
    return FALSE;
  print_text (root);
  return TRUE;
}

/* ---- progress ---- */

struct _CliProgress {
  char   *label;
  char   *unit;
  gint64  t0;
  LkEta   eta;
  gint64  drawn_at;  /* 0: never drawn */
};

void
cli_format_duration (char *buf, gsize size, double s)
{
  if (!isfinite (s) || s < 0)
    g_snprintf (buf, size, "--");
  else if (s >= 3600)
    g_snprintf (buf, size, "%uh%02um", (guint) (s / 3600), (guint) fmod (s / 60, 60));
  else if (s >= 60)
    g_snprintf (buf, size, "%um%02us", (guint) (s / 60), (guint) fmod (s, 60));
  else if (s >= 10)
    g_snprintf (buf, size, "%.0fs", s);
  else
    g_snprintf (buf, size, "%.1fs", s);
}

CliProgress *
cli_progress_new (const char *label, const char *unit)
{
  CliProgress *p;

  if (!isatty (2))
    return NULL;
  p = g_new0 (CliProgress, 1);
  p->label = g_strdup (label);
  p->unit = g_strdup (unit);
  p->t0 = g_get_monotonic_time ();
  lk_eta_init (&p->eta);
  return p;
}

void
cli_progress_set_label (CliProgress *p, const char *label)
{
  if (p == NULL)
    return;
  g_free (p->label);
  p->label = g_strdup (label);
}

void
cli_progress_update (CliProgress *p, double done, double total)
{
  gint64 now = g_get_monotonic_time ();
  double elapsed, fraction, rate;
  char bar[25], eta[32], spent[32];
  guint fill;

  if (p == NULL)
    return;
  lk_eta_update (&p->eta, now, total > 0 ? done / total : 0);
  /* Ten redraws a second are enough for the eye; the last one always
   * shows, so that a fast run still says where it ended. */
  if (p->drawn_at && now - p->drawn_at < G_USEC_PER_SEC / 10 && done < total)
    return;
  p->drawn_at = now;
  elapsed = (now - p->t0) / 1e6;
  fraction = total > 0 ? CLAMP (done / total, 0, 1) : 0;
  rate = elapsed > 0 ? done / elapsed : 0;
  fill = (guint) (fraction * (sizeof bar - 1));
  for (guint i = 0; i < sizeof bar - 1; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[sizeof bar - 1] = '\0';
  cli_format_duration (eta, sizeof eta, lk_eta_seconds_left (&p->eta, now));
  cli_format_duration (spent, sizeof spent, elapsed);
  if (p->unit)
    g_printerr ("\r\033[K%s [%s] %3.0f%%  %.0f/%.0f %s  %.2f %s/s  %s elapsed  ETA %s", p->label, bar,
                100 * fraction, done, total, p->unit, rate, p->unit, spent, eta);
  else
    g_printerr ("\r\033[K%s [%s] %3.0f%%  %.1f%%/s  %s elapsed  ETA %s", p->label, bar, 100 * fraction,
                100 * rate, spent, eta);
}

void
cli_progress_fraction (double fraction, gpointer progress)
{
  cli_progress_update (progress, fraction, 1);
}

void
cli_progress_free (CliProgress *p)
{
  if (p == NULL)
    return;
  if (p->drawn_at)
    g_printerr ("\r\033[K");
  g_free (p->label);
  g_free (p->unit);
  g_free (p);
}
