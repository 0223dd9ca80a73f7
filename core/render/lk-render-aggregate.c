/* lk-render-aggregate.c — a batch run's summary (schema
 * likeness.aggregate/1, made by core/audit) as a figure: the words that
 * carry most of ΣA as bars of their share, the share on special tokens and
 * punctuation, the verdicts of each method's check, and in retrieval mode
 * the query words that decide rank 1 over rank 2. Render reads the JSON,
 * not audit's code: the two layers sit side by side. */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-palette.h"
#include "lk-render-private.h"

#define BAR_W 260.0
#define ROW_H 17.0
#define WORD_W 150.0
#define MAX_ROWS 20

typedef struct {
  JsonObject *summary;
  LkRgba      text, dim, faint, accent, positive, negative;
} Agg;

static double
heading (Agg *a, LkCanvas *c, double x, double y, const char *text)
{
  LkTextStyle s;

  lk_text_style_init (&s, 11, TRUE, LK_ANCHOR_START, &a->text);
  lk_canvas_class (c, "heading");
  lk_canvas_text (c, x, y + 12, text, &s);
  return y + 22;
}

/* Bars of "share" (or "queries") for the rows of @list, signed. */
static double
bars (Agg *a, LkCanvas *c, double x, double y, JsonArray *list, const char *value_member, gboolean percent)
{
  guint n = MIN (MAX_ROWS, json_array_get_length (list));
  double top = 0;
  LkTextStyle word, value;

  lk_text_style_init (&word, 10, FALSE, LK_ANCHOR_END, &a->text);
  lk_text_style_init (&value, 9, FALSE, LK_ANCHOR_START, &a->dim);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      top = MAX (top, fabs (json_object_get_double_member_with_default (o, value_member, 0)));
    }
  if (top == 0)
    top = 1;
  lk_canvas_class (c, "bars");
  lk_canvas_begin_group (c);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      double v = json_object_get_double_member_with_default (o, value_member, 0);
      double w = fabs (v) / top * BAR_W, ry = y + i * ROW_H;
      g_autofree char *label = g_strdup_printf (percent ? "%.1f %%" : "%.0f", percent ? 100 * v : v);
      g_autofree char *items = json_object_has_member (o, "items")
                               ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · in %u item", "%s · in %u items",
                                                                               (guint) json_object_get_int_member (o, "items")),
                                                  label, (guint) json_object_get_int_member (o, "items"))
                               : g_strdup (label);

      lk_canvas_text (c, x + WORD_W - 6, ry + 12, json_object_get_string_member_with_default (o, "word", ""), &word);
      lk_canvas_rect (c, x + WORD_W, ry + 3, MAX (w, 1), ROW_H - 6, 2, v >= 0 ? &a->positive : &a->negative, NULL, 0);
      lk_canvas_data_double (c, "value", v);
      lk_canvas_text (c, x + WORD_W + MAX (w, 1) + 6, ry + 12, items, &value);
    }
  lk_canvas_end_group (c);
  return y + n * ROW_H + 10;
}

static double
line (Agg *a, LkCanvas *c, double x, double y, const char *text, gboolean dim)
{
  LkTextStyle s;

  lk_text_style_init (&s, 10, FALSE, LK_ANCHOR_START, dim ? &a->dim : &a->text);
  lk_canvas_text (c, x, y + 12, text, &s);
  return y + 16;
}

/* One stacked bar per method: good, fair, poor, none. */
static double
verdicts (Agg *a, LkCanvas *c, double x, double y, JsonObject *checks)
{
  static const char *names[] = { "good", "fair", "poor", "none" };
  const LkRgba colors[] = {
    { 0.18, 0.60, 0.34, 1 }, { 0.90, 0.62, 0.12, 1 }, { 0.80, 0.22, 0.20, 1 }, { 0.70, 0.70, 0.72, 1 },
  };
  g_autoptr(GList) methods = json_object_get_members (checks);
  LkTextStyle label, legend;

  lk_text_style_init (&label, 10, FALSE, LK_ANCHOR_END, &a->text);
  lk_text_style_init (&legend, 9, FALSE, LK_ANCHOR_START, &a->dim);
  lk_canvas_class (c, "verdicts");
  for (GList *l = methods; l; l = l->next)
    {
      JsonObject *v = json_object_get_object_member (json_object_get_object_member (checks, l->data), "verdicts");
      double total = 0, bx = x + WORD_W;
      g_autoptr(GString) counts = g_string_new (NULL);

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        total += json_object_get_int_member_with_default (v, names[i], 0);
      lk_canvas_text (c, x + WORD_W - 6, y + 12, lk_method_short_title (l->data), &label);
      for (guint i = 0; i < G_N_ELEMENTS (names) && total > 0; i++)
        {
          gint64 k = json_object_get_int_member_with_default (v, names[i], 0);
          double w = k / total * BAR_W;

          if (k == 0)
            continue;
          lk_canvas_rect (c, bx, y + 3, w, ROW_H - 6, 0, &colors[i], NULL, 0);
          bx += w;
          g_string_append_printf (counts, "%s%s %" G_GINT64_FORMAT, counts->len ? " · " : "",
                                  lk_verdict_title ((LkVerdict) (i == 3 ? LK_VERDICT_NONE : i + 1)), k);
        }
      lk_canvas_text (c, x + WORD_W + BAR_W + 6, y + 12, counts->str, &legend);
      y += ROW_H;
    }
  return y + 10;
}

static void
draw_aggregate (gpointer data, LkCanvas *c, double *width, double *height)
{
  Agg *a = data;
  JsonObject *s = a->summary;
  JsonObject *specials = json_object_get_object_member (s, "specials");
  JsonObject *checks = json_object_get_object_member (s, "checks");
  JsonObject *retrieval = json_object_has_member (s, "retrieval") ? json_object_get_object_member (s, "retrieval") : NULL;
  double x = LK_RENDER_MARGIN, y = LK_RENDER_MARGIN;
  g_autofree char *title = g_strdup_printf (_("A batch run: %u items, %u failed"),
                                            (guint) json_object_get_int_member (s, "items"),
                                            (guint) json_object_get_int_member (s, "failed"));
  g_autofree char *spec = NULL;
  LkTextStyle t;

  lk_text_style_init (&t, 14, TRUE, LK_ANCHOR_START, &a->text);
  lk_canvas_class (c, "title");
  lk_canvas_text (c, x, y + 14, title, &t);
  y += 28;
  y = heading (a, c, x, y, _("The words that carry most of ΣA (share of ΣA over the run)"));
  y = bars (a, c, x, y, json_object_get_array_member (s, "words"), "share", TRUE);
  y = heading (a, c, x, y, _("Special tokens and punctuation"));
  spec = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%.1f %% of ΣA on average (%.1f %% of |ΣA|); %u item with more "
                                       "than half of |ΣA| there: a model that matches on [CLS] and “.” is not matching meaning",
                                       "%.1f %% of ΣA on average (%.1f %% of |ΣA|); %u items with more "
                                       "than half of |ΣA| there: a model that matches on [CLS] and “.” is not matching meaning",
                                       (guint) json_object_get_int_member (specials, "items_over_half")),
                          100 * json_object_get_double_member (specials, "share_mean"),
                          100 * json_object_get_double_member (specials, "abs_share_mean"),
                          (guint) json_object_get_int_member (specials, "items_over_half"));
  y = line (a, c, x, y, spec, FALSE) + 4;
  y = bars (a, c, x, y, json_object_get_array_member (specials, "tokens"), "share", TRUE);
  y = heading (a, c, x, y, _("Faithfulness checks"));
  y = verdicts (a, c, x, y, checks);
  if (retrieval)
    {
      guint nq = json_object_get_int_member_with_default (retrieval, "queries", 0);
      guint nc = json_object_get_int_member_with_default (retrieval, "contrasts", 0);
      g_autofree char *q = nc == 0 ? g_strdup_printf (_("Over %u queries with a rank 1 and a rank 2"), nq)
                         : nq == 0 ? g_strdup_printf (_("Over %u contrasts (document 1 against document 2)"), nc)
                         : g_strdup_printf (_("Over %u queries with a rank 1 and a rank 2 and %u contrasts"), nq, nc);
      y = heading (a, c, x, y, _("Query words that decide rank 1 over rank 2"));
      y = line (a, c, x, y, q, TRUE) + 4;
      y = bars (a, c, x, y, json_object_get_array_member (retrieval, "deciding_words"), "queries", FALSE);
    }
  *width = MAX (x + WORD_W + BAR_W + 260, 720) + LK_RENDER_MARGIN;
  *height = y + LK_RENDER_MARGIN;
}

static gboolean
check_summary (JsonObject *s, GError **error)
{
  const char *members[] = { "words", "specials", "checks", "items", "failed" };

  if (g_strcmp0 (json_object_get_string_member_with_default (s, "schema", NULL), "likeness.aggregate/1") != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("Not a batch summary: expected schema likeness.aggregate/1"));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (!json_object_has_member (s, members[i]))
      {
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("The batch summary has no “%s”"), members[i]);
        return FALSE;
      }
  return TRUE;
}

gboolean
lk_render_aggregate_export (JsonObject *summary, const char *path, double scale, GError **error)
{
  Agg a = { .summary = summary };
  LkRgba background;

  g_return_val_if_fail (summary != NULL && path != NULL, FALSE);
  if (!check_summary (summary, error))
    return FALSE;
  lk_palette_ink (LK_INK_TEXT, FALSE, &a.text);
  lk_palette_ink (LK_INK_DIM, FALSE, &a.dim);
  lk_palette_ink (LK_INK_FAINT, FALSE, &a.faint);
  lk_palette_ink (LK_INK_ACCENT, FALSE, &a.accent);
  lk_palette_ink (LK_INK_BACKGROUND, FALSE, &background);
  lk_palette_positive (LK_PALETTE_BLUE_RED, FALSE, &a.positive);
  lk_palette_negative (LK_PALETTE_BLUE_RED, FALSE, &a.negative);
  return lk_render_export_drawing (draw_aggregate, &a, &background, _("Likeness · a batch run"), path, scale, error);
}
