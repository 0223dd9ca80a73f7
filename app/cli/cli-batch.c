/* cli-batch.c — `batch` and `batch-merge`: audits of many pairs. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <glib-unix.h>

#include "cli.h"
#include "lk-batch.h"
#include "lk-error.h"
#include "lk-retrieval.h"

/* ---- progress ---- */

typedef struct {
  gboolean tty;
  double   last;      /* seconds of the last plain line */
  guint    last_pct;
} Progress;

static void
format_duration (char *buf, gsize size, double s)
{
  if (!isfinite (s) || s < 0)
    g_snprintf (buf, size, "--");
  else if (s >= 3600)
    g_snprintf (buf, size, "%uh%02um", (guint) (s / 3600), (guint) fmod (s / 60, 60));
  else if (s >= 60)
    g_snprintf (buf, size, "%um%02us", (guint) (s / 60), (guint) fmod (s, 60));
  else
    g_snprintf (buf, size, "%.0fs", s);
}

/* A bar with rate and ETA redrawn in place on a terminal; on a pipe or a
 * log, a plain line every 10 % or every 30 s, so that logs stay short. */
static void
on_progress (const LkBatchProgress *p, gpointer data)
{
  Progress *pr = data;
  guint todo = p->total - p->skipped;
  double rate = p->seconds > 0 ? p->done / p->seconds : 0;
  double eta = rate > 0 ? (todo - p->done) / rate : NAN;
  guint pct = todo ? 100 * p->done / todo : 100;
  char eta_s[32];

  format_duration (eta_s, sizeof eta_s, eta);
  if (pr->tty)
    {
      char bar[31];
      guint fill = todo ? 30 * p->done / todo : 30;

      for (guint i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
      bar[30] = '\0';
      g_printerr ("\r\033[K[%s] %u/%u  %.2f items/s  ETA %s%s", bar, p->done, todo, rate, eta_s,
                  p->failed ? "  " : "");
      if (p->failed)
        g_printerr ("%u failed", p->failed);
      if (p->done == todo)
        g_printerr ("\n");
      return;
    }
  if (p->done == 0 || p->done == todo || pct >= pr->last_pct + 10 || p->seconds - pr->last >= 30)
    {
      g_printerr ("batch: %u/%u items (%u%%), %u failed, %.2f items/s, ETA %s%s\n", p->done, todo, pct, p->failed,
                  rate, eta_s, p->skipped ? "" : "");
      pr->last = p->seconds;
      pr->last_pct = pct - pct % 10;
    }
}

/* ---- Control+C: stop after the item being explained ---- */

static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_CONTINUE;
}

static gpointer
signal_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  GMainLoop *loop = g_main_loop_new (context, FALSE);
  GSource *source = g_unix_signal_source_new (SIGINT);
  GSource *term = g_unix_signal_source_new (SIGTERM);

  g_source_set_callback (source, on_signal, data, NULL);
  g_source_set_callback (term, on_signal, data, NULL);
  g_source_attach (source, context);
  g_source_attach (term, context);
  g_main_loop_run (loop);
  return NULL;
}

static gboolean
parse_shard (const char *text, guint *shard, guint *n, GError **error)
{
  guint64 i, k;
  g_auto(GStrv) parts = text ? g_strsplit (text, "/", 0) : NULL;

  *shard = 0;
  *n = 1;
  if (text == NULL)
    return TRUE;
  if (g_strv_length (parts) == 2 &&
      g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &i, NULL) &&
      g_ascii_string_to_unsigned (parts[1], 10, 1, 1000000, &k, NULL) && i < k)
    {
      *shard = i;
      *n = k;
      return TRUE;
    }
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               "--shard must be I/N with 0 ≤ I < N (Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT "
               "with --array=0-(N−1)), not '%s'", text);
  return FALSE;
}

int
cli_batch (int argc, char **argv)
{
  CliMethodOptions o;
  g_autofree char *input = NULL, *output = NULL, *shard_text = NULL;
  g_autofree char *queries = NULL, *corpus = NULL;
  gboolean resume = FALSE;
  int top_k = 0;
  const GOptionEntry own[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Items: JSON Lines {\"id\", \"a\", \"b\"} (or \"image\" and \"b\"), or TSV/CSV with those columns", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Results: one JSON line per item (schema likeness.explanation/1 with \"id\"; a failed item has \"error\")", "OUT.jsonl" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text, "Explain only shard I of N (0 ≤ I < N; by a hash of the id, or of the query's id in retrieval mode)", "I/N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue OUT: skip the ids it already has", NULL },
    { "queries", 0, 0, G_OPTION_ARG_FILENAME, &queries, "Retrieval mode: queries {\"id\", \"text\"} (JSON Lines, TSV or CSV)", "Q.jsonl" },
    { "corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus, "Retrieval mode: passages {\"id\", \"text\"}; embedded once and cached", "C.jsonl" },
    { "top-k", 'k', 0, G_OPTION_ARG_INT, &top_k, "Retrieval mode: explain each query's K best passages by the model's own score (exact; default 10)", "K" },
  };
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  g_autoptr(LkExplainRequest) request = NULL;
  g_autoptr(LkModel) model = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { .tty = isatty (2) };
  GError *error = NULL;
  guint shard, n_shards;
  gboolean retrieval;
  int rc = CLI_EXIT_USAGE;

  cli_method_options_init (&o);
  cli_method_options_add_entries (&o, entries, CLI_OPTIONS_METHOD | CLI_OPTIONS_DISTANCE | CLI_OPTIONS_PERTURBATION);
  g_array_append_vals (entries, own, G_N_ELEMENTS (own));
  if (!cli_parse ("batch", "--input FILE --output OUT.jsonl",
                  "Explains every item of a file, or each query's top-k passages of a corpus (--queries, --corpus), "
                  "one JSON line per item. A killed run leaves whole lines; --resume continues it. --shard splits "
                  "a run over N jobs (Slurm, …); batch-merge joins them.",
                  (GOptionEntry *) entries->data, &argc, &argv))
    goto out;
  retrieval = queries != NULL || corpus != NULL;
  if (argc != 1)
    {
      cli_usage ("batch", "expected no arguments besides the options");
      goto out;
    }
  if (output == NULL || (retrieval ? (queries == NULL || corpus == NULL || input != NULL) : input == NULL))
    {
      cli_usage ("batch", retrieval ? "retrieval mode needs --queries, --corpus and --output (and no --input)"
                                    : "expected --input FILE and --output OUT.jsonl");
      goto out;
    }
  if (top_k < 0 || (top_k > 0 && !retrieval))
    {
      cli_usage ("batch", top_k < 0 ? "--top-k must be at least 1" : "--top-k needs --queries and --corpus");
      goto out;
    }
  if (!parse_shard (shard_text, &shard, &n_shards, &error))
    {
      cli_usage ("batch", error->message);
      g_clear_error (&error);
      goto out;
    }
  if ((request = cli_method_options_to_request (&o, "batch")) == NULL)
    goto out;
  rc = CLI_EXIT_ERROR;
  /* The items first: a bad file costs no model load. */
  if (!lk_batch_check_output (output, (const char *[]) { input ? input : "", queries ? queries : "",
                                                         corpus ? corpus : "", NULL }, &error) ||
      (!retrieval && (items = lk_batch_read_items (input, &error)) == NULL))
    {
      rc = cli_fail (error);
      goto out;
    }
  if ((model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, &error)) == NULL)
    {
      rc = cli_fail (error);
      goto out;
    }
  g_thread_unref (g_thread_new ("signals", signal_thread, cancellable));
  if (retrieval &&
      (items = lk_retrieval_items (model, queries, corpus, top_k ? top_k : 10, shard, n_shards,
                                   cancellable, &error)) == NULL)
    {
      rc = cli_fail (error);
      goto out;
    }
  if (!lk_batch_run_items (model, request, items, output, shard, n_shards, resume, on_progress, &progress,
                           cancellable, &error))
    {
      if (progress.tty)
        g_printerr ("\n");
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("likeness-cli batch: interrupted; %s holds whole lines only: continue with --resume\n", output);
          g_clear_error (&error);
          goto out;
        }
      rc = cli_fail (error);
      goto out;
    }
  rc = CLI_EXIT_OK;
out:
  cli_method_options_clear (&o);
  return rc;
}

int
cli_batch_merge (int argc, char **argv)
{
  g_autofree char *output = NULL, *input = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The merged file", "ALL.jsonl" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "The batch input: every one of its ids must have exactly one line", "FILE" },
    { NULL }
  };
  GError *error = NULL;
  guint lines, failed;

  if (!cli_parse ("batch-merge", "OUT-1.jsonl … --output ALL.jsonl",
                  "Joins the outputs of a sharded batch run, checking that no id is doubled and, with --input, "
                  "that none is missing.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (output == NULL || argc < 2)
    return cli_usage ("batch-merge", "expected one or more batch outputs and --output ALL.jsonl");
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *a = g_canonicalize_filename (argv[i], NULL), *b = g_canonicalize_filename (output, NULL);
      if (g_str_equal (a, b))
        return cli_usage ("batch-merge", "--output must not be one of the files merged");
    }
  if (!lk_batch_merge ((const char * const *) argv + 1, output, input, &lines, &failed, &error))
    return cli_fail (error);
  g_print ("lines=%u\nfailed=%u\nfiles=%d\n", lines, failed, argc - 1);
  return CLI_EXIT_OK;
}
