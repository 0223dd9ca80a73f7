/* lk-eta.h — the time a job has left, from its progress fractions.
 *
 * The rate is measured from the first report of work done, not from the
 * start: what comes before it (loading a model, tokenising, the first
 * batch's warm-up) is not part of the work the fraction counts, and a
 * mean over it made a run of 1.5 minutes say "about 5 minutes" at 10 %. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean started;
  gint64   t0, t_last;  /* µs, monotonic */
  double   f0, f_last;
} LkEta;

void   lk_eta_init         (LkEta  *eta);
/* A progress report: @fraction in [0, 1] at @now (g_get_monotonic_time ()). */
void   lk_eta_update       (LkEta  *eta,
                            gint64  now,
                            double  fraction);
/* Seconds left at @now; NAN until 2 % of the work and half a second have
 * passed since the first report of work done. */
double lk_eta_seconds_left (const LkEta *eta,
                            gint64       now);

G_END_DECLS
