/* test-contrast.c — ranking contrasts (core/explain/lk-contrast.c) on the
 * tiny random-weight models: the identities of METHODS.md §5, agreement
 * with two separately explained pairs, the verdict, the errors, the JSON
 * round trip, the figure, the batch form and the CLI. */
#include "config.h"

#include <math.h>

#include "lk-batch.h"
#include "lk-contrast.h"
#include "lk-error.h"
#include "lk-explain.h"
#include "lk-render.h"
#include "lk-test-utils.h"

#define QUERY "Is the coffee any good here?"
#define DOC_1 "The coffee is excellent and strong."
#define DOC_2 "The tea was cold and weak."

static LkModel *bert, *mpnet;
static char *workdir;

static LkExplanation *
explain (LkModel *model, LkMethod method, const char *a, const char *b, const char *b2, gboolean zero_biases)
{
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (method);
  g_autoptr(GError) error = NULL;
  LkExplanation *x;

  lk_explain_request_set_texts (r, a, b);
  lk_explain_request_set_contrast (r, b2);
  if (method == LK_METHOD_IJ)
    g_assert_true (lk_explain_request_set (r, LK_PARAM_STEPS, 16, NULL));
  if (zero_biases)
    g_assert_true (lk_explain_request_set (r, LK_PARAM_ZERO_BIASES, 1, NULL));
  x = lk_explain (model, r, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (x);
  return x;
}

static JsonArray *
extra_array (LkExplanation *x, const char *name)
{
  JsonNode *n = lk_explanation_lookup_extra (x, name);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (n));
  return json_node_get_array (n);
}

static JsonObject *
document (LkExplanation *x, guint k)
{
  JsonObject *c = lk_explanation_lookup_object (x, LK_EXTRA_CONTRAST);

  g_assert_nonnull (c);
  return json_array_get_object_element (json_object_get_array_member (c, "documents"), k);
}

static double
array_sum (JsonArray *a)
{
  double s = 0;

  for (guint i = 0; i < json_array_get_length (a); i++)
    s += json_array_get_double_element (a, i);
  return s;
}

/* The contrast equals what two pairs explained apart say, for every
 * bilinear method and two architectures, and its sums close. */
static void
test_identities (void)
{
  LkModel *models[] = { bert, mpnet };
  LkMethod methods[] = { LK_METHOD_IJ, LK_METHOD_BILRP, LK_METHOD_HXP };

  for (guint mi = 0; mi < G_N_ELEMENTS (models); mi++)
    for (guint k = 0; k < G_N_ELEMENTS (methods); k++)
      {
        g_autoptr(LkExplanation) c = explain (models[mi], methods[k], QUERY, DOC_1, DOC_2, FALSE);
        g_autoptr(LkExplanation) p1 = explain (models[mi], methods[k], QUERY, DOC_1, NULL, FALSE);
        g_autoptr(LkExplanation) p2 = explain (models[mi], methods[k], QUERY, DOC_2, NULL, FALSE);
        const LkMatrix *m1 = lk_explanation_get_matrix (p1), *m2 = lk_explanation_get_matrix (p2);
        JsonArray *qs = extra_array (c, LK_EXTRA_QUERY_SALIENCY);
        double s1 = lk_explanation_get_score (c, LK_SCORE_SUM_1, NAN), s2 = lk_explanation_get_score (c, LK_SCORE_SUM_2, NAN);
        double d = lk_explanation_get_score (c, LK_SCORE_SIMILARITY_DIFFERENCE, NAN);

        g_test_message ("%s on %s: difference %.6f, ΣA difference %.6f", lk_method_to_string (methods[k]),
                        mi ? "mpnet" : "bert", d, s1 - s2);
        g_assert_cmpstr (lk_explanation_get_method (c), ==, lk_method_to_string (methods[k]));
        g_assert_cmpuint (json_array_get_length (qs), ==, lk_explanation_get_n_tokens (c, 0));
        g_assert_cmpuint (lk_explanation_get_n_tokens (c, 0), ==, lk_explanation_get_n_tokens (p1, 0));
        g_assert_cmpuint (lk_explanation_get_n_tokens (c, 1), ==, lk_explanation_get_n_tokens (p1, 1));
        g_assert_null (lk_explanation_get_matrix (c)->data);
        /* Each value: the query token's row sum in A(q,d1) less that in A(q,d2). */
        for (guint i = 0; i < m1->rows; i++)
          {
            double r1 = 0, r2 = 0;
            for (guint j = 0; j < m1->cols; j++)
              r1 += m1->data[i * m1->cols + j];
            for (guint j = 0; j < m2->cols; j++)
              r2 += m2->data[i * m2->cols + j];
            g_assert_cmpfloat_with_epsilon (json_array_get_double_element (qs, i), r1 - r2, 1e-9);
          }
        g_assert_cmpfloat_with_epsilon (array_sum (qs), s1 - s2, 1e-9);
        g_assert_cmpfloat_with_epsilon (s1, lk_matrix_sum (m1), 1e-9);
        g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (c, LK_SCORE_SIMILARITY_1, NAN),
                                        lk_explanation_get_score (p1, LK_SCORE_SIMILARITY, NAN), 1e-12);
        g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (c, LK_SCORE_SIMILARITY_2, NAN),
                                        lk_explanation_get_score (p2, LK_SCORE_SIMILARITY, NAN), 1e-12);
        /* score difference = ΣA difference + residual difference */
        g_assert_cmpfloat_with_epsilon (d, lk_explanation_get_score (c, LK_SCORE_SUM_DIFFERENCE, NAN) +
                                           lk_explanation_get_score (c, LK_SCORE_RESIDUAL_DIFFERENCE, NAN), 1e-12);
        /* each document's own saliency adds up to its ΣA; the query side too */
        for (guint doc = 0; doc < 2; doc++)
          {
            JsonObject *o = document (c, doc);
            double sum = doc ? s2 : s1;
            g_assert_cmpfloat_with_epsilon (array_sum (json_object_get_array_member (o, "saliency")), sum, 1e-9);
            g_assert_cmpfloat_with_epsilon (array_sum (json_object_get_array_member (o, "query_saliency")), sum, 1e-9);
            g_assert_cmpstr (json_object_get_string_member (o, "text"), ==, doc ? DOC_2 : DOC_1);
            g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tokens")), ==,
                              json_array_get_length (json_object_get_array_member (o, "saliency")));
          }
        /* the verdict is the worse pair's */
        g_assert_cmpint (lk_explanation_get_verdict (c, NULL), ==,
                         MAX (lk_explanation_get_verdict (p1, NULL), lk_explanation_get_verdict (p2, NULL)));
      }
}

/* Swapping the documents negates every value; BiLRP with zero biases
 * conserves, so the query tokens carry the whole score difference. */
static void
test_swap_and_conservation (void)
{
  g_autoptr(LkExplanation) c = explain (bert, LK_METHOD_BILRP, QUERY, DOC_1, DOC_2, TRUE);
  g_autoptr(LkExplanation) s = explain (bert, LK_METHOD_BILRP, QUERY, DOC_2, DOC_1, TRUE);
  JsonArray *qc = extra_array (c, LK_EXTRA_QUERY_SALIENCY), *qs = extra_array (s, LK_EXTRA_QUERY_SALIENCY);
  double d = lk_explanation_get_score (c, LK_SCORE_SIMILARITY_DIFFERENCE, NAN);

  for (guint i = 0; i < json_array_get_length (qc); i++)
    g_assert_cmpfloat_with_epsilon (json_array_get_double_element (qc, i), -json_array_get_double_element (qs, i), 1e-12);
  g_test_message ("zero biases: difference %.8f, ΣA difference %.8f", d, array_sum (qc));
  g_assert_cmpfloat (fabs (array_sum (qc) - d), <=, 1e-4 * MAX (fabs (d), 1e-3));
  g_assert_cmpfloat (fabs (lk_explanation_get_score (c, LK_SCORE_RESIDUAL_DIFFERENCE, NAN)), <=, 1e-4);
}

static void
expect_error (LkExplainRequest *r, LkModel *model, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_explain (model, r, NULL, NULL, NULL, &error);

  g_assert_null (x);
  lk_test_assert_message (error, fragment);
}

static void
test_errors (void)
{
  LkMethod refused[] = { LK_METHOD_ALIGN, LK_METHOD_DISTANCE, LK_METHOD_ASPECTS };
  g_autoptr(LkExplainRequest) r = NULL;
  g_autoptr(LkExplanation) p1 = explain (bert, LK_METHOD_HXP, QUERY, DOC_1, NULL, FALSE);
  g_autoptr(LkExplanation) p2 = explain (bert, LK_METHOD_HXP, "Another query.", DOC_2, NULL, FALSE);
  g_autoptr(LkExplanation) p3 = explain (bert, LK_METHOD_BILRP, QUERY, DOC_2, NULL, FALSE);
  g_autoptr(LkExplanation) p4 = explain (mpnet, LK_METHOD_HXP, QUERY, DOC_2, NULL, FALSE);
  g_autoptr(LkExplanation) al = explain (bert, LK_METHOD_ALIGN, QUERY, DOC_2, NULL, FALSE);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(LkExplainRequest) q = lk_explain_request_new (refused[i]);
      lk_explain_request_set_texts (q, QUERY, DOC_1);
      lk_explain_request_set_contrast (q, DOC_2);
      expect_error (q, bert, "a ranking contrast takes");
    }
  r = lk_explain_request_new (LK_METHOD_BILRP);
  lk_explain_request_set_texts (r, QUERY, DOC_1);
  lk_explain_request_set_contrast (r, "");
  expect_error (r, bert, "document 2 is empty");
  lk_explain_request_set_contrast (r, DOC_2);
  g_assert_true (lk_explain_request_set (r, LK_PARAM_PERTURBATION, 1, NULL));
  expect_error (r, bert, "perturbation does not apply to a ranking contrast");
  lk_explain_request_reset (r, LK_PARAM_PERTURBATION);
  lk_explain_request_set_image (r, "/nonexistent.png", "a caption");
  lk_explain_request_set_contrast (r, DOC_2);
  expect_error (r, bert, "not an image and a caption");

  g_assert_null (lk_contrast_from_results (p1, p2, &error));
  lk_test_assert_message (error, "different queries");
  g_clear_error (&error);
  g_assert_null (lk_contrast_from_results (p1, p3, &error));
  lk_test_assert_message (error, "different methods");
  g_clear_error (&error);
  g_assert_null (lk_contrast_from_results (p1, p4, &error));
  lk_test_assert_message (error, "different models");
  g_clear_error (&error);
  g_assert_null (lk_contrast_from_results (al, al, &error));
  lk_test_assert_message (error, "no token matrix to contrast");
}

/* Saved and loaded, it is the same contrast; its figure draws one row per
 * query token; the other views draw without a matrix. */
static void
test_json_and_figure (void)
{
  g_autoptr(LkExplanation) c = explain (bert, LK_METHOD_IJ, QUERY, DOC_1, DOC_2, FALSE);
  g_autoptr(LkExplanation) back = NULL;
  g_autofree char *path = g_build_filename (workdir, "c.json", NULL);
  g_autofree char *svg = g_build_filename (workdir, "c.svg", NULL);
  g_autofree char *heat = g_build_filename (workdir, "h.svg", NULL);
  g_autofree char *text = NULL, *desc = NULL, *tip = NULL;
  g_autoptr(GError) error = NULL;
  LkRenderOptions options;
  const char *p;
  guint rows = 0;

  g_assert_true (lk_explanation_save (c, path, &error));
  g_assert_no_error (error);
  back = lk_explanation_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lk_explanation_get_verdict (back, NULL), ==, lk_explanation_get_verdict (c, NULL));
  g_assert_cmpfloat (lk_explanation_get_score (back, LK_SCORE_SUM_DIFFERENCE, NAN), ==,
                     lk_explanation_get_score (c, LK_SCORE_SUM_DIFFERENCE, NAN));
  g_assert_cmpfloat_with_epsilon (array_sum (extra_array (back, LK_EXTRA_QUERY_SALIENCY)),
                                  lk_explanation_get_score (back, LK_SCORE_SUM_DIFFERENCE, NAN), 1e-9);

  g_assert_true (lk_render_export_file (back, svg, LK_VIEW_CONTRAST, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
  for (p = text; (p = strstr (p, "class=\"query-token\"")) != NULL; p++)
    rows++;
  g_assert_cmpuint (rows, ==, lk_explanation_get_n_tokens (back, 0));
  g_assert_nonnull (strstr (text, "pair 1:"));
  g_assert_nonnull (strstr (text, "pair 2:"));
  g_assert_true (lk_render_export_file (back, heat, LK_VIEW_HEATMAP, &error));
  g_assert_no_error (error);

  lk_render_options_init (&options);
  options.words = TRUE;
  desc = lk_render_describe (back, LK_VIEW_CONTRAST, &options);
  g_assert_nonnull (strstr (desc, "Ranking contrast over"));
  tip = lk_render_describe_hit (back, LK_VIEW_CONTRAST, &options, 1, -1);
  g_assert_nonnull (tip);
  g_assert_nonnull (strstr (tip, "favours document"));
}

/* A batch item with "b2" is a contrast; "b2" beside an image is that
 * item's error, not the run's. */
static void
test_batch (void)
{
  g_autofree char *input = g_build_filename (workdir, "in.jsonl", NULL);
  g_autofree char *output = g_build_filename (workdir, "out.jsonl", NULL);
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_HXP);
  g_autoptr(LkBatchReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  char *item;
  guint n = 0;

  g_assert_true (g_file_set_contents (input,
    "{\"id\": \"c1\", \"a\": \"" QUERY "\", \"b\": \"" DOC_1 "\", \"b2\": \"" DOC_2 "\"}\n"
    "{\"id\": \"c2\", \"image\": \"x.png\", \"b\": \"a caption\", \"b2\": \"" DOC_2 "\"}\n", -1, NULL));
  reader = lk_batch_reader_new (input, &error);
  g_assert_no_error (error);
  while (lk_batch_reader_next (reader, &item, &error))
    {
      g_autofree char *line = lk_batch_explain_item (bert, r, item, NULL, &error);
      g_autoptr(JsonNode) node = json_from_string (line, NULL);
      JsonObject *o = json_node_get_object (node);

      g_assert_no_error (error);
      if (n++ == 0)
        {
          g_assert_true (json_object_has_member (o, LK_EXTRA_QUERY_SALIENCY));
          g_assert_true (json_object_has_member (o, LK_EXTRA_CONTRAST));
          g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "c1");
        }
      else
        g_assert_nonnull (strstr (json_object_get_string_member (o, "error"), "\"b2\""));
      g_free (item);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
}

/* likeness-cli contrast, as a user runs it. */
static void
test_cli (void)
{
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "app", "cli", "likeness-cli", NULL);
  g_autofree char *tiny = lk_test_tiny_dir ("bert");
  g_autofree char *json = g_build_filename (workdir, "cli.json", NULL);
  g_autofree char *png = g_build_filename (workdir, "cli.png", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (lk_test_spawn (cli, (const char *[]) { "contrast", "--model", tiny, "--method", "bilrp", "--json", json,
                                                          "--png", png, QUERY, DOC_1, DOC_2, NULL }, 300, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "sum_difference="));
  g_assert_nonnull (strstr (out, "query_token="));
  g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
  x = lk_explanation_load (json, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lk_explanation_lookup_extra (x, LK_EXTRA_QUERY_SALIENCY));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lk_test_spawn (cli, (const char *[]) { "contrast", "--model", tiny, "--method", "align",
                                                          QUERY, DOC_1, DOC_2, NULL }, 300, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "a ranking contrast takes"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lk_test_spawn (cli, (const char *[]) { "contrast", "--model", tiny, QUERY, DOC_1, NULL }, 300, &out, &err),
                   ==, 2);
  g_assert_nonnull (strstr (err, "three texts"));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  bert = lk_test_load_tiny ("bert");
  mpnet = lk_test_load_tiny ("mpnet");
  workdir = g_dir_make_tmp ("lk-contrast-XXXXXX", NULL);
  g_test_add_func ("/contrast/identities", test_identities);
  g_test_add_func ("/contrast/swap-and-conservation", test_swap_and_conservation);
  g_test_add_func ("/contrast/errors", test_errors);
  g_test_add_func ("/contrast/json-and-figure", test_json_and_figure);
  g_test_add_func ("/contrast/batch", test_batch);
  g_test_add_func ("/contrast/cli", test_cli);
  rc = g_test_run ();
  lk_test_rm_rf (workdir);
  g_free (workdir);
  g_object_unref (bert);
  g_object_unref (mpnet);
  return rc;
}
