/* test-patchword.c — patch × word interactions (lk_explain_image) on the
 * committed tiny random-weight CLIPModel (tests/golden/tiny/clip: 32 × 32
 * images, 8-pixel patches, a 4 × 4 grid): BiLRP's conservation with zero
 * biases, the matrix's shape and token names, the similarity against the
 * model's own embeddings, IJ's attribution error, H×P, and the errors. */
#include "config.h"

#include <math.h>
#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-image.h"
#include "lk-methods.h"
#include "lk-render.h"
#include "lk-test-utils.h"

#define CAPTION "a red square on a blue field"

static LkModel *tiny;

static char *
image_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "clip", name, NULL);
}

static LkExplanation *
explain (LkMethod method, LkMeasure measure, void (*tweak) (LkExplainParams *))
{
  g_autofree char *path = image_path ("rgb.png");
  g_autoptr(GError) error = NULL;
  LkExplainParams p;
  LkExplanation *x;

  lk_explain_params_init (&p, method);
  p.measure = measure;
  if (tweak)
    tweak (&p);
  x = lk_explain_image (tiny, path, CAPTION, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (x);
  return x;
}

static void zero_biases (LkExplainParams *p) { p->zero_biases = TRUE; }
static void many_nodes (LkExplainParams *p) { p->steps = 32; }

static void
test_bilrp_conservation (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_BILRP, LK_MEASURE_DOT, zero_biases);
  double sim = lk_explanation_get_score (x, "similarity", NAN);
  double sum = lk_matrix_sum (lk_explanation_get_matrix (x));

  g_test_message ("BiLRP zero biases: ΣR = %.9g, e_imgᵀe_txt = %.9g", sum, sim);
  g_assert_true (isfinite (sim) && fabs (sim) > 1e-6);
  g_assert_cmpfloat (fabs (sum - sim), <=, 1e-4 * fabs (sim));
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", NAN), <=, 1e-4);
}

static void
test_shape_and_json (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_HXP, LK_MEASURE_COS, NULL);
  g_autoptr(LkEncoding) enc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const LkMatrix *m = lk_explanation_get_matrix (x);
  JsonObject *root, *image, *grid;
  g_autofree char *path = image_path ("rgb.png");
  g_autofree char *contents = NULL, *sha = NULL;
  gsize len;

  enc = lk_model_tokenize (tiny, CAPTION, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->rows, ==, 1 + 4 * 4);
  g_assert_cmpuint (m->cols, ==, enc->n_tokens);
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, 0), ==, 17);
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, 1), ==, enc->n_tokens);
  g_assert_cmpstr (lk_explanation_get_token (x, 0, 0)->text, ==, "[CLS]");
  g_assert_true (lk_explanation_get_token (x, 0, 0)->special);
  g_assert_cmpstr (lk_explanation_get_token (x, 0, 1)->text, ==, "p(0,0)");
  g_assert_cmpstr (lk_explanation_get_token (x, 0, 2)->text, ==, "p(0,1)");
  g_assert_cmpstr (lk_explanation_get_token (x, 0, 5)->text, ==, "p(1,0)");
  g_assert_cmpstr (lk_explanation_get_token (x, 0, 16)->text, ==, "p(3,3)");
  g_assert_cmpstr (lk_explanation_get_text (x, 1), ==, CAPTION);
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "sum", NAN) - lk_matrix_sum (m)), <=, 1e-12);

  node = lk_explanation_to_json (x);
  root = json_node_get_object (node);
  image = json_object_get_object_member (root, "image");
  g_assert_nonnull (image);
  grid = json_object_get_object_member (image, "grid");
  g_assert_cmpint (json_object_get_int_member (grid, "rows"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (grid, "cols"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (image, "size"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (image, "patch_size"), ==, 8);
  g_assert_cmpstr (json_object_get_string_member (image, "path"), ==, "rgb.png");
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
  g_assert_cmpstr (json_object_get_string_member (image, "sha256"), ==, sha);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "method"), "name"), ==, "hxp");
}

/* The engine's e_img and e_txt are the model's embeddings: the similarity
 * against lk_model_embed_pixels and lk_model_embed. */
static void
test_similarity_matches_embeddings (void)
{
  g_autoptr(LkExplanation) xd = explain (LK_METHOD_HXP, LK_MEASURE_DOT, NULL);
  g_autoptr(LkExplanation) xc = explain (LK_METHOD_HXP, LK_MEASURE_COS, NULL);
  g_autofree char *path = image_path ("rgb.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkImage) image = lk_image_load (path, &error);
  guint dim = lk_model_get_dim (tiny), s = lk_model_get_image_size (tiny);
  g_autofree float *pixels = g_new (float, 3 * s * s);
  g_autofree float *ei = g_new (float, dim), *et = g_new (float, dim);
  const char *caption = CAPTION;
  double d = 0;

  g_assert_no_error (error);
  g_assert_true (lk_model_preprocess_image (tiny, image, pixels, &error));
  g_assert_true (lk_model_embed_pixels (tiny, 1, pixels, ei, NULL, &error));
  g_assert_true (lk_model_embed (tiny, &caption, 1, et, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint k = 0; k < dim; k++)
    d += (double) ei[k] * et[k];
  g_assert_cmpfloat (fabs (lk_explanation_get_score (xd, "similarity", NAN) - d), <=, 1e-4 * fmax (fabs (d), 1e-3));
  g_assert_cmpfloat (fabs (lk_explanation_get_score (xc, "similarity", NAN) - lk_cosine (ei, et, dim)), <=, 1e-4);
}

static void adaptive (LkExplainParams *p) { p->quadrature = LK_QUADRATURE_ADAPTIVE; }

/* Adaptive IJ across the two towers (the image's path starts at the zero
 * hidden state): within its tolerance, and the nodes it records are those
 * of the run. */
static void
test_ij_adaptive (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_IJ, LK_MEASURE_DOT, adaptive);
  JsonObject *p = lk_explanation_get_params (x);
  double err = lk_explanation_get_score (x, "error", NAN), tol = lk_explanation_get_score (x, "error_tolerance", NAN);

  g_test_message ("adaptive IJ: %d nodes, error %.3g, tolerance %.3g", (int) json_object_get_int_member (p, "steps"),
                  err, tol);
  g_assert_cmpstr (json_object_get_string_member (p, "quadrature"), ==, "adaptive");
  g_assert_true (json_object_get_boolean_member (p, "tolerance_reached"));
  g_assert_cmpfloat (err, <=, tol);
}

static void
test_ij_error (void)
{
  g_autoptr(LkExplanation) x = explain (LK_METHOD_IJ, LK_MEASURE_DOT, many_nodes);
  double err = lk_explanation_get_score (x, "error", NAN), expected = lk_explanation_get_score (x, "expected", NAN);

  g_test_message ("IJ, 32 Gauss nodes: ΣA = %.9g, expected %.9g, error %.3g",
                  lk_explanation_get_score (x, "sum", NAN), expected, err);
  g_assert_true (isfinite (err) && fabs (expected) > 1e-6);
  g_assert_cmpfloat (err, <=, 1e-3 * fabs (expected));
  g_assert_cmpuint (lk_explanation_get_matrix (x)->rows, ==, 17);
}

static void
test_errors (void)
{
  g_autofree char *missing = image_path ("no-such-image.png");
  g_autofree char *path = image_path ("rgb.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  LkExplainParams p;

  lk_explain_params_init (&p, LK_METHOD_BILRP);
  g_assert_null (lk_explain_image (tiny, missing, CAPTION, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "no-such-image.png");
  g_clear_error (&error);

  g_assert_null (lk_explain_image (tiny, path, "", &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "caption is empty");
  g_clear_error (&error);

  lk_explain_params_init (&p, LK_METHOD_ALIGN);
  g_assert_null (lk_explain_image (tiny, path, CAPTION, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "no patch × word form: an image and a caption take bilrp, ij or hxp");
  g_clear_error (&error);

  lk_explain_params_init (&p, LK_METHOD_BILRP);
  p.layer = 99;
  g_assert_null (lk_explain_image (tiny, path, CAPTION, &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "layer 99 is out of range");
  g_clear_error (&error);

  lk_explain_params_init (&p, LK_METHOD_HXP);
  g_cancellable_cancel (cancel);
  g_assert_null (lk_explain_image (tiny, path, CAPTION, &p, NULL, NULL, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
count_progress (double fraction, gpointer data)
{
  double *last = data;
  g_assert_cmpfloat (fraction, >=, *last - 1e-12);
  g_assert_cmpfloat (fraction, <=, 1 + 1e-12);
  *last = fraction;
}

static void
test_progress (void)
{
  g_autofree char *path = image_path ("rgb.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = NULL;
  LkExplainParams p;
  double last = 0;

  lk_explain_params_init (&p, LK_METHOD_IJ);
  p.steps = 4;
  x = lk_explain_image (tiny, path, CAPTION, &p, count_progress, &last, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (last, >=, 0.999);
}

/* The saliency view draws one caption word's patch map over the photo:
 * exif6.jpg is stored 48 × 64 with EXIF orientation 6, so the map (and the
 * photo drawn) are 64 × 48 wide; the word shown is named under it. */
static void
test_figure (void)
{
  g_autofree char *path = image_path ("exif6.jpg");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-patchword-XXXXXX", NULL);
  g_autofree char *svg = g_build_filename (dir, "fig.svg", NULL);
  g_autofree char *text = NULL;
  LkRenderOptions opt;
  JsonObject *map;
  JsonArray *maps;
  LkExplainParams p;
  gint64 best;

  lk_explain_params_init (&p, LK_METHOD_HXP);
  x = lk_explain_image (tiny, path, CAPTION, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  node = lk_explanation_to_json (x);
  map = json_object_get_object_member (json_node_get_object (node), "saliency_map");
  g_assert_cmpint (json_object_get_int_member (map, "width"), ==, 21);   /* 4 patches × 4 × 64/48 */
  g_assert_cmpint (json_object_get_int_member (map, "height"), ==, 16);
  maps = json_object_get_array_member (map, "maps");
  g_assert_cmpuint (json_array_get_length (maps), ==, lk_explanation_get_n_words (x, 1));
  best = json_object_get_int_member (map, "word");
  g_assert_false (lk_explanation_word_is_special (x, 1, best));
  /* the crop's margins (8 of 64 columns on each side: 21 × 8/64 ≈ 2.6 map columns) are 0 */
  {
    JsonArray *v = json_object_get_array_member (json_array_get_object_element (maps, best), "values");
    const LkMatrix *wm = lk_explanation_get_word_matrix (x);
    g_assert_cmpfloat (json_array_get_double_element (v, 0), ==, 0);
    g_assert_cmpfloat (json_array_get_double_element (v, 20), ==, 0);
    /* map pixel (row 0, column 3) lies in patch (0,0) */
    g_assert_cmpfloat (json_array_get_double_element (v, 3), ==,
                       wm->data[lk_explanation_token_word (x, 0, 1) * wm->cols + best]);
  }

  lk_render_options_init (&opt);
  opt.saliency_word = 3;
  g_assert_true (lk_render_export (x, LK_VIEW_SALIENCY, &opt, LK_EXPORT_SVG, 1, svg, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "saliency-map"));
  g_assert_nonnull (strstr (text, "square"));
  g_assert_cmpint (g_remove (svg), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 2 };
  int rc;

  g_test_init (&argc, &argv, NULL);
  dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  tiny = lk_model_new_from_dir (dir, "tiny-clip", &opts, &error);
  if (tiny == NULL)
    g_error ("%s: %s", dir, error->message);
  g_test_add_func ("/patchword/bilrp-conservation", test_bilrp_conservation);
  g_test_add_func ("/patchword/shape-and-json", test_shape_and_json);
  g_test_add_func ("/patchword/similarity", test_similarity_matches_embeddings);
  g_test_add_func ("/patchword/ij-error", test_ij_error);
  g_test_add_func ("/patchword/ij-adaptive", test_ij_adaptive);
  g_test_add_func ("/patchword/errors", test_errors);
  g_test_add_func ("/patchword/progress", test_progress);
  g_test_add_func ("/patchword/figure", test_figure);
  rc = g_test_run ();
  g_object_unref (tiny);
  return rc;
}
