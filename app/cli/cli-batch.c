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
  CliProgress    *line;     /* on a terminal */
  double          last;     /* seconds of the last plain line */
  guint           last_pct;
  LkBatchProgress at;       /* the last report, for the summary */
} Progress;

/* On a terminal the labelled line with rate and ETA (cli_progress_*); on
 * a pipe or a log, a plain line every 10 % or every 30 s, so that logs
 * stay short. */
static void
on_progress (const LkBatchProgress *p, gpointer data)
{
  Progress *pr = data;
  guint todo = p->total - p->skipped;
  double rate = p->seconds > 0 ? p->done / p->seconds : 0;
  guint pct = todo ? 100 * p->done / todo : 100;
  char eta_s[32];

  pr->at = *p;
  if (pr->line)
    {
      g_autofree char *label = p->failed ? g_strdup_printf ("batch (%u failed)", p->failed) : g_strdup ("batch");
      cli_progress_set_label (pr->line, label);
      cli_progress_update (pr->line, p->done, todo);
      return;
    }
  cli_format_duration (eta_s, sizeof eta_s, rate > 0 ? (todo - p->done) / rate : NAN);
  if (p->done == 0 || p->done == todo || pct >= pr->last_pct + 10 || p->seconds - pr->last >= 30)
    {
      g_printerr ("batch: %u/%u items (%u%%), %u failed, %.2f items/s, ETA %s\n", p->done, todo, pct, p->failed,
                  rate, eta_s);
      pr->last = p->seconds;
      pr->last_pct = pct - pct % 10;
    }
}

static gboolean
print_summary (const char *output, const LkBatchProgress *p, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const struct { const char *key; guint value; } counts[] = {
    { "items", p->total }, { "done", p->done }, { "failed", p->failed }, { "skipped", p->skipped },
  };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "output");
  json_builder_add_string_value (b, output);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      json_builder_set_member_name (b, counts[i].key);
      json_builder_add_int_value (b, counts[i].value);
    }
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, p->seconds);
  json_builder_end_object (b);
  return cli_print_result (b, error);
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
  Progress progress = { 0 };
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
  if ((model = cli_load_model (o.model ? o.model : CLI_DEFAULT_MODEL, o.truncate_dim, &error)) == NULL)
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
  progress.line = cli_progress_new ("batch", "items");
  if (!lk_batch_run_items (model, request, items, output, shard, n_shards, resume, on_progress, &progress,
                           cancellable, &error))
    {
      g_clear_pointer (&progress.line, cli_progress_free);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("likeness-cli batch: interrupted; %s holds whole lines only: continue with --resume\n", output);
          g_clear_error (&error);
          goto out;
        }
      rc = cli_fail (error);
      goto out;
    }
  g_clear_pointer (&progress.line, cli_progress_free);
  /* what the run did: output, items, done, failed, skipped, seconds */
  if (!print_summary (output, &progress.at, &error))
    {
      rc = cli_fail (error);
      goto out;
    }
  rc = CLI_EXIT_OK;
out:
  cli_progress_free (progress.line);
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
  g_autoptr(JsonBuilder) summary = json_builder_new ();
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
  json_builder_begin_object (summary);
  json_builder_set_member_name (summary, "lines");
  json_builder_add_int_value (summary, lines);
  json_builder_set_member_name (summary, "failed");
  json_builder_add_int_value (summary, failed);
  json_builder_set_member_name (summary, "files");
  json_builder_add_int_value (summary, argc - 1);
  json_builder_end_object (summary);
  if (!cli_print_result (summary, &error))
    return cli_fail (error);
  return CLI_EXIT_OK;
}
