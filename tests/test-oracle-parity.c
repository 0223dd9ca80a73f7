/* test-oracle-parity.c — our token-pair matrices against committed outputs of
 * independent references (tests/golden/explain/):
 *
 *  - IJ against xplainsim 0.9.4 (tests/oracle/ij_oracle.py) on
 *    all-mpnet-base-v2, layer 10, 50 right-Riemann steps, cosine:
 *    matrix correlation ≥ 0.999 and |ΣA − ΣA_xplainsim| ≤ 1e-4;
 *  - BiLRP against this project's Python implementation of the METHODS.md §2
 *    rules on the transformers model (tests/oracle/bilrp_oracle.py), on
 *    all-MiniLM-L6-v2, with and without biases: correlation ≥ 0.999, and
 *    with zero biases ΣR = cos(e_a, e_b) to 1e-4 relative;
 *  - alignment's bertscore_precision, _recall and _f1 against the bert-score
 *    package 0.3.13 (tests/oracle/bertscore_oracle.py) on all-MiniLM-L6-v2,
 *    idf off, no rescale, at the default (last) layer and at layer 4: to 1e-5.
 *
 * xplainsim runs the reference <s> <pad>… </s> through transformers, which
 * gives every <pad> the padding position (create_position_ids_from_input_ids);
 * our encoder does the same (shim/shim-encoder.cpp), and with that the
 * matrices agree to ~1e-7. xplainsim's grid α = 1, 1 − 1/N, …, 1/N is our
 * right Riemann rule with N nodes.
 *
 * Every golden pair runs (LK_ORACLE_IJ_PAIRS=K: the first K only). The real
 * models come from the Hugging Face cache (suite parity). */
#include <math.h>
#include <stdlib.h>

#include "lk-json.h"
#include "lk-methods.h"
#include "lk-sts.h"
#include "lk-test-utils.h"

#define MPNET "sentence-transformers/all-mpnet-base-v2"

static JsonNode *
load_golden (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "explain", name, NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *node = lk_json_load (path, FALSE, &error);

  g_assert_no_error (error);
  return node;
}

static void
assert_tokens (LkExplanation *x, guint side, JsonArray *want)
{
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, side), ==, json_array_get_length (want));
  for (guint i = 0; i < json_array_get_length (want); i++)
    g_assert_cmpstr (lk_explanation_get_token (x, side, i)->text, ==, json_array_get_string_element (want, i));
}

/* The correlation of our matrix with the golden one (rows = tokens of a). */
static double
matrix_correlation (LkExplanation *x, JsonArray *rows, double *golden_sum)
{
  const LkMatrix *m = lk_explanation_get_matrix (x);
  g_autofree double *want = g_new (double, (gsize) m->rows * m->cols);

  g_assert_cmpuint (json_array_get_length (rows), ==, m->rows);
  *golden_sum = 0;
  for (guint i = 0; i < m->rows; i++)
    {
      JsonArray *row = json_array_get_array_element (rows, i);
      g_assert_cmpuint (json_array_get_length (row), ==, m->cols);
      for (guint j = 0; j < m->cols; j++)
        *golden_sum += want[(gsize) i * m->cols + j] = json_array_get_double_element (row, j);
    }
  return lk_pearson (m->data, want, (gsize) m->rows * m->cols);
}

static LkExplanation *
run (LkModel *model, JsonObject *pair, const LkExplainParams *p)
{
  g_autoptr(GError) error = NULL;
  LkExplanation *x = lk_explain_pair (model, json_object_get_string_member (pair, "a"),
                                 json_object_get_string_member (pair, "b"), p, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  assert_tokens (x, 0, json_object_get_array_member (pair, "tokens_a"));
  assert_tokens (x, 1, json_object_get_array_member (pair, "tokens_b"));
  return x;
}

static void
test_ij_xplainsim (void)
{
  g_autoptr(JsonNode) node = load_golden ("ij-xplainsim.json");
  JsonObject *g = json_node_get_object (node);
  JsonArray *pairs = json_object_get_array_member (g, "pairs");
  const char *env = g_getenv ("LK_ORACLE_IJ_PAIRS");
  guint n = env ? (guint) atoi (env) : 0;
  g_autoptr(LkModel) model = NULL;
  LkExplainParams p;

  g_assert_cmpstr (json_object_get_string_member (g, "model"), ==, MPNET);
  g_assert_cmpstr (json_object_get_string_member (g, "measure"), ==, "cos");
  g_assert_cmpuint (json_array_get_length (pairs), >=, 10);
  g_test_message ("xplainsim golden pairs: %u", json_array_get_length (pairs));
  if (n == 0 || n > json_array_get_length (pairs))
    n = json_array_get_length (pairs);
  model = lk_test_load_model (MPNET);
  lk_explain_params_init (&p, LK_METHOD_IJ);
  p.layer = json_object_get_int_member (g, "layer");
  p.steps = json_object_get_int_member (g, "steps");
  p.quadrature = LK_QUADRATURE_RIEMANN;
  p.measure = LK_MEASURE_COS;
  for (guint k = 0; k < n; k++)
    {
      JsonObject *pair = json_array_get_object_element (pairs, k);
      g_autoptr(LkExplanation) x = NULL;
      double want_sum, r, sum;

      /* xplainsim's α = arange(1, 0, −1/N) has N nodes for these N */
      g_assert_cmpint (json_object_get_int_member (pair, "nodes"), ==, p.steps);
      x = run (model, pair, &p);
      r = matrix_correlation (x, json_object_get_array_member (pair, "matrix"), &want_sum);
      sum = lk_explanation_get_score (x, "sum", NAN);
      g_test_message ("IJ pair %u: correlation %.6f, sum A %.6f vs xplainsim %.6f (diff %.2e), similarity %.6f vs %.6f",
                      k, r, sum, want_sum, fabs (sum - want_sum), lk_explanation_get_score (x, "similarity", NAN),
                      json_object_get_double_member (pair, "similarity"));
      g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (x, "similarity", NAN),
                                      json_object_get_double_member (pair, "similarity"), 1e-5);
      g_assert_cmpfloat (r, >=, 0.999);
      g_assert_cmpfloat (fabs (sum - want_sum), <=, 1e-4);
    }
}

static void
test_bilrp_python (void)
{
  g_autoptr(JsonNode) node = load_golden ("bilrp-python.json");
  JsonObject *g = json_node_get_object (node);
  JsonArray *pairs = json_object_get_array_member (g, "pairs");
  g_autoptr(LkModel) model = lk_test_load_model (json_object_get_string_member (g, "model"));

  g_assert_cmpuint (json_array_get_length (pairs), >=, 3);
  for (guint k = 0; k < json_array_get_length (pairs); k++)
    {
      JsonObject *pair = json_array_get_object_element (pairs, k);
      JsonObject *zero = json_object_get_object_member (pair, "zero_biases");
      g_autoptr(LkExplanation) x = NULL, z = NULL;
      LkExplainParams p;
      double want_sum, r, rz, sim;

      lk_explain_params_init (&p, LK_METHOD_BILRP);
      x = run (model, pair, &p);
      p.zero_biases = TRUE;
      z = run (model, pair, &p);

      r = matrix_correlation (x, json_object_get_array_member (pair, "matrix"), &want_sum);
      g_test_message ("BiLRP pair %u: correlation %.8f, sum R %.6f vs %.6f", k, r,
                      lk_explanation_get_score (x, "sum", NAN), want_sum);
      g_assert_cmpfloat (r, >=, 0.999);

      rz = matrix_correlation (z, json_object_get_array_member (zero, "matrix"), &want_sum);
      sim = lk_explanation_get_score (z, "similarity", NAN);
      g_test_message ("BiLRP zero biases pair %u: correlation %.8f, sum R %.7f vs %.7f, cos %.7f (relative gap %.2e)",
                      k, rz, lk_explanation_get_score (z, "sum", NAN), want_sum, sim,
                      fabs (lk_explanation_get_score (z, "sum", NAN) - sim) / fabs (sim));
      g_assert_cmpfloat (rz, >=, 0.999);
      g_assert_cmpfloat_with_epsilon (sim, json_object_get_double_member (zero, "similarity"), 1e-5);
      g_assert_cmpfloat (fabs (lk_explanation_get_score (z, "sum", NAN) - sim) / fabs (sim), <=, 1e-4);
    }
}

/* bert-score lets [CLS] and [SEP] be best partners; the content variant
 * (precision, recall, f1) does not, and differs on some pair, or the
 * comparison would not tell the two apart. */
static void
test_bertscore (void)
{
  g_autoptr(JsonNode) node = load_golden ("bertscore.json");
  JsonObject *g = json_node_get_object (node);
  JsonArray *layers = json_object_get_array_member (g, "layers");
  g_autoptr(LkModel) model = lk_test_load_model (json_object_get_string_member (g, "model"));
  double worst = 0, content_gap = 0;

  g_assert_cmpuint (json_array_get_length (layers), >=, 2);
  for (guint l = 0; l < json_array_get_length (layers); l++)
    {
      JsonObject *gl = json_array_get_object_element (layers, l);
      JsonArray *pairs = json_object_get_array_member (gl, "pairs");
      int layer = json_object_get_int_member (gl, "layer");
      LkExplainParams p;

      g_assert_cmpuint (json_array_get_length (pairs), >=, 10);
      lk_explain_params_init (&p, LK_METHOD_ALIGN);
      /* The golden's first layer is the model's last: align's default
       * there (the layer recorded must be the one bert-score used). */
      p.layer = l == 0 ? -1 : layer;
      for (guint k = 0; k < json_array_get_length (pairs); k++)
        {
          JsonObject *pair = json_array_get_object_element (pairs, k);
          g_autoptr(LkExplanation) x = run (model, pair, &p);
          const char *keys[][2] = { { LK_SCORE_BERTSCORE_PRECISION, "precision" },
                                    { LK_SCORE_BERTSCORE_RECALL, "recall" },
                                    { LK_SCORE_BERTSCORE_F1, "f1" } };

          g_assert_cmpint (json_object_get_int_member (lk_explanation_get_params (x), "layer"), ==, layer);
          for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
            {
              double ours = lk_explanation_get_score (x, keys[i][0], NAN);
              double want = json_object_get_double_member (pair, keys[i][1]);
              worst = fmax (worst, fabs (ours - want));
              g_assert_cmpfloat_with_epsilon (ours, want, 1e-5);
            }
          content_gap = fmax (content_gap, fabs (lk_explanation_get_score (x, LK_SCORE_F1, NAN) -
                                                 lk_explanation_get_score (x, LK_SCORE_BERTSCORE_F1, NAN)));
        }
    }
  g_test_message ("BERTScore against bert-score: largest difference %.2e; the content variant's F1 differs by up to %.4f",
                  worst, content_gap);
  g_assert_cmpfloat (content_gap, >, 1e-3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, LK_TEST_MODEL_MPNET, NULL);
  g_test_add_func ("/oracle-parity/bilrp/python", test_bilrp_python);
  g_test_add_func ("/oracle-parity/ij/xplainsim", test_ij_xplainsim);
  g_test_add_func ("/oracle-parity/bertscore/bert-score", test_bertscore);
  return g_test_run ();
}
