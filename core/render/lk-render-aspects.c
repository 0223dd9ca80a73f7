/* lk-render-aspects.c — one bar per aspect similarity (on a −1…1 axis),
 * then one stacked bar of the aspects' shares, which add up to the
 * overall similarity. Each aspect keeps its colour in both. */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

#define BAR_W 300.0
#define ROW_H 18.0
#define STACK_H 22.0

static void
aspect_color (LkFigure *f, GArray *aspects, guint i, LkRgba *color)
{
  if (g_array_index (aspects, LkAspect, i).name == NULL)
    *color = f->opt.dark ? (LkRgba) { 0.45, 0.45, 0.48, 1 } : (LkRgba) { 0.74, 0.74, 0.76, 1 };
  else
    lk_palette_category (i, f->opt.dark, color);
}

static const char *
aspect_name (LkAspect *a)
{
  return a->name ? a->name : _("residual");
}

static double
draw_similarities (LkFigure *f, LkCanvas *c, GArray *aspects, double name_w, double y)
{
  double x0 = LK_RENDER_MARGIN + name_w + 10, zero = x0 + BAR_W / 2, asc, desc;
  LkTextStyle name, value, tick;

  lk_text_style_init (&name, 10, FALSE, LK_ANCHOR_END, &f->text);
  lk_text_style_init (&value, 9, FALSE, LK_ANCHOR_START, &f->dim);
  lk_text_style_init (&tick, 8.5, FALSE, LK_ANCHOR_MIDDLE, &f->dim);
  lk_canvas_font_extents (c, &name, &asc, &desc);
  /* Grid lines at −1, −½, 0, ½, 1. */
  for (int t = -2; t <= 2; t++)
    {
      double gx = zero + t * BAR_W / 4;
      char label[16];
      g_snprintf (label, sizeof label, "%s%g", t < 0 ? "−" : "", fabs (t / 2.0));
      lk_canvas_line (c, gx, y, gx, y + aspects->len * ROW_H, t == 0 ? &f->dim : &f->faint, t == 0 ? 1 : 0.5);
      lk_canvas_class (c, "tick");
      lk_canvas_text (c, gx, y + aspects->len * ROW_H + 12, label, &tick);
    }
  lk_canvas_class (c, "aspect-bars");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < aspects->len; i++)
    {
      LkAspect *a = &g_array_index (aspects, LkAspect, i);
      double v = isnan (a->similarity) ? 0 : CLAMP (a->similarity, -1, 1), ry = y + i * ROW_H;
      double bx = v >= 0 ? zero : zero + v * BAR_W / 2, bw = fabs (v) * BAR_W / 2;
      g_autofree char *num = lk_format_number (a->similarity);
      LkRgba col;

      aspect_color (f, aspects, i, &col);
      name.color = a->name ? f->text : f->dim;
      lk_canvas_class (c, "aspect-name");
      lk_canvas_text (c, x0 - 10, ry + ROW_H / 2 + (asc - desc) / 2, aspect_name (a), &name);
      lk_canvas_class (c, a->name ? "aspect-bar" : "residual-bar");
      lk_canvas_data (c, "name", "%s", aspect_name (a));
      lk_canvas_data_double (c, "similarity", a->similarity);
      lk_canvas_rect (c, bx, ry + 3, MAX (bw, 0.5), ROW_H - 6, 2, &col, NULL, 0);
      value.anchor = v >= 0 ? LK_ANCHOR_START : LK_ANCHOR_END;
      lk_canvas_class (c, "aspect-value");
      lk_canvas_text (c, v >= 0 ? bx + bw + 4 : bx - 4, ry + ROW_H / 2 + (asc - desc) / 2, num, &value);
      lk_canvas_add_hit (c, LK_RENDER_MARGIN, ry, name_w + 10 + BAR_W, ROW_H, i, -1);
    }
  lk_canvas_end_group (c);
  return y + aspects->len * ROW_H + 16;
}

static double
draw_stack (LkFigure *f, LkCanvas *c, GArray *aspects, double name_w, double y)
{
  double x0 = LK_RENDER_MARGIN + name_w + 10, pos = 0, neg = 0, sum = 0, lo, hi, unit, zero;
  double xp, xn, asc, desc;
  LkTextStyle st, name;
  g_autofree char *label = NULL, *num = NULL;

  for (guint i = 0; i < aspects->len; i++)
    {
      double s = g_array_index (aspects, LkAspect, i).share;
      if (s >= 0)
        pos += s;
      else
        neg += s;
      sum += s;
    }
  lo = MIN (neg, 0);
  hi = MAX (pos, 1e-12);
  unit = BAR_W / (hi - lo);
  zero = x0 - lo * unit;
  lk_text_style_init (&name, 10, FALSE, LK_ANCHOR_END, &f->text);
  lk_canvas_font_extents (c, &name, &asc, &desc);
  lk_canvas_class (c, "aspect-name");
  lk_canvas_text (c, x0 - 10, y + STACK_H / 2 + (asc - desc) / 2, _("shares"), &name);
  lk_canvas_class (c, "shares");
  lk_canvas_data_double (c, "sum", sum);
  lk_canvas_data_double (c, "similarity", lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY, NAN));
  lk_canvas_begin_group (c);
  xp = xn = zero;
  for (guint i = 0; i < aspects->len; i++)
    {
      LkAspect *a = &g_array_index (aspects, LkAspect, i);
      double w = fabs (a->share) * unit, x;
      LkRgba col;
      aspect_color (f, aspects, i, &col);
      if (a->share >= 0)
        x = xp, xp += w;
      else
        xn -= w, x = xn;
      lk_canvas_class (c, "share");
      lk_canvas_data (c, "name", "%s", aspect_name (a));
      lk_canvas_data_double (c, "share", a->share);
      lk_canvas_rect (c, x, y, w, STACK_H, 0, &col, &f->background, w > 2 ? 0.75 : 0);
      lk_canvas_add_hit (c, x, y, w, STACK_H, i, -1);
    }
  lk_canvas_end_group (c);
  /* The net: where the shares add up to. */
  lk_canvas_class (c, "net");
  lk_canvas_line (c, zero + sum * unit, y - 5, zero + sum * unit, y + STACK_H + 5, &f->text, 1.5);
  lk_canvas_line (c, zero, y - 3, zero, y + STACK_H + 3, &f->dim, 0.75);
  num = lk_format_number (sum);
  label = g_strdup_printf (_("Σ shares = %s = similarity"), num);
  lk_text_style_init (&st, 9, TRUE, sum * unit > BAR_W / 2 ? LK_ANCHOR_END : LK_ANCHOR_START, &f->text);
  lk_canvas_class (c, "net-label");
  lk_canvas_text (c, zero + sum * unit, y + STACK_H + 16, label, &st);
  return y + STACK_H + 22;
}

static double
draw_legend (LkFigure *f, LkCanvas *c, GArray *aspects, double y, double right)
{
  LkTextStyle st;
  double x = LK_RENDER_MARGIN, asc, desc;

  lk_text_style_init (&st, 9, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lk_canvas_class (c, "legend");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < aspects->len; i++)
    {
      LkAspect *a = &g_array_index (aspects, LkAspect, i);
      g_autofree char *share = lk_format_number (a->share);
      g_autofree char *text = g_strdup_printf ("%s %s", aspect_name (a), share);
      double w = 14 + lk_canvas_text_width (c, text, &st);
      LkRgba col;
      if (x > LK_RENDER_MARGIN && x + w > right)
        {
          x = LK_RENDER_MARGIN;
          y += asc + desc + 5;
        }
      aspect_color (f, aspects, i, &col);
      lk_canvas_rect (c, x, y + 1, 9, 9, 2, &col, NULL, 0);
      lk_canvas_text (c, x + 13, y + asc - 0.5, text, &st);
      x += w + 12;
    }
  lk_canvas_end_group (c);
  return y + asc + desc;
}

static double
section (LkFigure *f, LkCanvas *c, double y, const char *title)
{
  LkTextStyle st;
  double asc, desc;

  lk_text_style_init (&st, 10, TRUE, LK_ANCHOR_START, &f->text);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lk_canvas_class (c, "section");
  lk_canvas_text (c, LK_RENDER_MARGIN, y + asc, title, &st);
  return y + asc + desc + 8;
}

void
lk_render_aspects (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  g_autoptr(GArray) aspects = lk_figure_aspects (f);
  g_autofree char *sim = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY, NAN));
  g_autofree char *subtitle = g_strdup_printf (_("Aspects of the similarity · overall similarity %s"), sim);
  LkTextStyle name;
  double name_w = 0, w, y;

  lk_text_style_init (&name, 10, FALSE, LK_ANCHOR_END, &f->text);
  for (guint i = 0; aspects && i < aspects->len; i++)
    name_w = MAX (name_w, lk_canvas_text_width (c, aspect_name (&g_array_index (aspects, LkAspect, i)), &name));
  name_w = MAX (name_w, lk_canvas_text_width (c, _("shares"), &name));
  w = LK_RENDER_MARGIN + name_w + 10 + BAR_W + 60 + LK_RENDER_MARGIN;
  w = MAX (w, MIN (lk_header_width (f, c, subtitle), 640) + 2 * LK_RENDER_MARGIN);
  y = lk_draw_header (f, c, LK_RENDER_MARGIN, LK_RENDER_MARGIN, w - 2 * LK_RENDER_MARGIN, subtitle);
  if (aspects == NULL || aspects->len == 0)
    {
      LkTextStyle st;
      lk_text_style_init (&st, 10, FALSE, LK_ANCHOR_START, &f->dim);
      lk_canvas_class (c, "empty");
      lk_canvas_text (c, LK_RENDER_MARGIN, y + 30, _("This result has no aspects: explain with an aspect model (S3BERT)."), &st);
      y += 40;
    }
  else
    {
      y = section (f, c, y + 16, _("Similarity per aspect"));
      y = draw_similarities (f, c, aspects, name_w, y);
      y = section (f, c, y + 12, _("Shares of the overall similarity"));
      y = draw_stack (f, c, aspects, name_w, y + 4);
      y = draw_legend (f, c, aspects, y + 6, w - LK_RENDER_MARGIN);
    }
  y = lk_draw_check (f, c, LK_RENDER_MARGIN, y + 14, w - 2 * LK_RENDER_MARGIN);
  *width = w;
  *height = y + LK_RENDER_MARGIN;
}
