/* test-explain.c — the token-pair methods on the tiny random-weight BERT
 * (tests/golden/tiny/bert, with all-MiniLM-L6-v2's tokenizer): each shows its
 * own check, and the checks hold where the math says so. What only the real
 * model shows is in test-explain-parity.c. */
#include <math.h>

#include "lk-error.h"
#include "lk-explain.h"
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

static void zero_biases (LkExplainParams *p) { p->zero_biases = TRUE; }
/* Reverse mode costs one backward pass per embedding dimension: compared at
 * the input of layer 1 (of the tiny BERT's 2), so that the check stays quick;
 * conservation holds at any layer. */
static void forward_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_FORWARD; p->zero_biases = TRUE; p->layer = 1; }
static void reverse_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_REVERSE; p->zero_biases = TRUE; p->layer = 1; }
static void riemann (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_RIEMANN; }
static void dot (LkExplainParams *p) { p->measure = LK_MEASURE_DOT; }

static void
test_bilrp_conservation (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_BILRP, zero_biases);
  g_autoptr(LkExplanation) f = explain (LK_METHOD_BILRP, forward_l1);
  g_autoptr(LkExplanation) y = explain (LK_METHOD_BILRP, reverse_l1);
  const LkMatrix *mx = lk_explanation_get_matrix (f), *my = lk_explanation_get_matrix (y);
  double sim = lk_explanation_get_score (x, "similarity", NAN), diff = 0, scale = 0;

  /* with zero biases ΣR = e_aᵀe_b (cosine-scaled) */
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "sum", NAN) - sim) / fabs (sim), <, 1e-4);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
  g_assert_cmpfloat (lk_explanation_get_score (f, "error_relative", 1), <, 1e-4);
  /* forward and reverse mode give the same matrix */
  g_assert_cmpuint (mx->rows * mx->cols, ==, my->rows * my->cols);
  for (guint i = 0; i < mx->rows * mx->cols; i++)
    {
      diff = fmax (diff, fabs (mx->data[i] - my->data[i]));
      scale = fmax (scale, fabs (my->data[i]));
    }
  g_test_message ("forward vs reverse: max difference %.3g of max |R| %.3g", diff, scale);
  g_assert_cmpfloat (diff / scale, <, 1e-5);
}

static void forward_mode (LkExplainParams *p) { p->ad_mode = LK_AD_FORWARD; }
static void ij_steps (LkExplainParams *p) { p->steps = 6; }
static void ij_steps_forward (LkExplainParams *p) { p->steps = 6; p->ad_mode = LK_AD_FORWARD; }

/* A short text against a long one: auto projects the long text's pass onto
 * the short one's U (lk-methods.c, explain_projected) and must give the
 * matrix that U_aᵀU_b gives, whichever side is the short one, for every
 * method of the engine. */
static void
test_projected (void)
{
  const char *shrt = "Coffee?";
  const char *lng = "This is not a good coffee at all, and the tea that came with it was cold and far too weak.";
  const LkMethod methods[] = { LK_METHOD_IJ, LK_METHOD_BILRP, LK_METHOD_HXP };

  for (guint k = 0; k < G_N_ELEMENTS (methods); k++)
    for (guint side = 0; side < 2; side++)
      {
        const char *a = side ? lng : shrt, *b = side ? shrt : lng;
        void (*autom) (LkExplainParams *) = methods[k] == LK_METHOD_IJ ? ij_steps : NULL;
        void (*fwd) (LkExplainParams *) = methods[k] == LK_METHOD_IJ ? ij_steps_forward : forward_mode;
        g_autoptr(LkExplanation) p = lk_test_explain (model, a, b, methods[k], autom);
        g_autoptr(LkExplanation) f = lk_test_explain (model, a, b, methods[k], fwd);
        const LkMatrix *mp = lk_explanation_get_matrix (p), *mf = lk_explanation_get_matrix (f);
        JsonObject *params = lk_explanation_get_params (p);
        double diff = 0, scale = 0;

        g_assert_cmpstr (json_object_get_string_member_with_default (params, "contraction", ""), ==,
                         side ? "projected onto text B" : "projected onto text A");
        g_assert_false (json_object_has_member (lk_explanation_get_params (f), "contraction"));
        g_assert_cmpuint (mp->rows, ==, mf->rows);
        g_assert_cmpuint (mp->cols, ==, mf->cols);
        for (guint i = 0; i < mp->rows * mp->cols; i++)
          {
            diff = fmax (diff, fabs (mp->data[i] - mf->data[i]));
            scale = fmax (scale, fabs (mf->data[i]));
          }
        g_test_message ("%s, short text %c: projected vs forward: max difference %.3g of max %.3g",
                        lk_method_to_string (methods[k]), side ? 'B' : 'A', diff, scale);
        g_assert_cmpfloat (diff / scale, <, 1e-5);
        g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (p, "similarity", NAN),
                                        lk_explanation_get_score (f, "similarity", NAN), 1e-12);
      }
}

static void
test_bilrp_gap_reported (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_BILRP, NULL);
  double gap = lk_explanation_get_score (x, "error", NAN);
  double sum = lk_explanation_get_score (x, "sum", NAN), sim = lk_explanation_get_score (x, "similarity", NAN);

  g_assert_cmpfloat_with_epsilon (gap, fabs (sum - sim), 1e-9);
}

static void
test_ij (void)
{
  g_autoptr(LkExplanation) g = explain (LK_METHOD_IJ, NULL);
  g_autoptr(LkExplanation) r = explain (LK_METHOD_IJ, riemann);
  JsonObject *params = lk_explanation_get_params (g);

  g_assert_cmpint (json_object_get_int_member (params, "layer"), ==, 0);  /* L − 2 of 2 */
  g_assert_cmpstr (json_object_get_string_member (params, "quadrature"), ==, "gauss");
  /* ΣA approximates the expected value; both errors are reported */
  g_assert_cmpfloat (lk_explanation_get_score (g, "error", NAN), <, 1e-3 * fabs (lk_explanation_get_score (g, "expected", NAN)));
  g_assert_cmpfloat (lk_explanation_get_score (g, "error", 1), <, lk_explanation_get_score (r, "error", 0));
  g_assert_true (isfinite (lk_explanation_get_score (g, "error_vs_score", NAN)));
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (g, "expected", 0),
                                  lk_explanation_get_score (g, "similarity", 0) - lk_explanation_get_score (g, "ref_a_rb", 0)
                                  - lk_explanation_get_score (g, "ref_ra_b", 0) + lk_explanation_get_score (g, "ref_ra_rb", 0), 1e-9);
}

static void
test_dot_measure (void)
{
  g_autoptr(LkExplanation) c = explain (LK_METHOD_HXP, NULL);
  g_autoptr(LkExplanation) d = explain (LK_METHOD_HXP, dot);

  /* BERT's embedding before Normalize is not unit length: dot ≠ cos */
  g_assert_cmpfloat (fabs (lk_explanation_get_score (d, "similarity", 0) - lk_explanation_get_score (c, "similarity", 0)), >, 1e-3);
}

static void
test_alignment (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_ALIGN, NULL);
  const LkMatrix *m = lk_explanation_get_matrix (x);
  double p = lk_explanation_get_score (x, "precision", NAN), r = lk_explanation_get_score (x, "recall", NAN);

  g_assert_cmpuint (m->rows, ==, lk_explanation_get_n_tokens (x, 0));
  for (guint i = 0; i < m->rows * m->cols; i++)
    g_assert_cmpfloat (fabs (m->data[i]), <=, 1 + 1e-6);
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (x, "f1", 0), 2 * p * r / (p + r), 1e-12);
  /* bert-score's variant takes the best partner among more tokens (the
   * specials too): never less than the content variant's */
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_BERTSCORE_PRECISION, NAN), >=, p);
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_BERTSCORE_RECALL, NAN), >=, r);
  p = lk_explanation_get_score (x, LK_SCORE_BERTSCORE_PRECISION, NAN);
  r = lk_explanation_get_score (x, LK_SCORE_BERTSCORE_RECALL, NAN);
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (x, LK_SCORE_BERTSCORE_F1, NAN), 2 * p * r / (p + r), 1e-12);
}

static void
test_words_and_json (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_HXP, NULL);
  g_autoptr(JsonNode) node = lk_explanation_to_json (x);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) y = lk_explanation_new_from_json (node, &error);
  const LkMatrix *m = lk_explanation_get_matrix (x), *w = lk_explanation_get_word_matrix (x);
  const LkMatrix *m2;

  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (lk_matrix_sum (w), lk_matrix_sum (m), 1e-9);
  g_assert_cmpuint (w->rows, <=, m->rows);
  g_assert_cmpuint (lk_explanation_get_n_words (x, 0), ==, w->rows);
  m2 = lk_explanation_get_matrix (y);
  g_assert_cmpuint (m2->rows, ==, m->rows);
  g_assert_cmpuint (m2->cols, ==, m->cols);
  for (guint i = 0; i < m->rows * m->cols; i++)
    g_assert_cmpfloat_with_epsilon (m2->data[i], m->data[i], 1e-12);
  g_assert_cmpstr (lk_explanation_get_text (y, 1), ==, B);
  g_assert_cmpstr (lk_explanation_get_token (y, 0, 0)->text, ==, "[CLS]");
  g_assert_true (lk_explanation_get_token (y, 0, 0)->special);
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (y, "similarity", 0), lk_explanation_get_score (x, "similarity", 1), 1e-12);
}

/* A result file nested 100 000 deep, or holding 1e999 (json-glib reads inf):
 * a message naming the file and the member, not SIGSEGV or an inf cell. */
static void
test_load_hostile (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-explain-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.json", NULL);
  const char *head = "{\"schema\": \"likeness.explanation/1\", \"method\": {\"name\": \"ij\"}, "
                     "\"tokens\": {\"a\": [\"x\"], \"b\": [\"y\"]}, ";
  g_autofree char *deep = lk_test_deep_json (head, 100000, "}");
  g_autofree char *inf = g_strconcat (head, "\"scores\": {\"similarity\": 1e999}, \"matrix\": [[1]]}", NULL);
  g_autofree char *cell = g_strconcat (head, "\"matrix\": [[-1e999]]}", NULL);
  const char *cases[][2] = {
    { deep, "x.json: JSON nested deeper than 512 levels at byte " },
    { inf, "x.json: scores.similarity is not a finite number" },
    { cell, "x.json: matrix[0][0] is not a finite number" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      LkExplanation *x;

      g_assert_true (g_file_set_contents (path, cases[i][0], -1, NULL));
      x = lk_explanation_load (path, &error);
      g_assert_null (x);
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
      lk_test_assert_message (error, cases[i][1]);
    }
  lk_test_rm_rf (dir);
}

static void
test_schema_errors (void)
{
  const char *docs[][2] = {
    { "[1]", "expected a JSON object" },
    { "{\"schema\": \"other/1\"}", "not a Likeness explanation" },
    { "{\"schema\": \"likeness.explanation/9\", \"method\": {\"name\": \"ij\"}}", "from a newer version of Likeness" },
    { "{\"schema\": \"likeness.explanation/0\", \"method\": {\"name\": \"ij\"}}", "from an older version of Likeness" },
    { "{\"schema\": \"likeness.explanation/1.5\", \"method\": {\"name\": \"ij\"}}", "no valid version number" },
    { "{\"method\": {\"name\": \"ij\"}}", "no \"schema\" member: not a Likeness explanation" },
    { "{\"schema\": \"likeness.explanation/1\"}", "method.name" },
    { "{\"schema\": \"likeness.explanation/1\", \"method\": {\"name\": \"ij\"}, \"tokens\": {\"a\": [\"x\"], \"b\": [\"y\"]}, \"matrix\": [[1, 2]]}", "one row per token" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (docs[i][0], NULL);
      g_autoptr(GError) error = NULL;
      LkExplanation *x = lk_explanation_new_from_json (node, &error);
      g_assert_null (x);
      lk_test_assert_message (error, docs[i][1]);
    }
}

static void
test_perturbation (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = explain (LK_METHOD_BILRP, NULL);
  JsonObject *pert;

  g_assert_true (lk_explanation_add_perturbation (x, model, 3, 7, NULL, &error));
  g_assert_no_error (error);
  pert = lk_explanation_get_extra (x, "perturbation");
  /* the curve ends at the full text: distance 0 */
  {
    JsonArray *curve = json_object_get_array_member (json_object_get_object_member (pert, "a"), "curve");
    guint n = json_array_get_length (curve);
    g_assert_cmpuint (n, ==, 6);  /* five content tokens, plus the empty start */
    g_assert_cmpfloat (json_array_get_double_element (curve, n - 1), <, 1e-6);
    g_assert_cmpfloat (json_array_get_double_element (curve, 0), >, 0.1);
  }
  g_assert_cmpfloat (json_object_get_double_member (pert, "area"), >, 0);
}

static void
test_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) c = g_cancellable_new ();
  LkExplainParams p;

  lk_explain_params_init (&p, LK_METHOD_IJ);
  g_assert_null (lk_explain_pair (model, "", B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "text A is empty");
  g_clear_error (&error);
  p.steps = -3;
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "steps");
  g_clear_error (&error);
  p.steps = 1000000;
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "expected 1 to 10000");
  g_clear_error (&error);
  lk_explain_params_init (&p, LK_METHOD_BILRP);
  p.layer = 7;
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "layer 7 is out of range");
  g_clear_error (&error);
  p.layer = -1;
  g_cancellable_cancel (c);
  g_assert_null (lk_explain_pair (model, A, B, &p, NULL, NULL, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  LkExplanation **out = data;
  g_autoptr(GError) error = NULL;
  *out = lk_explain_finish (res, &error);
  g_assert_no_error (error);
}

static void
on_progress (double f, gpointer data)
{
  double *last = data;
  g_assert_cmpfloat (f, >=, 0);
  g_assert_cmpfloat (f, <=, 1);
  *last = f;
}

static void
test_async (void)
{
  LkExplanation *x = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_HXP);
  double last = -1;

  lk_explain_request_set_texts (r, A, B);
  lk_explain_async (model, r, on_progress, &last, NULL, NULL, on_done, &x);
  while (x == NULL)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpfloat (last, ==, 1.0);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "hxp");
  g_object_unref (x);
}

/* Cancelling mid-run: an IJ with many nodes is cancelled once it has
 * reported progress; it ends with G_IO_ERROR_CANCELLED, long before it
 * would have finished, and leaks nothing (the sanitizer run checks that).
 * The latency itself is measured by tests/bench/run cancel. */
typedef struct {
  GCancellable *cancellable;
  gint64        cancelled_at;
  gboolean      done;
  GError       *error;
  LkExplanation *x;
} CancelRun;

static void
on_progress_cancel (double f, gpointer data)
{
  CancelRun *run = data;

  if (f > 0 && run->cancelled_at == 0)
    {
      run->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (run->cancellable);
    }
}

static void
on_cancelled_done (GObject *source, GAsyncResult *res, gpointer data)
{
  CancelRun *run = data;

  run->x = lk_explain_finish (res, &run->error);
  run->done = TRUE;
}

static void
test_cancel_mid_run (void)
{
  CancelRun run = { g_cancellable_new (), 0, FALSE, NULL, NULL };
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_IJ);
  gint64 t0 = g_get_monotonic_time (), ended;

  lk_explain_request_set_texts (r, A, B);
  g_assert_true (lk_explain_request_set_string (r, "quadrature", "riemann", NULL));
  g_assert_true (lk_explain_request_set (r, LK_PARAM_STEPS, 2000, NULL));
  lk_explain_async (model, r, on_progress_cancel, &run, NULL, run.cancellable, on_cancelled_done, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  ended = g_get_monotonic_time ();
  g_assert_null (run.x);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (run.cancelled_at, >, 0);
  g_test_message ("cancelled %.3f s after start, ended %.3f s after the cancel",
                  (run.cancelled_at - t0) / 1e6, (ended - run.cancelled_at) / 1e6);
  g_clear_error (&run.error);
  g_object_unref (run.cancellable);
}

/* The request: values are checked against the registry with errors that
 * name the parameter; a combination the method does not take is refused
 * before anything runs; the one dispatcher gives what the compute
 * function gives. */
static void
test_request (void)
{
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
  g_autoptr(LkExplainRequest) copy = NULL;
  g_autoptr(LkExplanation) x = NULL, y = NULL;
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;
  LkExplainParams p;

  /* defaults are the registry's */
  g_assert_cmpfloat (lk_explain_request_get (r, LK_PARAM_MASKS), ==, 1000);
  g_assert_cmpfloat (lk_explain_request_get (r, LK_PARAM_QUADRATURE), ==, LK_QUADRATURE_GAUSS);
  g_assert_false (lk_explain_request_is_set (r, LK_PARAM_LAYER));

  g_assert_false (lk_explain_request_set_string (r, "p-keep", "1.5", &error));
  lk_test_assert_message (error, "p_keep: 1.5 is out of range: expected 0 to 1");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "steps", "2.5", &error));
  lk_test_assert_message (error, "a whole number");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "quadrature", "simpson", &error));
  lk_test_assert_message (error, "quadrature: 'simpson' is not one of riemann, gauss");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "layers", "2", &error));
  lk_test_assert_message (error, "unknown parameter 'layers'");
  g_clear_error (&error);
  g_assert_false (lk_explain_request_set_string (r, "masks", "12x", &error));
  lk_test_assert_message (error, "masks: '12x' is not a number");
  g_clear_error (&error);
  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, 2);
  g_assert_true (lk_explain_request_set_value (r, "layer", &v, &error));
  g_assert_no_error (error);
  g_value_unset (&v);
  g_assert_cmpfloat (lk_explain_request_get (r, LK_PARAM_LAYER), ==, 2);

  /* a parameter of another method, an input kind it has no form for */
  g_assert_true (lk_explain_request_set (r, LK_PARAM_MASKS, 50, NULL));
  lk_explain_request_set_texts (r, A, B);
  g_assert_null (lk_explain (model, r, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "masks does not apply to method 'bilrp'");
  g_clear_error (&error);
  lk_explain_request_set_method (r, LK_METHOD_ALIGN);
  lk_explain_request_set_image (r, "photo.jpg", "a photo");
  g_assert_false (lk_explain_request_check (r, NULL, &error));
  lk_test_assert_message (error, "method 'align' has no image–caption form");
  g_clear_error (&error);
  lk_explain_request_set_method (r, LK_METHOD_DISTANCE);
  lk_explain_request_reset (r, LK_PARAM_LAYER);
  g_assert_true (lk_explain_request_set (r, LK_PARAM_CLOSEST_MIN, 0.5, NULL));
  g_assert_true (lk_explain_request_set (r, LK_PARAM_CLOSEST_MAX, 0.2, NULL));
  g_assert_false (lk_explain_request_check (r, NULL, &error));
  lk_test_assert_message (error, "closest window");
  g_clear_error (&error);
  /* image pairs need a vision tower: said before anything runs */
  g_assert_true (lk_explain_request_set (r, LK_PARAM_CLOSEST_MIN, 0, NULL));
  g_assert_null (lk_explain (model, r, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "has no vision tower");
  g_clear_error (&error);

  /* reset: the default again, and no longer refused for bilrp */
  lk_explain_request_reset (r, LK_PARAM_MASKS);
  g_assert_false (lk_explain_request_is_set (r, LK_PARAM_MASKS));
  lk_explain_request_reset (r, LK_PARAM_CLOSEST_MAX);
  lk_explain_request_reset (r, LK_PARAM_CLOSEST_MIN);

  /* the dispatcher runs the compute function with the request's values */
  lk_explain_request_set_method (r, LK_METHOD_BILRP);
  g_assert_true (lk_explain_request_set (r, LK_PARAM_LAYER, 2, NULL));
  copy = lk_explain_request_copy (r);
  lk_explain_request_free (g_steal_pointer (&r));
  lk_explain_request_set_texts (copy, A, B);
  x = lk_explain (model, copy, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lk_explain_params_init (&p, LK_METHOD_BILRP);
  p.layer = 2;
  y = lk_explain_pair (model, A, B, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_SUM, NAN), ==, lk_explanation_get_score (y, LK_SCORE_SUM, NAN));
  g_assert_cmpint (json_object_get_int_member (lk_explanation_get_params (x), "layer"), ==, 2);
}

/* IJ's reference is a choice: the mask token's path differs from the
 * padding token's, both check out (ΣA + the reference terms = the score,
 * METHODS.md §1), the result says which ran, and a tokenizer without a
 * mask token gets an error naming the parameter. */
static void
test_ij_reference (void)
{
  g_autoptr(LkExplanation) pad = NULL, mask = NULL;
  g_autoptr(GError) error = NULL;
  LkExplainRequest *r;
  double dpad, dmask;

  for (guint k = 0; k < 2; k++)
    {
      r = lk_explain_request_new (LK_METHOD_IJ);
      lk_explain_request_set_texts (r, "The cat sits on the mat.", "A cat is lying on a rug.");
      g_assert_true (lk_explain_request_set_string (r, "reference", k ? "mask" : "pad", &error));
      g_assert_no_error (error);
      if (k)
        mask = lk_explain (model, r, NULL, NULL, NULL, &error);
      else
        pad = lk_explain (model, r, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      lk_explain_request_free (r);
    }
  g_assert_nonnull (strstr (json_object_get_string_member (lk_explanation_get_params (pad), "reference"), "padding"));
  g_assert_nonnull (strstr (json_object_get_string_member (lk_explanation_get_params (mask), "reference"), "mask"));
  dpad = lk_explanation_get_score (pad, "ref_ra_rb", NAN);
  dmask = lk_explanation_get_score (mask, "ref_ra_rb", NAN);
  g_test_message ("e_raᵀe_rb: pad %.6f, mask %.6f; ΣA pad %.6f, mask %.6f", dpad, dmask,
                  lk_explanation_get_score (pad, "sum", NAN), lk_explanation_get_score (mask, "sum", NAN));
  g_assert_cmpfloat (fabs (dpad - dmask), >, 1e-6);
  for (guint k = 0; k < 2; k++)
    {
      LkExplanation *x = k ? mask : pad;
      double expected = lk_explanation_get_score (x, "expected", NAN);
      g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "sum", NAN) - expected), <, 0.05 * fabs (expected) + 1e-4);
    }
  /* the tiny CLIP's text tokenizer has no mask token */
  {
    g_autoptr(LkModel) clip = lk_test_load_tiny ("clip");
    r = lk_explain_request_new (LK_METHOD_IJ);
    lk_explain_request_set_texts (r, "a cat", "a dog");
    g_assert_true (lk_explain_request_set_string (r, "reference", "mask", &error));
    g_assert_null (lk_explain (clip, r, NULL, NULL, NULL, &error));
    g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
    lk_test_assert_message (error, "reference mask");
    g_clear_error (&error);
    lk_explain_request_free (r);
  }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  model = lk_test_load_tiny ("bert");
  g_test_add_func ("/explain/bilrp-conservation", test_bilrp_conservation);
  g_test_add_func ("/explain/bilrp-gap", test_bilrp_gap_reported);
  g_test_add_func ("/explain/projected", test_projected);
  g_test_add_func ("/explain/ij", test_ij);
  g_test_add_func ("/explain/ij-reference", test_ij_reference);
  g_test_add_func ("/explain/dot", test_dot_measure);
  g_test_add_func ("/explain/alignment", test_alignment);
  g_test_add_func ("/explain/words-json", test_words_and_json);
  g_test_add_func ("/explain/schema-errors", test_schema_errors);
  g_test_add_func ("/explain/load-hostile", test_load_hostile);
  g_test_add_func ("/explain/perturbation", test_perturbation);
  g_test_add_func ("/explain/bad-input", test_bad_input);
  g_test_add_func ("/explain/async", test_async);
  g_test_add_func ("/explain/request", test_request);
  g_test_add_func ("/explain/cancel-mid-run", test_cancel_mid_run);
  rc = g_test_run ();
  g_object_unref (model);
  return rc;
}
