/* test-cli-parity.c — likeness-cli with its default model, the real
 * all-MiniLM-L6-v2 from the Hugging Face cache (suite parity): similarity
 * and explain --json record it, and eval-sts against sentence-transformers'
 * Spearman on the same file. The rest of the CLI: test-cli.c. */
#include <math.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>

#include "lk-json.h"
#include "lk-test-utils.h"

static char *cli;

static int
run (const char *const *args, char **out, char **err)
{
  return lk_test_spawn (cli, args, 0, out, err);
}

static void
test_similarity_json (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  g_assert_cmpint (run ((const char *[]) { "similarity", "--format", "json", "A man is playing a guitar.", "Someone plays an instrument.", NULL }, &out, &err), ==, 0);
  node = json_from_string (out, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, LK_TEST_MODEL);
  g_assert_cmpfloat (json_object_get_double_member (o, "similarity"), >, 0.3);
  g_assert_cmpfloat (json_object_get_double_member (o, "similarity"), <, 1.0);
}

static void
test_explain_json (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-cli-XXXXXX", NULL);
  g_autofree char *json = g_build_filename (dir, "x.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  g_assert_cmpint (run ((const char *[]) { "explain", "--method", "bilrp", "--json", json, "The coffee is bad.",
                                           "This is not a good coffee.", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\nerror_relative="));
  node = lk_json_load (json, FALSE, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "schema"), ==, "likeness.explanation/1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "model"), "id"), ==, LK_TEST_MODEL);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "method"), "name"), ==, "bilrp");
  g_assert_true (json_object_has_member (json_object_get_object_member (o, "scores"), "error"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "matrix")), ==,
                    json_array_get_length (json_object_get_array_member (json_object_get_object_member (o, "tokens"), "a")));
  lk_test_rm_rf (dir);
}

/* sentence-transformers' figure on the same file, from the goldens. */
static double
reference_spearman (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "embeddings", "sts-spearman.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = lk_json_load (path, FALSE, &error);
  JsonObject *o;

  g_assert_no_error (error);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "dataset"), ==, "stsb/sts-test.csv");
  o = json_object_get_object_member (json_object_get_object_member (o, "models"), LK_TEST_MODEL);
  g_assert_nonnull (o);
  return json_object_get_double_member (o, "spearman_x100");
}

static void
test_eval_sts (void)
{
  g_autofree char *file = g_build_filename (g_getenv ("LK_SHARED_DATA"), "stsb", "sts-test.csv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  double ours, theirs = reference_spearman ();
  guint n;

  g_assert_cmpint (run ((const char *[]) { "eval-sts", file, NULL }, &out, &err), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_true (g_str_has_prefix (lines[n - 1], "spearman="));
  ours = g_ascii_strtod (lines[n - 1] + strlen ("spearman="), NULL);
  g_test_message ("STSb test Spearman×100: likeness %.2f, sentence-transformers %.2f", ours, theirs);
  g_assert_cmpfloat (fabs (ours - theirs), <=, 0.05);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, NULL);
  cli = g_test_build_filename (G_TEST_BUILT, "..", "app", "cli", "likeness-cli", NULL);
  g_test_add_func ("/cli/similarity", test_similarity_json);
  g_test_add_func ("/cli/explain-json", test_explain_json);
  g_test_add_func ("/cli/eval-sts", test_eval_sts);
  return g_test_run ();
}
