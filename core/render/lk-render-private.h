/* lk-render-private.h — what the views share: the figure's data (the
 * matrix as shown, its labels and scale), the theme, and the common parts
 * every figure has (title, check caption, colour bar). */
#pragma once

#include <json-glib/json-glib.h>

#include "lk-canvas.h"
#include "lk-render.h"

G_BEGIN_DECLS

#define LK_RENDER_MARGIN 24.0

typedef struct {
  LkExplanation   *x;
  LkRenderOptions  opt;
  const LkMatrix  *m;         /* token or word matrix, as @opt.words says */
  GArray          *index[2];  /* guint: source index of each shown row (a) and column (b) */
  GPtrArray       *labels[2]; /* char *: label of each shown row and column */
  double           scale;     /* largest |value| among the shown cells */
  double           total;     /* sum of every cell, hidden ones included */
  /* theme */
  LkRgba           text, dim, faint, surface, background, accent;
  double           pixel_scale; /* device pixels per point, for the photos' resolution */
  GError          *error;       /* the first layer that could not be drawn */
} LkFigure;

void         lk_figure_init        (LkFigure *f, LkExplanation *x, const LkRenderOptions *options);
void         lk_figure_clear       (LkFigure *f);
/* Records that a layer could not be drawn (the first such error is kept). */
void         lk_figure_fail        (LkFigure *f, GError *error);
guint        lk_figure_n           (LkFigure *f, guint side);
double       lk_figure_value       (LkFigure *f, guint row, guint col);
const char  *lk_figure_label       (LkFigure *f, guint side, guint k);
guint        lk_figure_source      (LkFigure *f, guint side, guint k);
gboolean     lk_figure_is_dimmed  (LkFigure *f, guint side, guint k);
char        *lk_figure_dup_input  (LkFigure *f, guint side);
/* The shown index of source index @source, or -1. */
int          lk_figure_find        (LkFigure *f, guint side, int source);
/* The strongest shown pairs by |value|, at most @k, as row * n_cols + col. */
GArray      *lk_figure_top_pairs   (LkFigure *f, guint k, double threshold);
/* A member of the explanation's JSON (an extra), or NULL. */
JsonNode    *lk_figure_member      (LkFigure *f, const char *name);
/* Per-item saliency of one side (shown items), a new array of n doubles. */
double      *lk_figure_saliency    (LkFigure *f, guint side);

/* Numbers as people read them: 3 significant digits, a real minus sign. */
char        *lk_format_number      (double v);
char        *lk_format_percent     (double fraction);

/* The title and subtitle lines at the top; returns the y below them. */
double       lk_draw_header        (LkFigure *f, LkCanvas *c, double x, double y, double width, const char *title);
/* The width the header needs to show title and subtitle whole. */
double       lk_header_width       (LkFigure *f, LkCanvas *c, const char *subtitle);
/* The check caption (one or more lines) from @y down; returns the y below. */
double       lk_draw_check         (LkFigure *f, LkCanvas *c, double x, double y, double width);
/* The check caption's segments ("ΣA 0.78", "score 0.79", …), NULL-terminated. */
char       **lk_check_segments     (LkFigure *f);
/* A vertical colour bar @height tall at (x, y); returns its width with labels. */
double       lk_draw_colorbar      (LkFigure *f, LkCanvas *c, double x, double y, double height, gboolean draw);
/* A horizontal one, @width wide; returns its height with labels. */
double       lk_draw_colorbar_h    (LkFigure *f, LkCanvas *c, double x, double y, double width, gboolean draw);
void         lk_figure_color       (LkFigure *f, double value, LkRgba *color);

/* The views. Each draws itself at (0, 0) and returns its size; the null
 * canvas measures. */
void         lk_render_heatmap     (LkFigure *f, LkCanvas *c, double *width, double *height);
void         lk_render_alignment   (LkFigure *f, LkCanvas *c, double *width, double *height);
void         lk_render_saliency    (LkFigure *f, LkCanvas *c, double *width, double *height);
void         lk_render_aspects     (LkFigure *f, LkCanvas *c, double *width, double *height);
void         lk_render_report      (LkFigure *f, LkCanvas *c, double *width, double *height);
void         lk_render_contrast    (LkFigure *f, LkCanvas *c, double *width, double *height);
/* A contrast's description, and a query row's tooltip (NULL when none). */
void         lk_render_contrast_describe     (LkFigure *f, GString *s);
char        *lk_render_contrast_describe_row (LkFigure *f, int source);
void         lk_render_view        (LkFigure *f, LkView view, LkCanvas *c, double *width, double *height);
/* Exports any drawing as a figure is exported (atomic file, format from
 * @path's extension, PNG size limits); @title is the PDF's. */
gboolean     lk_render_export_drawing (void (*draw_fn) (gpointer data, LkCanvas *c, double *width, double *height),
                                       gpointer data, const LkRgba *background, const char *title,
                                       const char *path, double scale, GError **error);

/* Plain-language readings of the checks, for the report. */
char       **lk_check_readings     (LkFigure *f);

/* Aspects: name, similarity, share; the residual last (name NULL). */
typedef struct {
  char   *name;
  double  similarity;
  double  share;
} LkAspect;
GArray      *lk_figure_aspects     (LkFigure *f);

/* The values the figure of @view shows, as CSV at @path (lk-render-csv.c). */
gboolean     lk_render_write_csv   (LkFigure *f, LkView view, const char *path, GError **error);

G_END_DECLS
