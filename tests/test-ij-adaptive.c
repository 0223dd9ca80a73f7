/* test-ij-adaptive.c — IJ's adaptive rule on the tiny random-weight BERT
 * (tests/golden/tiny/bert): the path derivatives add up to what U adds up
 * to; the rule reaches its tolerance or stops at the cap; what the result
 * records is what ran; it agrees with a fine fixed rule; the Gauss–Legendre
 * rules it chooses from are exact to their degree; bad values are refused. */
#include <math.h>

#include "lk-error.h"
#include "lk-explain.h"
#include "lk-methods.h"
#include "lk-model-private.h"
#include "lk-test-utils.h"

#define A "The coffee is bad."
#define B "This is not a good coffee."
/* a short text against one three times as long: the projected contraction */
#define LONG "It depends on what you want to do next, and where you want to do it, and how soon you must be there."

static LkModel *model;

static void adaptive (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_ADAPTIVE; }
static void adaptive_fine (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_ADAPTIVE; p->tolerance = 1e-5; }
static void adaptive_capped (LkExplainParams *p)
{
  p->quadrature = LK_QUADRATURE_ADAPTIVE;
  p->tolerance = 1e-7;
  p->max_steps = 3;
}
static void gauss32 (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_GAUSS; p->steps = 32; }

static double
max_difference (const LkMatrix *x, const LkMatrix *y, double *scale)
{
  double diff = 0;

  g_assert_cmpuint (x->rows, ==, y->rows);
  g_assert_cmpuint (x->cols, ==, y->cols);
  *scale = 0;
  for (guint i = 0; i < x->rows * x->cols; i++)
    {
      diff = fmax (diff, fabs (x->data[i] - y->data[i]));
      *scale = fmax (*scale, fabs (y->data[i]));
    }
  return diff;
}

/* Gauss–Legendre n on [0, 1] integrates x^k exactly (1/(k+1)) for k ≤ 2n − 1
 * and not for k = 2n (its error there, (n!)⁴/((2n+1)((2n)!)²), is 3.6e-10
 * at n = 8 and below rounding soon after). */
static void
test_rule_exact (void)
{
  for (int n = 1; n <= 20; n++)
    {
      g_autofree double *x = g_new (double, n), *w = g_new (double, n);
      lk_shim_status st;

      g_assert_cmpint (lk_shim_quadrature_rule (LK_SHIM_QUAD_GAUSS, n, x, w, &st), ==, 0);
      for (int k = 0; k <= 2 * n; k++)
        {
          double sum = 0, exact = 1.0 / (k + 1);
          for (int j = 0; j < n; j++)
            sum += w[j] * pow (x[j], k);
          if (k <= 2 * n - 1)
            g_assert_cmpfloat (fabs (sum - exact), <, 1e-13);
          else if (n <= 8)
            g_assert_cmpfloat (fabs (sum - exact), >, 1e-11);
        }
    }
}

/* Σ_k w_k ∂e/∂α(α_k) = Σ_i U[:, i]: the path derivatives predict the sum of
 * what the engine computes. */
static void
test_path_sums (void)
{
  g_autoptr(LkEncoding) enc = lk_model_tokenize_named (model, A, "text A", NULL);
  lk_shim_model *shim = lk_model_get_shim (model);
  int d = lk_model_get_dim (model), n = 6, s = (int) enc->n_tokens;
  g_autofree gint32 *ref = g_new (gint32, s);
  g_autofree double *x = g_new (double, n), *w = g_new (double, n);
  g_autofree float *edot = g_new (float, (gsize) n * d), *u = g_new (float, (gsize) d * s);
  lk_shim_contrib_input in = { .tower = LK_SHIM_TOWER_TEXT, .ids = enc->ids, .n_tokens = s };
  lk_shim_contrib_params cp;
  lk_shim_contrib_output out = { .u = u };
  lk_shim_status st;
  double diff = 0, scale = 0;
  gint32 pad = lk_tokenizer_get_special_id (lk_model_get_tokenizer (model), LK_SPECIAL_PAD);

  for (int i = 0; i < s; i++)
    ref[i] = enc->special[i] ? enc->ids[i] : pad;
  lk_shim_contrib_default_params (&cp);
  cp.layer = 1;
  cp.reference_ids = ref;
  cp.n_steps = n;
  cp.quadrature = LK_SHIM_QUAD_GAUSS;
  g_assert_cmpint (lk_shim_quadrature_rule (LK_SHIM_QUAD_GAUSS, n, x, w, &st), ==, 0);
  lk_shim_path *path = lk_shim_path_new (shim, &in, &cp, NULL, NULL, &st);

  g_assert_nonnull (path);
  g_assert_cmpint (lk_shim_path_derivatives (path, x, n, edot, &st), ==, 0);
  g_assert_cmpint (lk_shim_contributions (shim, &in, &cp, &out, &st), ==, 0);
  for (int k = 0; k < d; k++)
    {
      double colsum = 0, pred = 0;
      for (int i = 0; i < s; i++)
        colsum += u[(gsize) k * s + i];
      for (int j = 0; j < n; j++)
        pred += w[j] * edot[(gsize) j * d + k];
      diff = fmax (diff, fabs (colsum - pred));
      scale = fmax (scale, fabs (colsum));
    }
  g_test_message ("path sums against U's column sums: %.3g of %.3g", diff, scale);
  g_assert_cmpfloat (scale, >, 0);
  g_assert_cmpfloat (diff / scale, <, 1e-4);
  /* a node off the path is refused */
  x[0] = 1.5;
  g_assert_cmpint (lk_shim_path_derivatives (path, x, 1, edot, &st), !=, 0);
  g_assert_nonnull (strstr (st.message, "outside [0, 1]"));
  lk_shim_path_free (path);
}

/* What the result records is what ran: the same Gauss–Legendre rule as a
 * fixed run gives the same matrix and error; the error is within the
 * tolerance it records. */
static void
check_recorded (LkExplanation *x)
{
  JsonObject *p = lk_explanation_get_params (x);
  JsonArray *probed = json_object_get_array_member (p, "probed_steps");
  int steps = (int) json_object_get_int_member (p, "steps");
  g_autoptr(LkExplanation) fixed = NULL;
  g_autoptr(GError) error = NULL;
  LkExplainParams fp;
  double scale;

  g_assert_cmpstr (json_object_get_string_member (p, "quadrature"), ==, "adaptive");
  g_assert_cmpint (json_array_get_length (probed), >=, 1);
  lk_explain_params_init (&fp, LK_METHOD_IJ);
  fp.quadrature = LK_QUADRATURE_GAUSS;
  fp.steps = steps;
  fixed = lk_explain_pair (model, lk_explanation_get_text (x, 0), lk_explanation_get_text (x, 1), &fp, NULL, NULL,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (max_difference (lk_explanation_get_matrix (x), lk_explanation_get_matrix (fixed), &scale), ==, 0);
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_ERROR, NAN), ==,
                     lk_explanation_get_score (fixed, LK_SCORE_ERROR, NAN));
}

static void
test_reaches_tolerance (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (model, A, B, LK_METHOD_IJ, adaptive);
  JsonObject *p = lk_explanation_get_params (x);
  double err = lk_explanation_get_score (x, LK_SCORE_ERROR, NAN);
  double tol = lk_explanation_get_score (x, LK_SCORE_ERROR_TOLERANCE, NAN);
  double expected = lk_explanation_get_score (x, LK_SCORE_EXPECTED, NAN);

  g_test_message ("adaptive: %d nodes, error %.3g, tolerance %.3g", (int) json_object_get_int_member (p, "steps"),
                  err, tol);
  g_assert_cmpfloat (fabs (tol - fmax (1e-3 * fabs (expected), 1e-6)), <, 1e-12);
  g_assert_cmpfloat (err, <=, tol);
  g_assert_true (json_object_get_boolean_member (p, "tolerance_reached"));
  g_assert_cmpfloat (json_object_get_double_member (p, "tolerance"), ==, 1e-3);
  g_assert_cmpint (json_object_get_int_member (p, "max_steps"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (p, "steps"), <=, 32);
  check_recorded (x);
}

static void
test_stops_at_cap (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (model, A, B, LK_METHOD_IJ, adaptive_capped);
  JsonObject *p = lk_explanation_get_params (x);
  JsonArray *probed = json_object_get_array_member (p, "probed_steps");

  g_assert_cmpint (json_object_get_int_member (p, "steps"), ==, 3);
  g_assert_cmpint (json_array_get_int_element (probed, json_array_get_length (probed) - 1), ==, 3);
  g_assert_false (json_object_get_boolean_member (p, "tolerance_reached"));
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_ERROR, NAN), >,
                     lk_explanation_get_score (x, LK_SCORE_ERROR_TOLERANCE, NAN));
  check_recorded (x);
}

/* A tight tolerance gives the matrix of 32 Gauss–Legendre nodes. */
static void
test_agrees_with_fine_rule (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (model, A, B, LK_METHOD_IJ, adaptive_fine);
  g_autoptr(LkExplanation) y = lk_test_explain (model, A, B, LK_METHOD_IJ, gauss32);
  double scale, diff = max_difference (lk_explanation_get_matrix (x), lk_explanation_get_matrix (y), &scale);

  g_test_message ("adaptive 1e-5 (%d nodes) against Gauss 32: %.3g of %.3g",
                  (int) json_object_get_int_member (lk_explanation_get_params (x), "steps"), diff, scale);
  g_assert_cmpfloat (diff / scale, <, 1e-3);
}

/* The projected contraction (a short text against a long one) chooses the
 * same way. */
static void
test_projected (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (model, A, LONG, LK_METHOD_IJ, adaptive);
  JsonObject *p = lk_explanation_get_params (x);

  g_assert_true (json_object_has_member (p, "contraction"));
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_ERROR, NAN), <=,
                     lk_explanation_get_score (x, LK_SCORE_ERROR_TOLERANCE, NAN));
  check_recorded (x);
}

static void
test_bad_values (void)
{
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_IJ);
  g_autoptr(GError) error = NULL;
  LkExplainParams p;

  g_assert_true (lk_explain_request_set_string (r, "quadrature", "adaptive", NULL));
  g_assert_false (lk_explain_request_set_string (r, "tolerance", "0", &error));
  lk_test_assert_message (error, "tolerance: 0 is out of range");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "tolerance", "2", &error));
  lk_test_assert_message (error, "tolerance: 2 is out of range");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "max_steps", "0", &error));
  lk_test_assert_message (error, "max_steps: 0 is out of range");
  g_clear_error (&error);
  /* the C API checks what the request would */
  lk_explain_params_init (&p, LK_METHOD_IJ);
  p.quadrature = LK_QUADRATURE_ADAPTIVE;
  p.tolerance = -1;
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "tolerance -1: expected 1e-07 to 1");
  g_clear_error (&error);
  p.tolerance = 1e-3;
  p.steps = 8;
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "the adaptive rule chooses its nodes");
}

/* Progress rises to 1; a cancel during the rule's search ends the run. */
typedef struct {
  GCancellable *cancellable;
  double        last;
  gboolean      rose;
} Watch;

static void
on_progress (double f, gpointer data)
{
  Watch *w = data;

  if (f < w->last)
    w->rose = FALSE;
  w->last = f;
  if (w->cancellable && f > 0)
    g_cancellable_cancel (w->cancellable);
}

static void
test_progress_cancel (void)
{
  Watch w = { NULL, 0, TRUE };
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(GError) error = NULL;
  LkExplainParams p;

  lk_explain_params_init (&p, LK_METHOD_IJ);
  p.quadrature = LK_QUADRATURE_ADAPTIVE;
  x = lk_explain_pair (model, A, B, &p, on_progress, &w, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (w.rose);
  g_assert_cmpfloat (w.last, ==, 1.0);
  w = (Watch) { c, 0, TRUE };
  g_assert_null (lk_explain_pair (model, A, B, &p, on_progress, &w, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (w.last, <=, 0.1);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  model = lk_test_load_tiny ("bert");
  g_test_add_func ("/ij-adaptive/rule-exact", test_rule_exact);
  g_test_add_func ("/ij-adaptive/path-sums", test_path_sums);
  g_test_add_func ("/ij-adaptive/reaches-tolerance", test_reaches_tolerance);
  g_test_add_func ("/ij-adaptive/stops-at-cap", test_stops_at_cap);
  g_test_add_func ("/ij-adaptive/agrees-with-fine-rule", test_agrees_with_fine_rule);
  g_test_add_func ("/ij-adaptive/projected", test_projected);
  g_test_add_func ("/ij-adaptive/bad-values", test_bad_values);
  g_test_add_func ("/ij-adaptive/progress-cancel", test_progress_cancel);
  rc = g_test_run ();
  g_object_unref (model);
  return rc;
}
