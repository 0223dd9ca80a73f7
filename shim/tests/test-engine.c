/* test-engine.c — the contribution engine: forward and reverse mode agree,
 * BiLRP conserves exactly with zero biases, IJ's path integral is complete,
 * Gauss–Legendre converges faster than the Riemann sum, bad input is refused. */
#include "shim-test-model.h"

#include <math.h>

enum { S = 7 };

static const int32_t ids[S] = { 2, 7, 9, 11, 13, 17, 3 };
static const int32_t ref[S] = { 2, 1, 1, 1, 1, 1, 3 };

static double
rel_diff (const float *a, const float *b, int n)
{
  double num = 0, den = 0;
  for (int i = 0; i < n; i++)
    {
      num = fmax (num, fabs (a[i] - b[i]));
      den = fmax (den, fabs (b[i]));
    }
  return num / fmax (den, 1e-12);
}

/* max_d |Σ_i U[d,i] − target[d]| / max_d |target[d]| */
static double
completeness (const float *u, const float *target, int d)
{
  double num = 0, den = 0;
  for (int k = 0; k < d; k++)
    {
      double s = 0;
      for (int i = 0; i < S; i++)
        s += u[k * S + i];
      num = fmax (num, fabs (s - target[k]));
      den = fmax (den, fabs (target[k]));
    }
  return num / fmax (den, 1e-12);
}

static int
contrib (lk_shim_model *m, const int32_t *x, int n, const lk_shim_contrib_params *p, float *u, float *e, float *er,
         lk_shim_status *st)
{
  lk_shim_contrib_input in = { .tower = LK_SHIM_TOWER_TEXT, .ids = x, .n_tokens = n };
  lk_shim_contrib_output out = { .u = u, .e = e, .e_ref = er };
  return lk_shim_contributions (m, &in, p, &out, st);
}

static int
run (lk_shim_model *m, lk_shim_contrib_params *p, float *u, float *e, float *er)
{
  lk_shim_status st;
  int rc = contrib (m, ids, S, p, u, e, er, &st);
  if (rc != 0)
    printf ("# %s\n", st.message);
  return rc;
}

static int stop_now (void *ud) { (void) ud; return 1; }

static void
check_arch (lk_shim_arch arch, const char *label, const char *dir)
{
  char *path = write_model (arch, dir, label);
  lk_shim_model_params mp;
  lk_shim_status st;
  params_for (&mp, arch, path);
  lk_shim_model *m = lk_shim_model_load (&mp, &st);
  free (path);
  CHECK (m != NULL, "%s: loads (%s)", label, st.message);
  if (!m)
    return;

  float uf[H * S], ur[H * S], e[H], er[H], diff[H];
  lk_shim_contrib_params p;

  /* H×P at the embedding output: forward and reverse mode agree. */
  lk_shim_contrib_default_params (&p);
  p.mode = LK_SHIM_AD_FORWARD;
  CHECK (run (m, &p, uf, e, er) == 0, "%s: H×P forward mode runs", label);
  p.mode = LK_SHIM_AD_REVERSE;
  CHECK (run (m, &p, ur, e, er) == 0, "%s: H×P reverse mode runs", label);
  double d = rel_diff (uf, ur, H * S);
  CHECK (d < 1e-5, "%s: forward and reverse U agree (rel %.2g)", label, d);

  /* BiLRP with zero biases conserves: Σ_i U[d,i] = e_d. */
  lk_shim_contrib_default_params (&p);
  p.graph = LK_SHIM_GRAPH_LRP;
  p.zero_biases = 1;
  run (m, &p, uf, e, er);
  d = completeness (uf, e, H);
  CHECK (d < 1e-4, "%s: BiLRP zero-bias conservation (rel %.2g)", label, d);
  p.mode = LK_SHIM_AD_REVERSE;
  run (m, &p, ur, e, er);
  CHECK (rel_diff (uf, ur, H * S) < 1e-5, "%s: BiLRP forward = reverse", label);
  p.zero_biases = 0;
  p.mode = LK_SHIM_AD_AUTO;
  run (m, &p, uf, e, er);
  printf ("# %s: BiLRP conservation gap with biases kept: %.3g\n", label, completeness (uf, e, H));

  /* IJ at layer 1 from the reference: Σ_i U = e(x) − e(r) as N grows. */
  double err_r50, err_g8;
  lk_shim_contrib_default_params (&p);
  p.layer = 1;
  p.reference_ids = ref;
  p.n_steps = 50;
  run (m, &p, uf, e, er);
  for (int k = 0; k < H; k++)
    diff[k] = e[k] - er[k];
  err_r50 = completeness (uf, diff, H);
  p.quadrature = LK_SHIM_QUAD_GAUSS;
  p.n_steps = 8;
  run (m, &p, uf, e, er);
  err_g8 = completeness (uf, diff, H);
  p.n_steps = 32;
  run (m, &p, uf, e, er);
  double err_g32 = completeness (uf, diff, H);
  printf ("# %s: IJ completeness error: Riemann 50 %.3g, Gauss 8 %.3g, Gauss 32 %.3g\n", label, err_r50, err_g8, err_g32);
  CHECK (err_g32 < 1e-3, "%s: IJ is complete with 32 Gauss nodes (%.2g)", label, err_g32);
  CHECK (err_g8 < err_r50, "%s: 8 Gauss nodes beat 50 Riemann steps", label);
  p.n_steps = 5;
  p.mode = LK_SHIM_AD_FORWARD;
  run (m, &p, uf, e, er);
  p.mode = LK_SHIM_AD_REVERSE;
  p.max_batch = 2;  /* several node batches */
  run (m, &p, ur, e, er);
  d = rel_diff (uf, ur, H * S);
  CHECK (d < 1e-5, "%s: IJ forward = reverse (rel %.2g)", label, d);

  /* Bad input and cancelling. */
  lk_shim_contrib_default_params (&p);
  p.layer = LAYERS + 1;
  CHECK (contrib (m, ids, S, &p, uf, NULL, NULL, &st) != 0 && strstr (st.message, "out of range"),
         "%s: layer out of range (%s)", label, st.message);
  lk_shim_contrib_default_params (&p);
  p.reference_ids = ref;
  p.n_steps = 0;
  CHECK (contrib (m, ids, S, &p, uf, NULL, NULL, &st) != 0 && strstr (st.message, "steps"),
         "%s: zero steps (%s)", label, st.message);
  lk_shim_contrib_default_params (&p);
  CHECK (contrib (m, ids, 0, &p, uf, NULL, NULL, &st) != 0 && st.code == LK_SHIM_ERROR_INVALID,
         "%s: no tokens (%s)", label, st.message);
  p.abort = stop_now;
  CHECK (contrib (m, ids, S, &p, uf, NULL, NULL, &st) != 0 && st.code == LK_SHIM_ERROR_CANCELLED,
         "%s: cancels", label);
  p.abort = NULL;
  CHECK (contrib (m, ids, S, &p, uf, NULL, NULL, &st) == 0, "%s: runs again after a cancel", label);

  /* An encoder's one tower is the text tower. */
  CHECK (lk_shim_model_num_layers_of (m, LK_SHIM_TOWER_TEXT) == LAYERS && lk_shim_model_num_layers (m) == LAYERS
         && lk_shim_model_num_layers_of (m, LK_SHIM_TOWER_IMAGE) == 0, "%s: %d text layers, no vision tower", label, LAYERS);
  float pixels[3 * 4 * 4] = { 0 };
  lk_shim_contrib_input in = { .tower = LK_SHIM_TOWER_IMAGE, .pixels = pixels, .n_tokens = 17 };
  lk_shim_contrib_output out = { .u = uf };
  int rc = lk_shim_contributions (m, &in, &p, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_UNSUPPORTED && strstr (st.message, "vision tower"),
         "%s: no image contributions (%s)", label, st.message);
  in = (lk_shim_contrib_input) { .tower = (lk_shim_tower) 7, .ids = ids, .n_tokens = S };
  rc = lk_shim_contributions (m, &in, &p, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_UNSUPPORTED, "%s: an unknown tower (%s)", label, st.message);
  in = (lk_shim_contrib_input) { .tower = LK_SHIM_TOWER_TEXT, .n_tokens = S };
  rc = lk_shim_contributions (m, &in, &p, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_INVALID, "%s: no ids (%s)", label, st.message);
  in.ids = ids;
  out.mode_used = LK_SHIM_AD_AUTO;
  rc = lk_shim_contributions (m, &in, &p, &out, &st);
  CHECK (rc == 0 && out.mode_used == LK_SHIM_AD_FORWARD, "%s: auto takes forward mode for %d tokens < %d dimensions",
         label, S, H);

  float hs[S * H];
  CHECK (lk_shim_hidden_states (m, ids, S, LAYERS, hs, &st) == 0, "%s: hidden states", label);
  lk_shim_model_free (m);
}

int
main (void)
{
  char dir[] = "/tmp/lk-engine-test-XXXXXX";
  if (!mkdtemp (dir))
    {
      printf ("Bail out! cannot make the folder %s\n", dir);
      return 1;
    }
  check_arch (LK_SHIM_ARCH_BERT, "bert", dir);
  check_arch (LK_SHIM_ARCH_MPNET, "mpnet", dir);
  check_arch (LK_SHIM_ARCH_XLMR, "xlmr", dir);
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", dir);
  return lk_test_done ();
}
