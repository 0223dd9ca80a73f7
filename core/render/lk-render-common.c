/* lk-render-common.c — the figure's data as shown (words or tokens,
 * specials or not), number formatting, and the parts every figure shares:
 * the header, the faithfulness check caption and the colour bars. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "lk-method-info.h"
#include "lk-render-private.h"

/* The byte a character of the byte-level BPE alphabet (GPT-2's, used by
 * RoBERTa, CLIP and Qwen) stands for; -1 for a character outside it. The
 * printable bytes stand for themselves, the 68 others are U+0100 on, in
 * byte order. */
static int
byte_level_byte (gunichar c)
{
  int n = 0;

  if ((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255))
    return (int) c;
  if (c < 256 || c > 256 + 67)
    return -1;
  for (int b = 0; b < 256; b++)
    if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) && n++ == (int) (c - 256))
      return b;
  return -1;
}

/* A byte-level token ("Ġcat", "ĠÃ©t") as the text it stands for
 * (" cat", " ét"), when it uses the alphabet's shifted characters and its
 * bytes are whole UTF-8; NULL otherwise (a WordPiece "café", a token that
 * holds half a character), which is then shown as it is. */
static char *
byte_level_text (const char *s)
{
  g_autoptr(GString) bytes = g_string_new (NULL);
  gboolean shifted = FALSE;

  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      int b = c == (gunichar) -1 || c == (gunichar) -2 ? -1 : byte_level_byte (c);
      if (b < 0)
        return NULL;
      shifted |= c >= 256;
      g_string_append_c (bytes, (char) b);
    }
  if (!shifted || !g_utf8_validate_len (bytes->str, bytes->len, NULL) || memchr (bytes->str, 0, bytes->len))
    return NULL;
  return g_string_free (g_steal_pointer (&bytes), FALSE);
}

/* Labels stay on one line: whitespace runs become one space. */
static char *
clean_label (const char *raw)
{
  g_autofree char *decoded = raw ? byte_level_text (raw) : NULL;
  const char *s = decoded ? decoded : raw;
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = s ? s : ""; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        space = out->len > 0;
      else
        {
          if (space)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_unichar (out, c);
        }
    }
  if (out->len == 0)
    g_string_append (out, "␣");
  return g_string_free (out, FALSE);
}

static void
collect_side (LkFigure *f, guint side)
{
  LkExplanation *x = f->x;
  gboolean words = f->opt.words;
  guint n = words ? lk_explanation_get_n_words (x, side) : lk_explanation_get_n_tokens (x, side);

  f->index[side] = g_array_new (FALSE, FALSE, sizeof (guint));
  f->labels[side] = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < n; k++)
    {
      gboolean special = words ? lk_explanation_word_is_special (x, side, k)
                               : lk_explanation_get_token (x, side, k)->special;
      gboolean prompt = words ? lk_explanation_word_is_prompt (x, side, k)
                              : lk_explanation_get_token (x, side, k)->prompt;
      g_autofree char *raw = NULL;
      if ((special && !f->opt.specials) || (prompt && f->opt.hide_prompts))
        continue;
      raw = words ? lk_explanation_dup_word (x, side, k) : g_strdup (lk_explanation_get_token (x, side, k)->text);
      g_array_append_val (f->index[side], k);
      g_ptr_array_add (f->labels[side], clean_label (raw));
    }
}

static void
theme (LkFigure *f)
{
  gboolean dark = f->opt.dark;

  lk_palette_ink (LK_INK_TEXT, dark, &f->text);
  lk_palette_ink (LK_INK_DIM, dark, &f->dim);
  lk_palette_ink (LK_INK_FAINT, dark, &f->faint);
  lk_palette_ink (LK_INK_SURFACE, dark, &f->surface);
  lk_palette_ink (LK_INK_BACKGROUND, dark, &f->background);
  lk_palette_ink (LK_INK_ACCENT, dark, &f->accent);
}

void
lk_figure_init (LkFigure *f, LkExplanation *x, const LkRenderOptions *options)
{
  memset (f, 0, sizeof *f);
  f->x = x;
  f->pixel_scale = 2;
  if (options)
    f->opt = *options;
  else
    lk_render_options_init (&f->opt);
  f->m = f->opt.words ? lk_explanation_get_word_matrix (x) : lk_explanation_get_matrix (x);
  collect_side (f, 0);
  collect_side (f, 1);
  if (f->m->data == NULL ||
      f->m->rows != (f->opt.words ? lk_explanation_get_n_words (x, 0) : lk_explanation_get_n_tokens (x, 0)) ||
      f->m->cols != (f->opt.words ? lk_explanation_get_n_words (x, 1) : lk_explanation_get_n_tokens (x, 1)))
    f->m = NULL;
  f->total = f->m ? lk_matrix_sum (f->m) : 0;
  for (guint i = 0; f->m && i < lk_figure_n (f, 0); i++)
    for (guint j = 0; j < lk_figure_n (f, 1); j++)
      f->scale = MAX (f->scale, fabs (lk_figure_value (f, i, j)));
  theme (f);
}

void
lk_figure_clear (LkFigure *f)
{
  for (guint s = 0; s < 2; s++)
    {
      g_clear_pointer (&f->index[s], g_array_unref);
      g_clear_pointer (&f->labels[s], g_ptr_array_unref);
    }
  g_clear_error (&f->error);
}

void
lk_figure_fail (LkFigure *f, GError *error)
{
  if (f->error == NULL)
    f->error = error;
  else
    g_error_free (error);
}

guint
lk_figure_n (LkFigure *f, guint side)
{
  return f->index[side]->len;
}

guint
lk_figure_source (LkFigure *f, guint side, guint k)
{
  return g_array_index (f->index[side], guint, k);
}

/* The side's input as the user wrote it: “text”, and after a prompt
 * “text” (after the prompt “query”), so that a long instruction does not
 * fill the caption; the prompt's own tokens are in the figure, dimmed. */
char *
lk_figure_dup_input (LkFigure *f, guint side)
{
  const char *text = lk_explanation_get_text (f->x, side);
  gsize n = lk_explanation_get_prompt_length (f->x, side);
  JsonNode *prompts = lk_explanation_lookup_extra (f->x, "prompts");
  JsonNode *p = NULL;
  const char *name = NULL;

  if (n == 0)
    return g_strdup_printf ("“%s”", text ? text : "");
  if (JSON_NODE_HOLDS_OBJECT (prompts))
    p = json_object_get_member (json_node_get_object (prompts), side ? "b" : "a");
  if (p != NULL && JSON_NODE_HOLDS_OBJECT (p))
    name = json_object_get_string_member_with_default (json_node_get_object (p), "name", NULL);
  if (name != NULL && *name)
    return g_strdup_printf (_("“%s” (after the prompt “%s”)"), text + n, name);
  return g_strdup_printf (_("“%s” (after a prompt of %u characters)"), text + n,
                          (guint) g_utf8_strlen (text, n));
}

/* Special tokens and a prompt's tokens are drawn dim: they are there, and
 * count, but they are not what the user wrote. */
gboolean
lk_figure_is_dimmed (LkFigure *f, guint side, guint k)
{
  guint src = lk_figure_source (f, side, k);
  if (f->opt.words)
    return lk_explanation_word_is_special (f->x, side, src) || lk_explanation_word_is_prompt (f->x, side, src);
  return lk_explanation_get_token (f->x, side, src)->special || lk_explanation_get_token (f->x, side, src)->prompt;
}

int
lk_figure_find (LkFigure *f, guint side, int source)
{
  for (guint k = 0; source >= 0 && k < lk_figure_n (f, side); k++)
    if ((int) lk_figure_source (f, side, k) == source)
      return k;
  return -1;
}

static int
compare_abs_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  LkFigure *f = data;
  guint nc = lk_figure_n (f, 1);
  guint pa = *(const guint *) a, pb = *(const guint *) b;
  double va = fabs (lk_figure_value (f, pa / nc, pa % nc));
  double vb = fabs (lk_figure_value (f, pb / nc, pb % nc));

  return va < vb ? 1 : va > vb ? -1 : (pa > pb) - (pa < pb);
}

GArray *
lk_figure_top_pairs (LkFigure *f, guint k, double threshold)
{
  guint nr = lk_figure_n (f, 0), nc = lk_figure_n (f, 1);
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint p = 0; f->m && p < nr * nc; p++)
    {
      double v = fabs (lk_figure_value (f, p / nc, p % nc));
      if (v > 0 && v >= threshold * f->scale)
        g_array_append_val (pairs, p);
    }
  g_array_sort_with_data (pairs, compare_abs_desc, f);
  if (k > 0 && pairs->len > k)
    g_array_set_size (pairs, k);
  return pairs;
}

double
lk_figure_value (LkFigure *f, guint row, guint col)
{
  if (f->m == NULL)
    return 0;
  return f->m->data[(gsize) lk_figure_source (f, 0, row) * f->m->cols + lk_figure_source (f, 1, col)];
}

const char *
lk_figure_label (LkFigure *f, guint side, guint k)
{
  return g_ptr_array_index (f->labels[side], k);
}

JsonNode *
lk_figure_member (LkFigure *f, const char *name)
{
  return lk_explanation_lookup_extra (f->x, name);
}

void
lk_figure_color (LkFigure *f, double value, LkRgba *color)
{
  lk_palette_color (f->opt.palette, f->opt.dark, f->scale > 0 ? value / f->scale : 0, color);
}

/* A number array member of @o named @key with @n elements, or NULL. */
static JsonArray *
number_array (JsonObject *o, const char *key, guint n)
{
  JsonNode *node = o ? json_object_get_member (o, key) : NULL;
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  a = json_node_get_array (node);
  if (json_array_get_length (a) != n)
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || (json_node_get_value_type (e) != G_TYPE_DOUBLE &&
                                         json_node_get_value_type (e) != G_TYPE_INT64))
        return NULL;
    }
  return a;
}

/* Per-token values from a "saliency" extra ({"a": […], "b": […]} or the
 * same under "tokens"), summed into words; else the matrix's row (a) or
 * column (b) sums. */
double *
lk_figure_saliency (LkFigure *f, guint side)
{
  LkExplanation *x = f->x;
  guint n_tokens = lk_explanation_get_n_tokens (x, side);
  guint n_src = f->opt.words ? lk_explanation_get_n_words (x, side) : n_tokens;
  g_autofree double *src = g_new0 (double, MAX (n_src, 1));
  double *out = g_new0 (double, MAX (lk_figure_n (f, side), 1));
  JsonNode *sn = lk_figure_member (f, "saliency");
  JsonObject *so = sn && JSON_NODE_HOLDS_OBJECT (sn) ? json_node_get_object (sn) : NULL;
  JsonObject *st = so && json_object_has_member (so, "tokens") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (so, "tokens"))
                   ? json_object_get_object_member (so, "tokens") : so;
  JsonArray *a = number_array (st, side ? "b" : "a", n_tokens);

  if (a)
    for (guint t = 0; t < n_tokens; t++)
      src[f->opt.words ? lk_explanation_token_word (x, side, t) : t] += json_array_get_double_element (a, t);
  else if (f->m)
    for (guint i = 0; i < f->m->rows; i++)
      for (guint j = 0; j < f->m->cols; j++)
        src[side ? j : i] += f->m->data[(gsize) i * f->m->cols + j];
  for (guint k = 0; k < lk_figure_n (f, side); k++)
    out[k] = src[lk_figure_source (f, side, k)];
  return out;
}

/* ---- numbers ---- */

static char *
typographic_minus (char *s)
{
  GString *out = g_string_new (NULL);

  for (const char *p = s; *p; p++)
    {
      if (*p == '-')
        g_string_append (out, "−");
      else
        g_string_append_c (out, *p);
    }
  g_free (s);
  return g_string_free (out, FALSE);
}

char *
lk_format_number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  double a = fabs (v);
  const char *fmt;

  if (isnan (v))
    return g_strdup ("—");
  if (isinf (v))
    return g_strdup (v > 0 ? "∞" : "−∞");
  if (a == 0)
    return g_strdup ("0");
  if (a < 0.001)
    {
      int e = (int) floor (log10 (a));
      double mant = v / pow (10, e);
      if (fabs (mant) >= 9.95)
        mant /= 10, e++;
      g_ascii_formatd (buf, sizeof buf, "%.1f", mant);
      return typographic_minus (g_strdup_printf ("%se%d", buf, e));
    }
  fmt = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3g";
  g_ascii_formatd (buf, sizeof buf, fmt, v);
  return typographic_minus (g_strdup (buf));
}

char *
lk_format_percent (double fraction)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  double p = 100 * fabs (fraction);

  if (isnan (fraction))
    return g_strdup ("—");
  if (p > 0 && p < 0.01)
    return g_strdup (fraction < 0 ? "> −0.01 %" : "< 0.01 %");
  g_ascii_formatd (buf, sizeof buf, p >= 10 ? "%.0f" : p >= 1 ? "%.1f" : "%.2f", 100 * fraction);
  return typographic_minus (g_strdup_printf ("%s %%", buf));
}

/* ---- header ---- */

static char *
header_title (LkFigure *f)
{
  JsonObject *model = lk_explanation_get_model (f->x);
  const char *model_id = json_object_get_string_member_with_default (model, "id", NULL);

  if (model_id == NULL)
    model_id = json_object_get_string_member_with_default (model, "path", _("unknown model"));
  return g_strdup_printf ("%s · %s", lk_method_title (lk_explanation_get_method (f->x)), model_id);
}

double
lk_header_width (LkFigure *f, LkCanvas *c, const char *subtitle)
{
  g_autofree char *title = header_title (f);
  LkTextStyle ts, ss;

  lk_text_style_init (&ts, 13, TRUE, LK_ANCHOR_START, &f->text);
  lk_text_style_init (&ss, 10, FALSE, LK_ANCHOR_START, &f->dim);
  return MAX (lk_canvas_text_width (c, title, &ts), subtitle ? lk_canvas_text_width (c, subtitle, &ss) : 0);
}

double
lk_draw_header (LkFigure *f, LkCanvas *c, double x, double y, double width, const char *subtitle)
{
  g_autofree char *title = header_title (f);
  g_autofree char *short_title = NULL, *short_sub = NULL;
  LkTextStyle ts, ss;
  double asc, desc;

  lk_text_style_init (&ts, 13, TRUE, LK_ANCHOR_START, &f->text);
  lk_text_style_init (&ss, 10, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &ts, &asc, &desc);
  short_title = lk_canvas_ellipsize (c, title, &ts, width);
  lk_canvas_class (c, "title");
  lk_canvas_text (c, x, y + asc, short_title, &ts);
  y += asc + desc + 3;
  if (subtitle)
    {
      lk_canvas_font_extents (c, &ss, &asc, &desc);
      short_sub = lk_canvas_ellipsize (c, subtitle, &ss, width);
      lk_canvas_class (c, "subtitle");
      lk_canvas_text (c, x, y + asc, short_sub, &ss);
      y += asc + desc;
    }
  return y;
}

/* ---- the check ---- */

static gboolean
has_score (LkFigure *f, const char *name)
{
  JsonNode *n = json_object_get_member (lk_explanation_get_scores (f->x), name);
  return n && JSON_NODE_HOLDS_VALUE (n);
}

static double
score (LkFigure *f, const char *name)
{
  return lk_explanation_get_score (f->x, name, NAN);
}

static void
add_segment (GPtrArray *out, const char *label, double v)
{
  g_autofree char *num = lk_format_number (v);
  g_ptr_array_add (out, g_strdup_printf (label, num));
}

static gboolean
side_truncated (LkFigure *f, const char *side)
{
  JsonNode *n = lk_figure_member (f, "truncated");
  return n && JSON_NODE_HOLDS_OBJECT (n) &&
         json_object_get_boolean_member_with_default (json_node_get_object (n), side, FALSE);
}

static void
aspect_segments (LkFigure *f, GPtrArray *out)
{
  g_autoptr(GArray) aspects = lk_figure_aspects (f);
  double sum = 0;

  if (aspects == NULL)
    return;
  for (guint i = 0; i < aspects->len; i++)
    sum += g_array_index (aspects, LkAspect, i).share;
  add_segment (out, _("Σ shares = %s"), sum);
  if (has_score (f, LK_SCORE_SIMILARITY))
    add_segment (out, _("gap %s"), fabs (sum - score (f, LK_SCORE_SIMILARITY)));
}

static gboolean
object_has (JsonObject *scores, const char *name)
{
  JsonNode *n = json_object_get_member (scores, name);
  return n && JSON_NODE_HOLDS_VALUE (n);
}

static double
object_score (JsonObject *scores, const char *name)
{
  return object_has (scores, name) ? json_object_get_double_member (scores, name) : NAN;
}

/* The registry's check line for the method on @scores; FALSE (and nothing
 * added) when a required score is missing. */
static gboolean
method_segments (JsonObject *scores, const LkCheckItem *items, GPtrArray *out)
{
  guint first = out->len;

  for (const LkCheckItem *it = items; it->format || it->key; it++)
    {
      if (it->key && !object_has (scores, it->key))
        {
          if (it->flags & LK_CHECK_ITEM_REQUIRED)
            {
              while (out->len > first)
                g_free (g_ptr_array_steal_index (out, out->len - 1));
              return FALSE;
            }
          continue;
        }
      if (it->flags & LK_CHECK_ITEM_PERCENT)
        {
          g_autofree char *p = lk_format_percent (object_score (scores, it->key));
          char *last;

          if (out->len == first)
            continue;
          last = g_ptr_array_steal_index (out, out->len - 1);
          g_ptr_array_add (out, g_strdup_printf ("%s (%s)", last, p));
          g_free (last);
        }
      else if (it->key)
        add_segment (out, _(it->format), object_score (scores, it->key));
      else
        g_ptr_array_add (out, g_strdup (_(it->format)));
    }
  return TRUE;
}

/* Distance masking: how many masks it ran and why it stopped, with the
 * threshold, so that a map of 300 masks says it is one on purpose. */
static void
stop_segments (LkFigure *f, GPtrArray *out)
{
  JsonObject *p = lk_explanation_get_params (f->x);
  const char *stopped = json_object_get_string_member_with_default (p, "stopped", NULL);
  guint used = (guint) json_object_get_int_member_with_default (p, "n_masks_used", 0);
  guint asked = (guint) json_object_get_int_member_with_default (p, "n_masks", 0);
  g_autofree char *at = lk_format_number (json_object_get_double_member_with_default (p, "stop_at", 0));

  if (stopped == NULL)
    return;
  if (g_str_equal (stopped, "converged"))
    g_ptr_array_add (out, g_strdup_printf (_("stable after %u of %u masks (stop at split-half %s)"), used, asked, at));
  else if (g_str_equal (stopped, "all masks"))
    g_ptr_array_add (out, g_strdup_printf (_("%u masks, split-half %s not reached"), used, at));
  else
    g_ptr_array_add (out, g_strdup_printf (_("%u masks"), used));
}

/* A ranking contrast: each pair's own check, named, and its verdict. */
static gboolean
contrast_segments (LkFigure *f, const LkMethodInfo *info, GPtrArray *out)
{
  JsonObject *c = lk_explanation_lookup_object (f->x, LK_EXTRA_CONTRAST);
  JsonNode *docs = c ? json_object_get_member (c, "documents") : NULL;
  JsonArray *a;

  if (docs == NULL || !JSON_NODE_HOLDS_ARRAY (docs) || info == NULL)
    return FALSE;
  a = json_node_get_array (docs);
  for (guint k = 0; k < json_array_get_length (a); k++)
    {
      JsonNode *d = json_array_get_element (a, k);
      JsonNode *sn = JSON_NODE_HOLDS_OBJECT (d) ? json_object_get_member (json_node_get_object (d), "scores") : NULL;
      JsonObject *scores;
      guint first = out->len;
      char *head;

      if (sn == NULL || !JSON_NODE_HOLDS_OBJECT (sn))
        continue;
      scores = json_node_get_object (sn);
      if (!method_segments (scores, info->check.items, out) || out->len == first)
        continue;
      head = g_ptr_array_index (out, first);
      out->pdata[first] = g_strdup_printf (_("pair %u: %s"), k + 1, head);
      g_free (head);
      g_ptr_array_add (out, g_strdup (lk_verdict_title (lk_scores_verdict (&info->check, scores, NULL))));
      if (json_object_get_boolean_member_with_default (json_node_get_object (d), "truncated", FALSE))
        g_ptr_array_add (out, g_strdup_printf (_("document %u was truncated"), k + 1));
    }
  return TRUE;
}

char **
lk_check_segments (LkFigure *f)
{
  GPtrArray *out = g_ptr_array_new ();
  const LkMethodInfo *info = lk_method_info_find (lk_explanation_get_method (f->x));

  if (contrast_segments (f, info, out))
    ;
  else if (info == NULL || !method_segments (lk_explanation_get_scores (f->x), info->check.items, out))
    {
      /* a result of a newer version: what every attribution has */
      if (has_score (f, LK_SCORE_SUM))
        {
          add_segment (out, _("Σ = %s"), score (f, LK_SCORE_SUM));
          add_segment (out, _("score %s"), score (f, LK_SCORE_SIMILARITY));
        }
    }
  aspect_segments (f, out);
  stop_segments (f, out);
  if (has_score (f, LK_SCORE_PERTURBATION_AREA))
    {
      g_autofree char *a = lk_format_number (score (f, LK_SCORE_PERTURBATION_AREA));
      g_autofree char *r = lk_format_number (score (f, LK_SCORE_PERTURBATION_RANDOM_AREA));
      g_ptr_array_add (out, g_strdup_printf (_("perturbation area %s (random %s)"), a, r));
    }
  if (side_truncated (f, "a") || side_truncated (f, "b"))
    g_ptr_array_add (out, g_strdup (side_truncated (f, "a") ? _("text A was truncated") : _("text B was truncated")));
  if (out->len == 0)
    g_ptr_array_add (out, g_strdup (_("no faithfulness check in this result")));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* Segments joined by " · ", broken between segments to fit @width. */
double
lk_draw_check (LkFigure *f, LkCanvas *c, double x, double y, double width)
{
  g_auto(GStrv) segs = lk_check_segments (f);
  LkTextStyle st;
  double asc, desc;
  GString *line = g_string_new (NULL);

  lk_text_style_init (&st, 9.5, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lk_canvas_class (c, "check");
  lk_canvas_begin_group (c);
  for (guint i = 0; segs[i]; i++)
    {
      g_autofree char *joined = line->len ? g_strdup_printf ("%s · %s", line->str, segs[i]) : g_strdup (segs[i]);
      if (line->len && lk_canvas_text_width (c, joined, &st) > width)
        {
          lk_canvas_class (c, "check-line");
          lk_canvas_text (c, x, y + asc, line->str, &st);
          y += asc + desc + 2;
          g_string_assign (line, segs[i]);
        }
      else
        g_string_assign (line, joined);
    }
  lk_canvas_class (c, "check-line");
  lk_canvas_text (c, x, y + asc, line->str, &st);
  y += asc + desc;
  lk_canvas_end_group (c);
  g_string_free (line, TRUE);
  return y;
}

/* ---- colour bars ---- */

static void
bar_stops (LkFigure *f, LkRgba stops[9], gboolean reverse)
{
  for (guint i = 0; i < 9; i++)
    lk_palette_color (f->opt.palette, f->opt.dark, (reverse ? 4.0 - i : i - 4.0) / 4.0, &stops[i]);
}

double
lk_draw_colorbar (LkFigure *f, LkCanvas *c, double x, double y, double height, gboolean draw)
{
  const double bw = 10;
  g_autofree char *top = lk_format_number (f->scale);
  g_autofree char *bottom = lk_format_number (-f->scale);
  g_autofree char *top_label = g_strdup_printf ("+%s", top);
  LkTextStyle st;
  LkRgba stops[9];
  double asc, desc, lw;

  lk_text_style_init (&st, 8.5, FALSE, LK_ANCHOR_START, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  lw = MAX (lk_canvas_text_width (c, top_label, &st), lk_canvas_text_width (c, bottom, &st));
  if (!draw)
    return bw + 6 + lw;
  bar_stops (f, stops, TRUE);
  lk_canvas_class (c, "colorbar");
  lk_canvas_data_double (c, "max", f->scale);
  lk_canvas_begin_group (c);
  lk_canvas_class (c, "colorbar-ramp");
  lk_canvas_gradient_rect (c, x, y, bw, height, stops, 9, TRUE);
  lk_canvas_rect (c, x, y, bw, height, 0, NULL, &f->faint, 0.5);
  for (guint i = 0; i < 3; i++)
    {
      double ty = y + i * height / 2;
      const char *label = i == 0 ? top_label : i == 1 ? "0" : bottom;
      lk_canvas_line (c, x + bw, ty, x + bw + 3, ty, &f->dim, 0.75);
      lk_canvas_class (c, "colorbar-label");
      lk_canvas_text (c, x + bw + 5, ty + (asc - desc) / 2, label, &st);
    }
  lk_canvas_end_group (c);
  return bw + 6 + lw;
}

double
lk_draw_colorbar_h (LkFigure *f, LkCanvas *c, double x, double y, double width, gboolean draw)
{
  const double bh = 8;
  g_autofree char *right = lk_format_number (f->scale);
  g_autofree char *left = lk_format_number (-f->scale);
  g_autofree char *right_label = g_strdup_printf ("+%s", right);
  LkTextStyle st;
  LkRgba stops[9];
  double asc, desc;

  lk_text_style_init (&st, 8.5, FALSE, LK_ANCHOR_MIDDLE, &f->dim);
  lk_canvas_font_extents (c, &st, &asc, &desc);
  if (!draw)
    return bh + 5 + asc + desc;
  bar_stops (f, stops, FALSE);
  lk_canvas_class (c, "colorbar");
  lk_canvas_data_double (c, "max", f->scale);
  lk_canvas_begin_group (c);
  lk_canvas_class (c, "colorbar-ramp");
  lk_canvas_gradient_rect (c, x, y, width, bh, stops, 9, FALSE);
  lk_canvas_rect (c, x, y, width, bh, 0, NULL, &f->faint, 0.5);
  for (guint i = 0; i < 3; i++)
    {
      double tx = x + i * width / 2;
      st.anchor = i == 0 ? LK_ANCHOR_START : i == 1 ? LK_ANCHOR_MIDDLE : LK_ANCHOR_END;
      lk_canvas_line (c, tx, y + bh, tx, y + bh + 3, &f->dim, 0.75);
      lk_canvas_class (c, "colorbar-label");
      lk_canvas_text (c, tx, y + bh + 4 + asc, i == 0 ? left : i == 1 ? "0" : right_label, &st);
    }
  lk_canvas_end_group (c);
  return bh + 5 + asc + desc;
}

/* ---- aspects ---- */

static gboolean
read_aspect (JsonNode *n, LkAspect *out, const char *fallback_name)
{
  JsonObject *o;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return FALSE;
  o = json_node_get_object (n);
  out->name = g_strdup (json_object_get_string_member_with_default (o, "name", fallback_name));
  out->similarity = json_object_get_double_member_with_default (o, "similarity", NAN);
  out->share = json_object_get_double_member_with_default (o, "share", 0);
  return TRUE;
}

static void
aspect_clear (gpointer p)
{
  g_free (((LkAspect *) p)->name);
}

/* "aspects": [{name, similarity, share}…] with "residual": {similarity,
 * share} beside it, or both inside an "aspects" object. */
GArray *
lk_figure_aspects (LkFigure *f)
{
  JsonNode *an = lk_figure_member (f, LK_EXTRA_ASPECTS);
  JsonNode *rn = lk_figure_member (f, "residual");
  JsonArray *list = NULL;
  GArray *out;
  LkAspect a;

  if (an && JSON_NODE_HOLDS_OBJECT (an))
    {
      JsonObject *o = json_node_get_object (an);
      JsonNode *items = json_object_get_member (o, "aspects");
      if (items == NULL)
        items = json_object_get_member (o, "items");
      list = items && JSON_NODE_HOLDS_ARRAY (items) ? json_node_get_array (items) : NULL;
      rn = json_object_get_member (o, "residual");
    }
  else if (an && JSON_NODE_HOLDS_ARRAY (an))
    list = json_node_get_array (an);
  if (list == NULL)
    return NULL;
  out = g_array_new (FALSE, TRUE, sizeof (LkAspect));
  g_array_set_clear_func (out, aspect_clear);
  for (guint i = 0; i < json_array_get_length (list); i++)
    if (read_aspect (json_array_get_element (list, i), &a, "?"))
      g_array_append_val (out, a);
  if (read_aspect (rn, &a, NULL))
    {
      g_free (a.name);
      a.name = NULL;
      g_array_append_val (out, a);
    }
  return out;
}
