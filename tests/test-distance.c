/* test-distance.c — the Distance Explainer: its RISE generator against
 * dianna's (same seed, same masks), its aggregation against
 * distance_explainer 0.6.0 (tests/golden/distance, written by
 * tests/oracle/distance_oracle.py), image masking end to end on the tiny
 * CLIP, and on texts (the tiny BERT) seeds, word units, early stop and
 * errors. Text masking end to end against distance_explainer on the real
 * all-MiniLM-L6-v2: test-distance-parity.c. */
#include <math.h>
#include <sys/stat.h>

#include "lk-distance.h"
#include "lk-error.h"
#include "lk-explain.h"
#include "lk-json.h"
#include "lk-render.h"
#include "lk-sts.h"
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

/* ---- the generator ---- */

static void
check_rise_case (JsonObject *c)
{
  guint n = json_object_get_int_member (c, "n"), h = json_object_get_int_member (c, "height");
  guint w = json_object_get_int_member (c, "width"), res = json_object_get_int_member (c, "feature_res");
  LkRise *r = lk_rise_new (n, h, w, res, json_object_get_double_member (c, "p_keep"),
                           json_object_get_int_member (c, "seed"));
  JsonArray *grid = json_object_get_array_member (c, "grid"), *offsets = json_object_get_array_member (c, "offsets");
  JsonArray *sums = json_object_get_array_member (c, "sums"), *samples = json_object_get_array_member (c, "samples");
  JsonArray *sy = json_object_get_array_member (c, "sample_y"), *sx = json_object_get_array_member (c, "sample_x");
  g_autofree float *mask = g_new (float, (gsize) h * w);
  double worst = 0;

  for (guint i = 0; i < n; i++)
    {
      const char *g = json_array_get_string_element (grid, i);
      JsonArray *o = json_array_get_array_element (offsets, i);
      JsonArray *s = json_array_get_array_element (samples, i);
      const guint8 *ours = lk_rise_grid (r, i);
      guint dy, dx;
      double sum = 0;

      for (guint k = 0; k < res * res; k++)
        g_assert_cmpint (ours[k], ==, g[k] == '1');
      lk_rise_offset (r, i, &dy, &dx);
      g_assert_cmpuint (dy, ==, json_array_get_int_element (o, 0));
      g_assert_cmpuint (dx, ==, json_array_get_int_element (o, 1));
      lk_rise_mask (r, i, mask);
      for (gsize k = 0; k < (gsize) h * w; k++)
        sum += mask[k];
      g_assert_cmpfloat (fabs (sum - num (sums, i)), <, 1e-6 * h * w);
      for (guint k = 0; k < json_array_get_length (sy); k++)
        {
          double v = mask[(gsize) json_array_get_int_element (sy, k) * w + json_array_get_int_element (sx, k)];
          worst = fmax (worst, fabs (v - num (s, k)));
        }
    }
  g_test_message ("RISE %u×%u res %u: largest pixel difference from dianna %.2g", h, w, res, worst);
  g_assert_cmpfloat (worst, <, 1e-6);
  lk_rise_free (r);
}

static void
test_rise_matches_dianna (void)
{
  JsonArray *cases = json_object_get_array_member (golden, "rise");

  for (guint i = 0; i < json_array_get_length (cases); i++)
    check_rise_case (json_array_get_object_element (cases, i));
}

static void
test_rise_spec (void)
{
  guint n = 600, h = 50, w = 70, res = 8;
  LkRise *r = lk_rise_new (n, h, w, res, 0.3, 9), *same = lk_rise_new (n, h, w, res, 0.3, 9);
  LkRise *other = lk_rise_new (n, h, w, res, 0.3, 10);
  g_autofree float *m = g_new (float, (gsize) h * w), *m2 = g_new (float, (gsize) h * w);
  guint kept = 0, differ = 0, cell_y = (h + res - 1) / res, cell_x = (w + res - 1) / res;
  gboolean seen_dy_max = FALSE;

  for (guint i = 0; i < n; i++)
    {
      guint dy, dx;
      for (guint k = 0; k < res * res; k++)
        kept += lk_rise_grid (r, i)[k];
      lk_rise_offset (r, i, &dy, &dx);
      g_assert_cmpuint (dy, <, cell_y);
      g_assert_cmpuint (dx, <, cell_x);
      seen_dy_max |= dy == cell_y - 1;
      lk_rise_mask (r, i, m);
      lk_rise_mask (same, i, m2);
      g_assert_cmpmem (m, h * w * sizeof (float), m2, h * w * sizeof (float));
      for (gsize k = 0; k < (gsize) h * w; k++)
        g_assert_true (m[k] >= 0 && m[k] <= 1);
      lk_rise_mask (other, i, m2);
      differ += memcmp (m, m2, h * w * sizeof (float)) != 0;
    }
  /* 38,400 Bernoulli(0.3) cells: the standard error of the fraction is 0.0023 */
  g_assert_cmpfloat (fabs ((double) kept / (n * res * res) - 0.3), <, 0.01);
  g_assert_true (seen_dy_max);
  g_assert_cmpuint (differ, >, n * 9 / 10);
  lk_rise_free (r);
  lk_rise_free (same);
  lk_rise_free (other);
}

/* ---- the aggregation against distance_explainer ---- */

static void
rise_get (guint i, float *out, gpointer data)
{
  lk_rise_mask (data, i, out);
}

static double *
doubles (JsonArray *a)
{
  double *d = g_new (double, json_array_get_length (a));
  for (guint i = 0; i < json_array_get_length (a); i++)
    d[i] = num (a, i);
  return d;
}

static void
test_image_parity (void)
{
  JsonObject *c = json_object_get_object_member (golden, "image");
  guint n = json_object_get_int_member (c, "n"), h = json_object_get_int_member (c, "height");
  guint w = json_object_get_int_member (c, "width");
  LkRise *r = lk_rise_new (n, h, w, json_object_get_int_member (c, "feature_res"),
                           json_object_get_double_member (c, "p_keep"), json_object_get_int_member (c, "seed"));
  g_autofree double *dist = doubles (json_object_get_array_member (c, "distances"));
  g_autofree double *map = g_new (double, (gsize) h * w);
  g_autofree float *m = g_new (float, (gsize) h * w);
  JsonArray *sums = json_object_get_array_member (c, "mask_sums"), *ref = json_object_get_array_member (c, "map");
  LkDistanceParams p;
  double worst = 0, sh;

  lk_distance_params_init (&p);
  for (guint i = 0; i < n; i++)
    {
      double sum = 0;
      lk_rise_mask (r, i, m);
      for (gsize k = 0; k < (gsize) h * w; k++)
        sum += m[k];
      g_assert_cmpfloat (fabs (sum - num (sums, i)), <, 1e-3);
    }
  lk_distance_aggregate (0, n, (gsize) h * w, rise_get, r, dist, &p, map);
  for (gsize k = 0; k < (gsize) h * w; k++)
    worst = fmax (worst, fabs (map[k] - num (ref, k)));
  sh = lk_distance_split_half (n, (gsize) h * w, rise_get, r, dist, &p);
  g_test_message ("image map vs distance_explainer: largest difference %.2g; split-half %.6f (Python %.6f)",
                  worst, sh, json_object_get_double_member (c, "split_half"));
  g_assert_cmpfloat (worst, <, 1e-5);
  g_assert_cmpfloat (fabs (sh - json_object_get_double_member (c, "split_half")), <, 1e-6);
  lk_rise_free (r);
}

typedef struct {
  float *masks;
  guint  units;
} UnitMasks;

static void
units_get (guint i, float *out, gpointer data)
{
  UnitMasks *u = data;
  memcpy (out, u->masks + (gsize) i * u->units, u->units * sizeof *out);
}

static void
test_text_aggregation (void)
{
  JsonObject *c = json_object_get_object_member (golden, "text");
  guint n = json_object_get_int_member (c, "n"), units = json_object_get_int_member (c, "units");
  JsonArray *flags = json_object_get_array_member (c, "masks"), *ref = json_object_get_array_member (c, "map");
  g_autofree double *dist = doubles (json_object_get_array_member (c, "distances"));
  g_autofree double *map = g_new (double, units);
  UnitMasks u = { lk_distance_unit_masks (n, units, json_object_get_double_member (c, "p_keep"),
                                          json_object_get_int_member (c, "seed")), units };
  LkDistanceParams p;

  /* the seeded stream draws the masks the oracle drew */
  for (guint i = 0; i < n; i++)
    for (guint k = 0; k < units; k++)
      g_assert_cmpfloat (u.masks[(gsize) i * units + k], ==, json_array_get_string_element (flags, i)[k] == '1');
  lk_distance_params_init (&p);
  lk_distance_aggregate (0, n, units, units_get, &u, dist, &p, map);
  for (guint k = 0; k < units; k++)
    g_assert_cmpfloat (fabs (map[k] - num (ref, k)), <, 1e-5);
  g_free (u.masks);
}

static JsonArray *saliency (LkExplanation *x, const char *side);

/* ---- images end to end ---- */

static float *
decode_f32le (const char *b64, gsize n)
{
  gsize len = 0;
  guchar *raw = g_base64_decode (b64, &len);
  float *v = g_new (float, n);

  g_assert_cmpuint (len, ==, n * 4);
  for (gsize i = 0; i < n; i++)
    {
      guint32 u;
      memcpy (&u, raw + 4 * i, 4);
      u = GUINT32_FROM_LE (u);
      memcpy (&v[i], &u, 4);
    }
  g_free (raw);
  return v;
}

/* The oracle's full-resolution map over one stored cell (column cx, row
 * cy) of a map of fx × fy photo pixels per cell from (x0, y0): the mean of
 * the photo pixels whose centres lie in the cell, by brute force. */
static double
oracle_cell (JsonArray *ref, int w, int h, double x0, double y0, double fx, double fy, int cx, int cy)
{
  double lx = x0 + cx * fx, ly = y0 + cy * fy, sum = 0;
  int count = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (x + 0.5 >= lx && x + 0.5 < lx + fx && y + 0.5 >= ly && y + 0.5 < ly + fy)
        {
          sum += num (ref, (gsize) y * w + x);
          count++;
        }
  g_assert_cmpint (count, >, 0);
  return sum / count;
}

static void
test_image_end_to_end (void)
{
  JsonObject *c = json_object_get_object_member (golden, "clip");
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  g_autofree char *photo = g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.png", NULL);
  g_autoptr(LkModel) tiny = NULL;
  g_autoptr(LkExplanation) x = NULL, y = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *map = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 2 };
  JsonArray *rd = json_object_get_array_member (c, "distances"), *ref = json_object_get_array_member (c, "map");
  JsonArray *dist;
  JsonObject *m;
  LkDistanceParams p;
  double worst_map = 0, worst_dist = 0;
  gsize n;

  tiny = lk_model_new_from_dir (dir, "tiny-clip", &opts, &error);
  g_assert_no_error (error);
  lk_distance_params_init (&p);
  p.n_masks = json_object_get_int_member (c, "n");
  p.seed = json_object_get_int_member (c, "seed");
  p.feature_res = json_object_get_int_member (c, "feature_res");
  x = lk_explain_distance_image (tiny, photo, json_object_get_string_member (c, "caption"), &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* stored at the model's input side (32) over the centre crop, which lies
   * on the 64 × 48 photo where CLIP's resize (to 42 × 32) and crop put it */
  m = lk_explanation_get_extra (x, "saliency_map");
  g_assert_cmpint (json_object_get_int_member (m, "width"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (m, "height"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (m, "photo_width"), ==, json_object_get_int_member (c, "width"));
  g_assert_cmpint (json_object_get_int_member (m, "photo_height"), ==, json_object_get_int_member (c, "height"));
  {
    JsonObject *crop = json_object_get_object_member (m, "crop");
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "x"), 5 * 64 / 42.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "y"), 0, 1e-9);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "width"), 32 * 64 / 42.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "height"), 48, 1e-9);
  }
  n = 32 * 32;
  map = decode_f32le (json_object_get_string_member (m, "values_f32le"), n);
  dist = json_object_get_array_member (lk_explanation_get_extra (x, "distance"), "masks");
  for (guint i = 0; i < p.n_masks; i++)
    worst_dist = fmax (worst_dist, fabs (num (dist, i) - num (rd, i)));
  for (gsize k = 0; k < n; k++)
    worst_map = fmax (worst_map, fabs (map[k] - oracle_cell (ref, json_object_get_int_member (c, "width"),
                                                             json_object_get_int_member (c, "height"),
                                                             5 * 64 / 42.0, 0, 32 * 64 / 42.0 / 32, 48 / 32.0,
                                                             k % 32, k / 32)));
  g_test_message ("image–caption on the tiny CLIP vs distance_explainer: distances %.2g, map %.2g", worst_dist,
                  worst_map);
  g_assert_cmpfloat (worst_dist, <, 1e-5);
  g_assert_cmpfloat (worst_map, <, 1e-5);
  /* the saliency figure draws the photo under the map, with the check */
  {
    g_autofree char *dir_out = g_dir_make_tmp ("lk-distance-XXXXXX", NULL);
    g_autofree char *svg_path = g_build_filename (dir_out, "map.svg", NULL);
    g_autofree char *svg = NULL;
    LkRenderOptions ro;

    lk_render_options_init (&ro);
    g_assert_true (lk_render_export (x, LK_VIEW_SALIENCY, &ro, LK_EXPORT_SVG, 1, svg_path, &error));
    g_assert_true (g_file_get_contents (svg_path, &svg, NULL, NULL));
    g_assert_nonnull (strstr (svg, "overlay"));
    g_assert_nonnull (strstr (svg, "photo"));
    g_assert_nonnull (strstr (svg, "split-half correlation"));
    lk_test_rm_rf (dir_out);
  }
  /* the caption side: which caption words matter for this image */
  p.mask_side = 1;
  p.n_masks = 64;
  y = lk_explain_distance_image (tiny, photo, json_object_get_string_member (c, "caption"), &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (json_object_has_member (lk_explanation_get_extra (y, "saliency_map"), "width"));
  g_assert_cmpuint (json_array_get_length (saliency (y, "b")), ==, lk_explanation_get_n_tokens (y, 1));
  /* a text model has no vision tower */
  g_assert_null (lk_explain_distance_image (model, photo, "a flower", &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
}

static char *
export_svg (LkExplanation *x, const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "map.svg", NULL);
  char *svg = NULL;
  LkRenderOptions ro;

  lk_render_options_init (&ro);
  g_unlink (path);
  if (!lk_render_export (x, LK_VIEW_SALIENCY, &ro, LK_EXPORT_SVG, 1, path, error))
    {
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      return NULL;
    }
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  return svg;
}

/* Replaces the map by an old result's: at the photo's full resolution, no crop. */
static void
set_old_map (LkExplanation *x, int w, int h, gsize n_bytes)
{
  JsonObject *m = lk_explanation_get_extra (x, "saliency_map");
  g_autofree float *v = g_new (float, (gsize) w * h);
  g_autofree char *b64 = NULL;

  for (gsize i = 0; i < (gsize) w * h; i++)
    v[i] = (float) ((double) (i % w) / w - 0.5);
  b64 = g_base64_encode ((const guchar *) v, n_bytes);
  json_object_remove_member (m, "crop");
  json_object_remove_member (m, "photo_width");
  json_object_remove_member (m, "photo_height");
  json_object_set_int_member (m, "width", w);
  json_object_set_int_member (m, "height", h);
  json_object_set_string_member (m, "values_f32le", b64);
}

/* A 24 MP photo: the map is stored at the model's input side (not 24 M
 * floats), drawn over the crop on the photo; an old full-resolution map
 * still draws; a map or a photo that cannot be drawn fails the export. */
static void
test_image_big_photo (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("lk-distance-XXXXXX", NULL);
  g_autofree char *photo = g_build_filename (tmp, "big.jpg", NULL);
  g_autofree char *json = NULL, *svg = NULL;
  g_autoptr(LkModel) tiny = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 2 };
  LkDistanceParams p;
  JsonObject *m, *crop;
  gsize len;

  lk_test_write_photo (photo, 6000, 4000, "jpeg");
  tiny = lk_model_new_from_dir (dir, "tiny-clip", &opts, &error);
  g_assert_no_error (error);
  lk_distance_params_init (&p);
  p.n_masks = 16;
  p.batch_size = 8;
  x = lk_explain_distance_image (tiny, photo, "a photo", &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  m = lk_explanation_get_extra (x, "saliency_map");
  g_assert_cmpint (json_object_get_int_member (m, "width"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (m, "height"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (m, "photo_width"), ==, 6000);
  g_assert_cmpint (json_object_get_int_member (m, "photo_height"), ==, 4000);
  crop = json_object_get_object_member (m, "crop");
  /* CLIP's resize of 6000 × 4000 to 48 × 32, then the centre 32 × 32 */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "x"), 8 * 6000 / 48.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "width"), 4000, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (crop, "height"), 4000, 1e-6);
  node = lk_explanation_to_json (x);
  json = json_to_string (node, FALSE);
  len = strlen (json);
  g_test_message ("6000 × 4000 photo: the result JSON takes %" G_GSIZE_FORMAT " bytes", len);
  g_assert_cmpuint (len, <, 64 * 1024);
  svg = export_svg (x, tmp, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (svg, "class=\"photo\""));
  g_assert_nonnull (strstr (svg, "class=\"overlay\""));
  g_clear_pointer (&svg, g_free);

  /* an old result: a map wider than 4096 px, over the whole photo */
  set_old_map (x, 5000, 40, (gsize) 5000 * 40 * 4);
  svg = export_svg (x, tmp, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (svg, "class=\"overlay\""));
  g_clear_pointer (&svg, g_free);

  /* a map whose data does not match its size */
  set_old_map (x, 50, 40, (gsize) 50 * 39 * 4);
  g_assert_null (export_svg (x, tmp, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  lk_test_assert_message (error, "saliency_map");
  g_clear_error (&error);

  /* the photo is gone, or is now a folder or a FIFO */
  set_old_map (x, 50, 40, (gsize) 50 * 40 * 4);
  g_assert_cmpint (g_unlink (photo), ==, 0);
  g_assert_null (export_svg (x, tmp, &error));
  lk_test_assert_message (error, "photo");
  lk_test_assert_message (error, photo);
  g_clear_error (&error);
  g_assert_cmpint (mkfifo (photo, 0600), ==, 0);
  g_assert_null (export_svg (x, tmp, &error));
  lk_test_assert_message (error, "named pipe");
  g_clear_error (&error);
  lk_test_rm_rf (tmp);
}

/* ---- texts end to end ---- */

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

static double *
token_values (LkExplanation *x, const char *side, guint *n)
{
  JsonArray *a = saliency (x, side);
  *n = json_array_get_length (a);
  return doubles (a);
}

#define LONG_A "A man is playing a large flute on a sunny stage tonight."
#define LONG_B "Someone plays music outdoors."

static void
test_text_seeds (void)
{
  LkDistanceParams p;
  g_autoptr(LkExplanation) x = NULL, y = NULL, z = NULL;
  g_autofree double *vx = NULL, *vy = NULL, *vz = NULL;
  guint n;
  double r;

  lk_distance_params_init (&p);
  p.n_masks = 160;
  p.seed = 3;
  x = explain_text (LONG_A, LONG_B, &p);
  y = explain_text (LONG_A, LONG_B, &p);
  p.seed = 4;
  z = explain_text (LONG_A, LONG_B, &p);
  vx = token_values (x, "a", &n);
  vy = token_values (y, "a", &n);
  vz = token_values (z, "a", &n);
  g_assert_cmpmem (vx, n * sizeof (double), vy, n * sizeof (double));
  r = lk_pearson (vx, vz, n);
  g_test_message ("seeds 3 and 4, 160 masks: map correlation %.4f; split-half %.4f and %.4f", r,
                  lk_explanation_get_score (x, "split_half", NAN), lk_explanation_get_score (z, "split_half", NAN));
  g_assert_cmpfloat (r, >, 0.5);
  g_assert_cmpfloat (r, <, 1);
}

static void
test_text_word_units_and_side_b (void)
{
  LkDistanceParams p;
  g_autoptr(LkExplanation) x = NULL;
  JsonArray *sal;
  double total = 0;

  lk_distance_params_init (&p);
  p.n_masks = 100;
  p.mask_side = 1;
  p.unit = LK_DISTANCE_UNIT_WORD;
  p.replace = LK_DISTANCE_REPLACE_DROP;
  x = explain_text ("Coffee.", "The unbelievably disgusting coffee tasted bad.", &p);
  g_assert_false (json_object_has_member (lk_explanation_get_extra (x, "saliency"), "a"));
  sal = saliency (x, "b");
  g_assert_cmpuint (json_array_get_length (sal), ==, lk_explanation_get_n_tokens (x, 1));
  /* the sub-words of one word share its value equally */
  for (guint t = 1; t + 1 < lk_explanation_get_n_tokens (x, 1); t++)
    {
      const LkToken *a = lk_explanation_get_token (x, 1, t), *b = lk_explanation_get_token (x, 1, t + 1);
      if (!a->special && !b->special && a->word == b->word)
        g_assert_cmpfloat (num (sal, t), ==, num (sal, t + 1));
      total += fabs (num (sal, t));
    }
  g_assert_cmpfloat (total, >, 0);
  g_assert_cmpstr (json_object_get_string_member (lk_explanation_get_params (x), "unit"), ==, "word");
  g_assert_cmpstr (json_object_get_string_member (lk_explanation_get_params (x), "replacement"), ==, "drop");
  g_assert_cmpstr (json_object_get_string_member (lk_explanation_get_params (x), "mask_side"), ==, "b");
}

static void
test_early_stop (void)
{
  LkDistanceParams p;
  g_autoptr(LkExplanation) x = NULL, y = NULL;
  g_autofree double *vx = NULL, *vy = NULL;
  gint64 used;
  guint n;

  lk_distance_params_init (&p);
  p.n_masks = 2000;
  p.stop_at = 0.8;
  p.check_every = 100;
  x = explain_text (LONG_A, LONG_B, &p);
  used = json_object_get_int_member (lk_explanation_get_params (x), "n_masks_used");
  g_test_message ("stop at split-half 0.8: %" G_GINT64_FORMAT " masks, split-half %.4f", used,
                  lk_explanation_get_score (x, "split_half", NAN));
  g_assert_cmpint (used, <, 2000);
  g_assert_cmpfloat (lk_explanation_get_score (x, "split_half", 0), >=, 0.8);
  /* the first masks of a longer run are those of a shorter one */
  p.n_masks = used;
  p.stop_at = 0;
  y = explain_text (LONG_A, LONG_B, &p);
  vx = token_values (x, "a", &n);
  vy = token_values (y, "a", &n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (vx[i] - vy[i]), <, 1e-9);
}

/* ---- the stop and the reuse on images (the tiny CLIP) ---- */

static LkModel *clip;

static LkModel *
tiny_clip (void)
{
  if (clip == NULL)
    clip = lk_test_load_tiny ("clip");
  return clip;
}

static char *
clip_photo (void)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "clip", "rgb.png", NULL);
}

static LkExplanation *
explain_photo (const char *caption, const LkDistanceParams *p)
{
  g_autofree char *photo = clip_photo ();
  g_autoptr(GError) error = NULL;
  LkExplanation *x = lk_explain_distance_image (tiny_clip (), photo, caption, p, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return x;
}

static JsonArray *
mask_distances (LkExplanation *x)
{
  return json_object_get_array_member (lk_explanation_get_extra (x, "distance"), "masks");
}

static gint64
param_int (LkExplanation *x, const char *key)
{
  return json_object_get_int_member (lk_explanation_get_params (x), key);
}

static const char *
param_string (LkExplanation *x, const char *key)
{
  return json_object_get_string_member (lk_explanation_get_params (x), key);
}

/* The default stop is the verdict's "good" split-half (0.9). A run that
 * stops says how many masks it ran, why it stopped and at what
 * threshold, its distances are the first ones of a run of all the masks,
 * and the verdict is good; stop_at 0 runs exactly n_masks. */
static void
test_image_stop (void)
{
  g_autoptr(LkExplanation) x = NULL, all = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_DISTANCE);
  LkDistanceParams p;
  JsonArray *dx, *da;
  gint64 used;

  lk_distance_params_init (&p);
  g_assert_cmpfloat (p.stop_at, ==, 0.9);
  g_assert_cmpfloat (lk_explain_request_get (r, LK_PARAM_STOP_AT), ==, 0.9);
  g_assert_cmpfloat (p.stop_at, ==, lk_method_info (LK_METHOD_DISTANCE)->check.good);
  /* the tiny CLIP's random weights make a noisy map: 0.89 after 3000 masks */
  p.n_masks = 3000;
  p.stop_at = 0.8;
  p.check_every = 100;
  lk_distance_forget (tiny_clip ());
  x = explain_photo ("a red square", &p);
  used = param_int (x, "n_masks_used");
  g_test_message ("tiny CLIP, stop at split-half 0.8: %" G_GINT64_FORMAT " of 3000 masks, split-half %.4f", used,
                  lk_explanation_get_score (x, LK_SCORE_SPLIT_HALF, NAN));
  g_assert_cmpint (used, <, 3000);
  g_assert_cmpint (used % p.batch_size, ==, 0);
  g_assert_cmpstr (param_string (x, "stopped"), ==, "converged");
  g_assert_cmpint (param_int (x, "n_masks"), ==, 3000);
  g_assert_cmpfloat (json_object_get_double_member (lk_explanation_get_params (x), "stop_at"), ==, 0.8);
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_SPLIT_HALF, 0), >=, 0.8);
  g_assert_cmpint (lk_explanation_get_verdict (x, NULL), ==, LK_VERDICT_FAIR);
  dx = mask_distances (x);
  g_assert_cmpuint (json_array_get_length (dx), ==, used);
  /* exactly n_masks with the stop off, and the stopped run's masks are its first */
  p.stop_at = 0;
  lk_distance_forget (tiny_clip ());
  all = explain_photo ("a red square", &p);
  g_assert_cmpint (param_int (all, "n_masks_used"), ==, 3000);
  g_assert_cmpstr (param_string (all, "stopped"), ==, "off");
  da = mask_distances (all);
  for (guint i = 0; i < used; i++)
    g_assert_cmpfloat (num (dx, i), ==, num (da, i));
  /* the check line says it stopped, and at what */
  {
    g_autofree char *dir = g_dir_make_tmp ("lk-distance-XXXXXX", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *svg = export_svg (x, dir, &error);
    g_autofree char *expect = g_strdup_printf ("stable after %" G_GINT64_FORMAT " of 3000 masks (stop at split-half 0.8", used);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (svg, expect));
    lk_test_rm_rf (dir);
  }
}

/* A threshold out of [0, 1] is refused, naming it, by the core and by a request. */
static void
test_stop_errors (void)
{
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_DISTANCE);
  const double bad[] = { -0.1, 1.5, NAN };
  LkDistanceParams p;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      lk_distance_params_init (&p);
      p.stop_at = bad[i];
      g_assert_false (lk_distance_params_check (&p, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      lk_test_assert_message (error, "early-stop threshold");
      g_clear_error (&error);
      g_assert_null (lk_explain_distance_image (tiny_clip (), "unused.png", "a caption", &p, NULL, NULL, NULL, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_assert_false (lk_explain_request_set (r, LK_PARAM_STOP_AT, bad[i], &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      lk_test_assert_message (error, "stop_at");
      g_clear_error (&error);
    }
  g_assert_cmpfloat (lk_explain_request_get (r, LK_PARAM_STOP_AT), ==, 0.9);
}

static float *
photo_map (LkExplanation *x)
{
  JsonObject *m = lk_explanation_get_extra (x, "saliency_map");
  return decode_f32le (json_object_get_string_member (m, "values_f32le"),
                       (gsize) json_object_get_int_member (m, "width") * json_object_get_int_member (m, "height"));
}

static void
assert_same_map (LkExplanation *x, LkExplanation *y)
{
  g_autofree float *mx = photo_map (x), *my = photo_map (y);
  JsonArray *dx = mask_distances (x), *dy = mask_distances (y);

  g_assert_cmpint (param_int (x, "n_masks_used"), ==, param_int (y, "n_masks_used"));
  for (guint i = 0; i < json_array_get_length (dx); i++)
    g_assert_cmpfloat (num (dx, i), ==, num (dy, i));
  g_assert_cmpmem (mx, 32 * 32 * sizeof (float), my, 32 * 32 * sizeof (float));
  g_assert_cmpfloat (lk_explanation_get_score (x, LK_SCORE_SPLIT_HALF, NAN), ==,
                     lk_explanation_get_score (y, LK_SCORE_SPLIT_HALF, NAN));
}

static gint64
reused (LkExplanation *x)
{
  return json_object_get_int_member (lk_explanation_get_extra (x, "distance"), "reused");
}

/* One image, several captions: the masked copies are embedded once; each
 * caption's map is the one a run of its own gives, stopped or not. */
static void
test_image_reuse (void)
{
  const char *captions[] = { "a red square", "a green field", "a blue sky" };
  LkExplanation *shared[3], *own[3];
  LkDistanceParams p;

  lk_distance_params_init (&p);
  p.n_masks = 3000;
  p.batch_size = 16;
  lk_distance_forget (tiny_clip ());
  for (guint i = 0; i < 3; i++)
    shared[i] = explain_photo (captions[i], &p);
  g_assert_cmpint (reused (shared[0]), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      lk_distance_forget (tiny_clip ());
      own[i] = explain_photo (captions[i], &p);
      g_assert_cmpint (reused (own[i]), ==, 0);
      assert_same_map (shared[i], own[i]);
    }
  /* a later caption took every embedding an earlier one made */
  g_assert_cmpint (reused (shared[1]), ==, MIN (param_int (shared[0], "n_masks_used"), param_int (shared[1], "n_masks_used")));
  g_test_message ("masks used %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "; reused %" G_GINT64_FORMAT
                  ", %" G_GINT64_FORMAT, param_int (shared[0], "n_masks_used"), param_int (shared[1], "n_masks_used"),
                  param_int (shared[2], "n_masks_used"), reused (shared[1]), reused (shared[2]));
  /* other mask settings or another seed draw other masks: nothing reused */
  p.seed = 2;
  p.stop_at = 0;
  p.n_masks = 200;
  {
    g_autoptr(LkExplanation) a = explain_photo (captions[0], &p), b = NULL, c = NULL;
    g_assert_cmpint (reused (a), ==, 0);
    b = explain_photo (captions[1], &p);
    g_assert_cmpint (reused (b), ==, 200);
    p.feature_res = 4;
    c = explain_photo (captions[1], &p);
    g_assert_cmpint (reused (c), ==, 0);
  }
  for (guint i = 0; i < 3; i++)
    {
      g_object_unref (shared[i]);
      g_object_unref (own[i]);
    }
}

static void
test_errors (void)
{
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  LkDistanceParams p;
  GError *error = NULL;

  lk_distance_params_init (&p);
  p.p_keep = 1;
  g_assert_null (lk_explain_distance_text (model, "a", "b", &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  lk_test_assert_message (error, "p_keep");
  g_clear_error (&error);
  lk_distance_params_init (&p);
  p.pos_max = 0;
  g_assert_null (lk_explain_distance_text (model, "a", "b", &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "closest window");
  g_clear_error (&error);
  lk_distance_params_init (&p);
  g_assert_null (lk_explain_distance_text (model, "", "b", &p, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "text A is empty");
  g_clear_error (&error);
  g_cancellable_cancel (cancel);
  g_assert_null (lk_explain_distance_text (model, "a cup", "b", &p, NULL, NULL, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (lk_explain_distance_image (model, "/nonexistent.png", "a bee", &p, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
}

static void
test_json_round_trip (void)
{
  LkDistanceParams p;
  g_autoptr(LkExplanation) x = NULL, y = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *params;

  lk_distance_params_init (&p);
  p.n_masks = 50;
  x = explain_text ("The coffee is bad.", "This is not a good coffee.", &p);
  node = lk_explanation_to_json (x);
  y = lk_explanation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_explanation_get_method (y), ==, "distance");
  params = lk_explanation_get_params (y);
  g_assert_cmpint (json_object_get_int_member (params, "n_masks"), ==, 50);
  g_assert_cmpint (json_object_get_int_member (params, "seed"), ==, 1);
  g_assert_cmpuint (json_array_get_length (saliency (y, "a")), ==, lk_explanation_get_n_tokens (y, 0));
  g_assert_cmpfloat (lk_explanation_get_score (y, "split_half", NAN), ==, lk_explanation_get_score (x, "split_half", 0));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  load_golden ();
  model = lk_test_load_tiny ("bert");
  g_test_add_func ("/distance/rise/dianna", test_rise_matches_dianna);
  g_test_add_func ("/distance/rise/spec", test_rise_spec);
  g_test_add_func ("/distance/image/aggregation-parity", test_image_parity);
  g_test_add_func ("/distance/text/aggregation-parity", test_text_aggregation);
  g_test_add_func ("/distance/image/end-to-end-parity", test_image_end_to_end);
  g_test_add_func ("/distance/image/big-photo", test_image_big_photo);
  g_test_add_func ("/distance/text/seeds", test_text_seeds);
  g_test_add_func ("/distance/text/words-side-b-drop", test_text_word_units_and_side_b);
  g_test_add_func ("/distance/text/early-stop", test_early_stop);
  g_test_add_func ("/distance/image/stop", test_image_stop);
  g_test_add_func ("/distance/image/stop-errors", test_stop_errors);
  g_test_add_func ("/distance/image/reuse", test_image_reuse);
  g_test_add_func ("/distance/errors", test_errors);
  g_test_add_func ("/distance/json", test_json_round_trip);
  rc = g_test_run ();
  g_object_unref (model);
  g_clear_object (&clip);
  json_object_unref (golden);
  return rc;
}
