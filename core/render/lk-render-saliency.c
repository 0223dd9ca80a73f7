/* lk-render-saliency.c — each text with its words (or tokens) shaded by
 * saliency; for an image, the photo under a translucent map. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-image.h"
#include "lk-render-private.h"

#define CONTENT_W 560.0
#define CHIP_H 21.0
#define CHIP_PAD 4.0
#define CHIP_GAP 4.0
#define IMAGE_BOX 300.0

static double
draw_text_side (LkFigure *f, LkCanvas *c, guint side, const double *sal, double scale, double y, double right,
                double *used)
{
  LkTextStyle head, st;
  double asc, desc, x = LK_RENDER_MARGIN;

  lk_text_style_init (&head, 10, TRUE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &head, &asc, &desc);
  lk_canvas_class (c, "side-heading");
  lk_canvas_text (c, x, y + asc, side ? _("Text B") : _("Text A"), &head);
  y += asc + desc + 6;
  lk_canvas_class (c, side ? "saliency-b" : "saliency-a");
  lk_canvas_begin_group (c);
  for (guint k = 0; k < lk_figure_n (f, side); k++)
    {
      int hl = side ? f->opt.highlight_b : f->opt.highlight_a;
      gboolean highlighted = hl >= 0 && (int) lk_figure_source (f, side, k) == hl;
      LkRgba fill, ink = { 1, 1, 1, 1 };
      g_autofree char *text = NULL;
      double w;

      lk_palette_color (f->opt.palette, f->opt.dark, scale > 0 ? sal[k] / scale : 0, &fill);
      if (!lk_palette_needs_light_text (&fill))
        ink = f->opt.dark ? (LkRgba) { 0.08, 0.08, 0.1, 1 } : f->text;
      if (f->opt.dark && lk_palette_needs_light_text (&fill))
        ink = f->text;
      lk_text_style_init (&st, 10.5, highlighted, LK_ANCHOR_START, &ink);
      lk_canvas_font_extents (c, &st, &asc, &desc);
      text = lk_canvas_ellipsize (c, lk_figure_label (f, side, k), &st, right - LK_RENDER_MARGIN - 2 * CHIP_PAD);
      w = lk_canvas_text_width (c, text, &st) + 2 * CHIP_PAD;
      if (x > LK_RENDER_MARGIN && x + w > right)
        {
          x = LK_RENDER_MARGIN;
          y += CHIP_H + 5;
        }
      lk_canvas_class (c, side ? "word-b" : "word-a");
      lk_canvas_data (c, "index", "%u", lk_figure_source (f, side, k));
      lk_canvas_data_double (c, "value", sal[k]);
      lk_canvas_rect (c, x, y, w, CHIP_H, 4, &fill, highlighted ? &f->accent : NULL, 2);
      lk_canvas_class (c, side ? "label-b" : "label-a");
      lk_canvas_text (c, x + CHIP_PAD, y + CHIP_H / 2 + (asc - desc) / 2, text, &st);
      lk_canvas_add_hit (c, x, y, w, CHIP_H, side ? -1 : (int) lk_figure_source (f, side, k),
                         side ? (int) lk_figure_source (f, side, k) : -1);
      *used = MAX (*used, x + w);
      x += w + CHIP_GAP;
    }
  lk_canvas_end_group (c);
  return y + CHIP_H;
}

/* ---- image saliency ---- */

/* Maps are drawn from at most this many cells a side: an old result's map
 * at a photo's full resolution is averaged down to it. */
#define MAP_MAX_SIDE 2048

typedef struct {
  int     width, height;   /* as stored */
  int     k;               /* stored cells per drawn cell, a side */
  int     dw, dh;          /* as drawn */
  double *values;          /* dw × dh */
  double *count;
  double  scale;
  double  crop[4];         /* where the map lies on the photo, in photo pixels */
  int     photo_w, photo_h;/* 0: the map covers the whole photo */
  char   *image;
  char   *word;   /* patch × word maps: the caption word shown */
} Map;

static void
map_clear (Map *m)
{
  g_free (m->values);
  g_free (m->count);
  g_free (m->image);
  g_free (m->word);
}

static void
map_alloc (Map *m)
{
  m->k = MAX ((MAX (m->width, m->height) + MAP_MAX_SIDE - 1) / MAP_MAX_SIDE, 1);
  m->dw = (m->width + m->k - 1) / m->k;
  m->dh = (m->height + m->k - 1) / m->k;
  m->values = g_new0 (double, (gsize) m->dw * m->dh);
  m->count = g_new0 (double, (gsize) m->dw * m->dh);
}

static void
map_add (Map *m, gsize i, double v)
{
  gsize q = (gsize) ((i / m->width) / m->k) * m->dw + (i % m->width) / m->k;
  m->values[q] += v;
  m->count[q] += 1;
}

static void
map_finish (Map *m)
{
  for (gsize q = 0; q < (gsize) m->dw * m->dh; q++)
    {
      m->values[q] /= MAX (m->count[q], 1);
      m->scale = MAX (m->scale, fabs (m->values[q]));
    }
}

static gboolean
bad_map (LkFigure *f, const char *what)
{
  lk_figure_fail (f, g_error_new (LK_ERROR, LK_ERROR_INVALID_DATA,
                                  _("The saliency map cannot be drawn: “saliency_map” %s"), what));
  return FALSE;
}

static gboolean
read_values (LkFigure *f, JsonNode *node, Map *m)
{
  JsonArray *a;
  gsize n = (gsize) m->width * m->height;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad_map (f, _("has no “values” array"));
  a = json_node_get_array (node);
  if (json_array_get_length (a) != n)
    return bad_map (f, _("has a “values” array whose length is not width × height"));
  map_alloc (m);
  for (gsize i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || !isfinite (json_node_get_double (e)))
        return bad_map (f, _("has a value that is not a finite number"));
      map_add (m, i, json_node_get_double (e));
    }
  map_finish (m);
  return TRUE;
}

/* The compact form: float32 little-endian, base64 (lk-distance.c). */
static gboolean
read_values_f32le (LkFigure *f, const char *b64, Map *m)
{
  gsize n = (gsize) m->width * m->height, len = 0;
  g_autofree guchar *raw = b64 ? g_base64_decode (b64, &len) : NULL;

  if (raw == NULL || len != n * 4)
    return bad_map (f, _("has “values_f32le” of a length other than 4 × width × height bytes"));
  map_alloc (m);
  for (gsize i = 0; i < n; i++)
    {
      union { guint32 u; float f; } v;
      memcpy (&v.u, raw + 4 * i, 4);
      v.u = GUINT32_FROM_LE (v.u);
      if (!isfinite (v.f))
        return bad_map (f, _("has a value that is not a finite number"));
      map_add (m, i, v.f);
    }
  map_finish (m);
  return TRUE;
}

/* Maps stored over the model's centre crop (lk-distance.c) say where: the
 * crop in photo pixels and the photo's size. */
static gboolean
read_crop (LkFigure *f, JsonObject *o, Map *m)
{
  static const char *keys[] = { "x", "y", "width", "height" };
  JsonObject *c;

  if (!json_object_has_member (o, "crop"))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "crop")))
    return bad_map (f, _("has a “crop” that is not an object"));
  c = json_object_get_object_member (o, "crop");
  for (guint i = 0; i < 4; i++)
    {
      JsonNode *v = json_object_get_member (c, keys[i]);
      if (v == NULL || !JSON_NODE_HOLDS_VALUE (v) || !isfinite (json_node_get_double (v)))
        return bad_map (f, _("has a “crop” without x, y, width and height"));
      m->crop[i] = json_node_get_double (v);
    }
  m->photo_w = json_object_get_int_member_with_default (o, "photo_width", 0);
  m->photo_h = json_object_get_int_member_with_default (o, "photo_height", 0);
  if (m->photo_w <= 0 || m->photo_h <= 0 || m->crop[2] <= 0 || m->crop[3] <= 0 ||
      m->crop[0] < -0.5 || m->crop[1] < -0.5 ||
      m->crop[0] + m->crop[2] > m->photo_w + 0.5 || m->crop[1] + m->crop[3] > m->photo_h + 0.5)
    return bad_map (f, _("has a “crop” that does not lie on the photo (photo_width × photo_height)"));
  return TRUE;
}

static JsonNode *
chosen_values (LkFigure *f, JsonObject *o, Map *m)
{
  JsonNode *values = json_object_get_member (o, "values");
  JsonArray *maps;
  gint64 k;

  if (!json_object_has_member (o, "maps") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "maps")))
    return values;
  maps = json_object_get_array_member (o, "maps");
  if (f->opt.saliency_word >= 0 && (guint) f->opt.saliency_word < json_array_get_length (maps) &&
      JSON_NODE_HOLDS_OBJECT (json_array_get_element (maps, f->opt.saliency_word)))
    values = json_object_get_member (json_node_get_object (json_array_get_element (maps, f->opt.saliency_word)),
                                     "values");
  /* patch × word (lk-methods-image.c): name the caption word whose map is shown */
  k = f->opt.saliency_word >= 0 ? f->opt.saliency_word : json_object_get_int_member_with_default (o, "word", -1);
  if (k >= 0 && k < json_array_get_length (maps) && JSON_NODE_HOLDS_OBJECT (json_array_get_element (maps, k)))
    m->word = g_strdup (json_object_get_string_member_with_default (
                          json_node_get_object (json_array_get_element (maps, k)), "word", NULL));
  return values;
}

/* "saliency_map": {width, height, values (row-major) or values_f32le, image, crop, and per caption
 * word "maps": [{word, values}]}; @saliency_word picks one of those. FALSE when the result has no
 * map (a caption-side distance result has an empty one), or when it cannot be read (f->error). */
static gboolean
read_map (LkFigure *f, Map *m)
{
  JsonNode *n = lk_figure_member (f, "saliency_map");
  JsonNode *image = lk_figure_member (f, "image");
  JsonNode *values;
  JsonObject *o;
  gint64 w, h;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return FALSE;
  o = json_node_get_object (n);
  if (!json_object_has_member (o, "width") && !json_object_has_member (o, "values") &&
      !json_object_has_member (o, "values_f32le"))
    return FALSE;
  w = json_object_get_int_member_with_default (o, "width", 0);
  h = json_object_get_int_member_with_default (o, "height", 0);
  if (w <= 0 || h <= 0 || (double) w * h > LK_IMAGE_MAX_PIXELS)
    return bad_map (f, _("must have a positive width and height, of at most 250 million cells"));
  m->width = (int) w;
  m->height = (int) h;
  if (!read_crop (f, o, m))
    return FALSE;
  values = chosen_values (f, o, m);
  m->image = g_strdup (json_object_get_string_member_with_default (o, "image",
                       image && JSON_NODE_HOLDS_VALUE (image) ? json_node_get_string (image) : NULL));
  if (values == NULL && json_object_has_member (o, "values_f32le"))
    return read_values_f32le (f, json_object_get_string_member_with_default (o, "values_f32le", NULL), m);
  return read_values (f, values, m);
}

static cairo_surface_t *
surface_from_pixbuf (GdkPixbuf *pb)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int nch = gdk_pixbuf_get_n_channels (pb), stride = gdk_pixbuf_get_rowstride (pb);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pb);
  const guchar *src = gdk_pixbuf_read_pixels (pb);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  int dstride = cairo_image_surface_get_stride (s);
  guchar *dst;

  cairo_surface_flush (s);
  dst = cairo_image_surface_get_data (s);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guchar *p = src + y * stride + x * nch;
        guint a = alpha ? p[3] : 255;
        guint32 *q = (guint32 *) (dst + y * dstride + x * 4);
        *q = (a << 24) | ((p[0] * a / 255) << 16) | ((p[1] * a / 255) << 8) | (p[2] * a / 255);
      }
  cairo_surface_mark_dirty (s);
  return s;
}

static cairo_surface_t *
map_surface (LkFigure *f, Map *m)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, m->dw, m->dh);
  int stride = cairo_image_surface_get_stride (s);
  guchar *data;

  cairo_surface_flush (s);
  data = cairo_image_surface_get_data (s);
  for (int y = 0; y < m->dh; y++)
    for (int x = 0; x < m->dw; x++)
      {
        LkRgba col;
        guint32 *q = (guint32 *) (data + y * stride + x * 4);
        lk_palette_color (f->opt.palette, FALSE, m->scale > 0 ? m->values[(gsize) y * m->dw + x] / m->scale : 0, &col);
        *q = 0xff000000u | ((guint32) lround (col.r * 255) << 16) | ((guint32) lround (col.g * 255) << 8) |
             (guint32) lround (col.b * 255);
      }
  cairo_surface_mark_dirty (s);
  return s;
}

/* The photo at the resolution the figure needs, or NULL with f->error set. */
static GdkPixbuf *
load_photo (LkFigure *f, const char *path)
{
  GError *error = NULL;
  guint side = (guint) ceil (IMAGE_BOX * MAX (f->pixel_scale, 1));
  GdkPixbuf *photo = lk_image_load_pixbuf (path, 0, side, NULL, NULL, &error);

  if (photo == NULL)
    lk_figure_fail (f, g_error_new (error->domain, error->code,
                                    _("The photo under the saliency map cannot be drawn: %s"), error->message));
  g_clear_error (&error);
  return photo;
}

static void
draw_missing (LkFigure *f, LkCanvas *c, double x, double y, double w, double h)
{
  LkTextStyle st;
  g_autofree char *text = NULL;

  lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->text);
  text = lk_canvas_ellipsize (c, f->error ? f->error->message : _("The photo cannot be drawn"), &st, w - 8);
  lk_canvas_class (c, "photo-missing");
  lk_canvas_rect (c, x, y, w, h, 0, &f->surface, NULL, 0);
  lk_canvas_text (c, x + 4, y + h / 2, text, &st);
}

/* Where the overlay goes within the photo's box (x, y, w, h). */
static void
overlay_rect (const Map *m, double x, double y, double w, double h, double r[4])
{
  if (m->photo_w <= 0)
    {
      r[0] = x, r[1] = y, r[2] = w, r[3] = h;
      return;
    }
  r[0] = x + m->crop[0] * w / m->photo_w;
  r[1] = y + m->crop[1] * h / m->photo_h;
  r[2] = m->crop[2] * w / m->photo_w;
  r[3] = m->crop[3] * h / m->photo_h;
}

static double
draw_image_map (LkFigure *f, LkCanvas *c, Map *m, double y)
{
  g_autoptr(GdkPixbuf) photo = m->image ? load_photo (f, m->image) : NULL;
  double aspect = photo ? (double) gdk_pixbuf_get_width (photo) / gdk_pixbuf_get_height (photo)
                  : m->photo_w > 0 ? (double) m->photo_w / m->photo_h : (double) m->width / m->height;
  double w = aspect >= 1 ? IMAGE_BOX : IMAGE_BOX * aspect, h = aspect >= 1 ? IMAGE_BOX / aspect : IMAGE_BOX;
  double x = LK_RENDER_MARGIN, saved = f->scale, r[4];
  cairo_surface_t *overlay = map_surface (f, m);

  lk_canvas_class (c, "saliency-map");
  lk_canvas_data (c, "width", "%d", m->width);
  lk_canvas_data (c, "height", "%d", m->height);
  lk_canvas_begin_group (c);
  if (photo)
    {
      cairo_surface_t *ps = surface_from_pixbuf (photo);
      lk_canvas_class (c, "photo");
      lk_canvas_image (c, x, y, w, h, ps, 1.0, TRUE);
      cairo_surface_destroy (ps);
    }
  else if (m->image)
    draw_missing (f, c, x, y, w, h);
  overlay_rect (m, x, y, w, h, r);
  lk_canvas_class (c, "overlay");
  lk_canvas_image (c, r[0], r[1], r[2], r[3], overlay, photo ? CLAMP (f->opt.overlay_alpha, 0, 1) : 1.0, TRUE);
  lk_canvas_rect (c, x, y, w, h, 0, NULL, &f->faint, 0.75);
  lk_canvas_end_group (c);
  cairo_surface_destroy (overlay);
  f->scale = m->scale;
  lk_draw_colorbar (f, c, x + w + 14, y, MIN (h, 200), TRUE);
  f->scale = saved;
  if (m->word)
    {
      g_autofree char *label = g_strdup_printf (_("Caption word “%s” with each image patch"), m->word);
      LkTextStyle st;
      lk_text_style_init (&st, 10, FALSE, LK_ANCHOR_START, &f->dim);
      lk_canvas_class (c, "saliency-word");
      lk_canvas_text (c, x, y + h + 16, label, &st);
      return y + h + 20;
    }
  return y + h;
}

/* As wide as the text needs, up to CONTENT_W, and wide enough for the
 * header and the check. */
static double
content_width (LkFigure *f, const double *sal_a, const double *sal_b, double scale, const char *subtitle)
{
  g_autoptr(LkCanvas) probe = lk_canvas_new_null ();
  g_auto(GStrv) check = lk_check_segments (f);
  g_autofree char *check_line = g_strjoinv (" · ", check);
  double used = LK_RENDER_MARGIN + 380, right = LK_RENDER_MARGIN + CONTENT_W;
  LkTextStyle st;

  draw_text_side (f, probe, 0, sal_a, scale, 0, right, &used);
  draw_text_side (f, probe, 1, sal_b, scale, 0, right, &used);
  used = MAX (used, LK_RENDER_MARGIN + lk_header_width (f, probe, subtitle));
  lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->dim);
  used = MAX (used, LK_RENDER_MARGIN + lk_canvas_text_width (probe, check_line, &st));
  return MIN (used - LK_RENDER_MARGIN, CONTENT_W);
}

void
lk_render_saliency (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  g_autofree double *sal_a = lk_figure_saliency (f, 0);
  g_autofree double *sal_b = lk_figure_saliency (f, 1);
  g_autofree char *subtitle = NULL;
  double scale = 0, saved = f->scale, y, used = 0, content, w;
  Map map = { 0 };
  gboolean has_map = read_map (f, &map);

  for (guint k = 0; k < lk_figure_n (f, 0); k++)
    scale = MAX (scale, fabs (sal_a[k]));
  for (guint k = 0; k < lk_figure_n (f, 1); k++)
    scale = MAX (scale, fabs (sal_b[k]));
  subtitle = has_map
             ? g_strdup (map.word ? _("Which image regions support one caption word")
                                  : _("Saliency of each image region"))
             : lk_figure_member (f, "saliency")
             ? g_strdup_printf (_("Saliency of each %s"), f->opt.words ? _("word") : _("token"))
             : g_strdup_printf (_("Saliency of each %s: its pairs summed over the other text"),
                                f->opt.words ? _("word") : _("token"));
  content = content_width (f, sal_a, sal_b, scale, subtitle);
  w = content + 2 * LK_RENDER_MARGIN;
  y = lk_draw_header (f, c, LK_RENDER_MARGIN, LK_RENDER_MARGIN, content, subtitle);
  if (has_map)
    y = draw_image_map (f, c, &map, y + 16);
  else if (f->error)
    {
      /* on screen, say what is missing; an export fails instead */
      LkTextStyle st;
      g_autofree char *text = NULL;
      lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->text);
      text = lk_canvas_ellipsize (c, f->error->message, &st, content);
      lk_canvas_class (c, "map-missing");
      lk_canvas_text (c, LK_RENDER_MARGIN, y + 28, text, &st);
      y += 34;
    }
  if (lk_figure_n (f, 0) > 0)
    y = draw_text_side (f, c, 0, sal_a, scale, y + 18, w - LK_RENDER_MARGIN, &used);
  if (lk_figure_n (f, 1) > 0)
    y = draw_text_side (f, c, 1, sal_b, scale, y + 16, w - LK_RENDER_MARGIN, &used);
  f->scale = scale;
  y += 18;
  /* a map's own bar stands beside it; the texts' only when they carry values */
  if (!has_map || scale > 0)
    y += lk_draw_colorbar_h (f, c, LK_RENDER_MARGIN, y, MIN (220, content), TRUE);
  f->scale = saved;
  y = lk_draw_check (f, c, LK_RENDER_MARGIN, y + 12, content);
  map_clear (&map);
  *width = w;
  *height = y + LK_RENDER_MARGIN;
}
