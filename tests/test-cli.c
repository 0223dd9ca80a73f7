/* test-cli.c — likeness-cli as a user runs it, on the tiny models of
 * tests/golden/tiny: exit codes, help, JSON, eval-sts, hostile images. The
 * default model (the real all-MiniLM-L6-v2) and eval-sts against
 * sentence-transformers' Spearman: test-cli-parity.c. */
#include <math.h>
#include <sys/stat.h>
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
test_help_and_usage (void)
{
  const char *commands[] = { "similarity", "embed", "explain", "eval-sts", "eval-perturbation", "models", "render",
                             "batch", "batch-merge", NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]) { "--help", NULL }, &out, &err), ==, 0);
  for (guint i = 0; commands[i]; i++)
    {
      g_autofree char *o = NULL, *e = NULL;
      g_assert_cmpint (run ((const char *[]) { commands[i], "--help", NULL }, &o, &e), ==, 0);
      g_assert_nonnull (strstr (out, commands[i]));
      g_assert_nonnull (strstr (o, "Exit status"));
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "frobnicate", NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "similarity", "only one", NULL }, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "explain", "--method", "magic", "a", "b", NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown method"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "--version", NULL }, &out, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out, "likeness-cli "));
}

static void
test_similarity_json (void)
{
  g_autofree char *tiny = lk_test_tiny_dir ("bert");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  g_assert_cmpint (run ((const char *[]) { "similarity", "--format", "json", "--model", tiny, "A man is playing a guitar.",
                                           "Someone plays an instrument.", NULL }, &out, &err), ==, 0);
  node = json_from_string (out, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "bert");
  g_assert_cmpfloat (json_object_get_double_member (o, "similarity"), >, -1.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "similarity"), <, 1.0);
}

/* The messages of bad input say which input: the text by its argument, the
 * user's --json path (not the temporary file), the non-finite embedding of
 * a model with a NaN weight (where it printed "nan.0" with exit 0). */
static void
test_named_errors (void)
{
  g_autofree char *poisoned = lk_test_poisoned_tiny_bert ("encoder.layer.1.output.LayerNorm.bias", 5, NAN);
  g_autofree char *tiny = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]) { "similarity", "fine", "bad \xff text", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "text B (argument 3) is not valid UTF-8: byte 0xFF at byte offset 4"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "explain", "\xc3", "b", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "text A (argument 2) is not valid UTF-8"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "similarity", "--model", poisoned, "a man plays", "a woman sings", NULL },
                        &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "the embedding of text A is not finite (NaN in component "));
  g_assert_null (strstr (out, "nan"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "explain", "--model", poisoned, "--method", "align", "--json",
                                           "/nonexistent-dir/x.json", "a man plays", "a woman sings", NULL },
                        &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "is not finite"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "explain", "--model", tiny, "--method", "align", "--json",
                                           "/nonexistent-dir/x.json", "a man plays", "a woman sings", NULL },
                        &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent-dir/x.json: cannot create the file: the folder /nonexistent-dir does not exist"));
  g_assert_null (strstr (err, ".tmp"));
  lk_test_rm_rf (poisoned);

  /* A figure flag names its own format: --svg x.png is refused before any
   * model loads, and nothing is written. */
  {
    g_autofree char *dir = g_dir_make_tmp ("lk-cli-XXXXXX", NULL);
    g_autofree char *png = g_build_filename (dir, "x.png", NULL);
    const char *const cases[][8] = {
      { "explain", "--model", tiny, "--svg", png, "a", "b", NULL },
      { "contrast", "--model", tiny, "--pdf", png, "q", "a", "b" },
      { "aggregate", "--svg", png, "/nonexistent.jsonl", NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        const char *args[9] = { NULL };
        memcpy (args, cases[i], sizeof cases[i]);
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);
        g_assert_cmpint (run (args, &out, &err), ==, 2);
        g_assert_nonnull (strstr (err, "the file name must end in"));
        g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
      }
    lk_test_rm_rf (dir);
  }
}

static void
test_errors (void)
{
  g_autofree char *tiny = lk_test_tiny_dir ("bert");
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run ((const char *[]) { "similarity", "--model", "no-such-org/no-such-model", "a", "b", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "no-such-org/no-such-model"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "similarity", "--model", "../../etc", "a", "b", NULL }, &out, &err), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "similarity", "--model", tiny, "", "b", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "empty"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run ((const char *[]) { "eval-sts", "/nonexistent.tsv", NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.tsv"));
}

static void
test_explain_json (void)
{
  g_autofree char *tiny = lk_test_tiny_dir ("bert");
  g_autofree char *dir = g_dir_make_tmp ("lk-cli-XXXXXX", NULL);
  g_autofree char *json = g_build_filename (dir, "x.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  g_assert_cmpint (run ((const char *[]) { "explain", "--model", tiny, "--method", "bilrp", "--json", json,
                                           "The coffee is bad.", "This is not a good coffee.", NULL },
                        &out, &err), ==, 0);
  /* the summary's keys are the result's score keys, and its verdict */
  g_assert_nonnull (strstr (out, "\nerror_relative="));
  g_assert_nonnull (strstr (out, "\nverdict="));
  node = lk_json_load (json, FALSE, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "schema"), ==, "likeness.explanation/1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "model"), "id"), ==, "bert");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "method"), "name"), ==, "bilrp");
  g_assert_true (json_object_has_member (json_object_get_object_member (o, "scores"), "error"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "matrix")), ==,
                    json_array_get_length (json_object_get_array_member (json_object_get_object_member (o, "tokens"), "a")));
  lk_test_rm_rf (dir);
}

/* eval-sts end to end on the tiny BERT: 50 pairs, a Spearman figure (the
 * figure of the real model against sentence-transformers': test-cli-parity.c). */
static void
test_eval_sts (void)
{
  g_autofree char *tiny = lk_test_tiny_dir ("bert");
  g_autofree char *file = g_build_filename (g_getenv ("LK_SHARED_DATA"), "stsb", "sts-test.csv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  double ours;
  guint n;

  g_assert_cmpint (run ((const char *[]) { "eval-sts", "--model", tiny, "--limit", "50", file, NULL }, &out, &err),
                   ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_true (g_str_has_prefix (lines[n - 1], "spearman="));
  ours = g_ascii_strtod (lines[n - 1] + strlen ("spearman="), NULL);
  g_test_message ("STSb test, 50 pairs, tiny BERT: Spearman×100 %.2f", ours);
  g_assert_cmpfloat (fabs (ours), <=, 100);
}

/* Runs the CLI under timeout(1): a hang fails the test instead of stalling it. */
static int
run_bounded (const char *const *args, char **out, char **err)
{
  return lk_test_spawn (cli, args, 60, out, err);
}

static void
expect_failure (const char *const *args, const char *fragment)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_bounded (args, &out, &err), ==, 1);
  if (strstr (err, fragment) == NULL)
    g_error ("expected “%s” in likeness-cli's error “%s”", fragment, err);
}

static void
expect_usage (const char *const *args, const char *fragment)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_bounded (args, &out, &err), ==, 2);
  if (strstr (err, fragment) == NULL)
    g_error ("expected “%s” in likeness-cli's usage error “%s”", fragment, err);
}

/* batch as a Slurm array runs it: three shards, a merge that checks the
 * ids, a resumed shard that adds nothing; and its usage errors. */
static void
test_batch (void)
{
  g_autofree char *tiny = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  g_autofree char *dir = g_dir_make_tmp ("lk-cli-batch-XXXXXX", NULL);
  g_autofree char *input = g_build_filename (dir, "in.tsv", NULL);
  g_autofree char *all = g_build_filename (dir, "all.jsonl", NULL);
  g_autoptr(GString) tsv = g_string_new ("id\ta\tb\n");
  g_autoptr(GPtrArray) merge = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *merged = NULL;

  for (guint i = 0; i < 12; i++)
    g_string_append_printf (tsv, "i%u\tthe %u-th text on one side\tand the other side, %u\n", i, i, i * 7);
  g_assert_true (g_file_set_contents (input, tsv->str, -1, NULL));
  g_ptr_array_add (merge, g_strdup ("batch-merge"));
  for (guint s = 0; s < 3; s++)
    {
      g_autofree char *shard = g_strdup_printf ("%u/3", s);
      g_autofree char *o = g_strdup_printf ("%s/out-%u.jsonl", dir, s);
      g_autofree char *so = NULL, *se = NULL;

      g_assert_cmpint (run_bounded ((const char *[]) { "batch", "--method", "hxp", "--model", tiny, "--input", input,
                                                       "--output", o, "--shard", shard, NULL }, &so, &se), ==, 0);
      g_assert_nonnull (strstr (se, "items"));
      g_ptr_array_add (merge, g_steal_pointer (&o));
    }
  /* Rerun with --resume: nothing to add. */
  {
    g_autofree char *before = NULL, *after = NULL, *so = NULL, *se = NULL;
    g_assert_true (g_file_get_contents (merge->pdata[1], &before, NULL, NULL));
    g_assert_cmpint (run_bounded ((const char *[]) { "batch", "--method", "hxp", "--model", tiny, "--input", input,
                                                     "--output", merge->pdata[1], "--shard", "0/3", "--resume", NULL },
                                  &so, &se), ==, 0);
    g_assert_true (g_file_get_contents (merge->pdata[1], &after, NULL, NULL));
    g_assert_cmpstr (before, ==, after);
  }
  g_ptr_array_add (merge, g_strdup ("--input"));
  g_ptr_array_add (merge, g_strdup (input));
  g_ptr_array_add (merge, g_strdup ("--output"));
  g_ptr_array_add (merge, g_strdup (all));
  g_ptr_array_add (merge, NULL);
  g_assert_cmpint (run_bounded ((const char * const *) merge->pdata, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "lines=12\n"));
  g_assert_nonnull (strstr (out, "failed=0\n"));
  g_assert_true (g_file_get_contents (all, &merged, NULL, NULL));
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *id = g_strdup_printf ("\"id\":\"i%u\"", i);
      const char *at = strstr (merged, id);
      g_assert_nonnull (at);
      g_assert_null (strstr (at + 1, id));
    }

  expect_usage ((const char *[]) { "batch", "--input", input, NULL }, "expected --input FILE and --output OUT.jsonl");
  expect_usage ((const char *[]) { "batch", "--input", input, "--output", all, "--shard", "3/3", NULL }, "--shard must be I/N");
  expect_usage ((const char *[]) { "batch", "--input", input, "--output", all, "--shard", "x", NULL }, "--shard must be I/N");
  expect_usage ((const char *[]) { "batch", "--queries", input, "--output", all, NULL }, "retrieval mode needs");
  expect_usage ((const char *[]) { "batch", "--input", input, "--output", all, "--top-k", "3", NULL }, "--top-k needs");
  expect_usage ((const char *[]) { "batch", "--input", input, "--output", all, "--steps", "-4", NULL }, "--steps");
  expect_usage ((const char *[]) { "batch-merge", "--output", all, NULL }, "expected one or more batch outputs");
  expect_usage ((const char *[]) { "batch-merge", all, "--output", all, NULL }, "must not be one of the files merged");
  /* An existing output is not overwritten, a missing input is named,
   * before any model is loaded. */
  expect_failure ((const char *[]) { "batch", "--model", tiny, "--input", input, "--output", all, NULL },
                  "already holds results");
  expect_failure ((const char *[]) { "batch", "--model", "/nonexistent/model", "--input", "/nonexistent/in.jsonl",
                                     "--output", all, NULL }, "/nonexistent/in.jsonl");
  lk_test_rm_rf (dir);
}

/* Every command that opens an image refuses a FIFO (which would block
 * forever), a folder, a truncated file and a huge declared size, by name. */
static void
test_hostile_images (void)
{
  g_autofree char *tiny = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.jpg", NULL);
  g_autofree char *dir = g_dir_make_tmp ("lk-cli-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "pipe.jpg", NULL);
  g_autofree char *folder = g_build_filename (dir, "folder.jpg", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.jpg", NULL);
  g_autofree char *huge = g_build_filename (dir, "huge.png", NULL);
  g_autofree char *photo = g_build_filename (dir, "photo.jpg", NULL);
  g_autofree char *json = g_build_filename (dir, "x.json", NULL);
  g_autofree char *svg = g_build_filename (dir, "x.svg", NULL);
  g_autofree char *png = g_build_filename (dir, "x.png", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *bad[] = { fifo, folder, cut, huge };
  const char *why[] = { "named pipe", "folder", "truncated", "declares 30000 × 30000 pixels" };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  lk_test_write_cut (src, cut, 0.6);
  lk_test_write_huge_png (huge, 30000, 30000);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      expect_failure ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--masks", "8",
                                         "--image", bad[i], "a photo", NULL }, why[i]);
      expect_failure ((const char *[]) { "explain", "--model", tiny, "--method", "ij", "--image", bad[i], "a photo",
                                         NULL }, why[i]);
      expect_failure ((const char *[]) { "similarity", "--model", tiny, "--image", bad[i], "a photo", NULL }, why[i]);
      expect_failure ((const char *[]) { "embed", "--model", tiny, "--image", bad[i], NULL }, why[i]);
    }

  /* render of a result whose photo has become a FIFO or a folder */
  lk_test_write_cut (src, photo, 1.0);
  g_assert_cmpint (run_bounded ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--masks", "8",
                                                   "--image", photo, "--json", json, "a photo", NULL }, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_bounded ((const char *[]) { "render", "--view", "saliency", json, png, NULL }, &out, &err), ==, 0);
  g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (photo), ==, 0);
  g_assert_cmpint (mkfifo (photo, 0600), ==, 0);
  expect_failure ((const char *[]) { "render", "--view", "saliency", json, svg, NULL }, "named pipe");
  g_assert_false (g_file_test (svg, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (photo), ==, 0);
  g_assert_cmpint (g_mkdir (photo, 0700), ==, 0);
  expect_failure ((const char *[]) { "render", "--view", "saliency", json, svg, NULL }, "folder");
  g_assert_false (g_file_test (svg, G_FILE_TEST_EXISTS));
  lk_test_rm_rf (dir);
}

static JsonObject *
distance_params (const char *json)
{
  g_autoptr(JsonNode) node = lk_json_load (json, FALSE, NULL);
  JsonObject *method;

  g_assert_nonnull (node);
  method = json_object_get_object_member (json_node_get_object (node), "method");
  return json_object_ref (json_object_get_object_member (method, "params"));
}

/* --masks N is exactly N masks (distance_explainer's count, for parity);
 * with --stop-at it is the most; a threshold out of [0, 1] is a usage
 * error naming it. */
static void
test_distance_stop (void)
{
  g_autoptr(JsonObject) exact = NULL, stopped = NULL;
  g_autofree char *tiny = lk_test_tiny_dir ("clip"), *out = NULL, *err = NULL;
  g_autofree char *photo = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.png", NULL);
  g_autofree char *dir = g_dir_make_tmp ("lk-cli-XXXXXX", NULL), *json = g_build_filename (dir, "x.json", NULL);

  g_assert_cmpint (run_bounded ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--masks", "300",
                                                   "--image", photo, "--json", json, "a red square", NULL },
                                &out, &err), ==, 0);
  exact = distance_params (json);
  g_assert_cmpint (json_object_get_int_member (exact, "n_masks_used"), ==, 300);
  g_assert_cmpstr (json_object_get_string_member (exact, "stopped"), ==, "off");
  g_assert_cmpfloat (json_object_get_double_member (exact, "stop_at"), ==, 0);
  g_assert_nonnull (strstr (out, "\nn_masks_used=300\nstop_at=0.000000\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_bounded ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--masks", "3000",
                                                   "--stop-at", "0.8", "--image", photo, "--json", json, "a red square",
                                                   NULL }, &out, &err), ==, 0);
  stopped = distance_params (json);
  g_assert_cmpint (json_object_get_int_member (stopped, "n_masks_used"), <, 3000);
  g_assert_cmpstr (json_object_get_string_member (stopped, "stopped"), ==, "converged");
  g_assert_cmpfloat (json_object_get_double_member (stopped, "stop_at"), ==, 0.8);
  expect_usage ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--stop-at", "1.5", "--image",
                                   photo, "a red square", NULL }, "--stop-at");
  expect_usage ((const char *[]) { "explain", "--model", tiny, "--method", "distance", "--stop-at", "-0.5", "--image",
                                   photo, "a red square", NULL }, "--stop-at");
  lk_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cli = g_test_build_filename (G_TEST_BUILT, "..", "app", "cli", "likeness-cli", NULL);
  g_test_add_func ("/cli/help-and-usage", test_help_and_usage);
  g_test_add_func ("/cli/similarity", test_similarity_json);
  g_test_add_func ("/cli/errors", test_errors);
  g_test_add_func ("/cli/named-errors", test_named_errors);
  g_test_add_func ("/cli/explain-json", test_explain_json);
  g_test_add_func ("/cli/eval-sts", test_eval_sts);
  g_test_add_func ("/cli/hostile-images", test_hostile_images);
  g_test_add_func ("/cli/batch", test_batch);
  g_test_add_func ("/cli/distance-stop", test_distance_stop);
  return g_test_run ();
}
