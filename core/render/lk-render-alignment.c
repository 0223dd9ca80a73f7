/* lk-render-alignment.c — A's tokens above, B's below, a curve for each of
 * the strongest pairs: width and opacity by |value|, colour by sign. */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

#define CHIP_H 22.0
#define CHIP_PAD 6.0
#define CHIP_GAP 5.0
#define LETTER_W 22.0

typedef struct {
  GArray *x[2];     /* double: left edge of each chip */
  GArray *w[2];     /* double: width of each chip */
  double  row_w[2];
  double  content_w, left, y[2];
} Rows;

static void
chip_style (LkFigure *f, LkTextStyle *st, guint side, guint k)
{
  int hl = side ? f->opt.highlight_b : f->opt.highlight_a;
  gboolean highlighted = hl >= 0 && (int) lk_figure_source (f, side, k) == hl;

  lk_text_style_init (st, 10, highlighted, LK_ANCHOR_MIDDLE,
                      lk_figure_is_dimmed (f, side, k) ? &f->dim : &f->text);
}

static void
measure_rows (LkFigure *f, LkCanvas *c, Rows *r, const char *subtitle)
{
  LkTextStyle st;

  for (guint s = 0; s < 2; s++)
    {
      r->x[s] = g_array_new (FALSE, FALSE, sizeof (double));
      r->w[s] = g_array_new (FALSE, FALSE, sizeof (double));
      r->row_w[s] = 0;
      for (guint k = 0; k < lk_figure_n (f, s); k++)
        {
          double w;
          chip_style (f, &st, s, k);
          st.bold = TRUE;   /* room for the highlighted weight */
          w = MIN (lk_canvas_text_width (c, lk_figure_label (f, s, k), &st), 160) + 2 * CHIP_PAD;
          w = MAX (w, CHIP_H);
          g_array_append_val (r->w[s], w);
          r->row_w[s] += w + (k ? CHIP_GAP : 0);
        }
    }
  r->content_w = MAX (MAX (r->row_w[0], r->row_w[1]), MIN (lk_header_width (f, c, subtitle), 640) - LETTER_W);
  r->left = LK_RENDER_MARGIN + LETTER_W;
  /* Each row centred over the wider one. */
  for (guint s = 0; s < 2; s++)
    {
      double x = r->left + (r->content_w - r->row_w[s]) / 2;
      for (guint k = 0; k < r->w[s]->len; k++)
        {
          g_array_append_val (r->x[s], x);
          x += g_array_index (r->w[s], double, k) + CHIP_GAP;
        }
    }
}

static void
rows_clear (Rows *r)
{
  for (guint s = 0; s < 2; s++)
    {
      g_array_unref (r->x[s]);
      g_array_unref (r->w[s]);
    }
}

static double
chip_center (Rows *r, guint s, guint k)
{
  return g_array_index (r->x[s], double, k) + g_array_index (r->w[s], double, k) / 2;
}

typedef struct {
  guint  pair;      /* row * n_cols + col */
  double x[2];      /* where it meets each chip */
} Link;

typedef struct {
  Rows  *rows;
  Link  *links;
  guint  side;
} SortBy;

static int
compare_other_end (gconstpointer a, gconstpointer b, gpointer data)
{
  const SortBy *s = data;
  const Link *la = &s->links[*(const guint *) a], *lb = &s->links[*(const guint *) b];
  double xa = la->x[1 - s->side], xb = lb->x[1 - s->side];

  return xa < xb ? -1 : xa > xb ? 1 : 0;
}

/* Links that share a chip fan out over its width, ordered by where their
 * other end is, so they do not cross right at the chip. */
static void
spread_ends (LkFigure *f, Rows *r, Link *links, guint n)
{
  guint nc = lk_figure_n (f, 1);

  for (guint s = 0; s < 2; s++)
    for (guint k = 0; k < lk_figure_n (f, s); k++)
      {
        g_autoptr(GArray) at = g_array_new (FALSE, FALSE, sizeof (guint));
        SortBy by = { r, links, s };
        double w = g_array_index (r->w[s], double, k), step;
        for (guint i = 0; i < n; i++)
          if ((s ? links[i].pair % nc : links[i].pair / nc) == k)
            g_array_append_val (at, i);
        if (at->len < 2)
          continue;
        g_array_sort_with_data (at, compare_other_end, &by);
        step = MIN (5.0, (w - 10) / (at->len - 1));
        for (guint i = 0; i < at->len; i++)
          links[g_array_index (at, guint, i)].x[s] = chip_center (r, s, k) + (i - (at->len - 1) / 2.0) * step;
      }
}

static void
draw_links (LkFigure *f, LkCanvas *c, Rows *r, GArray *top)
{
  guint nc = lk_figure_n (f, 1);
  double y0 = r->y[0] + CHIP_H, y1 = r->y[1], mid = (y1 - y0) / 2;
  g_autofree Link *links = g_new0 (Link, MAX (top->len, 1));
  LkRgba pos, neg;

  for (guint n = 0; n < top->len; n++)
    {
      links[n].pair = g_array_index (top, guint, n);
      links[n].x[0] = chip_center (r, 0, links[n].pair / nc);
      links[n].x[1] = chip_center (r, 1, links[n].pair % nc);
    }
  spread_ends (f, r, links, top->len);
  lk_palette_positive (f->opt.palette, f->opt.dark, &pos);
  lk_palette_negative (f->opt.palette, f->opt.dark, &neg);
  lk_canvas_class (c, "links");
  lk_canvas_data (c, "count", "%u", top->len);
  lk_canvas_begin_group (c);
  /* Weakest first, so the strongest lie on top. */
  for (guint n = top->len; n-- > 0;)
    {
      guint i = links[n].pair / nc, j = links[n].pair % nc;
      double v = lk_figure_value (f, i, j), t = f->scale > 0 ? fabs (v) / f->scale : 0;
      double xa = links[n].x[0], xb = links[n].x[1];
      LkRgba col = v >= 0 ? pos : neg;

      col.a = 0.25 + 0.65 * t * t;
      lk_canvas_class (c, "link");
      lk_canvas_data (c, "a", "%u", lk_figure_source (f, 0, i));
      lk_canvas_data (c, "b", "%u", lk_figure_source (f, 1, j));
      lk_canvas_data_double (c, "value", v);
      lk_canvas_curve (c, xa, y0, xa, y0 + mid, xb, y1 - mid, xb, y1, &col, 0.75 + 4.75 * t * t);
    }
  lk_canvas_end_group (c);
}

static void
draw_chips (LkFigure *f, LkCanvas *c, Rows *r, guint s)
{
  LkTextStyle st, letter;
  double asc, desc;

  lk_text_style_init (&letter, 11, TRUE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &letter, &asc, &desc);
  lk_canvas_class (c, "side-letter");
  lk_canvas_text (c, LK_RENDER_MARGIN, r->y[s] + CHIP_H / 2 + (asc - desc) / 2, s ? "B" : "A", &letter);
  lk_canvas_class (c, s ? "tokens-b" : "tokens-a");
  lk_canvas_begin_group (c);
  for (guint k = 0; k < lk_figure_n (f, s); k++)
    {
      double x = g_array_index (r->x[s], double, k), w = g_array_index (r->w[s], double, k);
      int hl = s ? f->opt.highlight_b : f->opt.highlight_a;
      gboolean highlighted = hl >= 0 && (int) lk_figure_source (f, s, k) == hl;
      g_autofree char *text = NULL;

      chip_style (f, &st, s, k);
      lk_canvas_font_extents (c, &st, &asc, &desc);
      text = lk_canvas_ellipsize (c, lk_figure_label (f, s, k), &st, w - 2 * CHIP_PAD + 0.5);
      lk_canvas_class (c, s ? "chip-b" : "chip-a");
      lk_canvas_data (c, "index", "%u", lk_figure_source (f, s, k));
      lk_canvas_rect (c, x, r->y[s], w, CHIP_H, 6, &f->surface, highlighted ? &f->accent : &f->faint,
                      highlighted ? 2 : 0.75);
      lk_canvas_class (c, s ? "label-b" : "label-a");
      lk_canvas_data (c, "index", "%u", lk_figure_source (f, s, k));
      lk_canvas_text (c, x + w / 2, r->y[s] + CHIP_H / 2 + (asc - desc) / 2, text, &st);
      lk_canvas_add_hit (c, x, r->y[s], w, CHIP_H, s ? -1 : (int) lk_figure_source (f, s, k),
                         s ? (int) lk_figure_source (f, s, k) : -1);
    }
  lk_canvas_end_group (c);
}

/* "Showing the 12 strongest of 63 pairs" and the sign swatches. */
static double
draw_legend (LkFigure *f, LkCanvas *c, double y, double right, guint shown, guint total)
{
  LkTextStyle st;
  LkRgba pos, neg;
  double asc, desc, x = LK_RENDER_MARGIN;
  g_autofree char *what = NULL;

  lk_palette_positive (f->opt.palette, f->opt.dark, &pos);
  lk_palette_negative (f->opt.palette, f->opt.dark, &neg);
  lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  what = shown == 1 ? g_strdup_printf (_("the strongest link of %u pairs"), total)
                    : g_strdup_printf (_("the %u strongest links of %u pairs"), shown, total);
  lk_canvas_class (c, "legend");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < 2; i++)
    {
      const char *label = i ? _("negative") : _("positive");
      lk_canvas_line (c, x, y + asc / 2 + 1, x + 18, y + asc / 2 + 1, i ? &neg : &pos, 3);
      lk_canvas_text (c, x + 23, y + asc, label, &st);
      x += 23 + lk_canvas_text_width (c, label, &st) + 16;
    }
  {
    g_autofree char *line = g_strdup_printf (_("width and opacity grow with |value| · %s"), what);
    if (x + lk_canvas_text_width (c, line, &st) > right)
      {
        x = LK_RENDER_MARGIN;
        y += asc + desc + 3;
      }
    lk_canvas_text (c, x, y + asc, line, &st);
  }
  lk_canvas_end_group (c);
  return y + asc + desc;
}

void
lk_render_alignment (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  g_autofree char *sim = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY, NAN));
  g_autofree char *subtitle = NULL;
  g_autoptr(GArray) top = lk_figure_top_pairs (f, MAX (f->opt.top_k, 0), MAX (f->opt.threshold, 0));
  Rows r;
  double y, w;

  subtitle = g_strdup_printf (_("Alignment of %u and %u %s · similarity %s"), lk_figure_n (f, 0), lk_figure_n (f, 1),
                              f->opt.words ? _("words") : _("tokens"), sim);
  measure_rows (f, c, &r, subtitle);
  w = r.left + r.content_w + LK_RENDER_MARGIN;
  y = lk_draw_header (f, c, LK_RENDER_MARGIN, LK_RENDER_MARGIN, w - 2 * LK_RENDER_MARGIN, subtitle);
  r.y[0] = y + 22;
  r.y[1] = r.y[0] + CHIP_H + CLAMP (r.content_w * 0.22, 110, 200);
  draw_links (f, c, &r, top);
  draw_chips (f, c, &r, 0);
  draw_chips (f, c, &r, 1);
  y = draw_legend (f, c, r.y[1] + CHIP_H + 18, w - LK_RENDER_MARGIN, top->len, lk_figure_n (f, 0) * lk_figure_n (f, 1));
  y = lk_draw_check (f, c, LK_RENDER_MARGIN, y + 6, w - 2 * LK_RENDER_MARGIN);
  rows_clear (&r);
  *width = w;
  *height = y + LK_RENDER_MARGIN;
}
