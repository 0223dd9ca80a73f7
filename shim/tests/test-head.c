/* test-head.c — lk_shim_train_aspect_head on synthetic embeddings whose
 * aspect targets are cosines in a hidden rotated subspace: the head finds
 * it (far below the base dims' error), Q is orthogonal, and bad arguments,
 * non-finite embeddings and an abort are refused with their codes. */
#include <math.h>

#include "likeness-shim.h"
#include "shim-test.h"

enum { DIM = 24, N_ASPECTS = 2, K = 3, N_PAIRS = 400, N_DEV = 40 };

static float a[N_PAIRS * DIM], b[N_PAIRS * DIM], targets[N_PAIRS * N_ASPECTS], hidden[DIM * DIM];

/* A random orthogonal matrix: Gram–Schmidt of random rows. */
static void
random_rotation (float *r, uint64_t *state)
{
  for (int i = 0; i < DIM; i++)
    {
      for (int d = 0; d < DIM; d++)
        r[i * DIM + d] = lk_test_rand (state);
      for (int j = 0; j < i; j++)
        {
          double dot = 0;
          for (int d = 0; d < DIM; d++)
            dot += r[i * DIM + d] * r[j * DIM + d];
          for (int d = 0; d < DIM; d++)
            r[i * DIM + d] -= (float) dot * r[j * DIM + d];
        }
      double norm = 0;
      for (int d = 0; d < DIM; d++)
        norm += r[i * DIM + d] * r[i * DIM + d];
      for (int d = 0; d < DIM; d++)
        r[i * DIM + d] /= (float) sqrt (norm);
    }
}

static double
sub_cos (const float *r, const float *x, const float *y, int aspect)
{
  double xy = 0, xx = 0, yy = 0;
  for (int c = aspect * K; c < (aspect + 1) * K; c++)
    {
      double px = 0, py = 0;
      for (int d = 0; d < DIM; d++)
        {
          px += r[c * DIM + d] * x[d];
          py += r[c * DIM + d] * y[d];
        }
      xy += px * py;
      xx += px * px;
      yy += py * py;
    }
  return xy / sqrt (xx * yy);
}

static int
abort_now (void *data)
{
  return 1;
}

int
main (void)
{
  uint64_t state = 42;
  static float q[DIM * DIM];
  lk_shim_head_params p;
  lk_shim_head_result r;
  lk_shim_status st;
  double worst = 0;

  random_rotation (hidden, &state);
  for (int i = 0; i < N_PAIRS * DIM; i++)
    {
      a[i] = lk_test_rand (&state);
      b[i] = 0.5f * a[i] + lk_test_rand (&state);
    }
  for (int i = 0; i < N_PAIRS; i++)
    for (int k = 0; k < N_ASPECTS; k++)
      targets[i * N_ASPECTS + k] = (float) sub_cos (hidden, a + i * DIM, b + i * DIM, k);

  lk_shim_head_default_params (&p);
  CHECK (p.epochs == 30 && p.batch_size == 128 && p.lr == 3e-3 && p.seed == 1, "defaults");
  p.n_aspects = N_ASPECTS;
  p.aspect_dim = K;
  p.epochs = 100;
  p.batch_size = 32;
  p.lr = 3e-2;
  CHECK (lk_shim_train_aspect_head (DIM, N_PAIRS - N_DEV, N_DEV, a, b, targets, &p, q, &r, &st) == 0,
         "trains (%s)", st.message);
  CHECK (r.best_dev_mse < 0.01 * r.base_dev_mse, "finds the hidden subspace: dev MSE %.4f, base dims %.4f",
         r.best_dev_mse, r.base_dev_mse);
  CHECK (r.best_epoch >= 0 && r.steps == 100L * ((N_PAIRS - N_DEV + 31) / 32), "steps and best epoch");
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++)
      {
        double dot = 0;
        for (int d = 0; d < DIM; d++)
          dot += (double) q[i * DIM + d] * q[j * DIM + d];
        worst = fmax (worst, fabs (dot - (i == j)));
      }
  CHECK (worst < 1e-6 && fabs (worst - r.orthogonality) < 1e-9, "Q is orthogonal: %.3g", worst);

  p.aspect_dim = 13;  /* 2 × 13 > 24 */
  CHECK (lk_shim_train_aspect_head (DIM, N_PAIRS - N_DEV, N_DEV, a, b, targets, &p, q, &r, &st) != 0 &&
         st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "2 aspects × 13 dims"), "a layout too wide: %s",
         st.message);
  p.aspect_dim = K;
  a[5 * DIM + 3] = NAN;
  CHECK (lk_shim_train_aspect_head (DIM, N_PAIRS - N_DEV, N_DEV, a, b, targets, &p, q, &r, &st) != 0 &&
         st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "pair 6"), "a non-finite embedding: %s", st.message);
  a[5 * DIM + 3] = 0;
  p.abort = abort_now;
  CHECK (lk_shim_train_aspect_head (DIM, N_PAIRS - N_DEV, N_DEV, a, b, targets, &p, q, &r, &st) != 0 &&
         st.code == LK_SHIM_ERROR_CANCELLED, "an abort stops it");
  return lk_test_done ();
}
