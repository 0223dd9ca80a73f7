/* test-aspect-head.c — aspect heads (docs/aspects.md, "Aspects without
 * fine-tuning") on the tiny models: a head trained here on a few pairs is
 * orthogonal and keeps every cosine; the explanation it gives decomposes
 * the model's own score; a head for other weights and a bad head file are
 * refused with messages that say why. The shipped all-MiniLM-L6-v2 head:
 * test-aspects-parity.c. */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lk-aspects.h"
#include "lk-error.h"
#include "lk-method-info.h"
#include "lk-provenance.h"
#include "lk-test-utils.h"

static LkModel *tiny_bert;
static char *workdir;
static char *head_path;   /* trained once, by /aspect-head/train */

static const char *texts[] = {
  "A man is playing a guitar.", "Nobody is playing the guitar.", "Two dogs run in the park.",
  "3 children are not sleeping.", "The Eiffel Tower is in Paris.",
};

static LkAspectHead *
trained_head (void)
{
  g_autoptr(GError) error = NULL;
  LkAspectHead *h = lk_aspect_head_read (head_path, &error);

  g_assert_no_error (error);
  return h;
}

/* Trains on the 32 smoke pairs (dev pairs none: fewer than two batches
 * would be left), 4 aspects × 4 of the tiny BERT's 32 dims. */
static void
test_train (void)
{
  g_autofree char *base = lk_test_tiny_dir ("bert");
  g_autofree char *pairs = g_test_build_filename (G_TEST_DIST, "golden", "aspects", "smoke-pairs.tsv", NULL);
  const char *files[] = { pairs, NULL };
  LkAspectHeadTrainParams p;
  LkAspectHeadTrainResult r;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAspectHead) h = NULL;
  g_autoptr(JsonObject) prov = lk_provenance_of_model (base, NULL);

  lk_aspect_head_train_params_init (&p);
  p.base = base;
  p.pairs = files;
  p.builtin = TRUE;
  p.out = head_path;
  p.aspect_dim = 4;
  p.epochs = 20;
  p.batch_size = 8;
  p.lr = 1e-2;
  p.device = LK_DEVICE_CPU;
  g_assert_true (lk_aspect_head_train (&p, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_train + r.n_dev, ==, 32);
  g_assert_cmpint (r.shim.steps, ==, 20 * ((r.n_train + 7) / 8));
  /* the head learns: it beats the base model's own first 16 dims */
  g_assert_cmpfloat (r.shim.best_dev_mse, <, r.shim.base_dev_mse);
  h = trained_head ();
  g_assert_cmpuint (h->dim, ==, 32);
  g_assert_cmpuint (h->layout->n_aspects, ==, LK_N_BUILTIN_METRICS);
  g_assert_cmpuint (h->layout->aspect_dim, ==, 4);
  g_assert_cmpstr (h->layout->names[0], ==, "Negation");
  g_assert_cmpstr (h->weights_sha256, ==, json_object_get_string_member (prov, "weights_sha256"));
  g_assert_true (lk_aspect_head_check_model (h, tiny_bert, &error));
  g_assert_no_error (error);
}

/* QQᵀ = I, recomputed here, and cos(Qa, Qb) = cos(a, b). */
static void
test_orthogonal (void)
{
  g_autoptr(LkAspectHead) h = trained_head ();
  guint d = h->dim, n = G_N_ELEMENTS (texts);
  g_autofree float *e = g_new (float, (gsize) n * d);
  g_autofree double *q = g_new (double, (gsize) n * d);
  g_autoptr(GError) error = NULL;
  double worst = 0;

  for (guint i = 0; i < d; i++)
    for (guint j = 0; j < d; j++)
      {
        double dot = 0;
        for (guint k = 0; k < d; k++)
          dot += (double) h->q[i * d + k] * h->q[j * d + k];
        worst = fmax (worst, fabs (dot - (i == j)));
      }
  g_assert_cmpfloat (worst, <, 1e-5);
  g_assert_cmpfloat (fabs (worst - h->orthogonality), <, 1e-9);
  /* not the identity (nor a sign flip): training moved it */
  g_assert_cmpfloat (fabs (h->q[0]), <, 0.9999);
  g_assert_true (lk_model_embed (tiny_bert, texts, n, e, NULL, NULL, NULL, NULL, &error));
  for (guint i = 0; i < n; i++)
    lk_aspect_head_apply (h, e + (gsize) i * d, q + (gsize) i * d);
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        const double *a = q + (gsize) i * d, *b = q + (gsize) j * d;
        double ab = 0, aa = 0, bb = 0;
        for (guint k = 0; k < d; k++)
          {
            ab += a[k] * b[k];
            aa += a[k] * a[k];
            bb += b[k] * b[k];
          }
        g_assert_cmpfloat (fabs (ab / sqrt (aa * bb) - lk_cosine (e + (gsize) i * d, e + (gsize) j * d, d)), <, 1e-5);
      }
}

/* The model folder has no layout: lk_explain_aspects () finds the head in
 * $LIKENESS_ASPECT_HEADS, and the shares add up to the model's score. */
static void
test_explain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = NULL;
  JsonObject *params;
  JsonArray *aspects;
  double sum = 0;

  g_setenv ("LIKENESS_ASPECT_HEADS", workdir, TRUE);
  x = lk_explain_aspects (tiny_bert, NULL, texts[0], texts[1], NULL, &error);
  g_assert_no_error (error);
  params = lk_explanation_get_params (x);
  g_assert_cmpstr (json_object_get_string_member (params, "space"), ==, "head");
  g_assert_cmpstr (json_object_get_string_member (params, "head"), ==, head_path);
  aspects = json_node_get_array (lk_explanation_lookup_extra (x, LK_EXTRA_ASPECTS));
  g_assert_cmpuint (json_array_get_length (aspects), ==, LK_N_BUILTIN_METRICS);
  for (guint i = 0; i < json_array_get_length (aspects); i++)
    sum += json_object_get_double_member (json_array_get_object_element (aspects, i), "share");
  sum += json_object_get_double_member (lk_explanation_lookup_object (x, "residual"), "share");
  g_assert_cmpfloat (fabs (sum - lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN)), <, 1e-5);
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_SHARES_GAP, NAN), <, 1e-5);
  g_assert_cmpint (lk_explanation_get_verdict (x, NULL), ==, LK_VERDICT_GOOD);
  /* the similarity is the model's own cosine, head or not */
  {
    float e[64];
    g_assert_true (lk_model_embed (tiny_bert, texts, 2, e, NULL, NULL, NULL, NULL, &error));
    g_assert_cmpfloat (fabs (lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN) - lk_cosine (e, e + 32, 32)), <, 1e-6);
  }
  g_unsetenv ("LIKENESS_ASPECT_HEADS");
}

/* A head is for one model's weights: refused for another model (MPNet),
 * for the same model with other weights (one value changed), and not found
 * for either. */
static void
test_wrong_model (void)
{
  g_autoptr(LkAspectHead) h = trained_head ();
  g_autoptr(LkModel) mpnet = lk_test_load_tiny ("mpnet");
  g_autofree char *poisoned = lk_test_poisoned_tiny_bert ("embeddings.word_embeddings.weight", 5, 0.5f);
  LkModelOptions opts = { .device = LK_DEVICE_CPU, .n_threads = 2 };
  g_autoptr(LkModel) other = lk_model_new_from_dir (poisoned, NULL, &opts, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = NULL;

  g_assert_false (lk_aspect_head_check_model (h, mpnet, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  lk_test_assert_message (error, "is an aspect head for");
  lk_test_assert_message (error, "not for");
  g_clear_error (&error);
  g_assert_nonnull (other);
  g_assert_false (lk_aspect_head_check_model (h, other, &error));
  lk_test_assert_message (error, "weights SHA-256");
  g_clear_error (&error);
  g_setenv ("LIKENESS_ASPECT_HEADS", workdir, TRUE);
  x = lk_explain_aspects (mpnet, NULL, texts[0], texts[1], NULL, &error);
  g_assert_null (x);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  lk_test_assert_message (error, "no aspect head was found for its weights");
  g_clear_error (&error);
  g_assert_false (lk_aspects_available (lk_model_get_path (mpnet)));
  g_assert_true (lk_aspects_available (lk_model_get_path (tiny_bert)));
  g_unsetenv ("LIKENESS_ASPECT_HEADS");
  lk_test_rm_rf (poisoned);
}

static void
expect_bad (const char *path, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAspectHead) h = lk_aspect_head_read (path, &error);

  g_assert_null (h);
  g_assert_nonnull (error);
  lk_test_assert_message (error, path);
  lk_test_assert_message (error, fragment);
}

/* A copy of the trained head with @from replaced by @to in its header
 * (same length, so the offsets stay right). */
static char *
edited_head (const char *name, const char *from, const char *to)
{
  g_autofree char *data = NULL;
  char *path = g_build_filename (workdir, name, NULL);
  gsize len;
  char *at;

  g_assert_cmpuint (strlen (from), ==, strlen (to));
  g_assert_true (g_file_get_contents (head_path, &data, &len, NULL));
  /* the header starts after its 8-byte length, which holds NUL bytes */
  g_assert_nonnull ((at = g_strstr_len (data + 8, MIN (len - 8, 8192), from)));
  memcpy (at, to, strlen (to));
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  return path;
}

static void
test_bad_file (void)
{
  g_autofree char *missing = g_build_filename (workdir, "missing.safetensors", NULL);
  g_autofree char *tiny = g_build_filename (workdir, "short.safetensors", NULL);
  g_autofree char *cut = g_build_filename (workdir, "cut.safetensors", NULL);
  g_autofree char *skew = g_build_filename (workdir, "skew.safetensors", NULL);
  g_autofree char *f16 = edited_head ("f16.safetensors", "\"F32\"", "\"F16\"");
  g_autofree char *format = edited_head ("format.safetensors", "aspect-head/1", "aspect-head/9");
  g_autofree char *dim = edited_head ("dim.safetensors", "\"embedding_dim\":\"32\"", "\"embedding_dim\":\"31\"");
  g_autoptr(LkAspectHead) h = trained_head ();
  g_autoptr(GError) error = NULL;

  expect_bad (missing, "No such file");
  g_assert_true (g_file_set_contents (tiny, "abc", 3, NULL));
  expect_bad (tiny, "shorter than a safetensors header");
  lk_test_write_cut (head_path, cut, 0.6);
  expect_bad (cut, "must fill the data section");
  expect_bad (f16, "must be F32");
  expect_bad (format, "expected \"likeness.aspect-head/1\"");
  expect_bad (dim, "must have the shape [31, 31]");
  /* a Q that is not orthogonal (one entry doubled) would not keep the
   * model's cosines: refused on reading */
  h->q[3] = 2 * h->q[3] + 0.1f;
  g_assert_true (lk_aspect_head_write (h, skew, &error));
  g_assert_no_error (error);
  expect_bad (skew, "Q is not orthogonal");
  /* written atomically: no temporary file is left beside it */
  {
    g_autoptr(GDir) d = g_dir_open (workdir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)))
      g_assert_null (strstr (name, ".tmp"));
  }
}

/* Bad training input, before anything is computed. */
static void
test_bad_params (void)
{
  g_autofree char *base = lk_test_tiny_dir ("bert");
  g_autofree char *pairs = g_test_build_filename (G_TEST_DIST, "golden", "aspects", "smoke-pairs.tsv", NULL);
  g_autofree char *out = g_build_filename (workdir, "x.bin", NULL);
  const char *files[] = { pairs, NULL };
  LkAspectHeadTrainParams p;
  g_autoptr(GError) error = NULL;

  lk_aspect_head_train_params_init (&p);
  p.base = base;
  p.pairs = files;
  p.builtin = TRUE;
  p.out = out;
  g_assert_false (lk_aspect_head_train (&p, NULL, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "must end in .safetensors");
  g_clear_error (&error);
  p.out = head_path;
  p.aspect_dim = 9;   /* 4 × 9 = 36 > 32 */
  g_assert_false (lk_aspect_head_train (&p, NULL, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "too few for 4 aspects × 9 dims");
  g_clear_error (&error);
  p.aspect_dim = 4;
  p.split = "TRAIN";  /* the smoke pairs are not SICK.txt: no such split */
  g_assert_false (lk_aspect_head_train (&p, NULL, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  workdir = g_dir_make_tmp ("likeness-head-XXXXXX", NULL);
  head_path = g_build_filename (workdir, "tiny-bert.safetensors", NULL);
  tiny_bert = lk_test_load_tiny ("bert");
  g_test_add_func ("/aspect-head/train", test_train);
  g_test_add_func ("/aspect-head/orthogonal", test_orthogonal);
  g_test_add_func ("/aspect-head/explain", test_explain);
  g_test_add_func ("/aspect-head/wrong-model", test_wrong_model);
  g_test_add_func ("/aspect-head/bad-file", test_bad_file);
  g_test_add_func ("/aspect-head/bad-params", test_bad_params);
  rc = g_test_run ();
  g_object_unref (tiny_bert);
  lk_test_rm_rf (workdir);
  g_free (head_path);
  g_free (workdir);
  return rc;
}
