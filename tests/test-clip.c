/* test-clip.c — CLIP in the core: the committed tiny random-weight
 * CLIPModel (tests/golden/tiny/clip) against transformers' goldens
 * (tests/golden/tiny/clip-embeddings.json, tests/oracle/clip_oracle.py):
 * tokenizer ids, text embeddings, preprocessed pixels of the test images
 * (tests/golden/clip: EXIF rotation, RGBA, grayscale, CMYK, 16-bit, a PNG
 * named .jpg) and image embeddings; plus image loading errors and the
 * text-only models' refusal. */
#include "config.h"

#include <math.h>
#include <sys/stat.h>
#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-image.h"
#include "lk-test-utils.h"

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

/* The formats photos come in load; an icon is refused by name, and a GIF
 * whose frame declares more than the limit (in a 1 × 1 image: gdk-pixbuf
 * would allocate the frame's size) is refused before it is decoded. */
static void
test_image_formats (void)
{
  const char *types[] = { "png", "jpeg", "tiff", "bmp", "gif" };
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *ico = g_build_filename (dir, "photo.jpg", NULL);
  g_autofree char *gif = g_build_filename (dir, "frame.gif", NULL);
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "image", "tiny.gif", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) icon = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 32, 32);
  /* GIF89a, a 1 × 1 screen with a two-colour table, then one frame of
   * 20000 × 20000 (400 MP) and its data */
  static const guint8 bomb[] = {
    'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
    0x2C, 0, 0, 0, 0, 0x20, 0x4E, 0x20, 0x4E, 0, 2, 2, 0x4C, 0x01, 0, 0x3B
  };
  LkImage *image;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *name = g_strdup_printf ("photo.%s", types[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_str_equal (types[i], "gif"))
        g_assert_true (g_file_test (src, G_FILE_TEST_IS_REGULAR));
      else
        lk_test_write_photo (path, 40, 30, types[i]);
      image = lk_image_load (g_str_equal (types[i], "gif") ? src : path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (image->width, >, 0);
      lk_image_free (image);
    }

  gdk_pixbuf_fill (icon, 0x336699ff);
  g_assert_true (gdk_pixbuf_save (icon, ico, "ico", &error, NULL));
  g_assert_null (lk_image_load (ico, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  lk_test_assert_message (error, ico);
  lk_test_assert_message (error, "not a JPEG, PNG, WebP, TIFF, GIF or BMP image");
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (gif, (const char *) bomb, sizeof bomb, NULL));
  g_assert_null (lk_image_load (gif, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  lk_test_assert_message (error, "GIF frame 1 declares 20000 × 20000 pixels");
  g_clear_error (&error);

  g_assert_true (g_strv_contains ((const char * const *) lk_image_mime_types (), "image/jpeg"));
  g_assert_false (g_strv_contains ((const char * const *) lk_image_mime_types (), "image/x-icon"));
  lk_test_rm_rf (dir);
}

/* Peak resident memory since the last reset, in kB (Linux: VmHWM). */
static gint64
peak_kb (gboolean reset)
{
  g_autofree char *status = NULL;
  const char *hwm;

  if (reset)
    {
      FILE *f = fopen ("/proc/self/clear_refs", "w");   /* "5" resets VmHWM to VmRSS */
      g_assert_nonnull (f);
      g_assert_cmpint (fputs ("5", f), >=, 0);
      g_assert_cmpint (fclose (f), ==, 0);
    }
  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  hwm = strstr (status, "VmHWM:");
  g_assert_nonnull (hwm);
  return g_ascii_strtoll (hwm + 6, NULL, 10);
}

static gint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *rss;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  rss = strstr (status, "VmRSS:");
  g_assert_nonnull (rss);
  return g_ascii_strtoll (rss + 6, NULL, 10);
}

/* A few hundred bytes that declare 30000 × 30000 pixels: refused from the
 * header, before anything that size is allocated. */
static void
test_image_huge_declared (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "photo.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkImage) image = NULL;
  g_autoptr(GdkPixbuf) pix = NULL;
  gint64 before;

  lk_test_write_huge_png (path, 30000, 30000);
  before = rss_kb ();
  peak_kb (TRUE);
  image = lk_image_load (path, &error);
  g_assert_null (image);
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  lk_test_assert_message (error, "photo.png declares 30000 × 30000 pixels (900 MP)");
  lk_test_assert_message (error, "up to 250 MP");
  g_clear_error (&error);
  pix = lk_image_load_pixbuf (path, 0, 600, NULL, NULL, &error);   /* the figures' way in */
  g_assert_null (pix);
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  g_test_message ("peak memory growth while refusing it: %" G_GINT64_FORMAT " kB", peak_kb (FALSE) - before);
  g_assert_cmpint (peak_kb (FALSE) - before, <, 16 * 1024);
  lk_test_rm_rf (dir);
}

/* A 24 MP JPEG is decoded pre-scaled for the model: a few MB, not the
 * 360 MB that the full-size pixbuf and float image take. */
static void
test_image_large_prescaled (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.jpg", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkImage) image = NULL;
  float px[3 * 32 * 32];
  gint64 before;

  lk_test_write_photo (path, 6000, 4000, "jpeg");
  before = rss_kb ();
  peak_kb (TRUE);
  image = lk_image_load_for_model (path, 224, &error);
  g_assert_no_error (error);
  g_test_message ("6000 × 4000 JPEG for a 224 px model: decoded %d × %d, peak memory growth %" G_GINT64_FORMAT " kB",
                  image->width, image->height, peak_kb (FALSE) - before);
  g_assert_cmpint (image->file_width, ==, 6000);
  g_assert_cmpint (image->file_height, ==, 4000);
  /* a quarter: 1000 ≥ 4 × 224 > 500 */
  g_assert_cmpint (image->width, ==, 1500);
  g_assert_cmpint (image->height, ==, 1000);
  g_assert_cmpint (peak_kb (FALSE) - before, <, 64 * 1024);
  g_assert_true (lk_model_preprocess_image (tiny, image, px, &error));
  g_assert_no_error (error);
  /* a small image is not enlarged */
  g_clear_pointer (&image, lk_image_free);
  g_clear_pointer (&path, g_free);
  path = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.jpg", NULL);
  image = lk_image_load_for_model (path, 224, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 64);
  g_assert_cmpint (image->height, ==, 48);
  lk_test_rm_rf (dir);
}

/* A cut file is an error, not a photo with its lower part grey. */
static void
test_image_truncated (void)
{
  const char *photos[] = { "astronaut.jpg", "chelsea.jpg", "coffee.jpg" };
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "whole.png", NULL);
  g_autofree char *cut_png = g_build_filename (dir, "cut.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkImage) whole = NULL;
  LkImage *image;

  for (guint i = 0; i < G_N_ELEMENTS (photos); i++)
    for (guint k = 0; k < 3; k++)
      {
        g_autofree char *src = g_build_filename (LK_SOURCE_DIR, "data", "examples", photos[i], NULL);
        g_autofree char *cut = g_build_filename (dir, photos[i], NULL);
        double fraction[] = { 0.5, 0.9, 0.999 };
        lk_test_write_cut (src, cut, fraction[k]);
        image = lk_image_load (cut, &error);
        g_assert_null (image);
        g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
        lk_test_assert_message (error, cut);
        lk_test_assert_message (error, "truncated");
        g_clear_error (&error);
        g_assert_null (lk_image_load_for_model (cut, 224, &error));
        g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
        g_clear_error (&error);
        whole = lk_image_load (src, &error);
        g_assert_no_error (error);
        g_clear_pointer (&whole, lk_image_free);
      }
  /* a progressive JPEG (all of its rows arrive in the first scan) and a BMP */
  {
    const char *shared = g_getenv ("LK_SHARED_DATA");
    g_autofree char *progressive = g_build_filename (shared ? shared : "shared/data", "images", "car2.png", NULL);
    g_autofree char *bmp = g_build_filename (dir, "whole.bmp", NULL);
    const char *srcs[] = { progressive, bmp };
    lk_test_write_photo (bmp, 60, 40, "bmp");
    for (guint i = 0; i < G_N_ELEMENTS (srcs); i++)
      {
        g_autofree char *cut = g_build_filename (dir, i ? "cut.bmp" : "cut-progressive.jpg", NULL);
        whole = lk_image_load (srcs[i], &error);
        g_assert_no_error (error);
        g_clear_pointer (&whole, lk_image_free);
        lk_test_write_cut (srcs[i], cut, 0.7);
        g_assert_null (lk_image_load (cut, &error));
        lk_test_assert_message (error, "truncated");
        g_clear_error (&error);
      }
  }
  lk_test_write_photo (png, 600, 400, "png");
  lk_test_write_cut (png, cut_png, 0.5);
  whole = lk_image_load (png, &error);
  g_assert_no_error (error);
  image = lk_image_load (cut_png, &error);
  g_assert_null (image);
  lk_test_assert_message (error, "truncated");
  lk_test_rm_rf (dir);
}

/* A FIFO would block the open forever, a folder has no data: both are
 * refused by type, before they are opened. */
static void
test_image_not_regular (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-clip-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "photo.jpg", NULL);
  g_autofree char *folder = g_build_filename (dir, "folder.png", NULL);
  const char *paths[] = { fifo, folder, "/dev/zero" };
  const char *kinds[] = { "named pipe", "folder", "device" };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GdkPixbuf) pix = NULL;
      g_assert_null (lk_image_load (paths[i], &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      lk_test_assert_message (error, paths[i]);
      lk_test_assert_message (error, kinds[i]);
      g_clear_error (&error);
      g_assert_false (lk_image_check_file (paths[i], &error));
      lk_test_assert_message (error, kinds[i]);
      g_clear_error (&error);
      pix = lk_image_load_pixbuf (paths[i], 0, 0, NULL, NULL, &error);
      g_assert_null (pix);
      lk_test_assert_message (error, kinds[i]);
    }
  lk_test_rm_rf (dir);
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
  g_test_add_func ("/clip/image-formats", test_image_formats);
  g_test_add_func ("/clip/image-huge-declared", test_image_huge_declared);
  g_test_add_func ("/clip/image-large-prescaled", test_image_large_prescaled);
  g_test_add_func ("/clip/image-truncated", test_image_truncated);
  g_test_add_func ("/clip/image-not-regular", test_image_not_regular);
  g_test_add_func ("/clip/exif", test_exif);
  g_test_add_func ("/clip/text-model", test_text_model_has_no_vision);
  g_test_add_func ("/clip/shared-photos", test_shared_photos);
  status = g_test_run ();
  g_clear_object (&tiny);
  json_node_unref (golden);
  return status;
}
