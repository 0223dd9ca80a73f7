/* bench-cancel.c — how long an explanation takes to stop once cancelled.
 *
 *   bench-cancel MODEL METHOD TEXT_A TEXT_B DELAY_MS...
 *
 * For each delay: lk_explain() runs in a worker thread (IJ with 50
 * right-Riemann nodes, or the METHOD's defaults), the main thread cancels it
 * after DELAY_MS and measures the time from g_cancellable_cancel() to
 * lk_explain() returning (which it must, with G_IO_ERROR_CANCELLED). Prints
 * one JSON line with every latency and the worst. Threads:
 * $LIKENESS_THREADS. Built and run by tests/bench/run cancel. */
#include <stdio.h>
#include <stdlib.h>

#include "lk-methods.h"

typedef struct {
  LkModel         *model;
  const char      *a, *b;
  LkExplainParams  params;
  GCancellable    *cancellable;
  gint64           ended;
  gboolean         cancelled;
  char            *message;
} Run;

static gpointer
worker (gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_explain_pair (run->model, run->a, run->b, &run->params, NULL, NULL,
                                           run->cancellable, &error);

  run->ended = g_get_monotonic_time ();
  run->cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (error != NULL && !run->cancelled)
    run->message = g_strdup (error->message);
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  LkModelOptions opts;
  LkMethod method;
  double worst = 0;

  if (argc < 6 || !lk_method_from_string (argv[2], &method))
    {
      fprintf (stderr, "usage: %s MODEL ij|bilrp|hxp TEXT_A TEXT_B DELAY_MS...\n", argv[0]);
      return 2;
    }
  lk_model_options_init_from_env (&opts);
  if ((model = lk_model_new (argv[1], &opts, &error)) == NULL)
    g_error ("%s", error->message);

  g_string_append_printf (out, "{\"model\": \"%s\", \"method\": \"%s\", \"runs\": [", argv[1], argv[2]);
  for (int i = 5; i < argc; i++)
    {
      Run run = { model, argv[3], argv[4], { 0 }, g_cancellable_new (), 0, FALSE, NULL };
      GThread *thread;
      gint64 cancel_at;
      double latency;

      lk_explain_params_init (&run.params, method);
      if (method == LK_METHOD_IJ)
        {
          run.params.quadrature = LK_QUADRATURE_RIEMANN;
          run.params.steps = 50;
        }
      thread = g_thread_new ("explain", worker, &run);
      g_usleep ((gulong) atoi (argv[i]) * 1000);
      cancel_at = g_get_monotonic_time ();
      g_cancellable_cancel (run.cancellable);
      g_thread_join (thread);
      if (run.message != NULL)
        g_error ("%s", run.message);
      if (!run.cancelled)
        g_error ("the run ended before the cancel at %s ms: give a shorter delay", argv[i]);
      latency = (run.ended - cancel_at) / 1e6;
      worst = MAX (worst, latency);
      g_string_append_printf (out, "%s{\"delay_ms\": %s, \"latency_s\": %.4f}", i > 5 ? ", " : "", argv[i], latency);
      g_object_unref (run.cancellable);
    }
  g_string_append_printf (out, "], \"worst_s\": %.4f}", worst);
  printf ("%s\n", out->str);
  return 0;
}
