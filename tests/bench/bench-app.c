/* bench-app.c — the desktop app's responsiveness, measured in the real
 * window under a (headless) display:
 *
 *   first draw  time from activating win.explain (what Explain and
 *               Ctrl+Return do) to the end of the first frame painted with
 *               the new result in the visible view;
 *   stall       the longest time the main loop could not run a
 *               high-priority 1 ms timer while that explanation ran;
 *   reference   lk_explain() on the same pair, model and parameters,
 *               called directly in the same process: the compute alone.
 *
 *   bench-app MODEL METHOD TEXT_A TEXT_B TEXT_A TEXT_B [TEXT_A TEXT_B]...
 *
 * The first pair warms the app up (the model is loaded, the engine has run
 * once at that size) and is not timed; each further pair is one timed
 * repeat. A cached result would measure nothing, so every pair is explained
 * once only. Prints one line per repeat and, last,
 *   app METHOD first_draw=S.SSSs explain=S.SSSs overhead=X.XX max_stall=N.Nms
 * with the medians over the repeats (overhead = first draw / direct
 * lk_explain) and the largest stall of all repeats. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk-application.h"
#include "lk-methods.h"
#include "lk-model.h"
#include "lk-settings.h"
#include "lk-window.h"

static LkWindow *win;

/* ---- the stall probe: a 1 ms timer at high priority ---- */

static gint64 last_tick;
static gint64 max_gap;
static gint64 max_gap_at;      /* when the longest stall ended */
static gboolean trace;         /* BENCH_APP_TRACE=1: every stall over 20 ms */

static gboolean
tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick && now - last_tick > max_gap)
    {
      max_gap = now - last_tick;
      max_gap_at = now;
    }
  if (trace && last_tick && now - last_tick > 20000)
    fprintf (stderr, "  stall %.1f ms ending at %.3f s\n", (now - last_tick) / 1000.0, now / 1e6);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

/* ---- the first frame painted with the result ---- */

static LkExplanation *awaited;
static gint64 arrived_at;      /* when the window held the result */
static gint64 drawn_at;

static void
after_paint (GdkFrameClock *clock, gpointer data)
{
  LkFigureView *view;

  if (awaited == NULL || drawn_at != 0 || lk_window_get_explanation (win) != awaited)
    return;
  /* The visible view (the matrix) held the result when this frame was painted. */
  view = lk_window_get_figure_view (win, LK_VIEW_HEATMAP);
  if (lk_figure_view_get_explanation (view) == awaited)
    drawn_at = g_get_monotonic_time ();
}

static void
iterate_until (gboolean (*done) (void), double timeout)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout * G_USEC_PER_SEC);

  while (!done ())
    {
      if (g_get_monotonic_time () > end)
        {
          fprintf (stderr, "bench-app: timed out after %.0f s\n", timeout);
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_mapped (void)
{
  return gtk_widget_get_mapped (GTK_WIDGET (win));
}

static gboolean
is_idle (void)
{
  return !lk_window_get_busy (win);
}

static gboolean
is_drawn (void)
{
  LkExplanation *x = lk_window_get_explanation (win);

  if (!lk_window_get_busy (win) && lk_window_get_last_error (win))
    {
      fprintf (stderr, "bench-app: the app failed: %s\n", lk_window_get_last_error (win));
      exit (1);
    }
  if (awaited == NULL && x != NULL && !lk_window_get_busy (win) && !lk_window_get_stale (win))
    {
      awaited = x;
      arrived_at = g_get_monotonic_time ();
    }
  return drawn_at != 0;
}

static void
settle (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int
main (int argc, char *argv[])
{
  g_autoptr(LkApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = NULL;
  GSettings *settings;
  LkModelOptions options;
  LkMethod method;
  const char *model_id, *method_name;
  int repeats, n_pairs;
  double *first_draw, *direct;
  gint64 worst_gap = 0;
  GdkFrameClock *clock;

  trace = g_strcmp0 (g_getenv ("BENCH_APP_TRACE"), "1") == 0;
  if (argc < 7 || (argc - 3) % 2 != 0)
    {
      fprintf (stderr, "usage: bench-app MODEL METHOD TEXT_A TEXT_B TEXT_A TEXT_B [TEXT_A TEXT_B]...\n");
      return 2;
    }
  model_id = argv[1];
  method_name = argv[2];
  n_pairs = (argc - 3) / 2;
  repeats = n_pairs - 1;
  if (!lk_method_from_string (method_name, &method))
    {
      fprintf (stderr, "bench-app: unknown method %s\n", method_name);
      return 2;
    }
  first_draw = g_new0 (double, repeats);
  direct = g_new0 (double, repeats);

  gtk_init ();
  app = lk_application_new (APPLICATION_ID ".Bench", G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    {
      fprintf (stderr, "bench-app: %s\n", error->message);
      return 1;
    }
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  settings = lk_settings_get_gsettings (lk_settings_get_default ());
  g_settings_set_string (settings, "model", model_id);
  g_settings_set_string (settings, "method", method_name);

  win = lk_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (win), 1180, 760);
  gtk_window_present (GTK_WINDOW (win));
  iterate_until (is_mapped, 30);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (win));
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint), NULL);

  /* Warm-up: the model is loaded once per app; this run is not timed. */
  lk_input_pane_set_text (lk_window_get_input_pane (win), 0, argv[3]);
  lk_input_pane_set_text (lk_window_get_input_pane (win), 1, argv[4]);
  gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL);
  iterate_until (is_idle, 600);
  lk_window_set_visible_view (win, "matrix");
  settle (0.5);

  /* The same model for the direct runs, loaded as the app loads it. */
  options = lk_settings_get_model_options (lk_settings_get_default ());
  model = lk_model_new (model_id, &options, &error);
  if (model == NULL)
    {
      fprintf (stderr, "bench-app: %s\n", error->message);
      return 1;
    }

  for (int r = 0; r < repeats; r++)
    {
      const char *a = argv[5 + 2 * r], *b = argv[6 + 2 * r];
      LkExplainParams params;
      g_autoptr(LkExplanation) x = NULL;
      gint64 t0;
      guint probe;

      lk_input_pane_set_text (lk_window_get_input_pane (win), 0, a);
      lk_input_pane_set_text (lk_window_get_input_pane (win), 1, b);
      settle (0.3);

      awaited = NULL;
      drawn_at = 0;
      last_tick = 0;
      max_gap = 0;
      probe = g_timeout_add_full (G_PRIORITY_HIGH, 1, tick, NULL, NULL);
      t0 = g_get_monotonic_time ();
      gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL);
      iterate_until (is_drawn, 600);
      first_draw[r] = (drawn_at - t0) / 1e6;
      if (trace)
        fprintf (stderr, "  explain at %.3f s, result at %.3f s, drawn at %.3f s\n",
                 t0 / 1e6, arrived_at / 1e6, drawn_at / 1e6);
      g_source_remove (probe);
      /* the timer's own period is not a stall */
      max_gap = MAX (0, max_gap - 1000);
      worst_gap = MAX (worst_gap, max_gap);

      /* The same explanation called directly (the parameters the app used). */
      lk_explain_params_init (&params, method);
      {
        JsonObject *p = lk_explanation_get_params (awaited);
        if (json_object_has_member (p, "layer"))
          params.layer = json_object_get_int_member (p, "layer");
        if (json_object_has_member (p, "steps"))
          params.steps = json_object_get_int_member (p, "steps");
      }
      t0 = g_get_monotonic_time ();
      x = lk_explain_pair (model, a, b, &params, NULL, NULL, NULL, &error);
      if (x == NULL)
        {
          fprintf (stderr, "bench-app: %s\n", error->message);
          return 1;
        }
      direct[r] = (g_get_monotonic_time () - t0) / 1e6;
      printf ("repeat %d: first_draw=%.3fs explain=%.3fs max_stall=%.1fms (%u + %u tokens)\n",
              r + 1, first_draw[r], direct[r], max_gap / 1000.0,
              lk_explanation_get_n_tokens (awaited, 0), lk_explanation_get_n_tokens (awaited, 1));
      fflush (stdout);
      settle (0.2);
    }

  {
    double fd = median (first_draw, repeats), ex = median (direct, repeats);
    printf ("app %s first_draw=%.3fs explain=%.3fs overhead=%.2f max_stall=%.1fms\n",
            method_name, fd, ex, fd / ex, worst_gap / 1000.0);
  }
  gtk_window_destroy (GTK_WINDOW (win));
  settle (0.3);
  g_free (first_draw);
  g_free (direct);
  return 0;
}
