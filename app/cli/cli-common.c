/* cli-common.c — option parsing, model loading, errors and JSON output. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "lk-error.h"
#include "lk-json.h"

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
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      cli_usage (command, error->message);
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
cli_load_model (const char *name, GError **error)
{
  gboolean drawn = FALSE;
  LkModel *model = lk_model_load (name, LK_MODEL_LOAD_ALLOW_DOWNLOAD, NULL, isatty (2) ? on_download : NULL,
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
cli_print_json (JsonBuilder *builder, GError **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = lk_json_to_data (root, TRUE, "the output", NULL, error);

  if (text == NULL)
    return FALSE;
  g_print ("%s\n", text);
  return TRUE;
}
