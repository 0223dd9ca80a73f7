/* cli-aspects.c — `train-aspects` and `explain --method aspects` (S3BERT
 * aspect spaces, docs/aspects.md). */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cli.h"
#include "lk-aspects.h"
#include "lk-method-info.h"

/* ---- train-aspects ---- */

typedef struct {
  GMainLoop           *loop;
  lk_shim_train_result result;
  GError              *error;
  gboolean             ok;
  gint64               t0;
  CliProgress         *line;      /* on a terminal */
  long                 first_step; /* of this run (a resumed one starts later) */
} Train;

/* On a terminal a progress line with the rate and ETA of this run's steps,
 * the dev evaluations printed above it; elsewhere a log line per step. */
static void
on_train_progress (const lk_shim_train_progress *p, gpointer data)
{
  Train *t = data;

  if (t->first_step < 0)
    t->first_step = p->step - 1;
  if (t->line)
    g_printerr ("\r\033[K");
  if (p->resumed)
    g_printerr ("resumed from the checkpoint at step %ld\n", p->step - 1);
  if (t->line == NULL)
    g_printerr ("epoch %d/%d step %ld/%ld aspect_loss=%.6f consistency_loss=%.6f lr=%.3g %.1fs\n", p->epoch + 1,
                p->n_epochs, p->step, p->n_steps, p->aspect_loss, p->consistency_loss, p->lr,
                (g_get_monotonic_time () - t->t0) / 1e6);
  if (p->evaluated)
    g_printerr ("dev aspect_mse=%.6f consistency_mse=%.6f score=%.6f (1 − their sum; the best is kept)\n",
                p->dev_aspect_mse, p->dev_consistency_mse, p->dev_score);
  if (t->line)
    {
      g_autofree char *label = g_strdup_printf ("train-aspects epoch %d/%d, aspect loss %.4f:", p->epoch + 1,
                                                p->n_epochs, p->aspect_loss);
      cli_progress_set_label (t->line, label);
      cli_progress_update (t->line, p->step - t->first_step, p->n_steps - t->first_step);
    }
}

static void
on_trained (GObject *source, GAsyncResult *result, gpointer data)
{
  Train *t = data;

  t->ok = lk_aspects_train_finish (result, &t->result, &t->error);
  g_main_loop_quit (t->loop);
}

static gboolean
on_interrupt (gpointer cancellable)
{
  g_printerr ("interrupted: stopping after this step\n");
  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

static int
print_train_json (Train *t, const char *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GError *error = NULL;
  const struct { const char *key; double value; } numbers[] = {
    { "best_score", t->result.best_score },
    { "aspect_loss_first", t->result.first_aspect_loss }, { "aspect_loss_last", t->result.last_aspect_loss },
    { "consistency_loss_first", t->result.first_consistency_loss },
    { "consistency_loss_last", t->result.last_consistency_loss },
    { "seconds", (g_get_monotonic_time () - t->t0) / 1e6 },
  };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "out");
  json_builder_add_string_value (b, out);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, t->result.steps_done + t->result.resumed_from_step);
  json_builder_set_member_name (b, "resumed_from_step");
  json_builder_add_int_value (b, t->result.resumed_from_step);
  json_builder_set_member_name (b, "best_step");
  json_builder_add_int_value (b, t->result.best_step);
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      json_builder_set_member_name (b, numbers[i].key);
      json_builder_add_double_value (b, numbers[i].value);
    }
  json_builder_end_object (b);
  if (!cli_print_json (b, &error))
    return cli_fail (error);
  return CLI_EXIT_OK;
}

int
cli_train_aspects (int argc, char **argv)
{
  g_autofree char *base = NULL, *pairs = NULL, *out = NULL;
  LkAspectTrainParams params;
  GOptionEntry entries[] = {
    { "base", 0, 0, G_OPTION_ARG_STRING, &base, "The model to start from: hub id or folder", "M" },
    { "pairs", 0, 0, G_OPTION_ARG_FILENAME, &pairs, "TSV of pairs: text_a, text_b, one score column per aspect (header names them)", "FILE" },
    { "builtin-metrics", 0, 0, G_OPTION_ARG_NONE, &params.builtin, "Targets from the built-in surface metrics (negation, quantity, named entities, content words)", NULL },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The model folder to write (must not exist)", "DIR" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &params.epochs, "Epochs (default 2)", "E" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &params.batch_size, "Pairs per batch (default 64)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &params.lr, "Peak learning rate of AdamW (default 2e-5)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &params.warmup_steps, "Linear warm-up steps (default 100)", "N" },
    { "eval-steps", 0, 0, G_OPTION_ARG_INT, &params.eval_steps, "Also evaluate and checkpoint every K steps (default: each epoch)", "K" },
    { "aspect-dim", 0, 0, G_OPTION_ARG_INT, &params.aspect_dim, "Dimensions per aspect (default 16)", "K" },
    { "max-pairs", 0, 0, G_OPTION_ARG_INT, &params.max_pairs, "Use the first K pairs only", "K" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &params.resume, "Insist on resuming from OUT.checkpoint (re-running the same command resumes anyway)", NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  LkModelOptions mo;
  guint sig;
  Train t = { 0 };

  /* The options start from core's defaults (the help texts say them). */
  lk_aspect_train_params_init (&params);
  if (!cli_parse ("train-aspects", "--base M --pairs FILE --out DIR",
                  "Trains an aspect space (S3BERT metric distillation): the first n × k dimensions of the embedding "
                  "learn one aspect each, the rest stays consistent with the base model.",
                  entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 1 || base == NULL || pairs == NULL || out == NULL)
    return cli_usage ("train-aspects", "expected --base M, --pairs FILE and --out DIR, and no other argument");
  params.base = base;
  params.pairs = pairs;
  params.out = out;
  lk_model_options_init_from_env (&mo);
  params.device = mo.device;
  params.n_threads = mo.n_threads;
  cancellable = g_cancellable_new ();
  t.loop = loop = g_main_loop_new (NULL, FALSE);
  t.t0 = g_get_monotonic_time ();
  t.first_step = -1;
  t.line = cli_progress_new ("train-aspects", "steps");
  sig = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  lk_aspects_train_async (&params, on_train_progress, &t, cancellable, on_trained, &t);
  g_main_loop_run (loop);
  g_source_remove (sig);
  g_clear_pointer (&t.line, cli_progress_free);
  if (!t.ok)
    return cli_fail (t.error);
  if (cli_format () == CLI_FORMAT_JSON)
    return print_train_json (&t, out);
  g_print ("out=%s\nsteps=%ld\nresumed_from_step=%d\nbest_step=%ld\nbest_score=%.6f\n"
           "aspect_loss_first=%.6f\naspect_loss_last=%.6f\nconsistency_loss_first=%.6f\nconsistency_loss_last=%.6f\n"
           "seconds=%.1f\n",
           out, t.result.steps_done + t.result.resumed_from_step, t.result.resumed_from_step, t.result.best_step,
           t.result.best_score, t.result.first_aspect_loss, t.result.last_aspect_loss,
           t.result.first_consistency_loss, t.result.last_consistency_loss, (g_get_monotonic_time () - t.t0) / 1e6);
  return CLI_EXIT_OK;
}
