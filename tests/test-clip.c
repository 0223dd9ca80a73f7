/* test-clip.c — CLIP in the core: the committed tiny random-weight
 * CLIPModel (tests/golden/tiny/clip) against transformers' goldens
 * (tests/golden/tiny/clip-embeddings.json, tests/oracle/clip_oracle.py):
 * tokenizer ids, text embeddings, preprocessed pixels of the test images
 * (tests/golden/clip: EXIF rotation, RGBA, grayscale, CMYK, 16-bit, a PNG
 * named .jpg) and image embeddings; plus image loading errors and the
 * text-only models' refusal. */
#include "config.h"

#include <math.h>
#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-image.h"
#include "test-helpers.h"

/* The largest |difference| of pixels allowed between our loading and
 * preprocessing and transformers' (PIL) on the test images, in normalised
 * units (one 8-bit step is 1/255/std ≈ 0.015): JPEG decoders may differ by a
 * step or two; PNG must be exact. */
#define PIXEL_TOL_JPEG 0.05
#define PIXEL_TOL_PNG  1e-6

static JsonNode *golden;
static LkModel *tiny;

static char *
tiny_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
}

static void
load_fixtures (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip-embeddings.json", NULL);
  g_autofree char *dir = tiny_dir ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 2 };

  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("%s: %s", path, error->message);
  golden = json_node_copy (json_parser_get_root (parser));
  tiny = lk_model_new_from_dir (dir, "tiny-clip", &opts, &error);
  if (tiny == NULL)
    g_error ("%s: %s", dir, error->message);
}

static float *
f32_b64 (const char *s, gsize want)
{
  gsize len;
  guchar *raw = g_base64_decode (s, &len);

  g_assert_cmpuint (len, ==, want * sizeof (float));
  return (float *) raw;
}

static double
max_diff (const float *a, const float *b, gsize n)
{
  double m = 0;
  for (gsize i = 0; i < n; i++)
    m = fmax (m, fabs ((double) a[i] - b[i]));
  return m;
}

static void
test_metadata (void)
{
  g_assert_true (lk_model_has_vision (tiny));
  g_assert_cmpuint (lk_model_get_image_size (tiny), ==, 32);
  g_assert_cmpuint (lk_model_get_dim (tiny), ==, 16);
  g_assert_cmpuint (lk_model_get_max_seq_length (tiny), ==, 77);
  g_assert_cmpstr (lk_model_get_architecture (tiny), ==, "clip");
  g_assert_cmpstr (lk_tokenizer_get_model_type (lk_model_get_tokenizer (tiny)), ==, "BPE");
}

static void
test_text (void)
{
  JsonArray *texts = json_object_get_array_member (json_node_get_object (golden), "texts");
  guint n = json_array_get_length (texts), dim = lk_model_get_dim (tiny);
  g_autofree const char **strs = g_new0 (const char *, n + 1);
  g_autofree float *out = g_new0 (float, n * dim);
  g_autoptr(GError) error = NULL;
  double worst = 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *t = json_array_get_object_element (texts, i);
      JsonArray *ids = json_object_get_array_member (t, "ids");
      g_autoptr(LkEncoding) enc = NULL;

      strs[i] = json_object_get_string_member (t, "text");
      enc = lk_model_tokenize (tiny, strs[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (enc->n_tokens, ==, json_array_get_length (ids));
      for (guint j = 0; j < enc->n_tokens; j++)
        g_assert_cmpint (enc->ids[j], ==, json_array_get_int_element (ids, j));
    }
  g_assert_true (lk_model_embed (tiny, strs, n, out, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      JsonArray *e = json_object_get_array_member (json_array_get_object_element (texts, i), "embedding");
      for (guint d = 0; d < dim; d++)
        worst = fmax (worst, fabs (out[i * dim + d] - json_array_get_double_element (e, d)));
    }
  g_test_message ("text embeddings: max |diff| %.3g over %u texts", worst, n);
  g_assert_cmpfloat (worst, <=, 1e-5);
}

static void
test_images (void)
{
  JsonArray *images = json_object_get_array_member (json_node_get_object (golden), "images");
  guint n = json_array_get_length (images), dim = lk_model_get_dim (tiny), s = 32, np = 3 * s * s;
  g_autofree float *ours = g_new0 (float, (gsize) n * np);
  g_autofree float *theirs = g_new0 (float, (gsize) n * np);
  g_autofree float *e_ours = g_new0 (float, (gsize) n * dim);
  g_autofree float *e_theirs = g_new0 (float, (gsize) n * dim);
  g_autoptr(GError) error = NULL;
  double worst_emb = 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *im = json_array_get_object_element (images, i);
      const char *name = json_object_get_string_member (im, "file");
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "clip", name, NULL);
      g_autofree float *px = f32_b64 (json_object_get_string_member (im, "pixels"), np);
      g_autoptr(LkImage) image = lk_image_load (path, &error);
      gboolean jpeg = g_str_has_suffix (name, ".jpg") && !g_str_has_prefix (name, "png-");
      double d;

      g_assert_no_error (error);
      g_assert_cmpint (image->width, ==, 64);
      g_assert_cmpint (image->height, ==, 48);
      g_assert_true (lk_model_preprocess_image (tiny, image, ours + (gsize) i * np, &error));
      g_assert_no_error (error);
      memcpy (theirs + (gsize) i * np, px, sizeof (float) * np);
      d = max_diff (ours + (gsize) i * np, px, np);
      g_test_message ("%s: pixels max |diff| %.3g", name, d);
      if (d > (jpeg ? PIXEL_TOL_JPEG : PIXEL_TOL_PNG))
        g_test_fail_printf ("%s: preprocessed pixels differ from transformers' by %g (tolerance %g)",
                            name, d, jpeg ? PIXEL_TOL_JPEG : PIXEL_TOL_PNG);
    }
  /* the vision tower on transformers' own pixels */
  g_assert_true (lk_model_embed_pixels (tiny, n, theirs, e_theirs, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lk_model_embed_pixels (tiny, n, ours, e_ours, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      JsonArray *e = json_object_get_array_member (json_array_get_object_element (images, i), "embedding");
      for (guint d = 0; d < dim; d++)
        worst_emb = fmax (worst_emb, fabs (e_theirs[i * dim + d] - json_array_get_double_element (e, d)));
      g_test_message ("image %u: cosine of our pipeline's embedding to transformers' %.7f", i,
                      lk_cosine (e_ours + i * dim, e_theirs + i * dim, dim));
    }
  g_test_message ("image embeddings: max |diff| %.3g over %u images", worst_emb, n);
  g_assert_cmpfloat (worst_emb, <=, 1e-5);
}

static void
test_image_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "not-an-image.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.jpg", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.jpg", NULL);
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.jpg", NULL);
  g_autofree char *data = NULL;
  gsize len;
  LkImage *image;

  g_assert_true (g_file_set_contents (bad, "hello, I am text", -1, NULL));
  image = lk_image_load (bad, &error);
  g_assert_null (image);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  lk_test_assert_message (error, bad);
  g_clear_error (&error);

  image = lk_image_load (missing, &error);
  g_assert_null (image);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  lk_test_assert_message (error, missing);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (cut, data, 40, NULL));
  image = lk_image_load (cut, &error);
  g_assert_null (image);
  g_assert_nonnull (error);
  lk_test_assert_message (error, cut);
  g_clear_error (&error);

  g_unlink (bad);
  g_unlink (cut);
  g_rmdir (dir);
}

/* Orientation 6 stored a rotated image: once loaded, it is the upright one. */
static void
test_exif (void)
{
  g_autofree char *a = g_test_build_filename (G_TEST_DIST, "golden", "clip", "exif6.jpg", NULL);
  g_autofree char *b = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.jpg", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkImage) x = lk_image_load (a, &error);
  g_autoptr(LkImage) y = lk_image_load (b, &error);
  g_autoptr(LkImage) z = NULL;
  double mean = 0;

  g_assert_no_error (error);
  g_assert_cmpint (x->width, ==, y->width);
  g_assert_cmpint (x->height, ==, y->height);
  for (gsize i = 0; i < (gsize) x->width * x->height * 3; i++)
    mean += fabs (x->rgb[i] - y->rgb[i]);
  mean /= (double) x->width * x->height * 3;
  g_test_message ("EXIF-rotated vs upright: mean |diff| %.4f", mean);
  g_assert_cmpfloat (mean, <, 0.02);
  z = lk_image_copy (x);
  g_assert_cmpint (memcmp (z->rgb, x->rgb, sizeof (float) * x->width * x->height * 3), ==, 0);
}

static void
test_text_model_has_no_vision (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_autoptr(LkImage) image = lk_image_new (8, 8);
  float px[3 * 8 * 8], e[64];

  g_assert_no_error (error);
  g_assert_false (lk_model_has_vision (m));
  g_assert_cmpuint (lk_model_get_image_size (m), ==, 0);
  g_assert_false (lk_model_preprocess_image (m, image, px, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (lk_model_embed_pixels (m, 1, px, e, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
}

/* The photos of the shared data, car2.png being a JPEG. */
static void
test_shared_photos (void)
{
  const char *names[] = { "bee.jpg", "bike.jpg", "car2.png", "dogcar.jpg", "flower.jpg", "fly.jpg", "labradoodle1.jpg" };
  const char *shared = g_getenv ("LK_SHARED_DATA");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (shared ? shared : "shared/data", "images", names[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(LkImage) image = lk_image_load (path, &error);
      float px[3 * 32 * 32];

      g_assert_no_error (error);
      g_assert_true (lk_model_preprocess_image (tiny, image, px, &error));
      g_assert_no_error (error);
    }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  load_fixtures ();
  g_test_add_func ("/clip/metadata", test_metadata);
  g_test_add_func ("/clip/text", test_text);
  g_test_add_func ("/clip/images", test_images);
  g_test_add_func ("/clip/image-errors", test_image_errors);
  g_test_add_func ("/clip/exif", test_exif);
  g_test_add_func ("/clip/text-model", test_text_model_has_no_vision);
  g_test_add_func ("/clip/shared-photos", test_shared_photos);
  status = g_test_run ();
  g_clear_object (&tiny);
  json_node_unref (golden);
  return status;
}
