/* lk-audit-view.c — a batch run as a table; see lk-audit-view.h.
 *
 * Each row keeps what the table shows and where its line is (file, byte
 * offset, length); opening a row reads and parses that line again. The
 * columns, their cells and their sorters are in lk-audit-view.ui (the
 * cells bind the row's properties); the search and verdict filter, the
 * selection and the two actions are here. */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "lk-audit-view.h"
#include "lk-contrast.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"
#include "lk-method-info.h"

/* ---- a row ---- */

struct _LkAuditRow
{
  GObject   parent_instance;

  char     *path;      /* the file the line is in */
  goffset   offset;    /* of the line's first byte */
  gsize     length;    /* without the newline */
  guint     line;
  char     *id;
  char     *query;
  char     *passage;
  char     *method;    /* its short title, as the column shows it */
  char     *method_name; /* the registry's name */
  char     *verdict;   /* its title, or "Failed" */
  int       verdict_kind; /* LkVerdict; -1 for a failed item */
  char     *strongest;
  char     *error;
  int       rank;      /* 0: none */
  double    score;     /* the similarity; a contrast's difference */
  gboolean  contrast;
  gboolean  batch_line; /* a result or a failed item, not a stray line */
};

enum {
  ROW_PROP_0,
  ROW_PROP_ID,
  ROW_PROP_QUERY,
  ROW_PROP_PASSAGE,
  ROW_PROP_METHOD,
  ROW_PROP_VERDICT,
  ROW_PROP_STRONGEST,
  ROW_PROP_RANK,
  ROW_PROP_RANK_TEXT,
  ROW_PROP_SCORE,
  ROW_PROP_SCORE_TEXT,
  ROW_N_PROPS
};

static GParamSpec *row_props[ROW_N_PROPS];

G_DEFINE_FINAL_TYPE (LkAuditRow, lk_audit_row, G_TYPE_OBJECT)

static void
lk_audit_row_finalize (GObject *object)
{
  LkAuditRow *r = LK_AUDIT_ROW (object);

  g_free (r->path);
  g_free (r->id);
  g_free (r->query);
  g_free (r->passage);
  g_free (r->method);
  g_free (r->method_name);
  g_free (r->verdict);
  g_free (r->strongest);
  g_free (r->error);
  G_OBJECT_CLASS (lk_audit_row_parent_class)->finalize (object);
}

static void
lk_audit_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkAuditRow *r = LK_AUDIT_ROW (object);

  switch (prop_id)
    {
    case ROW_PROP_ID: g_value_set_string (value, r->id); break;
    case ROW_PROP_QUERY: g_value_set_string (value, r->query); break;
    case ROW_PROP_PASSAGE: g_value_set_string (value, r->error ? r->error : r->passage); break;
    case ROW_PROP_METHOD: g_value_set_string (value, r->method); break;
    case ROW_PROP_VERDICT: g_value_set_string (value, r->verdict); break;
    case ROW_PROP_STRONGEST: g_value_set_string (value, r->strongest); break;
    case ROW_PROP_RANK: g_value_set_int (value, r->rank); break;
    case ROW_PROP_RANK_TEXT: g_value_take_string (value, r->rank > 0 ? g_strdup_printf ("%d", r->rank) : g_strdup ("—")); break;
    case ROW_PROP_SCORE: g_value_set_double (value, isnan (r->score) ? -INFINITY : r->score); break;
    case ROW_PROP_SCORE_TEXT:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        /* A point, whatever the locale, as in the figures; a contrast's is a difference. */
        g_value_take_string (value, isnan (r->score) ? g_strdup ("—")
                                    : g_strdup_printf ("%s%s", r->contrast ? "Δ " : "",
                                                       g_ascii_formatd (buf, sizeof buf, "%.3f", r->score)));
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_audit_row_class_init (LkAuditRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = lk_audit_row_finalize;
  object_class->get_property = lk_audit_row_get_property;
  row_props[ROW_PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, f);
  row_props[ROW_PROP_QUERY] = g_param_spec_string ("query", NULL, NULL, NULL, f);
  row_props[ROW_PROP_PASSAGE] = g_param_spec_string ("passage", NULL, NULL, NULL, f);
  row_props[ROW_PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, NULL, f);
  row_props[ROW_PROP_VERDICT] = g_param_spec_string ("verdict", NULL, NULL, NULL, f);
  row_props[ROW_PROP_STRONGEST] = g_param_spec_string ("strongest", NULL, NULL, NULL, f);
  row_props[ROW_PROP_RANK] = g_param_spec_int ("rank", NULL, NULL, 0, G_MAXINT, 0, f);
  row_props[ROW_PROP_RANK_TEXT] = g_param_spec_string ("rank-text", NULL, NULL, NULL, f);
  row_props[ROW_PROP_SCORE] = g_param_spec_double ("score", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, f);
  row_props[ROW_PROP_SCORE_TEXT] = g_param_spec_string ("score-text", NULL, NULL, NULL, f);
  g_object_class_install_properties (object_class, ROW_N_PROPS, row_props);
}

static void
lk_audit_row_init (LkAuditRow *self)
{
  self->score = NAN;
  self->verdict_kind = LK_VERDICT_NONE;
}

const char *lk_audit_row_get_id (LkAuditRow *row) { return row->id; }
const char *lk_audit_row_get_query (LkAuditRow *row) { return row->query; }
double lk_audit_row_get_score (LkAuditRow *row) { return row->score; }
int lk_audit_row_get_rank (LkAuditRow *row) { return row->rank; }
const char *lk_audit_row_get_error (LkAuditRow *row) { return row->error; }

static char *
read_line (LkAuditRow *row, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (row->path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree char *buf = g_malloc (row->length + 1);
  gsize got = 0;

  if ((in = g_file_read (file, NULL, error)) == NULL ||
      !g_seekable_seek (G_SEEKABLE (in), row->offset, G_SEEK_SET, NULL, error) ||
      !g_input_stream_read_all (G_INPUT_STREAM (in), buf, row->length, &got, NULL, error))
    return NULL;
  if (got != row->length)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s has changed since it was opened: line %u is no longer there"), row->path, row->line);
      return NULL;
    }
  buf[got] = '\0';
  return g_steal_pointer (&buf);
}

LkExplanation *
lk_audit_row_load (LkAuditRow *row, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (LK_IS_AUDIT_ROW (row), NULL);
  if (row->error)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("Item %s failed: %s"), row->id, row->error);
      return NULL;
    }
  what = g_strdup_printf (_("%s line %u"), row->path, row->line);
  if ((text = read_line (row, error)) == NULL || (node = lk_json_parse (text, -1, what, error)) == NULL)
    return NULL;
  return lk_explanation_new_from_json (node, error);
}

/* ---- reading a run (worker thread) ---- */

/* "coffee – coffee (0.31)": the largest |cell| of the word matrix, specials
 * left out while a pair of words is there. */
static char *
strongest_pair (LkExplanation *x)
{
  const LkMatrix *m = lk_explanation_get_word_matrix (x);
  int best_i = -1, best_j = -1;
  double best = -1;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *a = NULL, *b = NULL;

  for (int pass = 0; pass < 2 && best_i < 0; pass++)
    for (guint i = 0; m->data && i < m->rows; i++)
      for (guint j = 0; j < m->cols; j++)
        {
          double v = fabs (m->data[(gsize) i * m->cols + j]);
          if (pass == 0 && (lk_explanation_word_is_special (x, 0, i) || lk_explanation_word_is_special (x, 1, j)))
            continue;
          if (isfinite (v) && v > best)
            best = v, best_i = i, best_j = j;
        }
  if (best_i < 0)
    return g_strdup ("—");
  a = lk_explanation_dup_word (x, 0, best_i);
  b = lk_explanation_dup_word (x, 1, best_j);
  g_ascii_formatd (buf, sizeof buf, "%.3g", m->data[(gsize) best_i * m->cols + best_j]);
  return g_strdup_printf ("%s – %s (%s)", g_strstrip (a), g_strstrip (b), buf);
}

static char *
one_line (const char *text)
{
  char *s = g_strdup (text ? text : "");

  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  return s;
}

static LkAuditRow *
row_from_line (const char *path, goffset offset, const char *text, gsize length, guint line)
{
  LkAuditRow *r = g_object_new (LK_TYPE_AUDIT_ROW, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(LkExplanation) x = NULL;
  JsonObject *o;
  JsonNode *idn;

  r->path = g_strdup (path);
  r->offset = offset;
  r->length = length;
  r->line = line;
  r->method = g_strdup ("");
  r->query = g_strdup ("");
  r->passage = g_strdup ("");
  r->strongest = g_strdup ("");
  node = lk_json_parse (text, length, "the line", &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      r->id = g_strdup_printf ("%u", line);
      r->error = g_strdup_printf (_("line %u is not a batch line: %s"), line, error ? error->message : _("not a JSON object"));
      goto failed;
    }
  o = json_node_get_object (node);
  idn = json_object_get_member (o, "id");
  r->id = idn && JSON_NODE_HOLDS_VALUE (idn) && json_node_get_value_type (idn) == G_TYPE_STRING
          ? g_strdup (json_node_get_string (idn)) : g_strdup_printf ("%u", line);
  r->rank = (int) CLAMP (json_object_get_int_member_with_default (o, "rank", 0), 0, G_MAXINT);
  if (json_object_has_member (o, "error"))
    {
      r->batch_line = TRUE;
      r->error = one_line (json_object_get_string_member_with_default (o, "error", _("no reason given")));
      goto failed;
    }
  if ((x = lk_explanation_new_from_json (node, &error)) == NULL)
    {
      r->error = g_strdup_printf (_("line %u is not a result: %s"), line, error->message);
      goto failed;
    }
  g_free (r->method);
  g_free (r->query);
  g_free (r->passage);
  g_free (r->strongest);
  r->method = g_strdup (lk_method_short_title (lk_explanation_get_method (x)));
  r->method_name = g_strdup (lk_explanation_get_method (x));
  /* An image's query is its photo: the path's last part reads best. */
  if (lk_explanation_lookup_extra (x, "image"))
    r->query = g_path_get_basename (lk_explanation_get_text (x, 0));
  else
    r->query = one_line (lk_explanation_get_text (x, 0));
  r->batch_line = TRUE;
  r->contrast = lk_explanation_lookup_extra (x, LK_EXTRA_CONTRAST) != NULL;
  if (r->contrast)
    {
      JsonArray *docs = json_object_get_array_member (lk_explanation_lookup_object (x, LK_EXTRA_CONTRAST), "documents");
      JsonObject *d2 = docs && json_array_get_length (docs) == 2 ? json_array_get_object_element (docs, 1) : NULL;
      g_autofree char *p1 = one_line (lk_explanation_get_text (x, 1));
      g_autofree char *p2 = one_line (d2 ? json_object_get_string_member_with_default (d2, "text", "") : "");
      r->passage = g_strdup_printf ("%s ⟷ %s", p1, p2);
      r->score = lk_explanation_get_score (x, LK_SCORE_SIMILARITY_DIFFERENCE, NAN);
      r->strongest = g_strdup ("—");
    }
  else
    {
      r->passage = one_line (lk_explanation_get_text (x, 1));
      r->score = lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN);
      r->strongest = strongest_pair (x);
    }
  r->verdict_kind = lk_explanation_get_verdict (x, NULL);
  r->verdict = g_strdup (lk_verdict_title (r->verdict_kind));
  return r;

failed:
  r->verdict_kind = -1;
  r->verdict = g_strdup (_("Failed"));
  return r;
}

/* Every line of @path as a row; FALSE only when the file cannot be read. */
static gboolean
read_file (const char *path, GPtrArray *rows, guint *batch_lines, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  goffset offset = 0;
  guint line = 0;

  if (!lk_file_check_regular (path, _("a batch run's output (JSON Lines)"), error) || (in = g_file_read (file, cancellable, error)) == NULL)
    return FALSE;
  data = g_data_input_stream_new (G_INPUT_STREAM (in));
  /* Lines of a result with a long text's matrix run to megabytes. */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (data), 1 << 20);
  for (;;)
    {
      gsize length = 0;
      GError *local = NULL;
      g_autofree char *text = g_data_input_stream_read_upto (data, "\n", 1, &length, cancellable, &local);
      LkAuditRow *row;

      if (local)
        return g_propagate_error (error, local), FALSE;
      if (text == NULL)
        break;
      line++;
      if (length > 0 && !(length == 1 && text[0] == '\r'))
        {
          row = row_from_line (path, offset, text, length, line);
          *batch_lines += row->batch_line;
          g_ptr_array_add (rows, row);
        }
      offset += length;
      /* the newline, unless the file ends without one */
      if (g_data_input_stream_read_byte (data, NULL, NULL) == '\n')
        offset++;
      else
        break;
    }
  return TRUE;
}

typedef struct {
  char      *path;
  GPtrArray *rows;
} OpenJob;

static void
open_job_free (OpenJob *j)
{
  g_free (j->path);
  g_clear_pointer (&j->rows, g_ptr_array_unref);
  g_free (j);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
open_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  OpenJob *j = data;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  guint batch_lines = 0;

  if (g_file_test (j->path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (j->path, 0, &error);
      const char *name;

      if (dir == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".jsonl"))
          g_ptr_array_add (files, g_build_filename (j->path, name, NULL));
      g_ptr_array_sort (files, compare_names);
      if (files->len == 0)
        {
          g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_DATA,
                                   _("%s holds no .jsonl file: open the output of likeness-cli batch"), j->path);
          return;
        }
    }
  else
    g_ptr_array_add (files, g_strdup (j->path));
  j->rows = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < files->len; i++)
    if (!read_file (g_ptr_array_index (files, i), j->rows, &batch_lines, cancellable, &error))
      {
        g_task_return_error (task, error);
        return;
      }
  if (batch_lines == 0)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_DATA,
                               _("%s has no line of a batch run (results or failed items of likeness-cli batch)"),
                               j->path);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- the view ---- */

struct _LkAuditView
{
  GtkWidget          parent_instance;

  /* template children */
  GtkWidget         *box;
  AdwWindowTitle    *title;
  GtkSearchEntry    *search_entry;
  GtkDropDown       *verdict_dropdown;
  GtkColumnView     *column_view;
  GtkColumnViewColumn *columns[8];  /* in column_names' order */
  GtkButton         *compare_button;
  GtkLabel          *status_label;
  GtkStack          *stack;
  AdwStatusPage     *loading_page;
  char              *shown_before;  /* the page under "loading", back on failure */

  GListStore        *store;
  GtkFilterListModel *filtered;
  GtkSortListModel  *sorted;
  GtkMultiSelection *selection;
  GtkCustomFilter   *filter;
  GFile             *file;
  char              *search;   /* casefolded */
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (LkAuditView, lk_audit_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_OPEN_RESULT,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The columns by name (GTK 4.8 has no column ids), as the template binds them. */
static const char * const column_names[] = {
  "id", "query", "passage", "rank", "score", "method", "verdict", "strongest",
};

/* The verdict filter's entries, in the drop-down's order. */
enum { SHOW_ALL, SHOW_GOOD, SHOW_FAIR, SHOW_POOR, SHOW_FAILED };

static gboolean
contains_folded (const char *haystack, const char *needle)
{
  g_autofree char *folded = haystack ? g_utf8_casefold (haystack, -1) : NULL;

  return folded && strstr (folded, needle) != NULL;
}

static gboolean
filter_row (gpointer item, gpointer data)
{
  LkAuditRow *r = item;
  LkAuditView *self = data;
  guint show = gtk_drop_down_get_selected (self->verdict_dropdown);

  if ((show == SHOW_GOOD && r->verdict_kind != LK_VERDICT_GOOD) ||
      (show == SHOW_FAIR && r->verdict_kind != LK_VERDICT_FAIR) ||
      (show == SHOW_POOR && r->verdict_kind != LK_VERDICT_POOR) ||
      (show == SHOW_FAILED && r->verdict_kind != -1))
    return FALSE;
  if (self->search == NULL || *self->search == '\0')
    return TRUE;
  return contains_folded (r->id, self->search) || contains_folded (r->query, self->search) ||
         contains_folded (r->passage, self->search) || contains_folded (r->error, self->search) ||
         contains_folded (r->method, self->search) || contains_folded (r->strongest, self->search);
}

static void
update_status (LkAuditView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint failed = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LkAuditRow) r = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      failed += r->verdict_kind == -1;
    }
  text = shown == n ? g_strdup_printf (ngettext ("%u item, %u failed", "%u items, %u failed", n), n, failed)
                    : g_strdup_printf (ngettext ("%u of %u item shown, %u failed", "%u of %u items shown, %u failed", n),
                                       shown, n, failed);
  gtk_label_set_label (self->status_label, text);
}

static void
on_filter_changed (LkAuditView *self)
{
  g_clear_pointer (&self->search, g_free);
  self->search = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_status (self);
}

/* The selected rows, in the table's order. */
static GPtrArray *
selected_rows (LkAuditView *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter it;
  guint pos;

  for (gboolean ok = gtk_bitset_iter_init_first (&it, set, &pos); ok; ok = gtk_bitset_iter_next (&it, &pos))
    g_ptr_array_add (rows, g_list_model_get_item (G_LIST_MODEL (self->selection), pos));
  return rows;
}

/* Why two selected rows cannot be contrasted (a new string), or NULL when they can. */
static char *
compare_refusal (GPtrArray *rows)
{
  LkAuditRow *a, *b;
  const LkMethodInfo *info;

  if (rows->len != 2)
    return g_strdup (_("Select two results with the same query to compare their ranking"));
  a = g_ptr_array_index (rows, 0);
  b = g_ptr_array_index (rows, 1);
  if (a->error || b->error)
    return g_strdup (_("A failed item has no explanation to compare"));
  if (a->contrast || b->contrast)
    return g_strdup (_("A ranking contrast cannot be compared again: select two results of single pairs"));
  if (g_strcmp0 (a->query, b->query) != 0)
    return g_strdup (_("The two results have different queries: a ranking compares two passages for one query"));
  if (g_strcmp0 (a->method_name, b->method_name) != 0)
    return g_strdup (_("The two results come from different methods"));
  info = lk_method_info_find (a->method_name);
  if (info == NULL || !lk_method_can_contrast (info))
    {
      g_autofree char *takers = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
      /* The registry says which methods attribute to token pairs. */
      return g_strdup_printf (_("Only the results of %s attribute the score to token pairs, as a ranking comparison needs"),
                              takers);
    }
  return NULL;
}

static void
on_selection_changed (LkAuditView *self)
{
  g_autoptr(GPtrArray) rows = selected_rows (self);
  g_autofree char *why = compare_refusal (rows);

  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_button), why == NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->compare_button),
                               why ? why : _("Why the first passage scores above the second for this query"));
}

static void
open_row (LkAuditView *self, LkAuditRow *row)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_audit_row_load (row, &error);

  if (x == NULL)
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error->message);
  else
    g_signal_emit (self, signals[SIGNAL_OPEN_RESULT], 0, x);
}

static void
on_activate (LkAuditView *self, guint position)
{
  g_autoptr(LkAuditRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (row)
    open_row (self, row);
}

/* Document 1 is the better-ranked: the lower rank, else the higher score. */
static void
compare_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkAuditView *self = LK_AUDIT_VIEW (widget);
  g_autoptr(GPtrArray) rows = selected_rows (self);
  g_autoptr(LkExplanation) x1 = NULL;
  g_autoptr(LkExplanation) x2 = NULL;
  g_autoptr(LkExplanation) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = compare_refusal (rows);
  LkAuditRow *a, *b;

  if (why != NULL)
    return;
  a = g_ptr_array_index (rows, 0);
  b = g_ptr_array_index (rows, 1);
  if ((a->rank > 0 && b->rank > 0) ? b->rank < a->rank : b->score > a->score)
    {
      LkAuditRow *t = a;
      a = b;
      b = t;
    }
  if ((x1 = lk_audit_row_load (a, &error)) == NULL || (x2 = lk_audit_row_load (b, &error)) == NULL ||
      (c = lk_contrast_from_results (x1, x2, &error)) == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_OPEN_RESULT], 0, c);
}

static void
lk_audit_view_dispose (GObject *object)
{
  LkAuditView *self = LK_AUDIT_VIEW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* The table's models outlive its widgets for a moment: no more updates. */
  if (self->selection)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_AUDIT_VIEW);
  g_clear_object (&self->selection);
  g_clear_object (&self->file);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->shown_before, g_free);
  G_OBJECT_CLASS (lk_audit_view_parent_class)->dispose (object);
}

static void
lk_audit_view_class_init (LkAuditViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_audit_view_dispose;
  /* LkExplanation: the result to show (a row's, or a contrast of two). */
  signals[SIGNAL_OPEN_RESULT] = g_signal_new ("open-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                              NULL, NULL, NULL, G_TYPE_NONE, 1, LK_TYPE_EXPLANATION);
  /* A sentence: why a row could not be opened. */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (LK_TYPE_AUDIT_ROW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-audit-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, box);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, title);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, verdict_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, column_view);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, compare_button);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, status_label);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, stack);
  gtk_widget_class_bind_template_child (widget_class, LkAuditView, loading_page);
  gtk_widget_class_bind_template_child_full (widget_class, "id_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "query_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "passage_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[2]));
  gtk_widget_class_bind_template_child_full (widget_class, "rank_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[3]));
  gtk_widget_class_bind_template_child_full (widget_class, "score_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[4]));
  gtk_widget_class_bind_template_child_full (widget_class, "method_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[5]));
  gtk_widget_class_bind_template_child_full (widget_class, "verdict_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[6]));
  gtk_widget_class_bind_template_child_full (widget_class, "strongest_column", FALSE, G_STRUCT_OFFSET (LkAuditView, columns[7]));
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_activate);
  gtk_widget_class_install_action (widget_class, "audit.compare", NULL, compare_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
lk_audit_view_init (LkAuditView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->store = g_list_store_new (LK_TYPE_AUDIT_ROW);
  self->filter = gtk_custom_filter_new (filter_row, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (self->store), GTK_FILTER (self->filter));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->filtered),
                                          g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (self->sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (on_selection_changed), self,
                           G_CONNECT_SWAPPED);
  on_selection_changed (self);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *outer = data;
  LkAuditView *self = g_task_get_source_object (outer);
  OpenJob *j = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  /* After the view's dispose (which cancels) its models are gone. */
  if (!g_task_propagate_boolean (G_TASK (result), &error) || g_task_return_error_if_cancelled (outer))
    {
      /* The table as it was: a run that cannot be read changes nothing. */
      if (!g_cancellable_is_cancelled (g_task_get_cancellable (outer)))
        gtk_stack_set_visible_child_name (self->stack, self->shown_before ? self->shown_before : "empty");
      if (error)
        g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  /* All at once: one change for the table, and nothing if it failed. */
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)), j->rows->pdata,
                       j->rows->len);
  g_set_object (&self->file, g_task_get_task_data (outer));
  {
    g_autofree char *name = g_file_get_basename (self->file);
    adw_window_title_set_subtitle (self->title, name);
  }
  gtk_stack_set_visible_child_name (self->stack, "table");
  update_status (self);
  g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

void
lk_audit_view_open_async (LkAuditView *self, GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *outer;
  g_autoptr(GTask) task = NULL;
  OpenJob *j;

  g_return_if_fail (LK_IS_AUDIT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* A new run replaces one being read; dispose cancels it. */
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  outer = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (outer, lk_audit_view_open_async);
  g_task_set_task_data (outer, g_object_ref (file), g_object_unref);
  j = g_new0 (OpenJob, 1);
  j->path = g_file_get_path (file);
  if (j->path == NULL)
    {
      open_job_free (j);
      g_task_return_new_error (outer, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("Audits can only be opened from local files"));
      g_object_unref (outer);
      return;
    }
  /* A long run takes seconds to read: say so at once. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "loading") != 0)
    {
      g_free (self->shown_before);
      self->shown_before = g_strdup (gtk_stack_get_visible_child_name (self->stack));
    }
  {
    g_autofree char *name = g_file_get_basename (file);
    adw_status_page_set_description (self->loading_page, name);
  }
  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (NULL, self->cancellable, on_opened, outer);
  g_task_set_task_data (task, j, (GDestroyNotify) open_job_free);
  g_task_run_in_thread (task, open_thread);
}

gboolean
lk_audit_view_open_finish (LkAuditView *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GFile *
lk_audit_view_get_file (LkAuditView *self)
{
  g_return_val_if_fail (LK_IS_AUDIT_VIEW (self), NULL);
  return self->file;
}

guint
lk_audit_view_get_n_rows (LkAuditView *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

guint
lk_audit_view_get_n_shown (LkAuditView *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->selection));
}

LkAuditRow *
lk_audit_view_get_shown (LkAuditView *self, guint position)
{
  g_autoptr(LkAuditRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  return row;  /* the model keeps its reference */
}

void
lk_audit_view_set_search (LkAuditView *self, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  on_filter_changed (self);
}

void
lk_audit_view_sort_by (LkAuditView *self, const char *name, GtkSortType order)
{
  for (guint i = 0; i < G_N_ELEMENTS (column_names); i++)
    if (g_strcmp0 (column_names[i], name) == 0)
      {
        gtk_column_view_sort_by_column (self->column_view, self->columns[i], order);
        return;
      }
  g_critical ("lk_audit_view_sort_by: no column %s", name);
}

void
lk_audit_view_select (LkAuditView *self, const guint *positions, guint n)
{
  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  for (guint i = 0; i < n; i++)
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), positions[i], FALSE);
}

void
lk_audit_view_activate (LkAuditView *self, guint position)
{
  on_activate (self, position);
}
