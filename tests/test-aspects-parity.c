/* test-aspects-parity.c — S3BERT aspect spaces on the real all-MiniLM-L6-v2
 * from the Hugging Face cache (suite parity): lk_explain_aspects () against
 * the Python recomputation (tests/golden/aspects/minilm-4x16.json), and the
 * aspect heads shipped in data/aspect-heads for all-MiniLM-L6-v2 and
 * all-mpnet-base-v2, through likeness-cli as a user runs it. The rest of
 * the aspects, on the tiny BERT: test-aspects.c and test-aspect-head.c. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lk-aspects.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-runtime.h"
#include "lk-test-utils.h"

static LkModel *minilm;
static char *cli;

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

/* `explain --method aspects --model ID` with no layout in the model's
 * folder: the shipped head is found by its weights and decomposes the
 * model's own score exactly; the similarity is sentence-transformers'
 * (the golden's cosine, for MiniLM). */
static void
check_shipped_head (const char *id, const char *file)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-head-XXXXXX", NULL);
  g_autofree char *json = g_build_filename (dir, "x.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *golden_path = g_test_build_filename (G_TEST_DIST, "golden", "aspects", "minilm-4x16.json", NULL);
  g_autoptr(JsonNode) golden = lk_json_load (golden_path, FALSE, NULL);
  JsonObject *want = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (golden), "pairs"), 0);
  const char *a = json_object_get_string_member (want, "a"), *b = json_object_get_string_member (want, "b");
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o, *params, *scores;
  JsonArray *aspects;
  double sum = 0, sim;

  g_assert_cmpint (lk_test_spawn (cli, (const char *[]) { "explain", "--method", "aspects", "--model", id, "--json",
                                                          json, a, b, NULL }, 300, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\nverdict=good\n"));
  node = lk_json_load (json, FALSE, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  params = json_object_get_object_member (json_object_get_object_member (o, "method"), "params");
  scores = json_object_get_object_member (o, "scores");
  g_assert_cmpstr (json_object_get_string_member (params, "space"), ==, "head");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (params, "head"), file));
  g_assert_cmpfloat (json_object_get_double_member (params, "head_orthogonality"), <, 1e-6);
  aspects = json_object_get_array_member (o, "aspects");
  g_assert_cmpuint (json_array_get_length (aspects), ==, LK_N_BUILTIN_METRICS);
  for (guint k = 0; k < json_array_get_length (aspects); k++)
    {
      JsonObject *asp = json_array_get_object_element (aspects, k);
      g_assert_cmpstr (json_object_get_string_member (asp, "name"), ==, lk_builtin_metric_names ()[k]);
      sum += json_object_get_double_member (asp, "share");
    }
  sum += json_object_get_double_member (json_object_get_object_member (o, "residual"), "share");
  sim = json_object_get_double_member (scores, "similarity");
  /* exact: the shares of Qe add up to the model's own cosine */
  g_assert_cmpfloat (fabs (sum - sim), <, 1e-6);
  g_assert_cmpfloat (json_object_get_double_member (scores, "shares_gap"), <, 1e-6);
  if (strcmp (id, LK_TEST_MODEL) == 0)
    g_assert_cmpfloat (fabs (sim - json_object_get_double_member (want, "similarity")), <, 1e-5);
  lk_test_rm_rf (dir);
}

static void
test_shipped_minilm (void)
{
  check_shipped_head (LK_TEST_MODEL, "data/aspect-heads/sentence-transformers--all-MiniLM-L6-v2.safetensors");
}

static void
test_shipped_mpnet (void)
{
  check_shipped_head (LK_TEST_MODEL_MPNET, "data/aspect-heads/sentence-transformers--all-mpnet-base-v2.safetensors");
}

int
main (int argc, char **argv)
{
  int rc;

  /* passive OpenMP waiting: spinning threads slow a loaded machine's run several-fold */
  lk_runtime_init (argv);
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, LK_TEST_MODEL_MPNET, NULL);
  minilm = lk_test_load_model (LK_TEST_MODEL);
  cli = g_test_build_filename (G_TEST_BUILT, "..", "app", "cli", "likeness-cli", NULL);
  g_test_add_func ("/aspects/golden", test_golden);
  g_test_add_func ("/aspects/shipped-head/minilm", test_shipped_minilm);
  g_test_add_func ("/aspects/shipped-head/mpnet", test_shipped_mpnet);
  rc = g_test_run ();
  g_object_unref (minilm);
  g_free (cli);
  return rc;
}
