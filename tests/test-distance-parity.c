/* test-distance-parity.c — the Distance Explainer's text masking end to end
 * on the real all-MiniLM-L6-v2 from the Hugging Face cache (suite parity):
 * the masks' distances and the token map against distance_explainer 0.6.0
 * on the same model (tests/golden/distance, written by
 * tests/oracle/distance_oracle.py). Everything else: test-distance.c. */
#include <math.h>

#include "lk-distance.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-test-utils.h"

static LkModel *model;
static JsonObject *golden;

static void
load_golden (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "distance", "distance-explainer.json", NULL);
  JsonNode *node = lk_json_load (path, FALSE, &error);

  g_assert_no_error (error);
  golden = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
}

static double
num (JsonArray *a, guint i)
{
  return json_array_get_double_element (a, i);
}

static LkExplanation *
explain_text (const char *a, const char *b, const LkDistanceParams *p)
{
  g_autoptr(GError) error = NULL;
  LkExplanation *x = lk_explain_distance_text (model, a, b, p, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return x;
}

static JsonArray *
saliency (LkExplanation *x, const char *side)
{
  return json_object_get_array_member (lk_explanation_get_extra (x, "saliency"), side);
}

static void
test_text_end_to_end (void)
{
  JsonObject *c = json_object_get_object_member (golden, "text");
  JsonArray *ref = json_object_get_array_member (c, "map"), *rd = json_object_get_array_member (c, "distances");
  g_autoptr(LkExplanation) x = NULL;
  JsonArray *sal, *dist;
  LkDistanceParams p;
  double worst_map = 0, worst_dist = 0;
  guint unit = 0;

  lk_distance_params_init (&p);
  p.n_masks = json_object_get_int_member (c, "n");
  p.seed = json_object_get_int_member (c, "seed");
  p.batch_size = 16;
  x = explain_text (json_object_get_string_member (c, "a"), json_object_get_string_member (c, "b"), &p);
  sal = saliency (x, "a");
  dist = json_object_get_array_member (lk_explanation_get_extra (x, "distance"), "masks");
  g_assert_cmpuint (json_array_get_length (dist), ==, p.n_masks);
  for (guint i = 0; i < p.n_masks; i++)
    worst_dist = fmax (worst_dist, fabs (num (dist, i) - num (rd, i)));
  g_assert_cmpuint (json_array_get_length (sal), ==, lk_explanation_get_n_tokens (x, 0));
  for (guint t = 0; t < json_array_get_length (sal); t++)
    if (lk_explanation_get_token (x, 0, t)->special)
      g_assert_cmpfloat (num (sal, t), ==, 0);
    else
      worst_map = fmax (worst_map, fabs (num (sal, t) - num (ref, unit++)));
  g_assert_cmpuint (unit, ==, json_object_get_int_member (c, "units"));
  g_test_message ("text vs distance_explainer on all-MiniLM-L6-v2: distances %.2g, map %.2g", worst_dist, worst_map);
  g_assert_cmpfloat (worst_dist, <, 1e-5);
  g_assert_cmpfloat (worst_map, <, 1e-5);
  g_assert_cmpfloat (lk_explanation_get_score (x, "similarity", NAN), >, 0.2);
  g_assert_true (json_object_has_member (lk_explanation_get_scores (x), "split_half"));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, NULL);
  load_golden ();
  model = lk_test_load_model (LK_TEST_MODEL);
  g_test_add_func ("/distance/text/end-to-end-parity", test_text_end_to_end);
  rc = g_test_run ();
  g_object_unref (model);
  json_object_unref (golden);
  return rc;
}
