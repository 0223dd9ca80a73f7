/* lk-render-report.c — the one-page report (A4): inputs, model and weights
 * hash, method and parameters, scores, the checks with a plain-language
 * reading of each, the figure, and the program version and date. */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 42.0
#define TEXT_W (PAGE_W - 2 * MARGIN)

static double
score (LkFigure *f, const char *name)
{
  return lk_explanation_get_score (f->x, name, NAN);
}

static char *
reading_ij (LkFigure *f)
{
  const LkMethodInfo *ij = lk_method_info (LK_METHOD_IJ);
  double sum = score (f, LK_SCORE_SUM), expected = score (f, LK_SCORE_EXPECTED), err = score (f, LK_SCORE_ERROR);
  double rel = fabs (expected) > 0 ? fabs (err) / fabs (expected) : NAN;
  g_autofree char *e = lk_format_number (err), *s = lk_format_number (sum), *x = lk_format_number (expected);
  g_autofree char *p = lk_format_percent (rel);
  const char *meaning;

  if (isnan (err))
    return NULL;
  meaning = rel < ij->check.good ? _("the token pairs add up to it almost exactly, so the map accounts for the whole similarity.")
          : rel < ij->check.fair ? _("the token pairs account for most of it; more integration steps would close the gap.")
          : _("the pairs miss a large part of it: raise the number of integration steps before reading the map.");
  return g_strdup_printf (_("Attribution error %s (%s): ΣA is %s against an expected %s; %s"), e, p, s, x, meaning);
}

static char *
reading_reference (LkFigure *f)
{
  double sim = score (f, LK_SCORE_SIMILARITY), sum = score (f, LK_SCORE_SUM);
  g_autofree char *a = lk_format_number (sum), *b = lk_format_number (sim);

  if (isnan (sim) || isnan (sum) || fabs (sum - sim) < 0.01 * MAX (fabs (sim), 1e-9))
    return NULL;
  return g_strdup_printf (_("ΣA (%s) is not the cosine score (%s): for an off-the-shelf model the pairs explain the "
                            "similarity relative to a reference input, so the reference terms make up the difference."), a, b);
}

static char *
reading_conservation (LkFigure *f)
{
  const LkMethodInfo *lrp = lk_method_info (LK_METHOD_BILRP);
  double gap = score (f, LK_SCORE_ERROR), rel = score (f, LK_SCORE_ERROR_RELATIVE);
  g_autofree char *g = lk_format_number (gap), *p = lk_format_percent (rel);
  g_autofree char *kept = lk_format_percent (1 - rel);

  if (isnan (gap))
    return NULL;
  if (isnan (rel))
    return g_strdup_printf (_("Conservation gap %s: the difference between the pairs' sum and the similarity."), g);
  if (rel < lrp->check.good)
    return g_strdup_printf (_("Conservation gap %s (%s of the score): the pair relevances add up to the similarity; "
                              "nothing is lost."), g, p);
  if (rel < lrp->check.fair)
    return g_strdup_printf (_("Conservation gap %s (%s of the score): the pairs account for %s of the similarity; the "
                              "rest sits in the model's biases, which no token pair carries."), g, p, kept);
  return g_strdup_printf (_("Conservation gap %s (%s of the score): the pairs account for little of the similarity; "
                            "read the map as a ranking of pairs, not as amounts."), g, p);
}

static char *
reading_perturbation (LkFigure *f)
{
  double area = score (f, LK_SCORE_PERTURBATION_AREA), rnd = score (f, LK_SCORE_PERTURBATION_RANDOM_AREA);
  g_autofree char *a = lk_format_number (area), *r = lk_format_number (rnd);

  if (isnan (area))
    return NULL;
  if (area < 0.9 * rnd)
    return g_strdup_printf (_("Perturbation area %s against %s for a random order: adding tokens back in the map's order "
                              "restores the embedding faster than chance, so its ranking is faithful."), a, r);
  if (area < rnd)
    return g_strdup_printf (_("Perturbation area %s against %s for a random order: only slightly better than chance; "
                              "trust the ranking of the strongest tokens only."), a, r);
  return g_strdup_printf (_("Perturbation area %s against %s for a random order: no better than chance, so the map's "
                            "ranking does not reflect what the model uses."), a, r);
}

static char *
reading_aspects (LkFigure *f)
{
  g_autoptr(GArray) aspects = lk_figure_aspects (f);
  double sum = 0, sim = score (f, LK_SCORE_SIMILARITY);
  g_autofree char *s = NULL, *g = NULL;

  if (aspects == NULL)
    return NULL;
  for (guint i = 0; i < aspects->len; i++)
    sum += g_array_index (aspects, LkAspect, i).share;
  s = lk_format_number (sum);
  g = lk_format_number (fabs (sum - sim));
  /* A head's shares are those of Qe: that they add up to the model's own
   * score is the check that Q keeps every cosine. */
  if (g_strcmp0 (json_object_get_string_member_with_default (lk_explanation_get_params (f->x), "space", ""), "head") == 0)
    return g_strdup_printf (_("The aspect shares of the aspect head add up to %s, the model’s own similarity (gap %s): "
                              "the head is an orthogonal map that keeps every cosine, so the decomposition is exact."),
                            s, g);
  return g_strdup_printf (_("The aspect shares add up to %s, the overall similarity (gap %s): the decomposition is exact."), s, g);
}

char **
lk_check_readings (LkFigure *f)
{
  GPtrArray *out = g_ptr_array_new ();
  const LkMethodInfo *info = lk_method_info_find (lk_explanation_get_method (f->x));
  LkCheckKind kind = info ? info->check.kind : LK_CHECK_CONSERVATION;
  char *r;

  if (kind == LK_CHECK_ATTRIBUTION)
    {
      if ((r = reading_ij (f)))
        g_ptr_array_add (out, r);
      if ((r = reading_reference (f)))
        g_ptr_array_add (out, r);
    }
  else if (kind == LK_CHECK_NONE)
    g_ptr_array_add (out, g_strdup (_("The alignment shows token-to-token cosine similarities. They are not an attribution "
                                      "and do not add up to the score, so there is no conservation check; precision, "
                                      "recall and F1 summarise how well each text's tokens find a match in the other.")));
  else if ((r = reading_conservation (f)))
    g_ptr_array_add (out, r);
  if ((r = reading_aspects (f)))
    g_ptr_array_add (out, r);
  if ((r = reading_perturbation (f)))
    g_ptr_array_add (out, r);
  if (out->len == 0)
    g_ptr_array_add (out, g_strdup (_("This result carries no faithfulness check.")));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* ---- layout ---- */

static double
heading (LkFigure *f, LkCanvas *c, double y, const char *title)
{
  LkTextStyle st;
  double asc, desc;

  lk_text_style_init (&st, 9, TRUE, LK_ANCHOR_START, &f->accent);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lk_canvas_class (c, "heading");
  lk_canvas_text (c, MARGIN, y + asc, title, &st);
  return y + asc + desc + 3;
}

/* Wrapped text, at most @max_lines lines (the last one ellipsized). */
static double
paragraph (LkFigure *f, LkCanvas *c, double x, double y, double width, const char *text,
           const LkTextStyle *st, guint max_lines, const char *klass)
{
  g_auto(GStrv) lines = lk_canvas_wrap (c, text, st, width);
  double asc, desc;
  guint n = g_strv_length (lines);

  lk_canvas_font_extents (c, st, &asc, &desc);
  for (guint i = 0; i < n && i < max_lines; i++)
    {
      g_autofree char *line = NULL;
      if (i == max_lines - 1 && n > max_lines)
        {
          g_autofree char *more = g_strconcat (lines[i], " ", lines[i + 1], NULL);
          line = lk_canvas_ellipsize (c, more, st, width);
        }
      else
        line = g_strdup (lines[i]);
      lk_canvas_class (c, klass);
      lk_canvas_text (c, x, y + asc, line, st);
      y += asc + desc + 1.5;
    }
  return y;
}

/* "key  value" rows in two columns. */
static double
field_lines (LkFigure *f, LkCanvas *c, double x, double y, double key_w, double width, const char *key,
             const char *value, gboolean mono, int max_lines, const char *klass)
{
  LkTextStyle ks, vs;
  double asc, desc;

  lk_text_style_init (&ks, 9, FALSE, LK_ANCHOR_START, &f->dim);
  lk_text_style_init (&vs, mono ? 8 : 9.5, FALSE, LK_ANCHOR_START, &f->text);
  vs.mono = mono;
  lk_canvas_font_extents (c, &vs, &asc, &desc);
  lk_canvas_class (c, "key");
  lk_canvas_text (c, x, y + asc, key, &ks);
  return paragraph (f, c, x + key_w, y, width - key_w, value, &vs, max_lines, klass);
}

static double
field (LkFigure *f, LkCanvas *c, double x, double y, double key_w, double width, const char *key,
       const char *value, gboolean mono, const char *klass)
{
  return field_lines (f, c, x, y, key_w, width, key, value, mono, 3, klass);
}

static char *
params_text (LkFigure *f)
{
  JsonObject *params = lk_explanation_get_params (f->x);
  GList *members = json_object_get_members (params);
  GString *s = g_string_new (NULL);

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *n = json_object_get_member (params, l->data);
      g_autofree char *v = NULL;
      if (!JSON_NODE_HOLDS_VALUE (n))
        continue;
      if (json_node_get_value_type (n) == G_TYPE_STRING)
        v = g_strdup (json_node_get_string (n));
      else if (json_node_get_value_type (n) == G_TYPE_BOOLEAN)
        v = g_strdup (json_node_get_boolean (n) ? "true" : "false");
      else if (json_node_get_value_type (n) == G_TYPE_INT64)
        v = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
      else
        v = lk_format_number (json_node_get_double (n));
      g_string_append_printf (s, "%s%s %s", s->len ? " · " : "", (char *) l->data, v);
    }
  g_list_free (members);
  if (s->len == 0)
    g_string_append (s, "—");
  return g_string_free (s, FALSE);
}

static const char *
model_field (LkFigure *f, const char *const *names)
{
  JsonObject *m = lk_explanation_get_model (f->x);

  for (; *names; names++)
    {
      JsonNode *n = json_object_get_member (m, *names);
      if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        return json_node_get_string (n);
    }
  return NULL;
}

/* Every file of the model folder with the first 12 hex digits of its
 * SHA-256 (the result holds them whole): enough to tell two copies apart. */
static char *
files_line (LkFigure *f)
{
  JsonNode *n = json_object_get_member (lk_explanation_get_model (f->x), "files");
  GString *s;
  GList *members;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  s = g_string_new (NULL);
  members = json_object_get_members (json_node_get_object (n));
  for (GList *l = members; l; l = l->next)
    {
      const char *sha = json_object_get_string_member_with_default (json_node_get_object (n), l->data, "");
      g_string_append_printf (s, "%s%s %.12s", s->len ? " · " : "", (char *) l->data, sha);
    }
  g_list_free (members);
  return g_string_free (s, FALSE);
}

static char *
runtime_line (LkFigure *f)
{
  JsonObject *r = lk_explanation_lookup_object (f->x, "runtime");

  if (r == NULL)
    return NULL;
  /* TRANSLATORS: Likeness VERSION · libtorch VERSION · DEVICE · N threads */
  return g_strdup_printf (_("Likeness %s · libtorch %s · %s · %d threads"),
                          json_object_get_string_member_with_default (r, "likeness", "?"),
                          json_object_get_string_member_with_default (r, "libtorch", "?"),
                          json_object_get_string_member_with_default (r, "device", "?"),
                          (int) json_object_get_int_member_with_default (r, "threads", 0));
}

static double
draw_model (LkFigure *f, LkCanvas *c, double y)
{
  const char *id = model_field (f, (const char *[]) { "id", "path", NULL });
  const char *rev = model_field (f, (const char *[]) { "revision", NULL });
  const char *sha = model_field (f, (const char *[]) { "sha256", "weights_sha256", "weights_hash", NULL });
  const char *arch = model_field (f, (const char *[]) { "architecture", NULL });
  const char *device = model_field (f, (const char *[]) { "device", NULL });
  g_autofree char *id_line = g_strdup_printf ("%s%s%s", id ? id : _("unknown"), rev ? " @ " : "", rev ? rev : "");
  g_autofree char *arch_line = g_strdup_printf ("%s%s%s", arch ? arch : "—", device ? _(" on ") : "", device ? device : "");

  g_autofree char *files = files_line (f);
  g_autofree char *runtime = runtime_line (f);
  const char *source = model_field (f, (const char *[]) { "source", NULL });

  y = heading (f, c, y, _("MODEL"));
  y = field (f, c, MARGIN, y, 96, TEXT_W, _("Model"), id_line, FALSE, "model-id");
  if (source != NULL)
    y = field (f, c, MARGIN, y, 96, TEXT_W, _("Source"),
               g_str_equal (source, "local folder") ? _("local folder (no hub revision)") : _("Hugging Face cache"),
               FALSE, "model-source");
  y = field (f, c, MARGIN, y, 96, TEXT_W, _("Weights SHA-256"), sha ? sha : _("not recorded"), sha != NULL, "model-sha");
  if (files != NULL)
    y = field_lines (f, c, MARGIN, y, 96, TEXT_W, _("Files"), files, TRUE, 8, "model-files");
  y = field (f, c, MARGIN, y, 96, TEXT_W, _("Architecture"), arch_line, FALSE, "model-arch");
  return field (f, c, MARGIN, y, 96, TEXT_W, _("Program"), runtime ? runtime : _("not recorded"), FALSE, "runtime");
}

/* Names people read for the scores' keys: the method registry's. */
static const char *
score_label (LkFigure *f, const char *key)
{
  return lk_score_label (lk_explanation_get_method (f->x), key);
}

/* The method's scores in the registry's order (the order a reader wants
 * them), then any others the result holds. */
static GList *
scores_in_order (LkFigure *f, JsonObject *scores)
{
  const LkMethodInfo *info = lk_method_info_find (lk_explanation_get_method (f->x));
  GList *members = json_object_get_members (scores), *ordered = NULL;

  for (guint k = 0; info != NULL && k < info->n_scores; k++)
    {
      GList *l = g_list_find_custom (members, info->scores[k].key, (GCompareFunc) g_strcmp0);
      if (l != NULL)
        {
          members = g_list_remove_link (members, l);
          ordered = g_list_concat (ordered, l);
        }
    }
  return g_list_concat (ordered, members);
}

static double
draw_scores (LkFigure *f, LkCanvas *c, double y)
{
  JsonObject *scores = lk_explanation_get_scores (f->x);
  GList *members = scores_in_order (f, scores);
  double col_w = TEXT_W / 3, y0 = y, ymax = y;
  guint i = 0, rows;

  rows = (g_list_length (members) + 2) / 3;
  for (GList *l = members; l; l = l->next, i++)
    {
      JsonNode *n = json_object_get_member (scores, l->data);
      g_autofree char *v = JSON_NODE_HOLDS_VALUE (n) ? lk_format_number (json_node_get_double (n)) : g_strdup ("—");
      double x = MARGIN + (i / MAX (rows, 1)) * col_w;
      double yy = y0 + (i % MAX (rows, 1)) * 13.5;
      lk_canvas_data (c, "name", "%s", (char *) l->data);
      ymax = MAX (ymax, field (f, c, x, yy, 104, col_w - 6, score_label (f, l->data), v, FALSE, "score"));
    }
  g_list_free (members);
  return ymax;
}

static double
draw_checks (LkFigure *f, LkCanvas *c, double y)
{
  g_auto(GStrv) readings = lk_check_readings (f);
  g_auto(GStrv) segs = lk_check_segments (f);
  g_autofree char *line = g_strjoinv (" · ", segs);
  LkTextStyle st, bullet;

  lk_text_style_init (&st, 9.5, TRUE, LK_ANCHOR_START, &f->text);
  y = paragraph (f, c, MARGIN, y, TEXT_W, line, &st, 2, "check-line") + 3;
  st.bold = FALSE;
  lk_text_style_init (&bullet, 9.5, FALSE, LK_ANCHOR_START, &f->accent);
  for (guint i = 0; readings[i]; i++)
    {
      double asc;
      lk_canvas_font_extents (c, &st, &asc, NULL);
      lk_canvas_text (c, MARGIN + 2, y + asc, "•", &bullet);
      y = paragraph (f, c, MARGIN + 12, y, TEXT_W - 12, readings[i], &st, 4, "reading") + 3;
    }
  return y;
}

static double
draw_inputs (LkFigure *f, LkCanvas *c, double y)
{
  LkTextStyle st;

  lk_text_style_init (&st, 10, FALSE, LK_ANCHOR_START, &f->text);
  y = heading (f, c, y, _("INPUTS"));
  for (guint s = 0; s < 2; s++)
    {
      LkTextStyle ks;
      const char *text = lk_explanation_get_text (f->x, s);
      double asc;
      lk_text_style_init (&ks, 10, TRUE, LK_ANCHOR_START, &f->dim);
      lk_canvas_font_extents (c, &ks, &asc, NULL);
      lk_canvas_text (c, MARGIN, y + asc, s ? "B" : "A", &ks);
      y = paragraph (f, c, MARGIN + 16, y, TEXT_W - 16, text && *text ? text : "—", &st, 4, s ? "input-b" : "input-a") + 2;
    }
  return y;
}

static void
draw_footer (LkFigure *f, LkCanvas *c)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  const char *iso = lk_explanation_get_created (f->x);
  g_autoptr(GDateTime) made = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) made_utc = made ? g_date_time_to_utc (made) : NULL;
  g_autofree char *made_text = made_utc ? g_date_time_format (made_utc, "%Y-%m-%d %H:%M UTC") : g_strdup (iso ? iso : "—");
  g_autofree char *line = g_strdup_printf (_("Likeness %s · schema %s · result created %s · exported %s"), PACKAGE_VERSION,
                                           LK_EXPLANATION_SCHEMA, made_text, date);
  LkTextStyle st;

  lk_text_style_init (&st, 8, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_line (c, MARGIN, PAGE_H - MARGIN + 4, PAGE_W - MARGIN, PAGE_H - MARGIN + 4, &f->faint, 0.75);
  lk_canvas_class (c, "footer");
  lk_canvas_text (c, MARGIN, PAGE_H - MARGIN + 16, line, &st);
}

/* The heatmap (or aspects, for an aspect result) scaled into what is left. */
static void
draw_figure (LkFigure *f, LkCanvas *c, double y)
{
  g_autoptr(LkCanvas) probe = lk_canvas_new_null ();
  g_autoptr(GArray) aspects = lk_figure_aspects (f);
  LkView view = aspects && f->m == NULL ? LK_VIEW_ASPECTS : LK_VIEW_HEATMAP;
  double w, h, s, avail_h = PAGE_H - MARGIN - 8 - y;

  lk_render_view (f, view, probe, &w, &h);
  s = MIN (MIN ((TEXT_W + 2 * LK_RENDER_MARGIN) / w, avail_h / h), 1.0);
  if (s <= 0.05)
    return;
  lk_canvas_class (c, "figure");
  lk_canvas_push_transform (c, (PAGE_W - w * s) / 2, y, s);
  lk_render_view (f, view, c, &w, &h);
  lk_canvas_pop_transform (c);
}

void
lk_render_report (LkFigure *f, LkCanvas *c, double *width, double *height)
{
  g_autofree char *params = params_text (f);
  const char *method = lk_explanation_get_method (f->x);
  g_autofree char *method_line = g_strdup_printf ("%s (%s)", lk_method_title (method), method ? method : "—");
  LkTextStyle title;
  double asc, desc, y = MARGIN;

  lk_text_style_init (&title, 18, TRUE, LK_ANCHOR_START, &f->text);
  lk_canvas_font_extents (c, &title, &asc, &desc);
  lk_canvas_class (c, "report-title");
  lk_canvas_text (c, MARGIN, y + asc, _("Similarity explanation"), &title);
  y += asc + desc + 2;
  {
    LkTextStyle sub;
    g_autofree char *sim = lk_format_number (score (f, LK_SCORE_SIMILARITY));
    g_autofree char *line = g_strdup_printf (_("%s · similarity %s"), lk_method_title (method), sim);
    lk_text_style_init (&sub, 11, FALSE, LK_ANCHOR_START, &f->dim);
    lk_canvas_font_extents (c, &sub, &asc, &desc);
    lk_canvas_class (c, "report-subtitle");
    lk_canvas_text (c, MARGIN, y + asc, line, &sub);
    y += asc + desc + 14;
  }
  y = draw_inputs (f, c, y) + 8;
  y = draw_model (f, c, y) + 8;
  y = heading (f, c, y, _("METHOD"));
  y = field (f, c, MARGIN, y, 96, TEXT_W, _("Method"), method_line, FALSE, "method");
  y = field (f, c, MARGIN, y, 96, TEXT_W, _("Parameters"), params, FALSE, "params");
  if (lk_method_info_find (method) && lk_method_info_find (method)->paper)
    y = field (f, c, MARGIN, y, 96, TEXT_W, _("Reference"), lk_method_info_find (method)->paper, FALSE, "paper");
  y += 8;
  y = heading (f, c, y, _("SCORES"));
  y = draw_scores (f, c, y) + 8;
  y = heading (f, c, y, _("CHECKS"));
  y = draw_checks (f, c, y) + 6;
  draw_figure (f, c, y);
  draw_footer (f, c);
  *width = PAGE_W;
  *height = PAGE_H;
}
