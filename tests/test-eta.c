/* test-eta.c — the time left that the app and the CLI show (lk-eta.h):
 * within 30 % once a tenth of the work is done, on a synthetic trace with
 * a model load before the work and on the trace of a real explanation. */
#include "config.h"

#include <math.h>

#include "lk-eta.h"
#include "lk-explain.h"
#include "lk-model.h"
#include "lk-test-utils.h"

#define S 1000000  /* µs */

/* 10 s of loading (reports of 0), then 90 s of even work. */
static void
test_synthetic (void)
{
  LkEta eta;
  gboolean checked = FALSE;

  lk_eta_init (&eta);
  for (int t = 0; t < 10; t++)
    {
      lk_eta_update (&eta, (gint64) t * S, 0);
      g_assert_true (isnan (lk_eta_seconds_left (&eta, (gint64) t * S)));
    }
  for (int i = 1; i <= 100; i++)
    {
      gint64 now = 10 * S + (gint64) (0.9 * i * S);
      double f = i / 100.0, left;
      lk_eta_update (&eta, now, f);
      left = lk_eta_seconds_left (&eta, now);
      if (i < 3)
        g_assert_true (isnan (left));  /* under 2 % since the first report */
      if (f >= 0.1 && !checked)
        {
          double truth = 100 - now / (double) S;
          g_test_message ("synthetic: at %.0f %% %.1f s left estimated, %.1f s true "
                          "(the mean since the start would say %.1f s)",
                          100 * f, left, truth, (now / (double) S) * (1 - f) / f);
          g_assert_cmpfloat (fabs (left - truth) / truth, <, 0.3);
          checked = TRUE;
        }
    }
  g_assert_true (checked);
  g_assert_cmpfloat (lk_eta_seconds_left (&eta, 100 * S), ==, 0);
  /* a fraction that goes back (a stage starting over) is not less done */
  lk_eta_update (&eta, 101 * S, 0.5);
  g_assert_cmpfloat (eta.f_last, ==, 1);
}

typedef struct {
  GArray *t;  /* µs */
  GArray *f;
} Trace;

static void
on_progress (double fraction, gpointer data)
{
  Trace *trace = data;
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (trace->t, now);
  g_array_append_val (trace->f, fraction);
}

/* A real run: IJ with many nodes on the tiny BERT; the estimate made at
 * the first report past 10 % against the time the run then took. */
static void
test_real_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = lk_test_load_tiny ("bert");
  g_autoptr(LkExplainRequest) request = lk_explain_request_new (LK_METHOD_IJ);
  g_autoptr(LkExplanation) x = NULL;
  Trace trace = { g_array_new (FALSE, FALSE, sizeof (gint64)), g_array_new (FALSE, FALSE, sizeof (double)) };
  gint64 start, end;
  LkEta eta;
  guint at = 0;
  double left, truth;

  g_assert_no_error (error);
  lk_explain_request_set_texts (request,
                                "The weather is lovely today, with a clear blue sky over the old harbour and a light "
                                "breeze from the sea, children playing on the beach.",
                                "It is a beautiful sunny day in the small coastal town: the sky is clear, the wind is "
                                "soft, families walk along the shore.");
  g_assert_true (lk_explain_request_set (request, LK_PARAM_STEPS, 1000, &error));
  g_assert_true (lk_explain_request_set (request, LK_PARAM_QUADRATURE, 0, &error));
  start = g_get_monotonic_time ();
  x = lk_explain (model, request, on_progress, &trace, NULL, &error);
  end = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_assert_nonnull (x);
  g_assert_cmpuint (trace.f->len, >, 20);

  lk_eta_init (&eta);
  for (at = 0; at < trace.f->len; at++)
    {
      lk_eta_update (&eta, g_array_index (trace.t, gint64, at), g_array_index (trace.f, double, at));
      if (g_array_index (trace.f, double, at) >= 0.1 &&
          isfinite (lk_eta_seconds_left (&eta, g_array_index (trace.t, gint64, at))))
        break;
    }
  g_assert_cmpuint (at, <, trace.f->len);
  left = lk_eta_seconds_left (&eta, g_array_index (trace.t, gint64, at));
  truth = (end - g_array_index (trace.t, gint64, at)) / 1e6;
  g_test_message ("IJ, 1000 nodes, tiny BERT: %.2f s in all, %u reports; at %.0f %% %.2f s left estimated, "
                  "%.2f s true (error %.0f %%)", (end - start) / 1e6, trace.f->len,
                  100 * g_array_index (trace.f, double, at), left, truth, 100 * fabs (left - truth) / truth);
  g_assert_cmpfloat (fabs (left - truth) / truth, <, 0.3);
  g_array_unref (trace.t);
  g_array_unref (trace.f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eta/synthetic", test_synthetic);
  g_test_add_func ("/eta/real-run", test_real_run);
  return g_test_run ();
}
