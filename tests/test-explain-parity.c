/* test-explain-parity.c — the token-pair methods on the real
 * all-MiniLM-L6-v2 from the Hugging Face cache (suite parity): what only a
 * trained six-layer model shows. IJ's default layer is L − 2 = 4 (on the
 * tiny BERT's two layers it is 0, which a default of 0 would pass too), and
 * the pair is similar. Every other check of the methods runs on the tiny
 * BERT in test-explain.c. */
#include <math.h>

#include "lk-error.h"
#include "lk-methods.h"
#include "lk-test-utils.h"

#define A "The coffee is bad."
#define B "This is not a good coffee."

static LkModel *model;

static LkExplanation *
explain (LkMethod method, void (*tweak) (LkExplainParams *))
{
  return lk_test_explain (model, A, B, method, tweak);
}

static void riemann (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_RIEMANN; }

static void
test_bilrp_gap_reported (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_BILRP, NULL);
  double gap = lk_explanation_get_score (x, "error", NAN);
  double sum = lk_explanation_get_score (x, "sum", NAN), sim = lk_explanation_get_score (x, "similarity", NAN);

  g_assert_cmpfloat_with_epsilon (gap, fabs (sum - sim), 1e-9);
  g_assert_cmpfloat (sim, >, 0.5);
}

static void
test_ij (void)
{
  g_autoptr(LkExplanation) g = explain (LK_METHOD_IJ, NULL);
  g_autoptr(LkExplanation) r = explain (LK_METHOD_IJ, riemann);
  JsonObject *params = lk_explanation_get_params (g);

  g_assert_cmpint (json_object_get_int_member (params, "layer"), ==, 4);  /* L − 2 of 6 */
  g_assert_cmpstr (json_object_get_string_member (params, "quadrature"), ==, "gauss");
  /* ΣA approximates the expected value; both errors are reported */
  g_assert_cmpfloat (lk_explanation_get_score (g, "error", NAN), <, 1e-3 * fabs (lk_explanation_get_score (g, "expected", NAN)));
  g_assert_cmpfloat (lk_explanation_get_score (g, "error", 1), <, lk_explanation_get_score (r, "error", 0));
  g_assert_true (isfinite (lk_explanation_get_score (g, "error_vs_score", NAN)));
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (g, "expected", 0),
                                  lk_explanation_get_score (g, "similarity", 0) - lk_explanation_get_score (g, "ref_a_rb", 0)
                                  - lk_explanation_get_score (g, "ref_ra_b", 0) + lk_explanation_get_score (g, "ref_ra_rb", 0), 1e-9);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, NULL);
  model = lk_test_load_model (LK_TEST_MODEL);
  g_test_add_func ("/explain/bilrp-gap", test_bilrp_gap_reported);
  g_test_add_func ("/explain/ij", test_ij);
  rc = g_test_run ();
  g_object_unref (model);
  return rc;
}
