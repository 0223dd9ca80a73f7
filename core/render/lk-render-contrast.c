/* lk-render-contrast.c — a ranking contrast (lk-contrast.h): the two
 * documents, then one row per query token (or word) with two bars, what
 * the token gives each document (its row sum in A(q, d1) and A(q, d2)),
 * and a third bar, their difference, coloured by sign. The differences
 * add up to ΣA₁ − ΣA₂; the line under the rows closes the score
 * difference with the residual no token carries. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

#define BAR_W   150.0   /* each of the two columns of bars */
#define ROW_H   22.0
#define GAP     28.0
#define DOC_W   520.0

/* One query row as shown: its values for each document and the difference. */
typedef struct {
  guint     n;
  double   *value[2];
  double   *diff;
  double    scale[2];   /* largest |value| of the bars; of the differences */
  double    sim[2], sum[2], residual[2];
  const char *text[2];
} Contrast;

static JsonObject *
document (LkFigure *f, guint k)
{
  JsonObject *c = lk_explanation_lookup_object (f->x, LK_EXTRA_CONTRAST);
  JsonNode *docs = c ? json_object_get_member (c, "documents") : NULL;
  JsonArray *a;
  JsonNode *d;

  if (docs == NULL || !JSON_NODE_HOLDS_ARRAY (docs))
    return NULL;
  a = json_node_get_array (docs);
  if (json_array_get_length (a) != 2 || !JSON_NODE_HOLDS_OBJECT (d = json_array_get_element (a, k)))
    return NULL;
  return json_node_get_object (d);
}

/* Document @k's per-query-token values, folded as the figure shows the
 * query (words, specials); FALSE when the result has none of the right length. */
static gboolean
shown_values (LkFigure *f, JsonObject *doc, double *out)
{
  guint nt = lk_explanation_get_n_tokens (f->x, 0);
  JsonNode *node = doc ? json_object_get_member (doc, "query_saliency") : NULL;
  JsonArray *a;
  g_autofree double *src = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (a = json_node_get_array (node)) != nt)
    return FALSE;
  src = g_new0 (double, MAX (f->opt.words ? lk_explanation_get_n_words (f->x, 0) : nt, 1));
  for (guint i = 0; i < nt; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      double v = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_double (e) : NAN;
      src[f->opt.words ? lk_explanation_token_word (f->x, 0, i) : i] += v;
    }
  for (guint k = 0; k < lk_figure_n (f, 0); k++)
    out[k] = src[lk_figure_source (f, 0, k)];
  return TRUE;
}

static gboolean
contrast_init (LkFigure *f, Contrast *c)
{
  memset (c, 0, sizeof *c);
  c->n = lk_figure_n (f, 0);
  for (guint k = 0; k < 2; k++)
    {
      JsonObject *doc = document (f, k);
      c->value[k] = g_new0 (double, MAX (c->n, 1));
      if (doc == NULL || !shown_values (f, doc, c->value[k]))
        return FALSE;
      c->text[k] = json_object_get_string_member_with_default (doc, "text", "");
      c->sim[k] = json_object_get_double_member_with_default (doc, LK_SCORE_SIMILARITY, NAN);
      c->sum[k] = json_object_get_double_member_with_default (doc, LK_SCORE_SUM, NAN);
      c->residual[k] = json_object_get_double_member_with_default (doc, "residual", NAN);
    }
  c->diff = g_new0 (double, MAX (c->n, 1));
  for (guint i = 0; i < c->n; i++)
    {
      c->diff[i] = c->value[0][i] - c->value[1][i];
      c->scale[0] = MAX (c->scale[0], MAX (fabs (c->value[0][i]), fabs (c->value[1][i])));
      c->scale[1] = MAX (c->scale[1], fabs (c->diff[i]));
    }
  return TRUE;
}

static void
contrast_clear (Contrast *c)
{
  g_free (c->value[0]);
  g_free (c->value[1]);
  g_free (c->diff);
}

static void
doc_color (LkFigure *f, guint k, LkRgba *color)
{
  lk_palette_category (k == 0 ? 0 : 1, f->opt.dark, color);
}

/* The two documents, a swatch and a number each, wrapped to two lines. */
static double
draw_documents (LkFigure *f, LkCanvas *c, Contrast *ct, double y, double width)
{
  LkTextStyle st, num;
  double asc, desc;

  lk_text_style_init (&st, 10, FALSE, LK_ANCHOR_START, &f->text);
  lk_text_style_init (&num, 9, TRUE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  for (guint k = 0; k < 2; k++)
    {
      g_autofree char *sim = lk_format_number (ct->sim[k]);
      g_autofree char *sum = lk_format_number (ct->sum[k]);
      g_autofree char *head = g_strdup_printf (_("Document %u · similarity %s · ΣA %s"), k + 1, sim, sum);
      g_auto(GStrv) lines = lk_canvas_wrap (c, ct->text[k], &st, width - 16);
      LkRgba col;

      doc_color (f, k, &col);
      lk_canvas_class (c, "document");
      lk_canvas_data (c, "document", "%u", k + 1);
      lk_canvas_data_double (c, "similarity", ct->sim[k]);
      lk_canvas_begin_group (c);
      lk_canvas_rect (c, LK_RENDER_MARGIN, y + 2, 9, 9, 2, &col, NULL, 0);
      lk_canvas_text (c, LK_RENDER_MARGIN + 16, y + asc, head, &num);
      y += asc + desc + 3;
      for (guint i = 0; lines && lines[i] && i < 2; i++)
        {
          g_autofree char *more = i == 1 && lines[2] ? g_strconcat (lines[1], " …", NULL) : NULL;
          g_autofree char *shown = more ? lk_canvas_ellipsize (c, more, &st, width - 16) : g_strdup (lines[i]);
          lk_canvas_text (c, LK_RENDER_MARGIN + 16, y + asc, shown, &st);
          y += asc + desc + 1;
        }
      lk_canvas_end_group (c);
      y += 8;
    }
  return y;
}

static double
column_title (LkFigure *f, LkCanvas *c, double x, double y, const char *title)
{
  LkTextStyle st;
  double asc, desc;

  lk_text_style_init (&st, 9.5, TRUE, LK_ANCHOR_MIDDLE, &f->text);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lk_canvas_class (c, "column-title");
  lk_canvas_text (c, x, y + asc, title, &st);
  return y + asc + desc + 6;
}

static void
bar (LkCanvas *c, double zero, double half, double scale, double v, double y, double h, const LkRgba *col)
{
  double w = scale > 0 ? fabs (v) / scale * half : 0;

  lk_canvas_rect (c, v >= 0 ? zero : zero - w, y, MAX (w, 0.5), h, 1.5, col, NULL, 0);
}

static double
name_width (LkFigure *f, LkCanvas *c, const LkTextStyle *st)
{
  double w = 40;

  for (guint i = 0; i < lk_figure_n (f, 0); i++)
    w = MAX (w, lk_canvas_text_width (c, lk_figure_label (f, 0, i), st));
  return MIN (w, 160);
}

static double
draw_rows (LkFigure *f, LkCanvas *c, Contrast *ct, double y, double name_w)
{
  double x0 = LK_RENDER_MARGIN + name_w + 10;
  double zero1 = x0 + BAR_W / 2, zero2 = x0 + BAR_W + GAP + BAR_W / 2, asc, desc, top;
  LkTextStyle name, value;
  LkRgba col[2];

  doc_color (f, 0, &col[0]);
  doc_color (f, 1, &col[1]);
  column_title (f, c, zero1, y, _("Gives document 1 · 2"));
  y = column_title (f, c, zero2, y, _("Favours document 1 (+) or 2 (−)"));
  top = y;
  lk_text_style_init (&name, 10, FALSE, LK_ANCHOR_END, &f->text);
  lk_text_style_init (&value, 8.5, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &name, &asc, &desc);
  lk_canvas_class (c, "axis");
  lk_canvas_line (c, zero1, top - 2, zero1, top + ct->n * ROW_H + 2, &f->dim, 0.75);
  lk_canvas_line (c, zero2, top - 2, zero2, top + ct->n * ROW_H + 2, &f->dim, 0.75);
  lk_canvas_class (c, "query-tokens");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < ct->n; i++)
    {
      double ry = top + i * ROW_H;
      g_autofree char *label = lk_canvas_ellipsize (c, lk_figure_label (f, 0, i), &name, name_w);
      g_autofree char *num = lk_format_number (ct->diff[i]);
      LkRgba dc;

      name.color = lk_figure_is_dimmed (f, 0, i) ? f->dim : f->text;
      lk_canvas_class (c, "query-token");
      lk_canvas_data (c, "token", "%s", lk_figure_label (f, 0, i));
      lk_canvas_data_double (c, "document-1", ct->value[0][i]);
      lk_canvas_data_double (c, "document-2", ct->value[1][i]);
      lk_canvas_data_double (c, "difference", ct->diff[i]);
      lk_canvas_begin_group (c);
      lk_canvas_text (c, x0 - 10, ry + ROW_H / 2 + (asc - desc) / 2, label, &name);
      bar (c, zero1, BAR_W / 2, ct->scale[0], ct->value[0][i], ry + 3, (ROW_H - 8) / 2, &col[0]);
      bar (c, zero1, BAR_W / 2, ct->scale[0], ct->value[1][i], ry + 3 + (ROW_H - 8) / 2 + 2, (ROW_H - 8) / 2, &col[1]);
      lk_palette_color (f->opt.palette, f->opt.dark, ct->scale[1] > 0 ? ct->diff[i] / ct->scale[1] : 0, &dc);
      bar (c, zero2, BAR_W / 2, ct->scale[1], ct->diff[i], ry + 3, ROW_H - 6, &dc);
      value.anchor = LK_ANCHOR_START;
      lk_canvas_text (c, zero2 + BAR_W / 2 + 6, ry + ROW_H / 2 + (asc - desc) / 2, num, &value);
      lk_canvas_end_group (c);
      lk_canvas_add_hit (c, LK_RENDER_MARGIN, ry, name_w + 10 + 2 * BAR_W + GAP, ROW_H, lk_figure_source (f, 0, i), -1);
    }
  lk_canvas_end_group (c);
  return top + ct->n * ROW_H + 10;
}

/* Σ of the differences = ΣA₁ − ΣA₂; with the residuals, the score difference. */
static double
draw_balance (LkFigure *f, LkCanvas *c, double y, double width)
{
  g_autofree char *d = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY_DIFFERENCE, NAN));
  g_autofree char *s = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SUM_DIFFERENCE, NAN));
  g_autofree char *r = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_RESIDUAL_DIFFERENCE, NAN));
  g_autofree char *line = g_strdup_printf (_("Score difference %s = Σ of the query tokens %s + residual %s (what no token carries)"),
                                           d, s, r);
  g_auto(GStrv) lines = NULL;
  LkTextStyle st;
  double asc, desc;

  lk_text_style_init (&st, 10, TRUE, LK_ANCHOR_START, &f->text);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lines = lk_canvas_wrap (c, line, &st, width);
  lk_canvas_class (c, "balance");
  lk_canvas_data_double (c, "sum-difference", lk_explanation_get_score (f->x, LK_SCORE_SUM_DIFFERENCE, NAN));
  lk_canvas_begin_group (c);
  for (guint i = 0; lines && lines[i]; i++)
    {
      lk_canvas_text (c, LK_RENDER_MARGIN, y + asc, lines[i], &st);
      y += asc + desc + 1;
    }
  lk_canvas_end_group (c);
  return y;
}

void
lk_render_contrast (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  Contrast ct;
  LkTextStyle name;
  double name_w, w, y;
  g_autofree char *d = lk_format_number (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY_DIFFERENCE, NAN));
  g_autofree char *subtitle = g_strdup_printf (lk_explanation_get_score (f->x, LK_SCORE_SIMILARITY_DIFFERENCE, 0) >= 0
                                               ? _("Ranking contrast: why document 1 scores higher than document 2 (by %s)")
                                               : _("Ranking contrast: why document 1 scores lower than document 2 (by %s)"), d);

  lk_text_style_init (&name, 10, FALSE, LK_ANCHOR_END, &f->text);
  name_w = name_width (f, c, &name);
  w = LK_RENDER_MARGIN + name_w + 10 + 2 * BAR_W + GAP + 60 + LK_RENDER_MARGIN;
  w = MAX (w, MIN (lk_header_width (f, c, subtitle), 680) + 2 * LK_RENDER_MARGIN);
  y = lk_draw_header (f, c, LK_RENDER_MARGIN, LK_RENDER_MARGIN, w - 2 * LK_RENDER_MARGIN, subtitle);
  if (!contrast_init (f, &ct))
    {
      LkTextStyle st;
      lk_text_style_init (&st, 10, FALSE, LK_ANCHOR_START, &f->dim);
      lk_canvas_class (c, "empty");
      lk_canvas_text (c, LK_RENDER_MARGIN, y + 30,
                      _("This result is not a ranking contrast: explain with likeness-cli contrast or Compare ranking."), &st);
      y += 40;
    }
  else
    {
      y = draw_documents (f, c, &ct, y + 14, MIN (w - 2 * LK_RENDER_MARGIN, DOC_W));
      y = draw_rows (f, c, &ct, y + 6, name_w);
      y = draw_balance (f, c, y + 4, w - 2 * LK_RENDER_MARGIN);
    }
  contrast_clear (&ct);
  y = lk_draw_check (f, c, LK_RENDER_MARGIN, y + 12, w - 2 * LK_RENDER_MARGIN);
  *width = w;
  *height = y + LK_RENDER_MARGIN;
}

/* For a tooltip and the description: what query token @source gives each
 * document, or NULL. */
char *
lk_render_contrast_describe_row (LkFigure *f, int source)
{
  Contrast ct;
  int k = lk_figure_find (f, 0, source);
  char *out = NULL;

  if (contrast_init (f, &ct) && k >= 0)
    {
      g_autofree char *d = lk_format_number (ct.diff[k]);
      g_autofree char *v1 = lk_format_number (ct.value[0][k]), *v2 = lk_format_number (ct.value[1][k]);
      out = g_strdup_printf (ct.diff[k] >= 0 ? _("%s favours document 1 by %s (%s against %s)")
                                             : _("%s favours document 2 by %s (%s against %s)"),
                             lk_figure_label (f, 0, k), d, v1, v2);
    }
  contrast_clear (&ct);
  return out;
}

/* "Ranking contrast of N tokens; most for document 1: …; most for document 2: …". */
void
lk_render_contrast_describe (LkFigure *f, GString *s)
{
  Contrast ct;

  if (!contrast_init (f, &ct))
    {
      g_string_append (s, _("Not a ranking contrast."));
      contrast_clear (&ct);
      return;
    }
  g_string_append_printf (s, _("Ranking contrast over %u query %s"), ct.n, f->opt.words ? _("words") : _("tokens"));
  for (guint side = 0; side < 2; side++)
    {
      int best = -1;
      for (guint i = 0; i < ct.n; i++)
        if ((side == 0 ? ct.diff[i] > 0 : ct.diff[i] < 0) && (best < 0 || fabs (ct.diff[i]) > fabs (ct.diff[best])))
          best = i;
      if (best >= 0)
        {
          g_autofree char *v = lk_format_number (ct.diff[best]);
          g_string_append_printf (s, side == 0 ? _("; most for document 1: %s (%s)") : _("; most for document 2: %s (%s)"),
                                  lk_figure_label (f, 0, best), v);
        }
    }
  g_string_append (s, ".");
  contrast_clear (&ct);
}
