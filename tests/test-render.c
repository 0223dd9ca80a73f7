/* test-render.c — the figures, checked by their SVG structure (elements,
 * labels, colours at known cells, data- attributes), not by pixels; plus
 * PNG size, PDF text, atomic export and hit testing. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "lk-error.h"
#include "lk-palette.h"
#include "lk-render.h"
#include "lk-test-utils.h"

/* ---- a tiny SVG reader on GMarkup ---- */

typedef struct {
  char       *name;
  GHashTable *attrs;
  GString    *text;
  GPtrArray  *classes;   /* classes of the enclosing groups, outermost first */
} Element;

typedef struct {
  GPtrArray *elements;
  GPtrArray *stack;      /* Element * of the open elements */
} Svg;

static void
element_free (gpointer p)
{
  Element *e = p;
  g_free (e->name);
  g_hash_table_unref (e->attrs);
  g_string_free (e->text, TRUE);
  g_ptr_array_unref (e->classes);
  g_free (e);
}

static void
on_start (GMarkupParseContext *ctx, const char *name, const char **names, const char **values,
          gpointer data, GError **error)
{
  Svg *svg = data;
  Element *e = g_new0 (Element, 1);

  e->name = g_strdup (name);
  e->attrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->text = g_string_new (NULL);
  e->classes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < svg->stack->len; i++)
    {
      Element *open = g_ptr_array_index (svg->stack, i);
      const char *k = g_hash_table_lookup (open->attrs, "class");
      if (k)
        g_ptr_array_add (e->classes, g_strdup (k));
    }
  for (guint i = 0; names[i]; i++)
    g_hash_table_insert (e->attrs, g_strdup (names[i]), g_strdup (values[i]));
  g_ptr_array_add (svg->elements, e);
  g_ptr_array_add (svg->stack, e);
}

static void
on_end (GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  Svg *svg = data;
  g_ptr_array_set_size (svg->stack, svg->stack->len - 1);
}

static void
on_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  Svg *svg = data;
  if (svg->stack->len)
    g_string_append_len (((Element *) g_ptr_array_index (svg->stack, svg->stack->len - 1))->text, text, len);
}

static void
svg_free (Svg *svg)
{
  g_ptr_array_unref (svg->elements);
  g_ptr_array_unref (svg->stack);
  g_free (svg);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Svg, svg_free)

static Svg *
svg_parse (const char *path)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  g_autofree char *doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMarkupParseContext) ctx = NULL;
  Svg *svg = g_new0 (Svg, 1);
  const char *body;

  g_assert_true (g_file_get_contents (path, &doc, NULL, &error));
  g_assert_no_error (error);
  svg->elements = g_ptr_array_new_with_free_func (element_free);
  svg->stack = g_ptr_array_new ();
  /* GMarkup reads no XML declaration. */
  body = g_str_has_prefix (doc, "<?xml") ? strstr (doc, "?>") + 2 : doc;
  ctx = g_markup_parse_context_new (&parser, 0, svg, NULL);
  g_markup_parse_context_parse (ctx, body, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (ctx, &error);
  g_assert_no_error (error);
  return svg;
}

static const char *
attr (Element *e, const char *name)
{
  return g_hash_table_lookup (e->attrs, name);
}

static gboolean
has_class (Element *e, const char *klass)
{
  return g_strcmp0 (attr (e, "class"), klass) == 0;
}

/* Elements named @name (or any, NULL) with class @klass (or any, NULL). */
static GPtrArray *
find_all (Svg *svg, const char *name, const char *klass)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < svg->elements->len; i++)
    {
      Element *e = g_ptr_array_index (svg->elements, i);
      if ((name == NULL || g_strcmp0 (e->name, name) == 0) && (klass == NULL || has_class (e, klass)))
        g_ptr_array_add (out, e);
    }
  return out;
}

static guint
count (Svg *svg, const char *name, const char *klass)
{
  g_autoptr(GPtrArray) all = find_all (svg, name, klass);
  return all->len;
}

/* The cell at (row, col) of a heatmap. */
static Element *
find_cell (Svg *svg, int row, int col)
{
  g_autoptr(GPtrArray) cells = find_all (svg, "rect", "cell");
  char r[16], c[16];

  g_snprintf (r, sizeof r, "%d", row);
  g_snprintf (c, sizeof c, "%d", col);
  for (guint i = 0; i < cells->len; i++)
    {
      Element *e = g_ptr_array_index (cells, i);
      if (g_strcmp0 (attr (e, "data-row"), r) == 0 && g_strcmp0 (attr (e, "data-col"), c) == 0)
        return e;
    }
  return NULL;
}

/* Whether some <text> element (optionally of class @klass) has exactly @text. */
static gboolean
has_text (Svg *svg, const char *klass, const char *text)
{
  g_autoptr(GPtrArray) texts = find_all (svg, "text", klass);

  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (((Element *) g_ptr_array_index (texts, i))->text->str, text) == 0)
      return TRUE;
  return FALSE;
}

/* Whether some <text> element contains @needle. */
static gboolean
text_contains (Svg *svg, const char *needle)
{
  g_autoptr(GPtrArray) texts = find_all (svg, "text", NULL);

  for (guint i = 0; i < texts->len; i++)
    if (strstr (((Element *) g_ptr_array_index (texts, i))->text->str, needle))
      return TRUE;
  return FALSE;
}

/* The texts of class @klass joined by spaces: wrapped paragraphs whole again. */
static char *
joined_text (Svg *svg, const char *klass)
{
  g_autoptr(GPtrArray) texts = find_all (svg, "text", klass);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < texts->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ((Element *) g_ptr_array_index (texts, i))->text->str);
  return g_string_free (s, FALSE);
}

/* ---- fixtures ---- */

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp ("likeness-render-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  chmod (path, 0755);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
}

static LkExplanation *
load_golden (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "render", name, NULL);
  g_autoptr(GError) error = NULL;
  LkExplanation *x = lk_explanation_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (x);
  return x;
}

/* A 2 × 3 explanation built in code, no specials; @first names A's first token. */
static LkExplanation *
make_small_with (const char *first)
{
  LkExplanation *x = lk_explanation_new ("ij");
  const char *a[] = { first, "apple" }, *b[] = { "green", "apple", "pie" };
  LkMatrix m = { 2, 3, g_new0 (double, 6) };
  double v[] = { 0.1, 0.0, -0.05, 0.02, 0.5, 0.08 };

  lk_explanation_set_text (x, 0, "red apple");
  lk_explanation_set_text (x, 1, "green apple pie");
  for (guint i = 0; i < 2; i++)
    lk_explanation_add_token (x, 0, &(LkToken) { (char *) a[i], i * 4, i * 4 + strlen (a[i]), FALSE, (int) i });
  for (guint i = 0; i < 3; i++)
    lk_explanation_add_token (x, 1, &(LkToken) { (char *) b[i], i * 6, i * 6 + strlen (b[i]), FALSE, (int) i });
  memcpy (m.data, v, sizeof v);
  lk_explanation_take_matrix (x, &m);
  lk_explanation_set_score (x, "similarity", 0.7);
  lk_explanation_set_score (x, "sum", 0.65);
  lk_explanation_set_score (x, "expected", 0.651);
  lk_explanation_set_score (x, "error", 0.001);
  json_object_set_string_member (lk_explanation_get_model (x), "id", "test-org/small");
  return x;
}

static LkExplanation *
make_small (void)
{
  return make_small_with ("red");
}

/* n × n tokens "a0"…, "b0"…, one strong positive and one negative cell. */
static LkExplanation *
make_square (guint n)
{
  LkExplanation *x = lk_explanation_new ("hxp");
  LkMatrix m = { n, n, g_new0 (double, n * n) };

  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *t = g_strdup_printf ("%c%u", s ? 'b' : 'a', i);
        lk_explanation_add_token (x, s, &(LkToken) { t, 0, 0, FALSE, (int) i });
      }
  m.data[0] = 1;
  m.data[n + 2] = -0.5;
  lk_explanation_take_matrix (x, &m);
  return x;
}

static char *
export_svg (Fixture *fx, LkExplanation *x, LkView view, const LkRenderOptions *opt, const char *name)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fx->dir, name, NULL);

  g_assert_true (lk_render_export (x, view, opt, LK_EXPORT_SVG, 1, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
hex_of (LkRgba *c, char out[8])
{
  lk_rgba_to_hex (c, out);
}

/* ---- heatmap ---- */

static void
test_heatmap_tokens (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *path = NULL;
  g_autoptr(Svg) svg = NULL;
  LkRenderOptions opt;
  LkRgba pos, neutral;
  char pos_hex[8], neutral_hex[8];
  Element *max, *zero;

  lk_render_options_init (&opt);
  path = export_svg (fx, x, LK_VIEW_HEATMAP, &opt, "heatmap.svg");
  svg = svg_parse (path);
  g_assert_cmpuint (count (svg, "rect", "cell"), ==, 7 * 7);
  g_assert_cmpuint (count (svg, "text", "label-a"), ==, 7);
  g_assert_cmpuint (count (svg, "text", "label-b"), ==, 7);
  for (const char *const *t = (const char *[]) { "[CLS]", "the", "coff", "##ee", "is", "bad", "[SEP]", NULL }; *t; t++)
    g_assert_true (has_text (svg, "label-a", *t));
  for (const char *const *t = (const char *[]) { "not", "a", "good", "coff", "##ee", NULL }; *t; t++)
    g_assert_true (has_text (svg, "label-b", *t));
  /* The largest positive cell gets the palette's positive end, a zero cell
   * its neutral middle. */
  lk_palette_positive (LK_PALETTE_BLUE_RED, FALSE, &pos);
  lk_palette_neutral (LK_PALETTE_BLUE_RED, FALSE, &neutral);
  hex_of (&pos, pos_hex);
  hex_of (&neutral, neutral_hex);
  g_assert_cmpstr (pos_hex, ==, "#b2182b");
  max = find_cell (svg, 2, 4);
  zero = find_cell (svg, 1, 2);
  g_assert_nonnull (max);
  g_assert_nonnull (zero);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (max, "data-value"), NULL), 0.30, 1e-12);
  g_assert_cmpstr (attr (max, "fill"), ==, pos_hex);
  g_assert_cmpstr (attr (zero, "fill"), ==, neutral_hex);
  /* The negative cell is on the blue side. */
  {
    Element *neg = find_cell (svg, 5, 3);
    LkRgba c;
    char hex[8];
    lk_palette_color (LK_PALETTE_BLUE_RED, FALSE, -0.12 / 0.30, &c);
    hex_of (&c, hex);
    g_assert_cmpstr (attr (neg, "fill"), ==, hex);
  }
  g_assert_cmpuint (count (svg, "g", "colorbar"), ==, 1);
  g_assert_cmpuint (count (svg, "text", "colorbar-label"), ==, 3);
  g_assert_true (has_text (svg, "colorbar-label", "+0.3"));
  g_assert_true (has_text (svg, "colorbar-label", "−0.3"));
  /* The title names method and model; the check caption is there. */
  g_assert_true (text_contains (svg, "BiLRP · test-org/tiny-model"));
  g_assert_true (text_contains (svg, "conservation gap 0.04"));
  g_assert_true (text_contains (svg, "ΣR = 1.02"));
  g_assert_true (text_contains (svg, "perturbation area 0.41 (random 0.77)"));
  /* Text stays text, in a sans font. */
  g_assert_cmpuint (count (svg, "path", NULL), ==, 0);
  {
    Element *root = g_ptr_array_index (svg->elements, 0);
    g_assert_cmpstr (root->name, ==, "svg");
    g_assert_nonnull (strstr (attr (root, "font-family"), "sans-serif"));
  }
}

static void
test_heatmap_words (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *p1 = NULL, *p2 = NULL;
  g_autoptr(Svg) words = NULL, plain = NULL;
  LkRenderOptions opt;
  Element *cell;

  lk_render_options_init (&opt);
  opt.words = TRUE;
  p1 = export_svg (fx, x, LK_VIEW_HEATMAP, &opt, "words.svg");
  words = svg_parse (p1);
  g_assert_cmpuint (count (words, "rect", "cell"), ==, 6 * 6);
  g_assert_true (has_text (words, "label-a", "coffee"));
  g_assert_true (has_text (words, "label-b", "coffee"));
  g_assert_true (has_text (words, "label-a", "The"));
  g_assert_false (has_text (words, "label-a", "##ee"));
  /* coffee × coffee sums the four sub-word cells. */
  cell = find_cell (words, 2, 4);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (cell, "data-value"), NULL), 0.30 + 0.08 + 0.09 + 0.20, 1e-12);

  opt.specials = FALSE;
  p2 = export_svg (fx, x, LK_VIEW_HEATMAP, &opt, "plain.svg");
  plain = svg_parse (p2);
  g_assert_cmpuint (count (plain, "rect", "cell"), ==, 4 * 4);
  g_assert_false (has_text (plain, "label-a", "[CLS]"));
  g_assert_false (has_text (plain, "label-b", "[SEP]"));
  /* Indices stay those of the explanation's words. */
  g_assert_nonnull (find_cell (plain, 2, 4));
  g_assert_null (find_cell (plain, 0, 0));
}

static void
test_heatmap_palettes (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_small ();
  LkRenderOptions opt;

  lk_render_options_init (&opt);
  for (LkPalette p = LK_PALETTE_BLUE_RED; p <= LK_PALETTE_GRAYSCALE; p++)
    {
      g_autofree char *name = g_strdup_printf ("palette-%d.svg", p);
      g_autofree char *path = NULL;
      g_autoptr(Svg) svg = NULL;
      LkRgba pos, neutral;
      char ph[8], nh[8];

      opt.palette = p;
      path = export_svg (fx, x, LK_VIEW_HEATMAP, &opt, name);
      svg = svg_parse (path);
      lk_palette_positive (p, FALSE, &pos);
      lk_palette_neutral (p, FALSE, &neutral);
      hex_of (&pos, ph);
      hex_of (&neutral, nh);
      g_assert_cmpuint (count (svg, "rect", "cell"), ==, 6);
      g_assert_cmpstr (attr (find_cell (svg, 1, 1), "fill"), ==, ph);
      g_assert_cmpstr (attr (find_cell (svg, 0, 1), "fill"), ==, nh);
      g_assert_true (text_contains (svg, "attribution error 0.001"));
      /* Big cells print their value, sign included. */
      g_assert_true (has_text (svg, "cell-value", "−.05"));
      g_assert_true (has_text (svg, "cell-value", ".50"));
      g_assert_cmpuint (count (svg, "line", "negative-mark"), ==, 0);
    }
}

/* Small cells print no values: in gray, negative cells carry a mark. */
static void
test_heatmap_small_cells (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_square (40);
  g_autofree char *path = NULL;
  g_autoptr(Svg) svg = NULL;
  LkRenderOptions opt;
  double w, h;

  lk_render_options_init (&opt);
  opt.palette = LK_PALETTE_GRAYSCALE;
  path = export_svg (fx, x, LK_VIEW_HEATMAP, &opt, "square.svg");
  svg = svg_parse (path);
  g_assert_cmpuint (count (svg, "rect", "cell"), ==, 1600);
  g_assert_cmpuint (count (svg, "text", "cell-value"), ==, 0);
  g_assert_cmpuint (count (svg, "line", "negative-mark"), ==, 1);
  g_assert_true (has_text (svg, "label-b", "b39"));
  /* Cells stop shrinking at their minimum: the figure grows instead. */
  lk_render_get_size (x, LK_VIEW_HEATMAP, &opt, &w, &h);
  g_assert_cmpfloat (w, >, 40 * 15);
  g_assert_cmpfloat (h, >, 40 * 15);
}

static void
test_palette (void)
{
  for (LkPalette p = LK_PALETTE_BLUE_RED; p <= LK_PALETTE_GRAYSCALE; p++)
    for (int dark = 0; dark < 2; dark++)
      {
        LkRgba a, b, n;
        lk_palette_color (p, dark, 0, &a);
        lk_palette_neutral (p, dark, &n);
        g_assert_cmpfloat (a.r, ==, n.r);
        g_assert_cmpfloat (a.g, ==, n.g);
        lk_palette_color (p, dark, 1, &a);
        lk_palette_positive (p, dark, &b);
        g_assert_cmpfloat (a.b, ==, b.b);
        lk_palette_color (p, dark, 7, &a);   /* clamped */
        g_assert_cmpfloat (a.r, ==, b.r);
        lk_palette_color (p, dark, NAN, &a);
        g_assert_cmpfloat (a.g, ==, n.g);
      }
  {
    LkPalette p;
    g_assert_true (lk_palette_from_string ("purple-green", &p));
    g_assert_cmpint (p, ==, LK_PALETTE_PURPLE_GREEN);
    g_assert_false (lk_palette_from_string ("rainbow", &p));
  }
}

/* ---- alignment ---- */

static void
test_alignment (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  const LkMatrix *m = lk_explanation_get_matrix (x);
  LkRenderOptions opt;
  guint expected = 0;
  double max = 0;

  lk_render_options_init (&opt);
  opt.top_k = 5;
  {
    g_autofree char *path = export_svg (fx, x, LK_VIEW_ALIGNMENT, &opt, "align5.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_autoptr(GPtrArray) links = find_all (svg, "path", "link");
    g_assert_cmpuint (links->len, ==, 5);
    g_assert_cmpuint (count (svg, "text", "label-a"), ==, 7);
    g_assert_cmpuint (count (svg, "text", "label-b"), ==, 7);
    g_assert_true (has_text (svg, "label-b", "good"));
    /* The strongest link is drawn last (on top): coff–coff. */
    {
      Element *top = g_ptr_array_index (links, links->len - 1);
      g_assert_cmpstr (attr (top, "data-a"), ==, "2");
      g_assert_cmpstr (attr (top, "data-b"), ==, "4");
    }
    g_assert_true (text_contains (svg, "conservation gap"));
  }
  /* top_k 0: every link at or above the threshold share of the largest. */
  for (guint i = 0; i < m->rows * m->cols; i++)
    max = MAX (max, fabs (m->data[i]));
  for (guint i = 0; i < m->rows * m->cols; i++)
    expected += fabs (m->data[i]) > 0 && fabs (m->data[i]) >= 0.25 * max;
  opt.top_k = 0;
  opt.threshold = 0.25;
  {
    g_autofree char *path = export_svg (fx, x, LK_VIEW_ALIGNMENT, &opt, "align-t.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_assert_cmpuint (count (svg, "path", "link"), ==, expected);
    g_assert_cmpuint (expected, ==, 5);
  }
}

/* ---- saliency ---- */

static void
test_saliency (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  LkRenderOptions opt;

  lk_render_options_init (&opt);
  opt.words = TRUE;
  {
    g_autofree char *path = export_svg (fx, x, LK_VIEW_SALIENCY, &opt, "saliency.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_autoptr(GPtrArray) words_a = find_all (svg, "rect", "word-a");
    const LkMatrix *wm = lk_explanation_get_word_matrix (x);
    double row2 = 0;

    g_assert_cmpuint (words_a->len, ==, 6);
    g_assert_cmpuint (count (svg, "rect", "word-b"), ==, 6);
    g_assert_true (has_text (svg, "label-a", "coffee"));
    g_assert_true (has_text (svg, "label-b", "good"));
    /* Word 2 of A ("coffee"): its row sum. */
    for (guint j = 0; j < wm->cols; j++)
      row2 += wm->data[2 * wm->cols + j];
    g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (g_ptr_array_index (words_a, 2), "data-value"), NULL), row2, 1e-12);
    g_assert_cmpuint (count (svg, "g", "colorbar"), ==, 1);
    g_assert_true (text_contains (svg, "conservation gap"));
  }
  /* A "saliency" extra with per-token values wins over the matrix. */
  {
    g_autoptr(JsonNode) node = lk_explanation_to_json (x);
    g_autoptr(LkExplanation) y = NULL;
    g_autoptr(GError) error = NULL;
    JsonObject *sal = json_object_new (), *toks = json_object_new ();
    JsonArray *a = json_array_new (), *b = json_array_new ();
    for (guint i = 0; i < 7; i++)
      {
        json_array_add_double_element (a, i == 3 ? 0.5 : 0.1);
        json_array_add_double_element (b, 0.2);
      }
    json_object_set_array_member (toks, "a", a);
    json_object_set_array_member (toks, "b", b);
    json_object_set_object_member (sal, "tokens", toks);
    json_object_set_object_member (json_node_get_object (node), "saliency", sal);
    y = lk_explanation_new_from_json (node, &error);
    g_assert_no_error (error);
    {
      g_autofree char *path = export_svg (fx, y, LK_VIEW_SALIENCY, &opt, "saliency-extra.svg");
      g_autoptr(Svg) svg = svg_parse (path);
      g_autoptr(GPtrArray) words_a = find_all (svg, "rect", "word-a");
      /* "coffee" = coff (0.1) + ##ee (0.5). */
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (g_ptr_array_index (words_a, 2), "data-value"), NULL), 0.6, 1e-12);
    }
  }
}

static cairo_status_t
write_png_file (void *closure, const unsigned char *data, unsigned int length)
{
  return fwrite (data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void
test_saliency_image (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_small ();
  g_autoptr(JsonNode) node = lk_explanation_to_json (x);
  g_autoptr(LkExplanation) y = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *photo = g_build_filename (fx->dir, "photo.png", NULL);
  JsonObject *map = json_object_new ();
  JsonArray *values = json_array_new ();
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 40, 30);
  cairo_t *cr = cairo_create (s);
  FILE *f;
  LkRenderOptions opt;

  cairo_set_source_rgb (cr, 0.2, 0.5, 0.3);
  cairo_paint (cr);
  cairo_destroy (cr);
  f = fopen (photo, "wb");
  cairo_surface_write_to_png_stream (s, write_png_file, f);
  fclose (f);
  cairo_surface_destroy (s);
  for (guint i = 0; i < 12; i++)
    json_array_add_double_element (values, (i % 4) * 0.1 - 0.1);
  json_object_set_int_member (map, "width", 4);
  json_object_set_int_member (map, "height", 3);
  json_object_set_array_member (map, "values", values);
  json_object_set_string_member (map, "image", photo);
  json_object_set_object_member (json_node_get_object (node), "saliency_map", map);
  y = lk_explanation_new_from_json (node, &error);
  g_assert_no_error (error);
  lk_render_options_init (&opt);
  {
    g_autofree char *path = export_svg (fx, y, LK_VIEW_SALIENCY, &opt, "image.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_autoptr(GPtrArray) overlay = find_all (svg, "image", "overlay");
    g_assert_cmpuint (count (svg, "g", "saliency-map"), ==, 1);
    g_assert_cmpuint (count (svg, "image", "photo"), ==, 1);
    g_assert_cmpuint (overlay->len, ==, 1);
    g_assert_cmpstr (attr (g_ptr_array_index (overlay, 0), "opacity"), ==, "0.550");
    g_assert_true (g_str_has_prefix (attr (g_ptr_array_index (overlay, 0), "href"), "data:image/png;base64,"));
    /* Two colour bars: the map's and the words'. */
    g_assert_cmpuint (count (svg, "g", "colorbar"), ==, 2);
  }
}

/* A map over the model's centre crop (lk-distance.c) lies on that part of
 * the photo; a photo that cannot be read fails the export with the reason. */
static void
test_saliency_image_crop (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_small ();
  g_autoptr(JsonNode) node = lk_explanation_to_json (x);
  g_autoptr(LkExplanation) y = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *photo = g_build_filename (fx->dir, "photo.png", NULL);
  g_autofree char *cut = g_build_filename (fx->dir, "cut.png", NULL);
  g_autofree char *out = g_build_filename (fx->dir, "failed.svg", NULL);
  JsonObject *map = json_object_new (), *crop = json_object_new ();
  JsonArray *values = json_array_new ();
  LkRenderOptions opt;

  lk_test_write_photo (photo, 400, 300, "png");
  for (guint i = 0; i < 9; i++)
    json_array_add_double_element (values, i * 0.1 - 0.4);
  json_object_set_int_member (map, "width", 3);
  json_object_set_int_member (map, "height", 3);
  json_object_set_array_member (map, "values", values);
  json_object_set_string_member (map, "image", photo);
  json_object_set_int_member (map, "photo_width", 400);
  json_object_set_int_member (map, "photo_height", 300);
  json_object_set_double_member (crop, "x", 50);
  json_object_set_double_member (crop, "y", 0);
  json_object_set_double_member (crop, "width", 300);
  json_object_set_double_member (crop, "height", 300);
  json_object_set_object_member (map, "crop", crop);
  json_object_set_object_member (json_node_get_object (node), "saliency_map", map);
  y = lk_explanation_new_from_json (node, &error);
  g_assert_no_error (error);
  lk_render_options_init (&opt);
  {
    g_autofree char *path = export_svg (fx, y, LK_VIEW_SALIENCY, &opt, "crop.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_autoptr(GPtrArray) ph = find_all (svg, "image", "photo");
    g_autoptr(GPtrArray) ov = find_all (svg, "image", "overlay");
    double px, pw, ox, ow, oh, phh;
    g_assert_cmpuint (ph->len, ==, 1);
    g_assert_cmpuint (ov->len, ==, 1);
    px = g_ascii_strtod (attr (g_ptr_array_index (ph, 0), "x"), NULL);
    pw = g_ascii_strtod (attr (g_ptr_array_index (ph, 0), "width"), NULL);
    phh = g_ascii_strtod (attr (g_ptr_array_index (ph, 0), "height"), NULL);
    ox = g_ascii_strtod (attr (g_ptr_array_index (ov, 0), "x"), NULL);
    ow = g_ascii_strtod (attr (g_ptr_array_index (ov, 0), "width"), NULL);
    oh = g_ascii_strtod (attr (g_ptr_array_index (ov, 0), "height"), NULL);
    g_assert_cmpfloat_with_epsilon (ox, px + pw * 50 / 400, 0.01);
    g_assert_cmpfloat_with_epsilon (ow, pw * 300 / 400, 0.01);
    g_assert_cmpfloat_with_epsilon (oh, phh, 0.01);
  }
  /* the photo cut short: no figure without it */
  lk_test_write_cut (photo, cut, 0.5);
  json_object_set_string_member (lk_explanation_get_extra (y, "saliency_map"), "image", cut);
  g_assert_false (lk_render_export (y, LK_VIEW_SALIENCY, &opt, LK_EXPORT_SVG, 1, out, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "cut.png"));
  g_assert_nonnull (strstr (error->message, "truncated"));
  g_clear_error (&error);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  /* a crop off the photo */
  json_object_set_string_member (lk_explanation_get_extra (y, "saliency_map"), "image", photo);
  json_object_set_double_member (crop, "x", 200);
  g_assert_false (lk_render_export (y, LK_VIEW_SALIENCY, &opt, LK_EXPORT_PNG, 1, out, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "crop"));
}

/* ---- aspects ---- */

/* CSV: the shown values as a table. Parsed back here with a reader of
 * RFC 4180's quoting, so that a token with a comma or a quote survives. */
static GPtrArray *
csv_read (const char *path)
{
  g_autofree char *text = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = NULL;
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  for (const char *p = text; *p; p++)
    {
      if (row == NULL)
        row = g_ptr_array_new_with_free_func (g_free);
      if (quoted)
        {
          if (*p == '"' && p[1] == '"')
            g_string_append_c (field, *p++);
          else if (*p == '"')
            quoted = FALSE;
          else
            g_string_append_c (field, *p);
        }
      else if (*p == '"')
        quoted = TRUE;
      else if (*p == ',' || *p == '\n')
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
          if (*p == '\n')
            {
              g_ptr_array_add (rows, row);
              row = NULL;
            }
        }
      else
        g_string_append_c (field, *p);
    }
  g_assert_null (row);   /* every line ends */
  g_string_free (field, TRUE);
  return rows;
}

#define CELL(rows, i, j) ((const char *) g_ptr_array_index ((GPtrArray *) g_ptr_array_index (rows, i), j))

static void
test_csv (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_small_with ("re,d \"x\"");
  g_autoptr(LkExplanation) aspects = load_golden ("aspects.json");
  g_autofree char *path = g_build_filename (fx->dir, "values.csv", NULL);
  g_autofree char *bad = g_build_filename (fx->dir, "report.csv", NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  LkExportFormat format;
  LkRenderOptions opt;
  double sum = 0;

  lk_render_options_init (&opt);
  opt.words = FALSE;
  g_assert_true (lk_export_format_from_path ("X.CSV", &format, NULL));
  g_assert_cmpint (format, ==, LK_EXPORT_CSV);

  /* the matrix: a line a cell, the labels the figure shows; a comma and a
   * quote in a token are quoted */
  g_assert_true (lk_render_export (x, LK_VIEW_HEATMAP, &opt, LK_EXPORT_CSV, 1, path, &error));
  g_assert_no_error (error);
  rows = csv_read (path);
  g_assert_cmpuint (rows->len, ==, 1 + 2 * 3);
  g_assert_cmpstr (CELL (rows, 0, 4), ==, "value");
  g_assert_cmpstr (CELL (rows, 1, 2), ==, "re,d \"x\"");
  g_assert_cmpstr (CELL (rows, 5, 3), ==, "apple");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (CELL (rows, 5, 4), NULL), 0.5, 1e-12);
  for (guint i = 1; i < rows->len; i++)
    sum += g_ascii_strtod (CELL (rows, i, 4), NULL);
  g_assert_cmpfloat_with_epsilon (sum, 0.1 - 0.05 + 0.02 + 0.5 + 0.08, 1e-9);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* saliency: both sides, row sums and column sums */
  g_assert_true (lk_render_export (x, LK_VIEW_SALIENCY, &opt, LK_EXPORT_CSV, 1, path, &error));
  rows = csv_read (path);
  g_assert_cmpuint (rows->len, ==, 1 + 2 + 3);
  g_assert_cmpstr (CELL (rows, 2, 0), ==, "a");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (CELL (rows, 2, 3), NULL), 0.02 + 0.5 + 0.08, 1e-9);
  g_assert_cmpstr (CELL (rows, 4, 0), ==, "b");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (CELL (rows, 4, 3), NULL), 0.5, 1e-9);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* aspects: the shares sum to the similarity (the residual is a row) */
  g_assert_true (lk_render_export (aspects, LK_VIEW_ASPECTS, &opt, LK_EXPORT_CSV, 1, path, &error));
  rows = csv_read (path);
  g_assert_cmpuint (rows->len, ==, 1 + 5);
  sum = 0;
  for (guint i = 1; i < rows->len; i++)
    sum += g_ascii_strtod (CELL (rows, i, 2), NULL);
  g_assert_cmpfloat_with_epsilon (sum, lk_explanation_get_score (aspects, "similarity", NAN), 1e-6);

  /* a view without a table: an error, and no file */
  g_assert_false (lk_render_export (x, LK_VIEW_REPORT, &opt, LK_EXPORT_CSV, 1, bad, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "CSV"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_assert_false (lk_render_export (x, LK_VIEW_ASPECTS, &opt, LK_EXPORT_CSV, 1, bad, &error));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
}

static void
test_aspects (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("aspects.json");
  g_autofree char *path = NULL;
  g_autoptr(Svg) svg = NULL;
  g_autoptr(GPtrArray) shares = NULL;
  LkRenderOptions opt;
  double sum = 0;

  lk_render_options_init (&opt);
  path = export_svg (fx, x, LK_VIEW_ASPECTS, &opt, "aspects.svg");
  svg = svg_parse (path);
  g_assert_cmpuint (count (svg, "rect", "aspect-bar"), ==, 4);
  g_assert_cmpuint (count (svg, "rect", "residual-bar"), ==, 1);
  g_assert_true (has_text (svg, "aspect-name", "Negations"));
  g_assert_true (has_text (svg, "aspect-name", "residual"));
  shares = find_all (svg, "rect", "share");
  g_assert_cmpuint (shares->len, ==, 5);
  for (guint i = 0; i < shares->len; i++)
    sum += g_ascii_strtod (attr (g_ptr_array_index (shares, i), "data-share"), NULL);
  g_assert_cmpfloat_with_epsilon (sum, lk_explanation_get_score (x, "similarity", NAN), 1e-9);
  {
    g_autoptr(GPtrArray) group = find_all (svg, "g", "shares");
    g_assert_cmpuint (group->len, ==, 1);
    g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (g_ptr_array_index (group, 0), "data-sum"), NULL), 0.62, 1e-9);
  }
  g_assert_true (text_contains (svg, "Σ shares = 0.62"));
  g_assert_true (text_contains (svg, "Aspect Decomposition · test-org/s3bert-tiny"));
}

/* ---- report ---- */

static void
test_report (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *path = NULL;
  g_autoptr(Svg) svg = NULL;
  LkRenderOptions opt;
  double w, h;

  lk_render_options_init (&opt);
  lk_render_get_size (x, LK_VIEW_REPORT, &opt, &w, &h);
  g_assert_cmpfloat (w, ==, 595);
  g_assert_cmpfloat (h, ==, 842);
  path = export_svg (fx, x, LK_VIEW_REPORT, &opt, "report.svg");
  svg = svg_parse (path);
  g_assert_true (text_contains (svg, "test-org/tiny-model"));
  g_assert_true (text_contains (svg, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
  g_assert_true (text_contains (svg, "BiLRP (bilrp)"));
  g_assert_true (text_contains (svg, "The coffee is bad"));
  g_assert_true (text_contains (svg, "Not a good coffee"));
  g_assert_true (text_contains (svg, "layer 0"));
  g_assert_true (has_text (svg, "key", "Similarity"));
  g_assert_true (has_text (svg, "score", "0.98"));
  g_assert_true (text_contains (svg, "conservation gap 0.04"));
  /* The plain-language readings. */
  {
    g_autofree char *readings = joined_text (svg, "reading");
    g_assert_nonnull (strstr (readings, "the rest sits in the model's biases"));
    g_assert_nonnull (strstr (readings, "faster than chance"));
  }
  g_assert_true (text_contains (svg, "Likeness 0.1.0"));
  /* The figure is in it, scaled. */
  g_assert_cmpuint (count (svg, "g", "figure"), ==, 1);
  g_assert_cmpuint (count (svg, "rect", "cell"), ==, 49);
}

/* ---- PNG and PDF ---- */

static guint32
be32 (const guchar *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
test_png (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *path = g_build_filename (fx->dir, "heatmap.png", NULL);
  g_autofree guchar *png = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  LkRenderOptions opt;
  double w, h;

  lk_render_options_init (&opt);
  lk_render_get_size (x, LK_VIEW_HEATMAP, &opt, &w, &h);
  g_assert_true (lk_render_export (x, LK_VIEW_HEATMAP, &opt, LK_EXPORT_PNG, 2, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, (char **) &png, &len, &error));
  g_assert_cmpuint (len, >, 33);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpmem (png + 12, 4, "IHDR", 4);
  g_assert_cmpuint (be32 (png + 16), ==, (guint32) ceil (w * 2));
  g_assert_cmpuint (be32 (png + 20), ==, (guint32) ceil (h * 2));
}

static void
test_pdf (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *path = g_build_filename (fx->dir, "report.pdf", NULL);
  g_autofree char *pdf = NULL, *tool = g_find_program_in_path ("pdftotext");
  g_autoptr(GError) error = NULL;
  LkRenderOptions opt;
  gsize len;

  lk_render_options_init (&opt);
  opt.words = TRUE;
  g_assert_true (lk_render_export (x, LK_VIEW_REPORT, &opt, LK_EXPORT_PDF, 1, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &pdf, &len, &error));
  g_assert_true (g_str_has_prefix (pdf, "%PDF"));
  if (tool == NULL)
    {
      g_test_message ("pdftotext not found (Debian: poppler-utils): not checking that the PDF's text is text");
      return;
    }
  {
    const char *argv[] = { tool, "-q", path, "-", NULL };
    g_autofree char *out = NULL;
    int status;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_nonnull (strstr (out, "coffee"));
    g_assert_nonnull (strstr (out, "test-org/tiny-model"));
    g_assert_nonnull (strstr (out, "conservation gap"));
  }
}

/* ---- export errors ---- */

static guint
count_temp_files (const char *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    n += strstr (name, ".tmp-") != NULL;
  return n;
}

static void
test_export_errors (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_small ();
  g_autofree char *missing = g_build_filename (fx->dir, "no-such-folder", "fig.svg", NULL);
  g_autofree char *dir_target = g_build_filename (fx->dir, "taken.png", NULL);
  g_autofree char *locked = g_build_filename (fx->dir, "locked", NULL);
  g_autofree char *locked_target = g_build_filename (locked, "fig.pdf", NULL);
  g_autoptr(GError) error = NULL;
  LkExportFormat format;

  g_assert_false (lk_export_format_from_path ("figure.gif", &format, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, ".svg, .png, .pdf or .csv"));
  g_clear_error (&error);
  g_assert_true (lk_export_format_from_path ("Figure.PDF", &format, &error));
  g_assert_cmpint (format, ==, LK_EXPORT_PDF);

  g_assert_false (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_SVG, 1, missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_clear_error (&error);

  /* The rename fails (a folder has the name): the temporary file goes. */
  g_assert_cmpint (g_mkdir (dir_target, 0755), ==, 0);
  g_assert_false (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_PNG, 1, dir_target, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "taken.png"));
  g_clear_error (&error);
  g_assert_cmpuint (count_temp_files (fx->dir), ==, 0);

  g_assert_cmpint (g_mkdir (locked, 0755), ==, 0);
  if (lk_test_make_unwritable (locked))
    {
      g_assert_false (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_PDF, 1, locked_target, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "cannot be written to"));
      g_clear_error (&error);
      g_assert_cmpuint (count_temp_files (locked), ==, 0);
    }
  g_assert_false (g_file_test (locked_target, G_FILE_TEST_EXISTS));
  lk_test_make_writable (locked);

  /* A good export leaves exactly the file. */
  {
    g_autofree char *ok = g_build_filename (fx->dir, "ok.svg", NULL);
    g_assert_true (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_SVG, 1, ok, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (count_temp_files (fx->dir), ==, 0);
  }
}

/* Wider than cairo's 32767 pixels at this scale: a message with the size
 * and what to do, and no file. */
static void
test_png_too_large (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) x = make_square (160);
  g_autofree char *path = g_build_filename (fx->dir, "huge.png", NULL);
  g_autofree char *svg = g_build_filename (fx->dir, "huge.svg", NULL);
  g_autofree char *size = NULL;
  g_autoptr(GError) error = NULL;
  double w, h, scale;

  lk_render_get_size (x, LK_VIEW_HEATMAP, NULL, &w, &h);
  scale = ceil (32768.0 / MAX (w, h) * 100) / 100;
  g_test_message ("a %.0f × %.0f pt heatmap at scale %g", w, h, scale);
  g_assert_cmpfloat (scale, <=, 16);
  g_assert_false (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_PNG, scale, path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  size = g_strdup_printf ("%.0f × %.0f pixels", ceil (w * scale), ceil (h * scale));
  g_assert_nonnull (strstr (error->message, size));
  g_assert_nonnull (strstr (error->message, "32767"));
  g_assert_nonnull (strstr (error->message, "--scale"));
  g_assert_nonnull (strstr (error->message, "SVG or PDF"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_temp_files (fx->dir), ==, 0);
  g_clear_error (&error);
  /* within the side limit, but 1.3 GB of pixels */
  g_assert_cmpfloat (ceil (w * 7) * ceil (h * 7), >, 250e6);
  g_assert_false (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_PNG, 7, path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "250 million pixels in all"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_assert_true (lk_render_export (x, LK_VIEW_HEATMAP, NULL, LK_EXPORT_SVG, 1, svg, &error));
  g_assert_no_error (error);
}

/* ---- escaping, hit testing, descriptions, cairo ---- */

static void
test_escaping (Fixture *fx, gconstpointer data)
{
  LkExplanation *x = lk_explanation_new ("hxp");
  const char *a[] = { "<b>", "&amp;", "\"q\"\x01" };
  LkMatrix m = { 3, 1, g_new0 (double, 3) };

  for (guint i = 0; i < 3; i++)
    lk_explanation_add_token (x, 0, &(LkToken) { (char *) a[i], 0, 0, FALSE, (int) i });
  lk_explanation_add_token (x, 1, &(LkToken) { "ok", 0, 0, FALSE, 0 });
  m.data[0] = 1;
  lk_explanation_take_matrix (x, &m);
  {
    g_autofree char *path = export_svg (fx, x, LK_VIEW_HEATMAP, NULL, "escape.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    g_assert_true (has_text (svg, "label-a", "<b>"));
    g_assert_true (has_text (svg, "label-a", "&amp;"));
    g_assert_true (has_text (svg, "label-a", "\"q\""));
  }
  g_assert_finalize_object (x);
}

static void
test_hit (void)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  g_autofree char *dir = g_dir_make_tmp ("likeness-hit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "hit.svg", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Svg) svg = NULL;
  Element *cell;
  LkRenderOptions opt;
  double w, h, cx, cy;
  int row, col;

  lk_render_options_init (&opt);
  lk_render_get_size (x, LK_VIEW_HEATMAP, &opt, &w, &h);
  g_assert_true (lk_render_export (x, LK_VIEW_HEATMAP, &opt, LK_EXPORT_SVG, 1, path, &error));
  g_assert_no_error (error);
  svg = svg_parse (path);
  cell = find_cell (svg, 3, 5);
  cx = g_ascii_strtod (attr (cell, "x"), NULL) + g_ascii_strtod (attr (cell, "width"), NULL) / 2;
  cy = g_ascii_strtod (attr (cell, "y"), NULL) + g_ascii_strtod (attr (cell, "height"), NULL) / 2;
  g_assert_true (lk_render_hit (x, LK_VIEW_HEATMAP, &opt, w, h, cx, cy, &row, &col));
  g_assert_cmpint (row, ==, 3);
  g_assert_cmpint (col, ==, 5);
  /* Drawn twice as large, the same cell is at twice the coordinates. */
  g_assert_true (lk_render_hit (x, LK_VIEW_HEATMAP, &opt, 2 * w, 2 * h, 2 * cx, 2 * cy, &row, &col));
  g_assert_cmpint (row, ==, 3);
  g_assert_cmpint (col, ==, 5);
  /* A row label: only the row. */
  g_assert_true (lk_render_hit (x, LK_VIEW_HEATMAP, &opt, w, h, 30, cy, &row, &col));
  g_assert_cmpint (row, ==, 3);
  g_assert_cmpint (col, ==, -1);
  /* The corner: nothing. */
  g_assert_false (lk_render_hit (x, LK_VIEW_HEATMAP, &opt, w, h, 1, 1, &row, &col));
  g_assert_cmpint (row, ==, -1);
  {
    g_autofree char *tip = lk_render_describe_hit (x, LK_VIEW_HEATMAP, &opt, 2, 4);
    g_assert_cmpstr (tip, ==, "coff – coff: 0.3 (29 % of the total)");
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_describe (void)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  LkRenderOptions opt;

  lk_render_options_init (&opt);
  opt.words = TRUE;
  {
    g_autofree char *d = lk_render_describe (x, LK_VIEW_HEATMAP, &opt);
    g_assert_true (g_str_has_prefix (d, "Heatmap of 6 × 6 words; strongest pairs: coffee–coffee 0.67, bad–good −0.12"));
    g_assert_nonnull (strstr (d, "conservation gap 0.04"));
  }
  {
    g_autofree char *d = lk_render_describe (x, LK_VIEW_SALIENCY, &opt);
    g_assert_true (g_str_has_prefix (d, "Saliency of the words of A and B; most salient in A: coffee"));
  }
  {
    g_autoptr(LkExplanation) y = load_golden ("aspects.json");
    g_autofree char *d = lk_render_describe (y, LK_VIEW_ASPECTS, &opt);
    g_assert_nonnull (strstr (d, "Negations −0.4 (share −0.0625)"));
  }
}

static void
test_cairo (void)
{
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 300, 200);
  cairo_t *cr = cairo_create (s);
  LkRenderOptions opt;
  guint32 *px;
  guint painted = 0;

  lk_render_options_init (&opt);
  opt.dark = TRUE;
  opt.highlight_a = 2;
  opt.highlight_b = 4;
  for (LkView v = LK_VIEW_HEATMAP; v <= LK_VIEW_REPORT; v++)
    lk_render_cairo (x, v, &opt, cr, 300, 200);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (s);
  px = (guint32 *) cairo_image_surface_get_data (s);
  for (guint i = 0; i < 300 * 200; i++)
    painted += px[i] != 0;
  g_assert_cmpuint (painted, >, 1000);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* With LK_RENDER_SAMPLES=DIR, writes every view in the dark style there as
 * PNG, to look at; exports are always light, so this is the only way to. */
static void
test_dark_samples (void)
{
  const char *dir = g_getenv ("LK_RENDER_SAMPLES");
  g_autoptr(LkExplanation) x = load_golden ("coffee-bilrp.json");
  LkRenderOptions opt;

  if (dir == NULL)
    {
      g_test_skip ("set LK_RENDER_SAMPLES=DIR to write dark-style samples");
      return;
    }
  lk_render_options_init (&opt);
  opt.dark = TRUE;
  opt.words = TRUE;
  opt.highlight_a = 2;
  for (LkView v = LK_VIEW_HEATMAP; v <= LK_VIEW_SALIENCY; v++)
    {
      g_autofree char *name = g_strdup_printf ("dark-%s.png", lk_view_to_string (v));
      g_autofree char *path = g_build_filename (dir, name, NULL);
      double w, h;
      cairo_surface_t *s;
      cairo_t *cr;

      lk_render_get_size (x, v, &opt, &w, &h);
      s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, ceil (w * 2), ceil (h * 2));
      cr = cairo_create (s);
      cairo_set_source_rgb (cr, 0x24 / 255.0, 0x24 / 255.0, 0x24 / 255.0);
      cairo_paint (cr);
      lk_render_cairo (x, v, &opt, cr, w * 2, h * 2);
      g_assert_cmpint (cairo_surface_write_to_png (s, path), ==, CAIRO_STATUS_SUCCESS);
      cairo_destroy (cr);
      cairo_surface_destroy (s);
    }
}

/* Every view of a result without a matrix, or without anything, draws. */
static void
test_empty (Fixture *fx, gconstpointer data)
{
  g_autoptr(LkExplanation) aspects = load_golden ("aspects.json");
  LkExplanation *empty = lk_explanation_new ("ij");

  for (LkView v = LK_VIEW_HEATMAP; v <= LK_VIEW_REPORT; v++)
    for (guint k = 0; k < 2; k++)
      {
        g_autofree char *name = g_strdup_printf ("empty-%u-%u.svg", v, k);
        g_autofree char *path = export_svg (fx, k ? empty : aspects, v, NULL, name);
        g_autoptr(Svg) svg = svg_parse (path);
        g_autofree char *d = lk_render_describe (k ? empty : aspects, v, NULL);
        g_assert_cmpuint (count (svg, "g", "check"), ==, 1);
        g_assert_nonnull (d);
      }
  {
    g_autofree char *path = export_svg (fx, aspects, LK_VIEW_REPORT, NULL, "aspects-report.svg");
    g_autoptr(Svg) svg = svg_parse (path);
    /* With no matrix, the report shows the aspects. */
    g_assert_cmpuint (count (svg, "rect", "aspect-bar"), ==, 4);
  }
  g_assert_finalize_object (empty);
}

static void
test_views_from_strings (void)
{
  LkView v;

  g_assert_true (lk_view_from_string ("aspects", &v));
  g_assert_cmpint (v, ==, LK_VIEW_ASPECTS);
  g_assert_cmpstr (lk_view_to_string (LK_VIEW_REPORT), ==, "report");
  g_assert_false (lk_view_from_string ("pie", &v));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define FX(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  FX ("/render/heatmap/tokens", test_heatmap_tokens);
  FX ("/render/heatmap/words", test_heatmap_words);
  FX ("/render/heatmap/palettes", test_heatmap_palettes);
  FX ("/render/heatmap/small-cells", test_heatmap_small_cells);
  g_test_add_func ("/render/palette", test_palette);
  FX ("/render/alignment", test_alignment);
  FX ("/render/saliency/text", test_saliency);
  FX ("/render/saliency/image", test_saliency_image);
  FX ("/render/saliency/image-crop", test_saliency_image_crop);
  FX ("/render/aspects", test_aspects);
  FX ("/render/report", test_report);
  FX ("/render/export/png", test_png);
  FX ("/render/export/png-too-large", test_png_too_large);
  FX ("/render/export/pdf", test_pdf);
  FX ("/render/export/csv", test_csv);
  FX ("/render/export/errors", test_export_errors);
  FX ("/render/escaping", test_escaping);
  FX ("/render/empty", test_empty);
  g_test_add_func ("/render/hit", test_hit);
  g_test_add_func ("/render/describe", test_describe);
  g_test_add_func ("/render/cairo", test_cairo);
  g_test_add_func ("/render/views", test_views_from_strings);
  g_test_add_func ("/render/dark-samples", test_dark_samples);
  return g_test_run ();
}
