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
  LkAspectTrainParams  params;
  GCancellable        *cancellable;
  GMainLoop           *loop;
  lk_shim_train_result result;
  GError              *error;
  gboolean             ok;
  gint64               t0;
} Train;

static void
on_train_progress (const lk_shim_train_progress *p, gpointer data)
{
  Train *t = data;

  if (p->resumed)
    g_printerr ("resumed from the checkpoint at step %ld\n", p->step - 1);
  g_printerr ("epoch %d/%d step %ld/%ld aspect_loss=%.6f consistency_loss=%.6f lr=%.3g %.1fs\n", p->epoch + 1,
              p->n_epochs, p->step, p->n_steps, p->aspect_loss, p->consistency_loss, p->lr,
              (g_get_monotonic_time () - t->t0) / 1e6);
  if (p->evaluated)
    g_printerr ("dev aspect_mse=%.6f consistency_mse=%.6f score=%.6f (1 − their sum; the best is kept)\n",
                p->dev_aspect_mse, p->dev_consistency_mse, p->dev_score);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gpointer
train_thread (gpointer data)
{
  Train *t = data;

  t->ok = lk_aspects_train (&t->params, on_train_progress, t, t->cancellable, &t->result, &t->error);
  g_idle_add (quit_loop, t->loop);
  return NULL;
}

static gboolean
on_interrupt (gpointer data)
{
  Train *t = data;

  g_printerr ("interrupted: stopping after this step\n");
  g_cancellable_cancel (t->cancellable);
  return G_SOURCE_CONTINUE;
}

int
cli_train_aspects (int argc, char **argv)
{
  g_autofree char *base = NULL, *pairs = NULL, *out = NULL;
  gboolean builtin = FALSE, resume = FALSE;
  int epochs = 2, batch = 64, warmup = 100, eval_steps = 0, aspect_dim = 16, max_pairs = 0;
  double lr = 2e-5;
  GOptionEntry entries[] = {
    { "base", 0, 0, G_OPTION_ARG_STRING, &base, "The model to start from: hub id or folder", "M" },
    { "pairs", 0, 0, G_OPTION_ARG_FILENAME, &pairs, "TSV of pairs: text_a, text_b, one score column per aspect (header names them)", "FILE" },
    { "builtin-metrics", 0, 0, G_OPTION_ARG_NONE, &builtin, "Targets from the built-in surface metrics (negation, quantity, named entities, content words)", NULL },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The model folder to write (must not exist)", "DIR" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (default 2)", "E" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Pairs per batch (default 64)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate of AdamW (default 2e-5)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Linear warm-up steps (default 100)", "N" },
    { "eval-steps", 0, 0, G_OPTION_ARG_INT, &eval_steps, "Also evaluate and checkpoint every K steps (default: each epoch)", "K" },
    { "aspect-dim", 0, 0, G_OPTION_ARG_INT, &aspect_dim, "Dimensions per aspect (default 16)", "K" },
    { "max-pairs", 0, 0, G_OPTION_ARG_INT, &max_pairs, "Use the first K pairs only", "K" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Insist on resuming from OUT.checkpoint (re-running the same command resumes anyway)", NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  GThread *thread;
  guint sig;
  Train t = { 0 };

  if (!cli_parse ("train-aspects", "--base M --pairs FILE --out DIR",
                  "Trains an aspect space (S3BERT metric distillation): the first n × k dimensions of the embedding "
                  "learn one aspect each, the rest stays consistent with the base model.",
                  entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 1 || base == NULL || pairs == NULL || out == NULL)
    return cli_usage ("train-aspects", "expected --base M, --pairs FILE and --out DIR, and no other argument");
  lk_aspect_train_params_init (&t.params);
  t.params.base = base;
  t.params.pairs = pairs;
  t.params.builtin = builtin;
  t.params.out = out;
  t.params.epochs = epochs;
  t.params.batch_size = batch;
  t.params.lr = lr;
  t.params.warmup_steps = warmup;
  t.params.eval_steps = eval_steps;
  t.params.aspect_dim = aspect_dim;
  t.params.max_pairs = max_pairs;
  t.params.resume = resume;
  {
    LkModelOptions mo;
    lk_model_options_init_from_env (&mo);
    t.params.device = mo.device;
    t.params.n_threads = mo.n_threads;
  }
  t.cancellable = cancellable = g_cancellable_new ();
  t.loop = loop = g_main_loop_new (NULL, FALSE);
  t.t0 = g_get_monotonic_time ();
  sig = g_unix_signal_add (SIGINT, on_interrupt, &t);
  thread = g_thread_new ("train-aspects", train_thread, &t);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sig);
  if (!t.ok)
    return cli_fail (t.error);
  g_print ("out=%s\nsteps=%ld\nresumed_from_step=%d\nbest_step=%ld\nbest_score=%.6f\n"
           "aspect_loss_first=%.6f\naspect_loss_last=%.6f\nconsistency_loss_first=%.6f\nconsistency_loss_last=%.6f\n"
           "seconds=%.1f\n",
           out, t.result.steps_done + t.result.resumed_from_step, t.result.resumed_from_step, t.result.best_step,
           t.result.best_score, t.result.first_aspect_loss, t.result.last_aspect_loss,
           t.result.first_consistency_loss, t.result.last_consistency_loss, (g_get_monotonic_time () - t.t0) / 1e6);
  return CLI_EXIT_OK;
}
