/* lk-render-heatmap.c — the pair matrix as a heatmap: A's tokens (or
 * words) down the left, B's along the top at 45°, a diverging colour per
 * cell, a colour bar and the check caption. */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

#define LABEL_SIZE 10.0
#define LABEL_MAX 170.0   /* longer labels are ellipsized */
#define ANGLE 45.0

typedef struct {
  double cell, label_size;
  double row_w;           /* width of the row labels column */
  double col_h;           /* height of the rotated column labels */
  double overhang;        /* how far column labels reach right of the grid */
  double grid_x, grid_y, grid_w, grid_h;
  double bar_w, width, height;
  gboolean values;        /* print values in the cells */
} Geometry;

/* Enough decimals for the matrix's scale: two for 0.46, three for 0.022. */
static int
cell_decimals (double scale)
{
  return scale > 0 ? CLAMP ((int) ceil (-log10 (scale)) + 1, 2, 4) : 2;
}

static char *
cell_text (double v, int decimals)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[8];
  double a = fabs (v);
  g_autofree char *s = NULL;

  if (a < 0.5 * pow (10, -decimals))
    return NULL;
  g_snprintf (fmt, sizeof fmt, "%%.%df", a >= 10 ? 0 : a >= 1 ? 1 : decimals);
  g_ascii_formatd (buf, sizeof buf, fmt, a);
  /* Drop the leading zero: ".31" keeps small cells legible. */
  s = g_strdup (buf[0] == '0' && buf[1] == '.' ? buf + 1 : buf);
  return v < 0 ? g_strconcat ("−", s, NULL) : g_steal_pointer (&s);
}

static void
label_style (LkFigure *f, Geometry *g, LkTextStyle *st, guint side, guint k)
{
  gboolean special = lk_figure_is_dimmed (f, side, k);
  int hl = side ? f->opt.highlight_b : f->opt.highlight_a;
  gboolean highlighted = hl >= 0 && (int) lk_figure_source (f, side, k) == hl;

  lk_text_style_init (st, g->label_size, highlighted, side ? LK_ANCHOR_START : LK_ANCHOR_END,
                      highlighted ? &f->accent : special ? &f->dim : &f->text);
}

static void
measure (LkFigure *f, LkCanvas *c, Geometry *g, double header_h, const char *subtitle)
{
  guint nr = lk_figure_n (f, 0), nc = lk_figure_n (f, 1);
  double s = sin (ANGLE * G_PI / 180), co = cos (ANGLE * G_PI / 180);
  double asc, desc, top;
  LkTextStyle st;

  g->cell = CLAMP (340.0 / MAX (MAX (nr, nc), 1), 15.0, 34.0);
  g->label_size = MIN (LABEL_SIZE, g->cell * 0.68);
  g->values = g->cell >= 26 && f->m != NULL;
  lk_text_style_init (&st, g->label_size, TRUE, LK_ANCHOR_START, &f->text);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  g->row_w = 0;
  for (guint i = 0; i < nr; i++)
    g->row_w = MAX (g->row_w, MIN (lk_canvas_text_width (c, lk_figure_label (f, 0, i), &st), LABEL_MAX));
  g->col_h = 0;
  g->overhang = 0;
  for (guint j = 0; j < nc; j++)
    {
      double w = MIN (lk_canvas_text_width (c, lk_figure_label (f, 1, j), &st), LABEL_MAX);
      g->col_h = MAX (g->col_h, w * s + asc * co);
      g->overhang = MAX (g->overhang, (j + 0.5) * g->cell + w * co + asc * s - nc * g->cell);
    }
  g->grid_w = nc * g->cell;
  g->grid_h = nr * g->cell;
  g->grid_x = LK_RENDER_MARGIN + g->row_w + 8;
  top = header_h + 14;
  g->grid_y = top + g->col_h + 8;
  g->bar_w = lk_draw_colorbar (f, c, 0, 0, 0, FALSE);
  g->width = g->grid_x + g->grid_w + MAX (g->overhang + 4, 20 + g->bar_w) + LK_RENDER_MARGIN;
  g->width = MAX (g->width, MIN (lk_header_width (f, c, subtitle), 640) + 2 * LK_RENDER_MARGIN);
}

static void
draw_labels (LkFigure *f, LkCanvas *c, Geometry *g)
{
  double s = sin (ANGLE * G_PI / 180), co = cos (ANGLE * G_PI / 180);
  double asc, desc, mid;
  LkTextStyle st;

  lk_text_style_init (&st, g->label_size, FALSE, LK_ANCHOR_START, &f->text);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  mid = (asc - desc) / 2;
  lk_canvas_class (c, "labels-a");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < lk_figure_n (f, 0); i++)
    {
      g_autofree char *text = NULL;
      label_style (f, g, &st, 0, i);
      text = lk_canvas_ellipsize (c, lk_figure_label (f, 0, i), &st, LABEL_MAX);
      lk_canvas_class (c, "label-a");
      lk_canvas_data (c, "index", "%u", lk_figure_source (f, 0, i));
      lk_canvas_text (c, g->grid_x - 6, g->grid_y + (i + 0.5) * g->cell + mid, text, &st);
      lk_canvas_add_hit (c, LK_RENDER_MARGIN, g->grid_y + i * g->cell, g->grid_x - LK_RENDER_MARGIN, g->cell,
                         lk_figure_source (f, 0, i), -1);
    }
  lk_canvas_end_group (c);
  lk_canvas_class (c, "labels-b");
  lk_canvas_begin_group (c);
  for (guint j = 0; j < lk_figure_n (f, 1); j++)
    {
      double cx = g->grid_x + (j + 0.5) * g->cell, y0 = g->grid_y - 6;
      g_autofree char *text = NULL;
      label_style (f, g, &st, 1, j);
      st.angle = ANGLE;
      text = lk_canvas_ellipsize (c, lk_figure_label (f, 1, j), &st, LABEL_MAX);
      lk_canvas_class (c, "label-b");
      lk_canvas_data (c, "index", "%u", lk_figure_source (f, 1, j));
      /* Shift along the normal so the glyphs' middle, not the baseline,
       * starts at the column's centre. */
      lk_canvas_text (c, cx + mid * s, y0 + mid * co, text, &st);
      lk_canvas_add_hit (c, g->grid_x + j * g->cell, g->grid_y - g->col_h - 8, g->cell, g->col_h + 8,
                         -1, lk_figure_source (f, 1, j));
    }
  lk_canvas_end_group (c);
}

static void
draw_cell (LkFigure *f, LkCanvas *c, Geometry *g, guint i, guint j)
{
  double v = lk_figure_value (f, i, j);
  double x = g->grid_x + j * g->cell, y = g->grid_y + i * g->cell;
  LkRgba fill;

  lk_figure_color (f, v, &fill);
  lk_canvas_class (c, "cell");
  lk_canvas_data (c, "row", "%u", lk_figure_source (f, 0, i));
  lk_canvas_data (c, "col", "%u", lk_figure_source (f, 1, j));
  lk_canvas_data_double (c, "value", v);
  lk_canvas_rect (c, x + 0.5, y + 0.5, g->cell - 1, g->cell - 1, g->cell >= 20 ? 2 : 1, &fill, NULL, 0);
  lk_canvas_add_hit (c, x, y, g->cell, g->cell, lk_figure_source (f, 0, i), lk_figure_source (f, 1, j));
  /* Printed values carry their sign; without them gray cannot tell it. */
  if (f->opt.palette == LK_PALETTE_GRAYSCALE && !g->values && v < 0 && f->scale > 0 && fabs (v) > 0.05 * f->scale)
    {
      LkRgba mark = lk_palette_needs_light_text (&fill) ? (LkRgba) { 1, 1, 1, 0.85 } : (LkRgba) { 0, 0, 0, 0.35 };
      lk_canvas_class (c, "negative-mark");
      lk_canvas_line (c, x + 4, y + g->cell - 4, x + g->cell - 4, y + 4, &mark, 1);
    }
  if (g->values)
    {
      g_autofree char *t = cell_text (v, cell_decimals (f->scale));
      LkTextStyle st;
      LkRgba ink = { 1, 1, 1, 1 };
      double asc, desc;
      if (t == NULL)
        return;
      if (!lk_palette_needs_light_text (&fill))
        ink = (LkRgba) { 0.12, 0.12, 0.14, 0.85 };
      lk_text_style_init (&st, 7.5, FALSE, LK_ANCHOR_MIDDLE, &ink);
      lk_canvas_font_extents (c, &st, &asc, &desc);
      lk_canvas_class (c, "cell-value");
      lk_canvas_text (c, x + g->cell / 2, y + g->cell / 2 + (asc - desc) / 2, t, &st);
    }
}

static void
draw_highlight (LkFigure *f, LkCanvas *c, Geometry *g)
{
  int r = lk_figure_find (f, 0, f->opt.highlight_a);
  int k = lk_figure_find (f, 1, f->opt.highlight_b);

  if (r >= 0)
    {
      lk_canvas_class (c, "highlight-row");
      lk_canvas_rect (c, g->grid_x - 0.5, g->grid_y + r * g->cell - 0.5, g->grid_w + 1, g->cell + 1, 3, NULL, &f->accent, 2);
    }
  if (k >= 0)
    {
      lk_canvas_class (c, "highlight-col");
      lk_canvas_rect (c, g->grid_x + k * g->cell - 0.5, g->grid_y - 0.5, g->cell + 1, g->grid_h + 1, 3, NULL, &f->accent, 2);
    }
}

/* "Rows: A “…”" and "Columns: B “…”", one line each; returns the y below. */
static double
draw_axes_caption (LkFigure *f, LkCanvas *c, double y, double width)
{
  LkTextStyle st;
  double asc, desc;

  lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  for (guint s = 0; s < 2; s++)
    {
      g_autofree char *input = lk_figure_dup_input (f, s);
      g_autofree char *line = s ? g_strdup_printf (_("Columns: B %s"), input) : g_strdup_printf (_("Rows: A %s"), input);
      g_autofree char *shown = lk_canvas_ellipsize (c, line, &st, width);
      lk_canvas_class (c, "axes");
      lk_canvas_text (c, LK_RENDER_MARGIN, y + asc, shown, &st);
      y += asc + desc + 1;
    }
  return y;
}

void
lk_render_heatmap (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  g_autofree char *subtitle = NULL;
  guint nr = lk_figure_n (f, 0), nc = lk_figure_n (f, 1);
  const char *unit = f->opt.words ? _("words") : _("tokens");
  g_autofree char *sim = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY, NAN));
  g_autoptr(LkCanvas) probe = lk_canvas_new_null ();
  Geometry g;
  double y, header_h, bar_h, bottom;

  subtitle = g_strdup_printf (_("Heatmap of %u × %u %s · similarity %s"), nr, nc, unit, sim);
  header_h = lk_draw_header (f, probe, 0, LK_RENDER_MARGIN, 1000, subtitle);
  header_h = draw_axes_caption (f, probe, header_h + 6, 1000);
  measure (f, c, &g, header_h, subtitle);
  y = lk_draw_header (f, c, LK_RENDER_MARGIN, LK_RENDER_MARGIN, g.width - 2 * LK_RENDER_MARGIN, subtitle);
  draw_axes_caption (f, c, y + 6, g.width - 2 * LK_RENDER_MARGIN);
  draw_labels (f, c, &g);
  lk_canvas_class (c, "heatmap");
  lk_canvas_data (c, "rows", "%u", nr);
  lk_canvas_data (c, "cols", "%u", nc);
  lk_canvas_begin_group (c);
  for (guint i = 0; i < nr; i++)
    for (guint j = 0; j < nc; j++)
      draw_cell (f, c, &g, i, j);
  lk_canvas_end_group (c);
  draw_highlight (f, c, &g);
  bar_h = CLAMP (g.grid_h, 90, 220);
  lk_draw_colorbar (f, c, g.grid_x + g.grid_w + 20, g.grid_y, bar_h, TRUE);
  bottom = MAX (g.grid_y + g.grid_h, g.grid_y + bar_h);
  y = lk_draw_check (f, c, LK_RENDER_MARGIN, bottom + 16, g.width - 2 * LK_RENDER_MARGIN);
  *width = g.width;
  *height = y + LK_RENDER_MARGIN;
}
