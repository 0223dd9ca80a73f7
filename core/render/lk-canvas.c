/* lk-canvas.c — the drawing layer's three backends. Cairo's own SVG surface
 * turns text into glyph outlines, which neither a reader's search nor our
 * tests can see; the SVG backend here writes <text> instead. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "lk-canvas.h"

typedef enum {
  BACKEND_NULL,
  BACKEND_CAIRO,
  BACKEND_SVG,
} Backend;

typedef struct {
  double x, y, w, h;
  int    row, col;
} Hit;

typedef struct {
  double dx, dy, scale;
} Xform;

struct _LkCanvas
{
  Backend       backend;
  cairo_t      *cr;
  GString      *svg;
  PangoContext *pango;
  char         *klass;
  GString      *data;      /* pending ' data-x="…"' attributes */
  GArray       *hits;      /* Hit, in the outermost coordinates */
  GArray       *xforms;    /* Xform: the composed transform at each level */
  guint         n_ids;     /* for unique SVG ids */
};

/* One measuring context per thread (Pango contexts are not thread-safe),
 * kept for the thread's life: Pango caches fontsets by context settings,
 * and a fresh context per figure would only fill those caches again. */
static GPrivate measuring_context = G_PRIVATE_INIT (g_object_unref);

static PangoContext *
get_measuring_context (void)
{
  PangoContext *ctx = g_private_get (&measuring_context);
  cairo_font_options_t *fo;

  if (ctx)
    return ctx;
  ctx = pango_font_map_create_context (pango_cairo_font_map_get_default ());
  fo = cairo_font_options_create ();
  /* Unhinted metrics: the same advance widths at every scale and backend. */
  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_antialias (fo, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options (ctx, fo);
  pango_cairo_context_set_resolution (ctx, 72);
  pango_context_set_round_glyph_positions (ctx, FALSE);
  cairo_font_options_destroy (fo);
  g_private_set (&measuring_context, ctx);
  return ctx;
}

static LkCanvas *
canvas_new (Backend backend)
{
  LkCanvas *self = g_new0 (LkCanvas, 1);
  Xform identity = { 0, 0, 1 };

  self->backend = backend;
  self->pango = g_object_ref (get_measuring_context ());
  self->data = g_string_new (NULL);
  self->hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  self->xforms = g_array_new (FALSE, FALSE, sizeof (Xform));
  g_array_append_val (self->xforms, identity);
  return self;
}

LkCanvas *
lk_canvas_new_cairo (cairo_t *cr)
{
  LkCanvas *self = canvas_new (BACKEND_CAIRO);
  cairo_font_options_t *fo = cairo_font_options_create ();

  self->cr = cairo_reference (cr);
  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options (cr, fo);
  cairo_font_options_destroy (fo);
  return self;
}

LkCanvas *
lk_canvas_new_svg (void)
{
  LkCanvas *self = canvas_new (BACKEND_SVG);
  self->svg = g_string_new (NULL);
  return self;
}

LkCanvas *
lk_canvas_new_null (void)
{
  return canvas_new (BACKEND_NULL);
}

void
lk_canvas_free (LkCanvas *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->cr, cairo_destroy);
  if (self->svg)
    g_string_free (self->svg, TRUE);
  g_object_unref (self->pango);
  g_free (self->klass);
  g_string_free (self->data, TRUE);
  g_array_unref (self->hits);
  g_array_unref (self->xforms);
  g_free (self);
}

/* ---- numbers and escaping for SVG ---- */

/* Locale-independent, two decimals, no trailing zeros. */
static void
svg_num (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char *end;

  if (!isfinite (v))
    v = 0;
  g_ascii_formatd (buf, sizeof buf, "%.2f", v);
  end = buf + strlen (buf) - 1;
  while (end > buf && *end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  g_string_append (s, strcmp (buf, "-0") == 0 ? "0" : buf);
}

static void
svg_attr_num (GString *s, const char *name, double v)
{
  g_string_append_printf (s, " %s=\"", name);
  svg_num (s, v);
  g_string_append_c (s, '"');
}

/* XML 1.0 allows no control characters but tab and newline, even escaped. */
static char *
xml_escape (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text ? text : "", -1);
  GString *clean = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || c == 0xfffe || c == 0xffff)
        g_string_append_unichar (clean, 0xfffd);
      else
        g_string_append_unichar (clean, c);
    }
  {
    char *escaped = g_markup_escape_text (clean->str, -1);
    g_string_free (clean, TRUE);
    return escaped;
  }
}

static void
svg_color (GString *s, const char *what, const LkRgba *c)
{
  char hex[8];

  if (c == NULL)
    {
      g_string_append_printf (s, " %s=\"none\"", what);
      return;
    }
  lk_rgba_to_hex (c, hex);
  g_string_append_printf (s, " %s=\"%s\"", what, hex);
  if (c->a < 1.0)
    {
      g_autofree char *name = g_strdup_printf ("%s-opacity", what);
      g_string_append_printf (s, " %s=\"", name);
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.3f", CLAMP (c->a, 0, 1)));
      }
      g_string_append_c (s, '"');
    }
}

/* Opens an element with the pending class and data- attributes. */
static void
svg_open (LkCanvas *self, const char *element)
{
  g_string_append_printf (self->svg, "<%s", element);
  if (self->klass)
    {
      g_autofree char *k = xml_escape (self->klass);
      g_string_append_printf (self->svg, " class=\"%s\"", k);
    }
  g_string_append (self->svg, self->data->str);
}

static void
take_attrs (LkCanvas *self)
{
  g_clear_pointer (&self->klass, g_free);
  g_string_truncate (self->data, 0);
}

void
lk_canvas_class (LkCanvas *self, const char *klass)
{
  g_free (self->klass);
  self->klass = g_strdup (klass);
}

void
lk_canvas_data (LkCanvas *self, const char *name, const char *format, ...)
{
  g_autofree char *value = NULL;
  g_autofree char *escaped = NULL;
  va_list args;

  if (self->backend != BACKEND_SVG)
    return;
  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  escaped = xml_escape (value);
  g_string_append_printf (self->data, " data-%s=\"%s\"", name, escaped);
}

/* Full precision, so that tests can add values up exactly. */
void
lk_canvas_data_double (LkCanvas *self, const char *name, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (self->backend != BACKEND_SVG)
    return;
  g_string_append_printf (self->data, " data-%s=\"%s\"", name,
                          g_ascii_formatd (buf, sizeof buf, "%.17g", value));
}

/* ---- Pango ---- */

static PangoLayout *
make_layout (LkCanvas *self, const char *text, const LkTextStyle *st)
{
  PangoLayout *layout = pango_layout_new (self->pango);
  PangoFontDescription *fd = pango_font_description_new ();

  pango_font_description_set_family (fd, st->mono ? LK_FONT_FAMILY_MONO : LK_FONT_FAMILY);
  pango_font_description_set_weight (fd, st->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_absolute_size (fd, st->size * PANGO_SCALE);
  pango_layout_set_font_description (layout, fd);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_text (layout, text ? text : "", -1);
  pango_font_description_free (fd);
  return layout;
}

double
lk_canvas_text_width (LkCanvas *self, const char *text, const LkTextStyle *style)
{
  g_autoptr(PangoLayout) layout = make_layout (self, text, style);
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  return (double) logical.width / PANGO_SCALE;
}

void
lk_canvas_font_extents (LkCanvas *self, const LkTextStyle *style, double *ascent, double *descent)
{
  g_autoptr(PangoLayout) layout = make_layout (self, "Ag", style);
  PangoRectangle logical;
  int baseline = pango_layout_get_baseline (layout);

  pango_layout_get_extents (layout, NULL, &logical);
  if (ascent)
    *ascent = (double) baseline / PANGO_SCALE;
  if (descent)
    *descent = (double) (logical.height - baseline) / PANGO_SCALE;
}

char *
lk_canvas_ellipsize (LkCanvas *self, const char *text, const LkTextStyle *style, double width)
{
  glong n, lo = 0, hi;

  if (lk_canvas_text_width (self, text, style) <= width)
    return g_strdup (text);
  n = g_utf8_strlen (text, -1);
  hi = n;
  /* The longest prefix that fits with its ellipsis. */
  while (lo < hi)
    {
      glong mid = (lo + hi + 1) / 2;
      g_autofree char *prefix = g_utf8_substring (text, 0, mid);
      g_autofree char *candidate = g_strconcat (g_strchomp (prefix), "…", NULL);
      if (lk_canvas_text_width (self, candidate, style) <= width)
        lo = mid;
      else
        hi = mid - 1;
    }
  {
    g_autofree char *prefix = g_utf8_substring (text, 0, lo);
    return g_strconcat (g_strchomp (prefix), "…", NULL);
  }
}

char **
lk_canvas_wrap (LkCanvas *self, const char *text, const LkTextStyle *style, double width)
{
  g_autoptr(PangoLayout) layout = make_layout (self, text, style);
  GPtrArray *lines = g_ptr_array_new ();
  GSList *l;

  pango_layout_set_single_paragraph_mode (layout, FALSE);
  pango_layout_set_width (layout, (int) (MAX (width, 1) * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  for (l = pango_layout_get_lines_readonly (layout); l; l = l->next)
    {
      PangoLayoutLine *line = l->data;
      const char *t = pango_layout_get_text (layout);
      char *s = g_strndup (t + line->start_index, line->length);
      g_ptr_array_add (lines, g_strchomp (s));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

void
lk_text_style_init (LkTextStyle *style, double size, gboolean bold, LkAnchor anchor, const LkRgba *color)
{
  memset (style, 0, sizeof *style);
  style->size = size;
  style->bold = bold;
  style->anchor = anchor;
  style->color = *color;
}

/* ---- transforms, groups, hits ---- */

static Xform *
current (LkCanvas *self)
{
  return &g_array_index (self->xforms, Xform, self->xforms->len - 1);
}

void
lk_canvas_push_transform (LkCanvas *self, double dx, double dy, double scale)
{
  Xform *c = current (self);
  Xform next = { c->dx + c->scale * dx, c->dy + c->scale * dy, c->scale * scale };

  g_array_append_val (self->xforms, next);
  if (self->backend == BACKEND_CAIRO)
    {
      cairo_save (self->cr);
      cairo_translate (self->cr, dx, dy);
      cairo_scale (self->cr, scale, scale);
    }
  else if (self->backend == BACKEND_SVG)
    {
      svg_open (self, "g");
      g_string_append (self->svg, " transform=\"translate(");
      svg_num (self->svg, dx);
      g_string_append_c (self->svg, ' ');
      svg_num (self->svg, dy);
      g_string_append (self->svg, ") scale(");
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append (self->svg, g_ascii_formatd (buf, sizeof buf, "%.5f", scale));
      }
      g_string_append (self->svg, ")\">\n");
    }
  take_attrs (self);
}

void
lk_canvas_pop_transform (LkCanvas *self)
{
  g_return_if_fail (self->xforms->len > 1);
  g_array_set_size (self->xforms, self->xforms->len - 1);
  if (self->backend == BACKEND_CAIRO)
    cairo_restore (self->cr);
  else if (self->backend == BACKEND_SVG)
    g_string_append (self->svg, "</g>\n");
}

void
lk_canvas_begin_group (LkCanvas *self)
{
  if (self->backend == BACKEND_SVG)
    {
      svg_open (self, "g");
      g_string_append (self->svg, ">\n");
    }
  take_attrs (self);
}

void
lk_canvas_end_group (LkCanvas *self)
{
  if (self->backend == BACKEND_SVG)
    g_string_append (self->svg, "</g>\n");
}

void
lk_canvas_add_hit (LkCanvas *self, double x, double y, double w, double h, int row, int col)
{
  Xform *c = current (self);
  Hit hit = { c->dx + c->scale * x, c->dy + c->scale * y, c->scale * w, c->scale * h, row, col };

  g_array_append_val (self->hits, hit);
}

/* The last region added wins, as it is drawn on top. */
gboolean
lk_canvas_hit_test (LkCanvas *self, double x, double y, int *row, int *col)
{
  for (guint i = self->hits->len; i-- > 0;)
    {
      const Hit *h = &g_array_index (self->hits, Hit, i);
      if (x >= h->x && x < h->x + h->w && y >= h->y && y < h->y + h->h)
        {
          *row = h->row;
          *col = h->col;
          return TRUE;
        }
    }
  return FALSE;
}

/* ---- shapes ---- */

static void
cairo_source (cairo_t *cr, const LkRgba *c)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, c->a);
}

static void
rounded_rect (cairo_t *cr, double x, double y, double w, double h, double r)
{
  r = MIN (r, MIN (w, h) / 2);
  if (r <= 0)
    {
      cairo_rectangle (cr, x, y, w, h);
      return;
    }
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

void
lk_canvas_rect (LkCanvas *self, double x, double y, double w, double h, double radius,
                const LkRgba *fill, const LkRgba *stroke, double stroke_width)
{
  if (self->backend == BACKEND_CAIRO)
    {
      rounded_rect (self->cr, x, y, w, h, radius);
      if (fill)
        {
          cairo_source (self->cr, fill);
          stroke ? cairo_fill_preserve (self->cr) : cairo_fill (self->cr);
        }
      if (stroke)
        {
          cairo_source (self->cr, stroke);
          cairo_set_line_width (self->cr, stroke_width);
          cairo_stroke (self->cr);
        }
    }
  else if (self->backend == BACKEND_SVG)
    {
      svg_open (self, "rect");
      svg_attr_num (self->svg, "x", x);
      svg_attr_num (self->svg, "y", y);
      svg_attr_num (self->svg, "width", MAX (w, 0));
      svg_attr_num (self->svg, "height", MAX (h, 0));
      if (radius > 0)
        svg_attr_num (self->svg, "rx", MIN (radius, MIN (w, h) / 2));
      svg_color (self->svg, "fill", fill);
      if (stroke)
        {
          svg_color (self->svg, "stroke", stroke);
          svg_attr_num (self->svg, "stroke-width", stroke_width);
        }
      g_string_append (self->svg, "/>\n");
    }
  take_attrs (self);
}

void
lk_canvas_line (LkCanvas *self, double x1, double y1, double x2, double y2, const LkRgba *stroke, double width)
{
  if (self->backend == BACKEND_CAIRO)
    {
      cairo_move_to (self->cr, x1, y1);
      cairo_line_to (self->cr, x2, y2);
      cairo_source (self->cr, stroke);
      cairo_set_line_width (self->cr, width);
      cairo_set_line_cap (self->cr, CAIRO_LINE_CAP_BUTT);
      cairo_stroke (self->cr);
    }
  else if (self->backend == BACKEND_SVG)
    {
      svg_open (self, "line");
      svg_attr_num (self->svg, "x1", x1);
      svg_attr_num (self->svg, "y1", y1);
      svg_attr_num (self->svg, "x2", x2);
      svg_attr_num (self->svg, "y2", y2);
      svg_color (self->svg, "stroke", stroke);
      svg_attr_num (self->svg, "stroke-width", width);
      g_string_append (self->svg, "/>\n");
    }
  take_attrs (self);
}

void
lk_canvas_curve (LkCanvas *self, double x0, double y0, double x1, double y1,
                 double x2, double y2, double x3, double y3, const LkRgba *stroke, double width)
{
  if (self->backend == BACKEND_CAIRO)
    {
      cairo_move_to (self->cr, x0, y0);
      cairo_curve_to (self->cr, x1, y1, x2, y2, x3, y3);
      cairo_source (self->cr, stroke);
      cairo_set_line_width (self->cr, width);
      cairo_set_line_cap (self->cr, CAIRO_LINE_CAP_ROUND);
      cairo_stroke (self->cr);
    }
  else if (self->backend == BACKEND_SVG)
    {
      double p[] = { x0, y0, x1, y1, x2, y2, x3, y3 };
      svg_open (self, "path");
      g_string_append (self->svg, " d=\"M");
      for (guint i = 0; i < G_N_ELEMENTS (p); i++)
        {
          g_string_append (self->svg, i == 2 ? " C" : " ");
          svg_num (self->svg, p[i]);
        }
      g_string_append (self->svg, "\" fill=\"none\"");
      svg_color (self->svg, "stroke", stroke);
      svg_attr_num (self->svg, "stroke-width", width);
      g_string_append (self->svg, " stroke-linecap=\"round\"/>\n");
    }
  take_attrs (self);
}

static void
svg_text (LkCanvas *self, double x, double y, const char *text, const LkTextStyle *st)
{
  static const char *anchors[] = { "start", "middle", "end" };
  g_autofree char *escaped = xml_escape (text);

  svg_open (self, "text");
  svg_attr_num (self->svg, "x", x);
  svg_attr_num (self->svg, "y", y);
  svg_attr_num (self->svg, "font-size", st->size);
  if (st->bold)
    g_string_append (self->svg, " font-weight=\"bold\"");
  if (st->mono)
    g_string_append (self->svg, " font-family=\"" LK_FONT_FAMILY_MONO "\"");
  if (st->anchor != LK_ANCHOR_START)
    g_string_append_printf (self->svg, " text-anchor=\"%s\"", anchors[st->anchor]);
  svg_color (self->svg, "fill", &st->color);
  if (st->angle != 0)
    {
      g_string_append (self->svg, " transform=\"rotate(");
      svg_num (self->svg, -st->angle);
      g_string_append_c (self->svg, ' ');
      svg_num (self->svg, x);
      g_string_append_c (self->svg, ' ');
      svg_num (self->svg, y);
      g_string_append (self->svg, ")\"");
    }
  g_string_append_printf (self->svg, ">%s</text>\n", escaped);
}

void
lk_canvas_text (LkCanvas *self, double x, double y, const char *text, const LkTextStyle *st)
{
  if (self->backend == BACKEND_CAIRO)
    {
      g_autoptr(PangoLayout) layout = make_layout (self, text, st);
      PangoRectangle logical;
      double shift, baseline = (double) pango_layout_get_baseline (layout) / PANGO_SCALE;

      pango_layout_get_extents (layout, NULL, &logical);
      shift = st->anchor == LK_ANCHOR_START ? 0
            : st->anchor == LK_ANCHOR_MIDDLE ? logical.width / 2.0 / PANGO_SCALE
            : (double) logical.width / PANGO_SCALE;
      cairo_save (self->cr);
      cairo_translate (self->cr, x, y);
      if (st->angle != 0)
        cairo_rotate (self->cr, -st->angle * G_PI / 180);
      cairo_move_to (self->cr, -shift, -baseline);
      cairo_source (self->cr, &st->color);
      pango_cairo_show_layout (self->cr, layout);
      cairo_restore (self->cr);
    }
  else if (self->backend == BACKEND_SVG)
    svg_text (self, x, y, text, st);
  take_attrs (self);
}

void
lk_canvas_gradient_rect (LkCanvas *self, double x, double y, double w, double h,
                         const LkRgba *stops, guint n, gboolean vertical)
{
  g_return_if_fail (n >= 2);
  if (self->backend == BACKEND_CAIRO)
    {
      cairo_pattern_t *p = vertical ? cairo_pattern_create_linear (0, y, 0, y + h)
                                    : cairo_pattern_create_linear (x, 0, x + w, 0);
      for (guint i = 0; i < n; i++)
        cairo_pattern_add_color_stop_rgba (p, (double) i / (n - 1), stops[i].r, stops[i].g, stops[i].b, stops[i].a);
      cairo_rectangle (self->cr, x, y, w, h);
      cairo_set_source (self->cr, p);
      cairo_fill (self->cr);
      cairo_pattern_destroy (p);
    }
  else if (self->backend == BACKEND_SVG)
    {
      guint id = ++self->n_ids;
      g_string_append_printf (self->svg, "<defs><linearGradient id=\"lk-gradient-%u\" x1=\"0\" y1=\"0\" x2=\"%d\" y2=\"%d\">\n",
                              id, vertical ? 0 : 1, vertical ? 1 : 0);
      for (guint i = 0; i < n; i++)
        {
          char hex[8], buf[G_ASCII_DTOSTR_BUF_SIZE];
          lk_rgba_to_hex (&stops[i], hex);
          g_string_append_printf (self->svg, "<stop offset=\"%s\" stop-color=\"%s\"/>\n",
                                  g_ascii_formatd (buf, sizeof buf, "%.4f", (double) i / (n - 1)), hex);
        }
      g_string_append (self->svg, "</linearGradient></defs>\n");
      svg_open (self, "rect");
      svg_attr_num (self->svg, "x", x);
      svg_attr_num (self->svg, "y", y);
      svg_attr_num (self->svg, "width", w);
      svg_attr_num (self->svg, "height", h);
      g_string_append_printf (self->svg, " fill=\"url(#lk-gradient-%u)\"/>\n", id);
    }
  take_attrs (self);
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

void
lk_canvas_image (LkCanvas *self, double x, double y, double w, double h,
                 cairo_surface_t *image, double alpha, gboolean smooth)
{
  int iw = cairo_image_surface_get_width (image);
  int ih = cairo_image_surface_get_height (image);

  if (iw <= 0 || ih <= 0 || w <= 0 || h <= 0)
    {
      take_attrs (self);
      return;
    }
  if (self->backend == BACKEND_CAIRO)
    {
      cairo_save (self->cr);
      cairo_rectangle (self->cr, x, y, w, h);
      cairo_clip (self->cr);
      cairo_translate (self->cr, x, y);
      cairo_scale (self->cr, w / iw, h / ih);
      cairo_set_source_surface (self->cr, image, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (self->cr), smooth ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_NEAREST);
      cairo_pattern_set_extend (cairo_get_source (self->cr), CAIRO_EXTEND_PAD);
      cairo_paint_with_alpha (self->cr, alpha);
      cairo_restore (self->cr);
    }
  else if (self->backend == BACKEND_SVG)
    {
      g_autoptr(GByteArray) png = g_byte_array_new ();
      g_autofree char *b64 = NULL;

      cairo_surface_write_to_png_stream (image, append_png, png);
      b64 = g_base64_encode (png->data, png->len);
      svg_open (self, "image");
      svg_attr_num (self->svg, "x", x);
      svg_attr_num (self->svg, "y", y);
      svg_attr_num (self->svg, "width", w);
      svg_attr_num (self->svg, "height", h);
      g_string_append (self->svg, " preserveAspectRatio=\"none\"");
      if (alpha < 1)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_string_append_printf (self->svg, " opacity=\"%s\"", g_ascii_formatd (buf, sizeof buf, "%.3f", alpha));
        }
      if (!smooth)
        g_string_append (self->svg, " style=\"image-rendering:pixelated\"");
      g_string_append_printf (self->svg, " href=\"data:image/png;base64,%s\"/>\n", b64);
    }
  take_attrs (self);
}

char *
lk_canvas_svg_finish (LkCanvas *self, double width, double height, gsize *length)
{
  GString *doc = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");

  g_return_val_if_fail (self->backend == BACKEND_SVG, NULL);
  g_string_append (doc, " width=\"");
  svg_num (doc, width);
  g_string_append (doc, "pt\" height=\"");
  svg_num (doc, height);
  g_string_append (doc, "pt\" viewBox=\"0 0 ");
  svg_num (doc, width);
  g_string_append_c (doc, ' ');
  svg_num (doc, height);
  g_string_append (doc, "\" font-family=\"" LK_FONT_FAMILY "\" xml:space=\"preserve\">\n");
  g_string_append_len (doc, self->svg->str, self->svg->len);
  g_string_append (doc, "</svg>\n");
  if (length)
    *length = doc->len;
  return g_string_free (doc, FALSE);
}
