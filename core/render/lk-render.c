/* lk-render.c — the renderer's public face: sizes, drawing into a cairo
 * context (fitted and centred), hit testing, and descriptions for screen
 * readers and tooltips. Export is in lk-render-export.c. */
#include "config.h"

#include <string.h>

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

void
lk_render_options_init (LkRenderOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->palette = LK_PALETTE_BLUE_RED;
  options->words = FALSE;
  options->specials = TRUE;
  options->top_k = 12;
  options->threshold = 0.0;
  options->dark = FALSE;
  options->highlight_a = -1;
  options->highlight_b = -1;
  options->saliency_word = -1;
  options->overlay_alpha = 0.55;
}

static const char *view_names[] = { "heatmap", "alignment", "saliency", "aspects", "report", "contrast" };

gboolean
lk_view_from_string (const char *name, LkView *view)
{
  for (guint i = 0; i < G_N_ELEMENTS (view_names); i++)
    if (g_strcmp0 (name, view_names[i]) == 0)
      {
        *view = (LkView) i;
        return TRUE;
      }
  return FALSE;
}

const char *
lk_view_to_string (LkView view)
{
  return (guint) view < G_N_ELEMENTS (view_names) ? view_names[view] : "heatmap";
}

void
lk_render_view (LkFigure *f, LkView view, LkCanvas *c, double *width, double *height)
{
  switch (view)
    {
    case LK_VIEW_ALIGNMENT:
      lk_render_alignment (f, c, width, height);
      break;
    case LK_VIEW_SALIENCY:
      lk_render_saliency (f, c, width, height);
      break;
    case LK_VIEW_ASPECTS:
      lk_render_aspects (f, c, width, height);
      break;
    case LK_VIEW_REPORT:
      lk_render_report (f, c, width, height);
      break;
    case LK_VIEW_CONTRAST:
      lk_render_contrast (f, c, width, height);
      break;
    case LK_VIEW_HEATMAP:
    default:
      lk_render_heatmap (f, c, width, height);
      break;
    }
}

/* Draws @view on a null canvas: the size, and the hit regions. */
static LkCanvas *
measure (LkFigure *f, LkView view, double *width, double *height)
{
  LkCanvas *c = lk_canvas_new_null ();

  lk_render_view (f, view, c, width, height);
  return c;
}

void
lk_render_get_size (LkExplanation *x, LkView view, const LkRenderOptions *options, double *width, double *height)
{
  LkFigure f;
  double w, h;

  g_return_if_fail (LK_IS_EXPLANATION (x));
  lk_figure_init (&f, x, options);
  lk_canvas_free (measure (&f, view, &w, &h));
  lk_figure_clear (&f);
  if (width)
    *width = w;
  if (height)
    *height = h;
}

/* Fits a w0 × h0 figure into width × height, centred, keeping its aspect. */
static void
fit (double w0, double h0, double width, double height, double *scale, double *dx, double *dy)
{
  *scale = (w0 > 0 && h0 > 0) ? MIN (width / w0, height / h0) : 1;
  *dx = (width - w0 * *scale) / 2;
  *dy = (height - h0 * *scale) / 2;
}

void
lk_render_cairo (LkExplanation *x, LkView view, const LkRenderOptions *options,
                 cairo_t *cr, double width, double height)
{
  g_autoptr(LkCanvas) c = NULL;
  LkFigure f;
  double w0, h0, s, dx, dy, w, h;

  g_return_if_fail (LK_IS_EXPLANATION (x));
  g_return_if_fail (cr != NULL);
  lk_figure_init (&f, x, options);
  lk_canvas_free (measure (&f, view, &w0, &h0));
  fit (w0, h0, width, height, &s, &dx, &dy);
  {
    double ds = 1, dsy = 1;
    cairo_surface_get_device_scale (cairo_get_target (cr), &ds, &dsy);
    f.pixel_scale = s * MAX (ds, dsy);  /* photos at the resolution they are shown at */
  }
  cairo_save (cr);
  cairo_translate (cr, dx, dy);
  cairo_scale (cr, s, s);
  c = lk_canvas_new_cairo (cr);
  lk_render_view (&f, view, c, &w, &h);
  cairo_restore (cr);
  lk_figure_clear (&f);
}

gboolean
lk_render_hit (LkExplanation *x, LkView view, const LkRenderOptions *options,
               double width, double height, double px, double py, int *row, int *col)
{
  g_autoptr(LkCanvas) c = NULL;
  LkFigure f;
  double w0, h0, s, dx, dy;
  int r = -1, k = -1;
  gboolean found;

  g_return_val_if_fail (LK_IS_EXPLANATION (x), FALSE);
  lk_figure_init (&f, x, options);
  c = measure (&f, view, &w0, &h0);
  fit (w0, h0, width, height, &s, &dx, &dy);
  found = s > 0 && lk_canvas_hit_test (c, (px - dx) / s, (py - dy) / s, &r, &k);
  lk_figure_clear (&f);
  if (row)
    *row = found ? r : -1;
  if (col)
    *col = found ? k : -1;
  return found;
}

/* ---- descriptions ---- */

static void
append_pairs (LkFigure *f, GString *s, guint k)
{
  g_autoptr(GArray) top = lk_figure_top_pairs (f, k, 0);
  guint nc = lk_figure_n (f, 1);

  for (guint i = 0; i < top->len; i++)
    {
      guint p = g_array_index (top, guint, i);
      g_autofree char *v = lk_format_number (lk_figure_value (f, p / nc, p % nc));
      g_string_append_printf (s, "%s%s–%s %s", i ? ", " : "", lk_figure_label (f, 0, p / nc),
                              lk_figure_label (f, 1, p % nc), v);
    }
  if (top->len == 0)
    g_string_append (s, _("none"));
}

/* The @k items of one side with the largest |saliency|. */
static void
append_salient (LkFigure *f, GString *s, guint side, guint k)
{
  g_autofree double *sal = lk_figure_saliency (f, side);
  guint n = lk_figure_n (f, side);
  g_autofree gboolean *used = g_new0 (gboolean, MAX (n, 1));

  for (guint r = 0; r < MIN (k, n); r++)
    {
      int best = -1;
      g_autofree char *v = NULL;
      for (guint i = 0; i < n; i++)
        if (!used[i] && (best < 0 || fabs (sal[i]) > fabs (sal[best])))
          best = i;
      used[best] = TRUE;
      v = lk_format_number (sal[best]);
      g_string_append_printf (s, "%s%s %s", r ? ", " : "", lk_figure_label (f, side, best), v);
    }
}

static void
describe_aspects (LkFigure *f, GString *s)
{
  g_autoptr(GArray) aspects = lk_figure_aspects (f);
  g_autofree char *sim = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY, NAN));

  if (aspects == NULL)
    {
      g_string_append (s, _("Aspect bars: this result has no aspects."));
      return;
    }
  g_string_append_printf (s, _("Aspect similarities of %u aspects; overall similarity %s; "), aspects->len, sim);
  for (guint i = 0; i < aspects->len; i++)
    {
      LkAspect *a = &g_array_index (aspects, LkAspect, i);
      g_autofree char *v = lk_format_number (a->similarity);
      g_autofree char *sh = lk_format_number (a->share);
      g_string_append_printf (s, _("%s%s %s (share %s)"), i ? ", " : "", a->name ? a->name : _("residual"), v, sh);
    }
  g_string_append (s, ".");
}

char *
lk_render_describe (LkExplanation *x, LkView view, const LkRenderOptions *options)
{
  GString *s = g_string_new (NULL);
  const char *unit;
  g_auto(GStrv) check = NULL;
  g_autofree char *check_text = NULL;
  LkFigure f;

  g_return_val_if_fail (LK_IS_EXPLANATION (x), NULL);
  lk_figure_init (&f, x, options);
  unit = f.opt.words ? _("words") : _("tokens");
  switch (view)
    {
    case LK_VIEW_ALIGNMENT:
      g_string_append_printf (s, _("Alignment of %u and %u %s; strongest links: "), lk_figure_n (&f, 0), lk_figure_n (&f, 1), unit);
      append_pairs (&f, s, 3);
      g_string_append (s, ".");
      break;
    case LK_VIEW_SALIENCY:
      g_string_append_printf (s, _("Saliency of the %s of A and B; most salient in A: "), unit);
      append_salient (&f, s, 0, 3);
      g_string_append (s, _("; in B: "));
      append_salient (&f, s, 1, 3);
      g_string_append (s, ".");
      break;
    case LK_VIEW_ASPECTS:
      describe_aspects (&f, s);
      break;
    case LK_VIEW_CONTRAST:
      lk_render_contrast_describe (&f, s);
      break;
    case LK_VIEW_REPORT:
    case LK_VIEW_HEATMAP:
    default:
      if (view == LK_VIEW_REPORT)
        g_string_append_printf (s, _("One-page report of %s. "), lk_method_title (lk_explanation_get_method (x)));
      g_string_append_printf (s, _("Heatmap of %u × %u %s; strongest pairs: "), lk_figure_n (&f, 0), lk_figure_n (&f, 1), unit);
      append_pairs (&f, s, 3);
      g_string_append (s, ".");
      break;
    }
  check = lk_check_segments (&f);
  check_text = g_strjoinv (" · ", check);
  g_string_append_printf (s, _(" Check: %s."), check_text);
  lk_figure_clear (&f);
  return g_string_free (s, FALSE);
}

gboolean
lk_render_export_file (LkExplanation *x, const char *path, LkView view, GError **error)
{
  LkRenderOptions options;
  LkExportFormat format;

  g_return_val_if_fail (LK_IS_EXPLANATION (x), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!lk_export_format_from_path (path, &format, error))
    return FALSE;
  lk_render_options_init (&options);
  return lk_render_export (x, view, &options, format, 2.0, path, error);
}

/* @fn on a figure of @x with the default options. */
static char **
with_default_figure (LkExplanation *x, char **(*fn) (LkFigure *f))
{
  LkRenderOptions options;
  LkFigure f;
  char **out;

  lk_render_options_init (&options);
  lk_figure_init (&f, x, &options);
  out = fn (&f);
  lk_figure_clear (&f);
  return out;
}

char **
lk_render_check_segments (LkExplanation *x)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (x), NULL);
  return with_default_figure (x, lk_check_segments);
}

char **
lk_render_check_readings (LkExplanation *x)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (x), NULL);
  /* A contrast's scores are its pairs': their check lines say it. */
  return with_default_figure (x, lk_explanation_lookup_extra (x, LK_EXTRA_CONTRAST) ? lk_check_segments
                                                                                    : lk_check_readings);
}

char *
lk_render_describe_hit (LkExplanation *x, LkView view, const LkRenderOptions *options, int row, int col)
{
  LkFigure f;
  char *out = NULL;
  int r, k;

  g_return_val_if_fail (LK_IS_EXPLANATION (x), NULL);
  lk_figure_init (&f, x, options);
  r = lk_figure_find (&f, 0, row);
  k = lk_figure_find (&f, 1, col);
  if (view == LK_VIEW_ASPECTS)
    {
      g_autoptr(GArray) aspects = lk_figure_aspects (&f);
      if (aspects && row >= 0 && (guint) row < aspects->len)
        {
          LkAspect *a = &g_array_index (aspects, LkAspect, row);
          g_autofree char *v = lk_format_number (a->similarity), *sh = lk_format_number (a->share);
          out = g_strdup_printf (_("%s: similarity %s, share %s"), a->name ? a->name : _("residual"), v, sh);
        }
    }
  else if (view == LK_VIEW_CONTRAST)
    out = lk_render_contrast_describe_row (&f, row);
  else if (r >= 0 && k >= 0 && f.m)
    {
      double v = lk_figure_value (&f, r, k);
      g_autofree char *vs = lk_format_number (v);
      g_autofree char *share = lk_format_percent (f.total != 0 ? v / f.total : NAN);
      out = g_strdup_printf (_("%s – %s: %s (%s of the total)"), lk_figure_label (&f, 0, r), lk_figure_label (&f, 1, k), vs, share);
    }
  else if (r >= 0 || k >= 0)
    {
      guint side = r >= 0 ? 0 : 1;
      g_autofree double *sal = lk_figure_saliency (&f, side);
      g_autofree char *vs = lk_format_number (sal[side ? k : r]);
      out = g_strdup_printf (side ? _("%s (B): saliency %s") : _("%s (A): saliency %s"),
                             lk_figure_label (&f, side, side ? k : r), vs);
    }
  lk_figure_clear (&f);
  return out;
}

const char *
lk_view_title (LkView view)
{
  switch (view)
    {
    case LK_VIEW_HEATMAP:   return _("Matrix");
    case LK_VIEW_ALIGNMENT: return _("Alignment");
    case LK_VIEW_SALIENCY:  return _("Saliency");
    case LK_VIEW_ASPECTS:   return _("Aspects");
    case LK_VIEW_REPORT:    return _("Report");
    case LK_VIEW_CONTRAST:  return _("Ranking");
    default:                return "";
    }
}

const char *
lk_view_help (LkView view)
{
  switch (view)
    {
    case LK_VIEW_HEATMAP:
      return _("One row for each word (or token) of text A, one column for each of text B. A cell's colour is how "
               "much that pair adds to the similarity: red adds, blue takes away, white does nothing; the colour bar "
               "gives the scale. The cells add up to the sum printed under the figure; how close that is to the "
               "score is the method's check. Hover or select a cell for its value and share of the total.");
    case LK_VIEW_ALIGNMENT:
      return _("The two texts one above the other, with a line for each of the strongest pairs: the wider and "
               "more opaque, the larger its value; red lines add to the similarity, blue ones take away. Links "
               "sets how many are drawn. For alignment the lines are each word's best partners by cosine.");
    case LK_VIEW_SALIENCY:
      return _("Each word's share: its pairs summed over the other text, as a colour behind the word (red adds "
               "to the similarity, blue takes away). For an image, the map lies over the photo: choose a caption "
               "word to see the regions that support it; Opacity sets how much of the photo shows through.");
    case LK_VIEW_ASPECTS:
      return _("For a model with aspects (a layout or a head), the similarity split into named parts such as "
               "topic or negation: each bar is that aspect's similarity and its share of the score; the residual "
               "is the part no aspect carries. The shares add up to the score.");
    case LK_VIEW_REPORT:
      return _("Everything about one result on a page: the inputs, the model and its weights, the method and its "
               "parameters, the scores, the checks read in words, and the figure, for an audit or a report.");
    case LK_VIEW_CONTRAST:
      return _("Why one passage ranks above another for the same query: each query word with its two bars (its "
               "share with passage 1 and with passage 2) and their difference; the differences add up to the "
               "difference of the two scores, less the residual shown.");
    default:
      return "";
    }
}
