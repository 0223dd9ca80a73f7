/* lk-canvas.h — the figures' small drawing layer. One set of operations
 * (rectangles, lines, curves, text, images, groups) with three backends:
 * Cairo (the window, PNG and PDF; text shaped by PangoCairo), a direct SVG
 * writer that keeps text as <text> elements and tags elements with class
 * and data- attributes, and a null backend that only measures and records
 * hit regions. Text is measured with one Pango context in every backend,
 * so a figure lays out the same wherever it is drawn. Internal to core. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "lk-palette.h"

G_BEGIN_DECLS

typedef struct _LkCanvas LkCanvas;

typedef enum {
  LK_ANCHOR_START,
  LK_ANCHOR_MIDDLE,
  LK_ANCHOR_END,
} LkAnchor;

typedef struct {
  double   size;     /* points */
  gboolean bold;
  gboolean mono;     /* hashes and ids */
  LkAnchor anchor;
  double   angle;    /* degrees, counter-clockwise, about the anchor point */
  LkRgba   color;
} LkTextStyle;

#define LK_FONT_FAMILY "Cantarell, Inter, Noto Sans, DejaVu Sans, sans-serif"
#define LK_FONT_FAMILY_MONO "Source Code Pro, DejaVu Sans Mono, monospace"

LkCanvas *lk_canvas_new_cairo   (cairo_t *cr);
LkCanvas *lk_canvas_new_svg     (void);
LkCanvas *lk_canvas_new_null    (void);
void      lk_canvas_free        (LkCanvas *self);
/* The SVG document, @width × @height points, with everything drawn so far. */
char     *lk_canvas_svg_finish  (LkCanvas *self, double width, double height, gsize *length);

/* Measuring. Baselines: text is placed by its baseline. */
double    lk_canvas_text_width  (LkCanvas *self, const char *text, const LkTextStyle *style);
void      lk_canvas_font_extents (LkCanvas *self, const LkTextStyle *style, double *ascent, double *descent);
/* @text shortened with "…" to fit @width (a new string). */
char     *lk_canvas_ellipsize   (LkCanvas *self, const char *text, const LkTextStyle *style, double width);
/* @text broken into lines of at most @width (a NULL-terminated vector). */
char    **lk_canvas_wrap        (LkCanvas *self, const char *text, const LkTextStyle *style, double width);

/* Attributes for the next element drawn (or group begun): a class and any
 * number of data- attributes. The SVG backend writes them; the others drop them. */
void      lk_canvas_class       (LkCanvas *self, const char *klass);
void      lk_canvas_data        (LkCanvas *self, const char *name, const char *format, ...) G_GNUC_PRINTF (3, 4);
void      lk_canvas_data_double (LkCanvas *self, const char *name, double value);

void      lk_canvas_begin_group (LkCanvas *self);
void      lk_canvas_end_group   (LkCanvas *self);
/* Translate by (@dx, @dy), then scale by @scale, until the matching pop. */
void      lk_canvas_push_transform (LkCanvas *self, double dx, double dy, double scale);
void      lk_canvas_pop_transform  (LkCanvas *self);

/* @fill or @stroke may be NULL. */
void      lk_canvas_rect        (LkCanvas *self, double x, double y, double w, double h, double radius,
                                 const LkRgba *fill, const LkRgba *stroke, double stroke_width);
void      lk_canvas_line        (LkCanvas *self, double x1, double y1, double x2, double y2,
                                 const LkRgba *stroke, double width);
/* A stroked cubic Bézier from (x0, y0) to (x3, y3). */
void      lk_canvas_curve       (LkCanvas *self, double x0, double y0, double x1, double y1,
                                 double x2, double y2, double x3, double y3,
                                 const LkRgba *stroke, double width);
void      lk_canvas_text        (LkCanvas *self, double x, double y, const char *text, const LkTextStyle *style);
/* A rectangle filled with a linear gradient through @n evenly spaced
 * @stops, top to bottom (@vertical) or left to right. */
void      lk_canvas_gradient_rect (LkCanvas *self, double x, double y, double w, double h,
                                   const LkRgba *stops, guint n, gboolean vertical);
/* Paints @image stretched over the rectangle; @smooth picks bilinear filtering. */
void      lk_canvas_image       (LkCanvas *self, double x, double y, double w, double h,
                                 cairo_surface_t *image, double alpha, gboolean smooth);

/* Hit regions, in the canvas's coordinates under the current transform. */
void      lk_canvas_add_hit     (LkCanvas *self, double x, double y, double w, double h, int row, int col);
gboolean  lk_canvas_hit_test    (LkCanvas *self, double x, double y, int *row, int *col);

void      lk_text_style_init    (LkTextStyle *style, double size, gboolean bold, LkAnchor anchor, const LkRgba *color);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCanvas, lk_canvas_free)

G_END_DECLS
