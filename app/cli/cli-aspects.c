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

static void
on_head_progress (const lk_shim_head_progress *p, gpointer data)
{
  gint64 *t0 = data;

  g_printerr ("epoch %d/%d step %ld/%ld train_loss=%.6f dev_aspect_mse=%.6f%s %.1fs\n", p->epoch + 1, p->n_epochs,
              p->step, p->n_steps, p->train_loss, p->dev_aspect_mse, p->best ? " (best)" : "",
              (g_get_monotonic_time () - *t0) / 1e6);
}

/* The options as given: -1 (0.0 for the learning rate) when not, so that
 * each trainer's own defaults apply. */
typedef struct {
  int    epochs, batch, warmup, eval_steps, aspect_dim, max_pairs;
  double lr;
} TrainOptions;

static int
train_head (char **pairs, const char *split, const char *base, const char *out, gboolean builtin,
            const TrainOptions *t)
{
  LkAspectHeadTrainParams params;
  LkAspectHeadTrainResult result;
  g_autoptr(GError) error = NULL;
  LkModelOptions mo;
  gint64 t0 = g_get_monotonic_time ();

  lk_aspect_head_train_params_init (&params);
  params.base = base;
  params.pairs = (const char * const *) pairs;
  params.split = split;
  params.builtin = builtin;
  params.out = out;
  if (t->epochs >= 0)
    params.epochs = t->epochs;
  if (t->batch >= 0)
    params.batch_size = t->batch;
  if (t->lr != 0)
    params.lr = t->lr;
  if (t->aspect_dim >= 0)
    params.aspect_dim = t->aspect_dim;
  if (t->max_pairs >= 0)
    params.max_pairs = t->max_pairs;
  lk_model_options_init_from_env (&mo);
  params.device = mo.device;
  params.n_threads = mo.n_threads;
  /* In this thread, without a main loop: Ctrl+C ends the process as it
   * would any, and the head file is written atomically at the very end,
   * so nothing half-made is left (there is nothing to resume either). */
  if (!lk_aspect_head_train (&params, on_head_progress, &t0, NULL, &result, &error))
    return cli_fail (g_steal_pointer (&error));
  if (cli_format () == CLI_FORMAT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      GError *json_error = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "out");
      json_builder_add_string_value (b, out);
      json_builder_set_member_name (b, "train_pairs");
      json_builder_add_int_value (b, result.n_train);
      json_builder_set_member_name (b, "dev_pairs");
      json_builder_add_int_value (b, result.n_dev);
      json_builder_set_member_name (b, "steps");
      json_builder_add_int_value (b, result.shim.steps);
      json_builder_set_member_name (b, "best_epoch");
      json_builder_add_int_value (b, result.shim.best_epoch + 1);
      json_builder_set_member_name (b, "base_dev_aspect_mse");
      json_builder_add_double_value (b, result.shim.base_dev_mse);
      json_builder_set_member_name (b, "dev_aspect_mse");
      json_builder_add_double_value (b, result.shim.best_dev_mse);
      json_builder_set_member_name (b, "orthogonality");
      json_builder_add_double_value (b, result.shim.orthogonality);
      json_builder_set_member_name (b, "embed_seconds");
      json_builder_add_double_value (b, result.embed_seconds);
      json_builder_set_member_name (b, "train_seconds");
      json_builder_add_double_value (b, result.train_seconds);
      json_builder_end_object (b);
      if (!cli_print_json (b, &json_error))
        return cli_fail (json_error);
      return CLI_EXIT_OK;
    }
  g_print ("out=%s\ntrain_pairs=%u\ndev_pairs=%u\nsteps=%ld\nbest_epoch=%d\nbase_dev_aspect_mse=%.6f\n"
           "dev_aspect_mse=%.6f\northogonality=%.3g\nembed_seconds=%.1f\ntrain_seconds=%.1f\n",
           out, result.n_train, result.n_dev, result.shim.steps, result.shim.best_epoch + 1, result.shim.base_dev_mse,
           result.shim.best_dev_mse, result.shim.orthogonality, result.embed_seconds, result.train_seconds);
  return CLI_EXIT_OK;
}

int
cli_train_aspects (int argc, char **argv)
{
  g_autofree char *base = NULL, *out = NULL, *split = NULL;
  g_auto(GStrv) pairs = NULL;
  gboolean head = FALSE;
  LkAspectTrainParams params;
  TrainOptions t = { -1, -1, -1, -1, -1, -1, 0 };
  GOptionEntry entries[] = {
    { "base", 0, 0, G_OPTION_ARG_STRING, &base, "The model to start from: hub id or folder", "M" },
    { "pairs", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &pairs, "TSV of pairs: text_a, text_b, one score column per aspect (header names them); with --head repeatable", "FILE" },
    { "builtin-metrics", 0, 0, G_OPTION_ARG_NONE, &params.builtin, "Targets from the built-in surface metrics (negation, quantity, named entities, content words)", NULL },
    { "head", 0, 0, G_OPTION_ARG_NONE, &head, "Train an aspect head (an orthogonal map over the frozen model's embeddings, seconds to minutes) instead of fine-tuning; --out names the head file (.safetensors)", NULL },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "With --head and --builtin-metrics: only this split of a SICK.txt pairs file (TRAIN, TRIAL, TEST)", "NAME" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The model folder to write (must not exist); with --head the head file", "DIR" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &t.epochs, "Epochs (default 2; with --head 30)", "E" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &t.batch, "Pairs per batch (default 64; with --head 128)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &t.lr, "Peak learning rate of AdamW (default 2e-5; with --head Adam's, 3e-3)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &t.warmup, "Linear warm-up steps (default 100)", "N" },
    { "eval-steps", 0, 0, G_OPTION_ARG_INT, &t.eval_steps, "Also evaluate and checkpoint every K steps (default: each epoch)", "K" },
    { "aspect-dim", 0, 0, G_OPTION_ARG_INT, &t.aspect_dim, "Dimensions per aspect (default 16)", "K" },
    { "max-pairs", 0, 0, G_OPTION_ARG_INT, &t.max_pairs, "Use the first K pairs only", "K" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &params.resume, "Insist on resuming from OUT.checkpoint (re-running the same command resumes anyway)", NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  LkModelOptions mo;
  guint sig;
  Train tr = { 0 };

  /* The options start from core's defaults (the help texts say them). */
  lk_aspect_train_params_init (&params);
  if (!cli_parse ("train-aspects", "--base M --pairs FILE --out DIR",
                  "Trains an aspect space (S3BERT metric distillation): the first n × k dimensions of the embedding "
                  "learn one aspect each, the rest stays consistent with the base model. With --head, an orthogonal "
                  "map over the frozen model's embeddings learns them instead, and every cosine stays exactly the "
                  "model's.",
                  entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 1 || base == NULL || pairs == NULL || out == NULL)
    return cli_usage ("train-aspects", "expected --base M, --pairs FILE and --out DIR, and no other argument");
  if (head && (params.resume || t.warmup >= 0 || t.eval_steps >= 0))
    return cli_usage ("train-aspects", "--resume, --warmup and --eval-steps are for fine-tuning, not --head (a head "
                                       "trains in seconds to minutes)");
  if (head && split && !params.builtin)
    return cli_usage ("train-aspects", "--split picks rows of a SICK.txt file: it needs --builtin-metrics");
  if (head)
    return train_head (pairs, split, base, out, params.builtin, &t);
  if (g_strv_length (pairs) != 1 || split)
    return cli_usage ("train-aspects", "fine-tuning takes one --pairs file and no --split (several are for --head)");
  if (t.epochs >= 0)
    params.epochs = t.epochs;
  if (t.batch >= 0)
    params.batch_size = t.batch;
  if (t.lr != 0)
    params.lr = t.lr;
  if (t.warmup >= 0)
    params.warmup_steps = t.warmup;
  if (t.eval_steps >= 0)
    params.eval_steps = t.eval_steps;
  if (t.aspect_dim >= 0)
    params.aspect_dim = t.aspect_dim;
  if (t.max_pairs >= 0)
    params.max_pairs = t.max_pairs;
  params.base = base;
  params.pairs = pairs[0];
  params.out = out;
  lk_model_options_init_from_env (&mo);
  params.device = mo.device;
  params.n_threads = mo.n_threads;
  cancellable = g_cancellable_new ();
  tr.loop = loop = g_main_loop_new (NULL, FALSE);
  tr.t0 = g_get_monotonic_time ();
  tr.first_step = -1;
  tr.line = cli_progress_new ("train-aspects", "steps");
  sig = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  lk_aspects_train_async (&params, on_train_progress, &tr, cancellable, on_trained, &tr);
  g_main_loop_run (loop);
  g_source_remove (sig);
  g_clear_pointer (&tr.line, cli_progress_free);
  if (!tr.ok)
    return cli_fail (tr.error);
  if (cli_format () == CLI_FORMAT_JSON)
    return print_train_json (&tr, out);
  g_print ("out=%s\nsteps=%ld\nresumed_from_step=%d\nbest_step=%ld\nbest_score=%.6f\n"
           "aspect_loss_first=%.6f\naspect_loss_last=%.6f\nconsistency_loss_first=%.6f\nconsistency_loss_last=%.6f\n"
           "seconds=%.1f\n",
           out, tr.result.steps_done + tr.result.resumed_from_step, tr.result.resumed_from_step, tr.result.best_step,
           tr.result.best_score, tr.result.first_aspect_loss, tr.result.last_aspect_loss,
           tr.result.first_consistency_loss, tr.result.last_consistency_loss, (g_get_monotonic_time () - tr.t0) / 1e6);
  return CLI_EXIT_OK;
}
