/* test-aspects.c — S3BERT aspect spaces on the tiny BERT
 * (tests/golden/tiny/bert): the exact decomposition, lk_explain_aspects (),
 * layouts, the built-in metrics, bad training input, and short training runs
 * that are cancelled, resumed and loaded back. The Python recomputation on
 * the real all-MiniLM-L6-v2 (golden): test-aspects-parity.c. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "lk-aspects.h"
#include "lk-error.h"
#include "lk-runtime.h"
#include "lk-test-utils.h"

/* lk-aspect-train-private.h's LK_TRAIN_MARKER, spelt out: the test must not lean on the code it checks. */
#define LK_TRAIN_MARKER_NAME "likeness-train.txt"

static LkModel *tiny_bert;

static void
test_identity (void)
{
  g_autoptr(LkAspectLayout) l = lk_aspect_layout_new (5, 7, NULL);
  GRand *rand = g_rand_new_with_seed (7);
  float a[64], b[64];
  double overall, sims[6], shares[6], sum = 0;

  for (guint i = 0; i < 64; i++)
    {
      a[i] = g_rand_double_range (rand, -1, 1);
      b[i] = g_rand_double_range (rand, -1, 1) + 0.3 * a[i];
    }
  g_rand_free (rand);
  g_assert_true (lk_aspects_decompose (l, a, b, 64, &overall, sims, shares));
  for (guint i = 0; i < 6; i++)
    {
      sum += shares[i];
      g_assert_cmpfloat (fabs (sims[i]), <=, 1 + 1e-12);
    }
  g_assert_cmpfloat (fabs (sum - lk_cosine (a, b, 64)), <, 1e-12);
  g_assert_cmpfloat (fabs (overall - lk_cosine (a, b, 64)), <, 1e-12);
  g_assert_cmpstr (l->names[4], ==, "aspect 5");
  /* 5 × 7 = 35 dims do not fit in 32 */
  g_assert_false (lk_aspects_decompose (l, a, b, 32, &overall, sims, shares));
}

/* lk_explain_aspects () on the tiny BERT with the built-in names (4 aspects
 * of 4 of its 32 dims): one entry per aspect, by name; the overall
 * similarity is the embeddings' cosine, and the shares with the residual's
 * add up to it. (Against the Python recomputation on the real model:
 * test-aspects-parity.c.) */
static void
test_explain (void)
{
  g_autoptr(LkAspectLayout) layout = lk_aspect_layout_new (LK_N_BUILTIN_METRICS, 4, lk_builtin_metric_names ());
  const char *pair[] = { "A man is playing.", "A man is not playing." };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_explain_aspects (tiny_bert, layout, pair[0], pair[1], NULL, &error);
  g_autoptr(JsonNode) root = NULL;
  float e[2 * 32];
  JsonArray *ga;
  JsonObject *gr;
  double sum = 0, sim;

  g_assert_no_error (error);
  g_assert_cmpuint (lk_model_get_dim (tiny_bert), ==, 32);
  g_assert_true (lk_model_embed (tiny_bert, pair, 2, e, NULL, NULL, NULL, NULL, &error));
  root = lk_explanation_to_json (x);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "aspects");
  ga = json_object_get_array_member (json_node_get_object (root), "aspects");
  gr = json_object_get_object_member (json_node_get_object (root), "residual");
  sim = lk_explanation_get_score (x, "similarity", NAN);
  g_assert_cmpfloat (fabs (sim - lk_cosine (e, e + 32, 32)), <, 1e-6);
  g_assert_cmpuint (json_array_get_length (ga), ==, LK_N_BUILTIN_METRICS);
  for (guint k = 0; k < json_array_get_length (ga); k++)
    {
      JsonObject *g = json_array_get_object_element (ga, k);

      g_assert_cmpstr (json_object_get_string_member (g, "name"), ==, lk_builtin_metric_names ()[k]);
      g_assert_cmpfloat (fabs (json_object_get_double_member (g, "similarity")), <=, 1 + 1e-6);
      sum += json_object_get_double_member (g, "share");
    }
  sum += json_object_get_double_member (gr, "share");
  g_assert_cmpfloat (fabs (sum - sim), <, 1e-6);
}

static char *
write_file (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_layout (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *json = NULL, *py = NULL;
  g_autoptr(GError) error = NULL;
  LkAspectLayout *l;

  l = lk_aspect_layout_read (dir, &error);
  g_assert_null (l);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* S3BERT's config.py convention */
  py = write_file (dir, "config.py",
                   "BATCH_SIZE = 64\nN = 3\nFEATURE_DIM = 16\nFEATURES = ['input1', 'input2']\n"
                   "FEATURES += ['Concepts ', 'Frames ',\n  'Negations ']\n");
  l = lk_aspect_layout_read (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->n_aspects, ==, 3);
  g_assert_cmpuint (l->aspect_dim, ==, 16);
  g_assert_cmpstr (l->names[0], ==, "Concepts");
  g_assert_cmpstr (l->names[2], ==, "Negations");
  lk_aspect_layout_free (l);

  /* likeness_aspects.json comes first */
  json = write_file (dir, LK_ASPECTS_FILE,
                     "{\"format\": \"likeness.aspects/1\", \"n_aspects\": 2, \"aspect_dim\": 8, \"aspects\": [\"x\", \"y\"]}");
  l = lk_aspect_layout_read (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->n_aspects, ==, 2);
  g_assert_cmpstr (l->names[1], ==, "y");
  lk_aspect_layout_free (l);

  g_assert_true (g_file_set_contents (json, "{\"format\": \"likeness.aspects/1\", \"n_aspects\": 3, \"aspect_dim\": 8, "
                                            "\"aspects\": [\"x\", \"y\"]}", -1, NULL));
  g_assert_null (lk_aspect_layout_read (dir, &error));
  lk_test_assert_message (error, "has 2 names but \"n_aspects\" is 3");
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (json, "{\"format\": \"likeness.aspects/1\", \"n_aspects\": 2, \"aspect_dim\": -1, "
                                            "\"aspects\": [\"x\", \"y\"]}", -1, NULL));
  g_assert_null (lk_aspect_layout_read (dir, &error));
  lk_test_assert_message (error, "\"aspect_dim\" must be a positive integer");
  g_clear_error (&error);

  /* a layout wider than the model */
  g_assert_true (g_file_set_contents (json, "{\"format\": \"likeness.aspects/1\", \"n_aspects\": 2, \"aspect_dim\": 200, "
                                            "\"aspects\": [\"x\", \"y\"]}", -1, NULL));
  l = lk_aspect_layout_read (dir, &error);
  g_assert_no_error (error);
  g_assert_null (lk_explain_aspects (tiny_bert, l, "a", "b", NULL, &error));
  lk_test_assert_message (error, "needs 2 aspects × 200 dims = 400 dims");
  lk_aspect_layout_free (l);
  lk_test_rm_rf (dir);
}

static void
test_metrics (void)
{
  double m[LK_N_BUILTIN_METRICS];

  g_assert_cmpstr (lk_builtin_metric_names ()[0], ==, "Negation");
  lk_builtin_metrics ("A man is playing.", "A man is not playing.", m);
  g_assert_cmpfloat (m[0], ==, 0.0);
  g_assert_cmpfloat (m[3], ==, 1.0); /* man, playing */
  lk_builtin_metrics ("Nobody is here.", "He doesn't come.", m);
  g_assert_cmpfloat (m[0], ==, 1.0);
  lk_builtin_metrics ("Three dogs ran 5 km.", "Two dogs ran 5 km.", m);
  g_assert_cmpfloat (fabs (m[1] - 1.0 / 3), <, 1e-12); /* {three, 5} vs {two, 5} */
  lk_builtin_metrics ("Obama met Merkel in Berlin.", "Yesterday Merkel visited Paris.", m);
  g_assert_cmpfloat (fabs (m[2] - 1.0 / 3), <, 1e-12); /* {merkel, berlin} and {merkel, paris}: first words do not count */
  lk_builtin_metrics ("The cats sleep.", "A cat sleeps.", m);
  g_assert_cmpfloat (m[3], ==, 1.0); /* plural -s dropped */
}

typedef struct {
  double        sum[4];           /* the step losses: aspect before, after; consistency before, after */
  GArray       *dev_aspect;       /* double, one per evaluation */
  GArray       *dev_consistency;
  GCancellable *cancel_after_eval;
  long          last_step;
  gboolean      resumed;
} Progress;

static void
on_progress (const lk_shim_train_progress *p, gpointer data)
{
  Progress *pr = data;

  g_assert_true (isfinite (p->aspect_loss) && isfinite (p->consistency_loss));
  g_assert_cmpint (p->step, ==, pr->last_step + 1);
  pr->last_step = p->step;
  pr->sum[0] += p->aspect_loss;
  pr->sum[1] += p->aspect_loss_after;
  pr->sum[2] += p->consistency_loss;
  pr->sum[3] += p->consistency_loss_after;
  pr->resumed |= p->resumed;
  if (p->evaluated)
    {
      g_array_append_val (pr->dev_aspect, p->dev_aspect_mse);
      g_array_append_val (pr->dev_consistency, p->dev_consistency_mse);
      if (pr->cancel_after_eval)
        g_cancellable_cancel (pr->cancel_after_eval);
    }
}

/* The tiny BERT (32 dims): the four built-in aspects take 4 dims each. */
static void
smoke_params (LkAspectTrainParams *p, const char *pairs, const char *out)
{
  static char *base;

  if (base == NULL)
    base = lk_test_tiny_dir ("bert");
  lk_aspect_train_params_init (p);
  p->base = base;
  p->pairs = pairs;
  p->builtin = TRUE;
  p->out = out;
  p->epochs = 3;
  p->batch_size = 8;
  p->lr = 3e-3;
  p->warmup_steps = 0;
  p->aspect_dim = 4;
  p->device = LK_DEVICE_CPU;
}

static void
expect_bad (const char *tsv, gboolean builtin, int aspect_dim, const char *fragment)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *pairs = write_file (dir, "pairs.tsv", tsv);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *ckpt = g_strconcat (out, ".checkpoint", NULL);
  g_autoptr(GError) error = NULL;
  LkAspectTrainParams p;

  smoke_params (&p, pairs, out);
  p.builtin = builtin;
  p.batch_size = 2;
  if (aspect_dim)
    p.aspect_dim = aspect_dim;
  g_assert_false (lk_aspects_train (&p, NULL, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, fragment);
  /* refused before training: nothing written */
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  lk_test_rm_rf (dir);
}

static void
test_bad_input (void)
{
  const char *ok_rows = "a b\tc d\t0.5\t1\nb c\td e\t0.2\t0\nx\ty\t0.1\t0.4\n";
  g_autofree char *good = g_strconcat ("text_a\ttext_b\tX\tY\n", ok_rows, NULL);

  expect_bad ("text_a\ttext_b\tX\tY\na b\tc d\t0.5\n", FALSE, 0, "line 2: 3 columns, expected 4");
  expect_bad ("text_a\ttext_b\tX\tY\na b\tc d\t0.5\tlots\n", FALSE, 0, "the score of \"Y\" is \"lots\", expected a finite number");
  expect_bad ("text_a\ttext_b\tX\tY\na b\tc d\tnan\t1\nb\tc\t1\t0\n", FALSE, 0, "the score of \"X\" is \"nan\"");
  expect_bad ("text_a\ttext_b\tX\na\tb\t1\n", FALSE, 0, "1 pairs, fewer than one batch of 2");
  expect_bad ("text_a\ttext_b\n", FALSE, 0, "needs the two text columns and at least one aspect column");
  expect_bad ("text_a\ttext_b\tX\na\t\t1\n", FALSE, 0, "text B is empty");
  expect_bad ("text_a\ttext_b\tX\tY\na\tb\t1\t1\nc\td\t1\t0\n", FALSE, 0, "the scores of \"X\" are all 1");
  expect_bad (good, FALSE, 200, "embeds in 32 dims, too few for 2 aspects × 200 dims = 400");
}

/* A short run on 24 pairs (2 of them dev pairs): cancelled after its first evaluation, resumed
 * from the checkpoint by the same call, then loaded back. */
static void
test_train_resume (void)
{
  g_autofree char *pairs = g_test_build_filename (G_TEST_DIST, "golden", "aspects", "smoke-pairs.tsv", NULL);
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "model", NULL);
  g_autofree char *ckpt = g_strconcat (out, ".checkpoint", NULL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) trained = NULL;
  g_autoptr(LkAspectLayout) layout = NULL;
  g_autoptr(LkExplanation) x = NULL;
  Progress pr = { { 0 }, g_array_new (FALSE, FALSE, sizeof (double)), g_array_new (FALSE, FALSE, sizeof (double)), cancel, 0 };
  lk_shim_train_result r;
  LkAspectTrainParams p;
  LkModelOptions opts = { LK_DEVICE_CPU, 0 };
  gboolean ok;
  guint n;

  smoke_params (&p, pairs, out);
  p.max_pairs = 24;
  g_assert_false (lk_aspects_train (&p, on_progress, &pr, cancel, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (pr.dev_aspect->len, ==, 1);
  g_assert_true (g_file_test (ckpt, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  pr.cancel_after_eval = NULL;
  ok = lk_aspects_train (&p, on_progress, &pr, NULL, &r, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_true (pr.resumed);
  g_assert_cmpint (r.resumed_from_step, ==, 3); /* 22 training pairs, batches of 8: 3 steps an epoch */
  g_assert_cmpint (r.resumed_from_step + r.steps_done, ==, 9);
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  /* Both losses fall. The aspect loss over the run: the dev MSE of the
   * last epoch against the first. The consistency loss is 0 at the start
   * (student = teacher) and only measures the drift the aspect steps cause,
   * so what must fall is each batch's loss under the steps: after them
   * against before, summed over the run (the aspect loss too). */
  n = pr.dev_aspect->len;
  g_assert_cmpuint (n, ==, 3);
  g_test_message ("dev aspect MSE %g -> %g, dev consistency MSE %g -> %g; per step, summed: aspect %g -> %g, "
                  "consistency %g -> %g", g_array_index (pr.dev_aspect, double, 0),
                  g_array_index (pr.dev_aspect, double, n - 1), g_array_index (pr.dev_consistency, double, 0),
                  g_array_index (pr.dev_consistency, double, n - 1), pr.sum[0], pr.sum[1], pr.sum[2], pr.sum[3]);
  g_assert_cmpfloat (g_array_index (pr.dev_aspect, double, n - 1), <, g_array_index (pr.dev_aspect, double, 0));
  g_assert_cmpfloat (pr.sum[1], <, pr.sum[0]);
  g_assert_cmpfloat (pr.sum[3], <, pr.sum[2]);

  /* the folder loads back with its layout and explains */
  trained = lk_model_new_from_dir (out, NULL, &opts, &error);
  g_assert_no_error (error);
  layout = lk_aspect_layout_read (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (layout->n_aspects, ==, 4);
  g_assert_cmpstr (layout->names[3], ==, "Content words");
  x = lk_explain_aspects (trained, NULL, "Nobody is riding the horse.", "A woman is riding a horse.", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (lk_explanation_get_score (x, "shares_gap", 1), <, 1e-6);
  /* a second run into the same folder is refused */
  g_assert_false (lk_aspects_train (&p, NULL, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "already exists");
  g_array_unref (pr.dev_aspect);
  g_array_unref (pr.dev_consistency);
  lk_test_rm_rf (dir);
}

/* ---- the output folders (tiny BERT, 8 pairs, one epoch of 2 steps) ---- */

typedef struct {
  const char *block;     /* made as a folder at the last step, so that the rename fails */
  guint       steps;
} OutProgress;

static void
on_out_progress (const lk_shim_train_progress *p, gpointer data)
{
  OutProgress *op = data;

  op->steps++;
  if (op->block && p->step == p->n_steps)
    g_assert_cmpint (g_mkdir (op->block, 0755), ==, 0);
}

static void
tiny_params (LkAspectTrainParams *p, const char *dir, const char *out)
{
  static char *base, *pairs;
  g_autoptr(GString) tsv = g_string_new ("text_a\ttext_b\tsame\n");

  if (base == NULL)
    base = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  g_free (pairs);
  pairs = g_build_filename (dir, "pairs.tsv", NULL);
  for (guint i = 0; i < 8; i++)
    g_string_append_printf (tsv, "a cat %u\ta dog %u\t%u\n", i, i, i % 2);
  g_assert_true (g_file_set_contents (pairs, tsv->str, -1, NULL));
  lk_aspect_train_params_init (p);
  p->base = base;
  p->pairs = pairs;
  p->out = out;
  p->epochs = 1;
  p->batch_size = 4;
  p->aspect_dim = 2;
  p->warmup_steps = 0;
  p->device = LK_DEVICE_CPU;
}

static gboolean
in_dir (const char *dir, const char *a, const char *b)
{
  g_autofree char *path = g_build_filename (dir, a, b, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* --out DIR/ trained to the end, then failed at the rename and deleted the
 * weights; the DIR/.checkpoint it left made every re-run fail. */
static void
test_out_trailing_slash (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "model/", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  LkAspectTrainParams p;

  tiny_params (&p, dir, out);
  g_assert_true (lk_aspects_train (&p, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (in_dir (dir, "model", "model.safetensors"));
  g_assert_true (in_dir (dir, "model", LK_ASPECTS_FILE));
  g_assert_false (in_dir (dir, "model", ".checkpoint"));
  g_assert_false (in_dir (dir, "model", LK_TRAIN_MARKER_NAME));
  g_assert_false (in_dir (dir, "model.checkpoint", NULL));
  g_assert_false (in_dir (dir, "model.partial", NULL));
  m = lk_model_new_from_dir (out, NULL, &opts, &error);
  g_assert_no_error (error);
  lk_test_rm_rf (dir);
}

/* An OUT.partial of the user's was deleted silently. */
static void
test_out_user_partial (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "model", NULL);
  g_autofree char *partial = g_strconcat (out, ".partial", NULL);
  g_autofree char *notes = g_build_filename (partial, "my-notes.txt", NULL);
  g_autoptr(GError) error = NULL;
  OutProgress op = { NULL, 0 };
  LkAspectTrainParams p;

  g_assert_cmpint (g_mkdir (partial, 0755), ==, 0);
  g_assert_true (g_file_set_contents (notes, "mine", -1, NULL));
  tiny_params (&p, dir, out);
  g_assert_false (lk_aspects_train (&p, on_out_progress, &op, NULL, NULL, &error));
  lk_test_assert_message (error, partial);
  lk_test_assert_message (error, "move or delete it");
  g_assert_true (g_file_test (notes, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (op.steps, ==, 0);
  g_assert_false (in_dir (dir, "model.checkpoint", NULL));
  g_assert_false (in_dir (dir, "model", NULL));
  lk_test_rm_rf (dir);
}

/* A missing or unusable parent is found before anything is read (the pairs
 * file here does not even exist) or trained. */
static void
test_out_bad_parent (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "model", NULL);
  g_autofree char *file = g_build_filename (dir, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "model", NULL);
  g_autofree char *locked = g_build_filename (dir, "locked", NULL);
  g_autofree char *under_locked = g_build_filename (locked, "model", NULL);
  g_autoptr(GError) error = NULL;
  OutProgress op = { NULL, 0 };
  LkAspectTrainParams p;

  tiny_params (&p, dir, missing);
  p.pairs = "/nonexistent/pairs.tsv";
  g_assert_false (lk_aspects_train (&p, on_out_progress, &op, NULL, NULL, &error));
  lk_test_assert_message (error, "no-such-folder does not exist");
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  p.out = under_file;
  g_assert_false (lk_aspects_train (&p, on_out_progress, &op, NULL, NULL, &error));
  lk_test_assert_message (error, "a-file is not a folder");
  g_clear_error (&error);
  g_assert_cmpint (g_mkdir (locked, 0755), ==, 0);
  if (lk_test_make_unwritable (locked))
    {
      p.out = under_locked;
      g_assert_false (lk_aspects_train (&p, on_out_progress, &op, NULL, NULL, &error));
      lk_test_assert_message (error, "is not writable");
      g_clear_error (&error);
    }
  g_assert_cmpuint (op.steps, ==, 0);
  lk_test_make_writable (locked);
  lk_test_rm_rf (dir);
}

/* A failure after the last step (OUT appears meanwhile) keeps the trained
 * weights in OUT.partial and the checkpoint, touches nothing of OUT, and
 * the same call later finishes without training again. */
static void
test_out_fail_at_end (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "model", NULL);
  g_autoptr(GError) error = NULL;
  OutProgress op = { out, 0 };
  lk_shim_train_result r;
  LkAspectTrainParams p;

  tiny_params (&p, dir, out);
  g_assert_false (lk_aspects_train (&p, on_out_progress, &op, NULL, &r, &error));
  g_test_message ("%s", error->message);
  lk_test_assert_message (error, "the trained model is kept in");
  g_assert_cmpuint (op.steps, ==, 2);
  g_assert_true (in_dir (dir, "model.partial", "model.safetensors"));
  g_assert_true (in_dir (dir, "model.checkpoint", "state.pt"));
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_DIR));
  g_assert_false (in_dir (dir, "model", "model.safetensors"));
  g_clear_error (&error);

  g_assert_cmpint (g_rmdir (out), ==, 0);
  op.block = NULL;
  op.steps = 0;
  g_assert_true (lk_aspects_train (&p, on_out_progress, &op, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (op.steps, ==, 0);
  g_assert_cmpint (r.resumed_from_step, ==, 2);
  g_assert_true (in_dir (dir, "model", "model.safetensors"));
  g_assert_false (in_dir (dir, "model.partial", NULL));
  g_assert_false (in_dir (dir, "model.checkpoint", NULL));
  lk_test_rm_rf (dir);
}

/* ---- async, and the defaults ---- */

typedef struct {
  GThread              *thread;     /* where the progress must arrive */
  guint                 steps;
  long                  last_step;
  gboolean              finished;   /* a report now fails the test */
  gboolean              ok;
  lk_shim_train_result  r;
  GError               *error;
} AsyncTrain;

static void
on_async_progress (const lk_shim_train_progress *p, gpointer data)
{
  AsyncTrain *t = data;

  g_assert_true (g_thread_self () == t->thread);
  g_assert_false (t->finished);
  g_assert_cmpint (p->step, ==, t->last_step + 1);
  t->last_step = p->step;
  t->steps++;
}

static void
on_trained (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncTrain *t = data;

  t->ok = lk_aspects_train_finish (result, &t->r, &t->error);
  t->finished = TRUE;
}

static void
train_async_wait (LkAspectTrainParams *p, GCancellable *cancellable, AsyncTrain *t)
{
  g_autofree char *out = g_strdup (p->out);

  /* The call copies the parameters: the caller's go at once. */
  p->out = out;
  lk_aspects_train_async (p, on_async_progress, t, cancellable, on_trained, t);
  p->out = NULL;
  g_clear_pointer (&out, g_free);
  while (!t->finished)
    g_main_context_iteration (NULL, TRUE);
  /* A late report would fail on_async_progress's assertion. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The tiny BERT's two steps in a worker: every step reported in order in
 * this thread, none after the result; a run cancelled before it starts
 * leaves nothing. */
static void
test_train_async (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-aspects-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "model", NULL);
  g_autofree char *cancelled_out = g_build_filename (dir, "cancelled", NULL);
  g_autofree char *layout_path = g_build_filename (out, LK_ASPECTS_FILE, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  AsyncTrain t = { g_thread_self (), 0, 0, FALSE, FALSE, { 0 }, NULL };
  AsyncTrain c = { g_thread_self (), 0, 0, FALSE, FALSE, { 0 }, NULL };
  lk_shim_train_params shim;
  LkAspectTrainParams p;
  JsonObject *training;

  tiny_params (&p, dir, out);
  train_async_wait (&p, NULL, &t);
  g_assert_no_error (t.error);
  g_assert_true (t.ok);
  g_assert_cmpuint (t.steps, ==, 2);
  g_assert_cmpint (t.r.steps_done, ==, 2);
  g_assert_true (in_dir (dir, "model", "model.safetensors"));
  /* The layout records the layers the shim trained, its default. */
  lk_shim_train_default_params (&shim);
  g_assert_true (json_parser_load_from_file (parser, layout_path, NULL));
  training = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "training");
  g_assert_cmpint (json_object_get_int_member (training, "trainable_layers"), ==, shim.trainable_layers);

  tiny_params (&p, dir, cancelled_out);
  g_cancellable_cancel (cancellable);
  train_async_wait (&p, cancellable, &c);
  g_assert_false (c.ok);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (c.steps, ==, 0);
  g_assert_false (in_dir (dir, "cancelled", NULL));
  g_assert_false (in_dir (dir, "cancelled.checkpoint", NULL));
  g_clear_error (&c.error);
  lk_test_rm_rf (dir);
}

/* One set of defaults: the shim's, taken by core's init. */
static void
test_train_defaults (void)
{
  LkAspectTrainParams p;
  lk_shim_train_params shim;

  lk_aspect_train_params_init (&p);
  lk_shim_train_default_params (&shim);
  g_assert_cmpint (p.epochs, ==, shim.epochs);
  g_assert_cmpint (p.batch_size, ==, shim.batch_size);
  g_assert_cmpfloat (p.lr, ==, shim.lr);
  g_assert_cmpint (p.warmup_steps, ==, shim.warmup_steps);
  g_assert_cmpint (p.eval_steps, ==, shim.eval_steps);
  g_assert_cmpint (p.aspect_dim, >, 0);
}

int
main (int argc, char **argv)
{
  int rc;

  /* passive OpenMP waiting: spinning threads slow a loaded machine's run several-fold */
  lk_runtime_init (argv);
  g_test_init (&argc, &argv, NULL);
  tiny_bert = lk_test_load_tiny ("bert");
  g_test_add_func ("/aspects/identity", test_identity);
  g_test_add_func ("/aspects/explain", test_explain);
  g_test_add_func ("/aspects/layout", test_layout);
  g_test_add_func ("/aspects/metrics", test_metrics);
  g_test_add_func ("/aspects/bad-input", test_bad_input);
  g_test_add_func ("/aspects/train-resume", test_train_resume);
  g_test_add_func ("/aspects/out/trailing-slash", test_out_trailing_slash);
  g_test_add_func ("/aspects/out/user-partial", test_out_user_partial);
  g_test_add_func ("/aspects/out/bad-parent", test_out_bad_parent);
  g_test_add_func ("/aspects/out/fail-at-end", test_out_fail_at_end);
  g_test_add_func ("/aspects/train-async", test_train_async);
  g_test_add_func ("/aspects/train-defaults", test_train_defaults);
  rc = g_test_run ();
  g_object_unref (tiny_bert);
  return rc;
}
