/* lk-eta.c — see lk-eta.h. */
#include "config.h"

#include <math.h>

#include "lk-eta.h"

/* before both, the rate is noise: one batch, one scheduler slice */
#define MIN_FRACTION 0.02
#define MIN_SECONDS  0.5

void
lk_eta_init (LkEta *eta)
{
  g_return_if_fail (eta != NULL);
  *eta = (LkEta) { FALSE, 0, 0, 0, 0 };
}

void
lk_eta_update (LkEta *eta, gint64 now, double fraction)
{
  g_return_if_fail (eta != NULL);
  if (!(fraction > 0))
    return;
  fraction = MIN (fraction, 1);
  if (!eta->started)
    {
      eta->started = TRUE;
      eta->t0 = eta->t_last = now;
      eta->f0 = eta->f_last = fraction;
      return;
    }
  if (fraction < eta->f_last)
    return;  /* a stage that starts over is not less work done */
  eta->t_last = now;
  eta->f_last = fraction;
}

double
lk_eta_seconds_left (const LkEta *eta, gint64 now)
{
  double done, seconds, left;

  g_return_val_if_fail (eta != NULL, NAN);
  if (!eta->started)
    return NAN;
  done = eta->f_last - eta->f0;
  seconds = (eta->t_last - eta->t0) / 1e6;
  if (done < MIN_FRACTION || seconds < MIN_SECONDS)
    return NAN;
  /* at the last report's rate, less what has passed since it */
  left = (1 - eta->f_last) * seconds / done - (now - eta->t_last) / 1e6;
  return MAX (left, 0);
}
