/* test-aspects-parity.c — S3BERT aspect spaces on the real all-MiniLM-L6-v2
 * from the Hugging Face cache (suite parity): lk_explain_aspects () against
 * the Python recomputation (tests/golden/aspects/minilm-4x16.json). The rest
 * of the aspects, on the tiny BERT: test-aspects.c. */
#include <math.h>

#include <json-glib/json-glib.h>

#include "lk-aspects.h"
#include "lk-error.h"
#include "lk-runtime.h"
#include "lk-test-utils.h"

static LkModel *minilm;

static LkAspectLayout *
builtin_layout (void)
{
  return lk_aspect_layout_new (LK_N_BUILTIN_METRICS, 16, lk_builtin_metric_names ());
}

/* lk_explain_aspects() against tests/oracle/aspects_oracle.py's numpy
 * recomputation from sentence-transformers' embeddings of the same pairs. */
static void
test_golden (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "aspects", "minilm-4x16.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(LkAspectLayout) layout = builtin_layout ();
  g_autoptr(GError) error = NULL;
  JsonArray *pairs;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  pairs = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "pairs");
  g_assert_cmpuint (json_array_get_length (pairs), >=, 5);
  for (guint i = 0; i < json_array_get_length (pairs); i++)
    {
      JsonObject *want = json_array_get_object_element (pairs, i);
      JsonArray *wa = json_object_get_array_member (want, "aspects");
      g_autoptr(LkExplanation) x = lk_explain_aspects (minilm, layout, json_object_get_string_member (want, "a"),
                                                       json_object_get_string_member (want, "b"), NULL, &error);
      g_autoptr(JsonNode) root = NULL;
      JsonArray *ga;
      JsonObject *gr, *wr = json_object_get_object_member (want, "residual");
      double sum = 0, sim;

      g_assert_no_error (error);
      root = lk_explanation_to_json (x);
      g_assert_cmpstr (lk_explanation_get_method (x), ==, "aspects");
      ga = json_object_get_array_member (json_node_get_object (root), "aspects");
      gr = json_object_get_object_member (json_node_get_object (root), "residual");
      sim = lk_explanation_get_score (x, "similarity", NAN);
      g_assert_cmpfloat (fabs (sim - json_object_get_double_member (want, "similarity")), <, 1e-5);
      g_assert_cmpuint (json_array_get_length (ga), ==, json_array_get_length (wa));
      for (guint k = 0; k < json_array_get_length (ga); k++)
        {
          JsonObject *g = json_array_get_object_element (ga, k), *w = json_array_get_object_element (wa, k);
          g_assert_cmpstr (json_object_get_string_member (g, "name"), ==, lk_builtin_metric_names ()[k]);
          g_assert_cmpfloat (fabs (json_object_get_double_member (g, "similarity") -
                                   json_object_get_double_member (w, "similarity")), <, 1e-5);
          g_assert_cmpfloat (fabs (json_object_get_double_member (g, "share") -
                                   json_object_get_double_member (w, "share")), <, 1e-6);
          sum += json_object_get_double_member (g, "share");
        }
      g_assert_cmpfloat (fabs (json_object_get_double_member (gr, "similarity") -
                               json_object_get_double_member (wr, "similarity")), <, 1e-5);
      sum += json_object_get_double_member (gr, "share");
      /* the shares add up to the overall similarity */
      g_assert_cmpfloat (fabs (sum - sim), <, 1e-6);
    }
}

int
main (int argc, char **argv)
{
  int rc;

  /* passive OpenMP waiting: spinning threads slow a loaded machine's run several-fold */
  lk_runtime_init (argv);
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, NULL);
  minilm = lk_test_load_model (LK_TEST_MODEL);
  g_test_add_func ("/aspects/golden", test_golden);
  rc = g_test_run ();
  g_object_unref (minilm);
  return rc;
}
