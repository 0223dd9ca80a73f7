/* lk-explanation.c — the result type and its JSON form. */
#include "config.h"

#include <math.h>

#include "lk-error.h"
#include "lk-explanation.h"
#include "lk-json.h"

typedef struct {
  char    *text;
  GArray  *tokens;      /* LkToken */
  GArray  *token_word;  /* guint: display word of each token */
  GArray  *word_first;  /* guint: first token of each display word */
  GArray  *word_last;   /* guint: last token of each display word */
} Side;

struct _LkExplanation
{
  GObject     parent_instance;

  char       *method;
  Side        side[2];
  JsonObject *model;
  JsonObject *params;
  JsonObject *scores;
  JsonObject *extras;
  LkMatrix    matrix;
  LkMatrix    word_matrix;
  char       *created;
};

G_DEFINE_FINAL_TYPE (LkExplanation, lk_explanation, G_TYPE_OBJECT)

static void
token_clear (gpointer p)
{
  g_free (((LkToken *) p)->text);
}

static void
lk_explanation_finalize (GObject *object)
{
  LkExplanation *self = LK_EXPLANATION (object);

  for (guint s = 0; s < 2; s++)
    {
      g_free (self->side[s].text);
      g_array_unref (self->side[s].tokens);
      g_array_unref (self->side[s].token_word);
      g_array_unref (self->side[s].word_first);
      g_array_unref (self->side[s].word_last);
    }
  json_object_unref (self->model);
  json_object_unref (self->params);
  json_object_unref (self->scores);
  json_object_unref (self->extras);
  lk_matrix_clear (&self->matrix);
  lk_matrix_clear (&self->word_matrix);
  g_free (self->method);
  g_free (self->created);
  G_OBJECT_CLASS (lk_explanation_parent_class)->finalize (object);
}

static void
lk_explanation_class_init (LkExplanationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_explanation_finalize;
}

static void
lk_explanation_init (LkExplanation *self)
{
  for (guint s = 0; s < 2; s++)
    {
      self->side[s].tokens = g_array_new (FALSE, TRUE, sizeof (LkToken));
      g_array_set_clear_func (self->side[s].tokens, token_clear);
      self->side[s].token_word = g_array_new (FALSE, FALSE, sizeof (guint));
      self->side[s].word_first = g_array_new (FALSE, FALSE, sizeof (guint));
      self->side[s].word_last = g_array_new (FALSE, FALSE, sizeof (guint));
    }
  self->model = json_object_new ();
  self->params = json_object_new ();
  self->scores = json_object_new ();
  self->extras = json_object_new ();
}

LkExplanation *
lk_explanation_new (const char *method)
{
  LkExplanation *self = g_object_new (LK_TYPE_EXPLANATION, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  self->method = g_strdup (method);
  self->created = g_date_time_format_iso8601 (now);
  return self;
}

void
lk_matrix_clear (LkMatrix *m)
{
  g_clear_pointer (&m->data, g_free);
  m->rows = m->cols = 0;
}

double
lk_matrix_sum (const LkMatrix *m)
{
  double s = 0;
  for (gsize i = 0; i < (gsize) m->rows * m->cols; i++)
    s += m->data[i];
  return s;
}

void
lk_explanation_set_text (LkExplanation *self, guint side, const char *text)
{
  g_return_if_fail (side < 2);
  g_free (self->side[side].text);
  self->side[side].text = g_strdup (text);
}

const char *
lk_explanation_get_text (LkExplanation *self, guint side)
{
  g_return_val_if_fail (side < 2, NULL);
  return self->side[side].text;
}

/* A token starts a new display word when it is special, follows a special,
 * crosses the end of a prompt or carries a different tokenizer word index
 * than the token before. */
void
lk_explanation_add_token (LkExplanation *self, guint side, const LkToken *token)
{
  Side *s;
  LkToken copy;
  guint n, w;

  g_return_if_fail (side < 2 && token != NULL);
  s = &self->side[side];
  copy = *token;
  copy.text = g_strdup (token->text);
  n = s->tokens->len;
  if (n == 0 || token->special || g_array_index (s->tokens, LkToken, n - 1).special ||
      g_array_index (s->tokens, LkToken, n - 1).prompt != token->prompt ||
      g_array_index (s->tokens, LkToken, n - 1).word != token->word)
    {
      g_array_append_val (s->word_first, n);
      g_array_append_val (s->word_last, n);
    }
  w = s->word_first->len - 1;
  g_array_index (s->word_last, guint, w) = n;
  g_array_append_val (s->token_word, w);
  g_array_append_val (s->tokens, copy);
}

void
lk_explanation_mark_prompt (LkExplanation *self, guint side, const char *name, gsize n_bytes)
{
  Side *s;
  g_autoptr(GArray) old = NULL;
  JsonNode *node;
  JsonObject *prompts;
  JsonObject *p;

  g_return_if_fail (LK_IS_EXPLANATION (self) && side < 2);
  s = &self->side[side];
  if (n_bytes == 0 || s->text == NULL || n_bytes > strlen (s->text))
    return;
  /* The words are rebuilt over the flagged tokens. */
  old = g_steal_pointer (&s->tokens);
  s->tokens = g_array_new (FALSE, FALSE, sizeof (LkToken));
  g_array_set_clear_func (s->tokens, token_clear);
  g_array_set_size (s->word_first, 0);
  g_array_set_size (s->word_last, 0);
  g_array_set_size (s->token_word, 0);
  for (guint i = 0; i < old->len; i++)
    {
      LkToken t = g_array_index (old, LkToken, i);
      t.prompt = !t.special && t.start < n_bytes;
      lk_explanation_add_token (self, side, &t);
    }
  node = lk_explanation_lookup_extra (self, "prompts");
  if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node))
    json_object_remove_member (self->extras, "prompts");
  prompts = lk_explanation_get_extra (self, "prompts");
  p = json_object_new ();
  if (name != NULL)
    json_object_set_string_member (p, "name", name);
  {
    g_autofree char *text = g_strndup (s->text, n_bytes);
    json_object_set_string_member (p, "text", text);
  }
  json_object_set_int_member (p, "bytes", n_bytes);
  json_object_set_object_member (prompts, side ? "b" : "a", p);
}

gsize
lk_explanation_get_prompt_length (LkExplanation *self, guint side)
{
  JsonNode *node;
  JsonNode *p;
  const char *text;
  gint64 n;

  g_return_val_if_fail (LK_IS_EXPLANATION (self) && side < 2, 0);
  node = lk_explanation_lookup_extra (self, "prompts");
  text = self->side[side].text;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || text == NULL ||
      (p = json_object_get_member (json_node_get_object (node), side ? "b" : "a")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (p))
    return 0;
  /* A file read back may say anything: never past the text, never inside a character. */
  n = json_object_get_int_member_with_default (json_node_get_object (p), "bytes", 0);
  if (n <= 0 || (gsize) n > strlen (text) || !g_utf8_validate_len (text, n, NULL))
    return 0;
  return (gsize) n;
}

gboolean
lk_explanation_word_is_prompt (LkExplanation *self, guint side, guint word)
{
  Side *s;

  g_return_val_if_fail (side < 2, FALSE);
  s = &self->side[side];
  g_return_val_if_fail (word < s->word_first->len, FALSE);
  return g_array_index (s->tokens, LkToken, g_array_index (s->word_first, guint, word)).prompt;
}

guint
lk_explanation_get_n_tokens (LkExplanation *self, guint side)
{
  g_return_val_if_fail (side < 2, 0);
  return self->side[side].tokens->len;
}

const LkToken *
lk_explanation_get_token (LkExplanation *self, guint side, guint i)
{
  g_return_val_if_fail (side < 2 && i < self->side[side].tokens->len, NULL);
  return &g_array_index (self->side[side].tokens, LkToken, i);
}

guint
lk_explanation_get_n_words (LkExplanation *self, guint side)
{
  g_return_val_if_fail (side < 2, 0);
  return self->side[side].word_first->len;
}

guint
lk_explanation_token_word (LkExplanation *self, guint side, guint token)
{
  g_return_val_if_fail (side < 2 && token < self->side[side].token_word->len, 0);
  return g_array_index (self->side[side].token_word, guint, token);
}

gboolean
lk_explanation_word_is_special (LkExplanation *self, guint side, guint word)
{
  Side *s = &self->side[side];
  return g_array_index (s->tokens, LkToken, g_array_index (s->word_first, guint, word)).special;
}

char *
lk_explanation_dup_word (LkExplanation *self, guint side, guint word)
{
  Side *s;
  const LkToken *first, *last;

  g_return_val_if_fail (side < 2 && word < self->side[side].word_first->len, NULL);
  s = &self->side[side];
  first = &g_array_index (s->tokens, LkToken, g_array_index (s->word_first, guint, word));
  last = &g_array_index (s->tokens, LkToken, g_array_index (s->word_last, guint, word));
  if (first->special || s->text == NULL || last->end <= first->start || last->end > strlen (s->text))
    return g_strdup (first->text);
  return g_strndup (s->text + first->start, last->end - first->start);
}

const char *lk_explanation_get_method (LkExplanation *self) { return self->method; }
JsonObject *lk_explanation_get_model (LkExplanation *self) { return self->model; }
JsonObject *lk_explanation_get_params (LkExplanation *self) { return self->params; }
JsonObject *lk_explanation_get_scores (LkExplanation *self) { return self->scores; }

double
lk_explanation_get_score (LkExplanation *self, const char *name, double fallback)
{
  JsonNode *n = json_object_get_member (self->scores, name);
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : fallback;
}

void
lk_explanation_set_score (LkExplanation *self, const char *name, double value)
{
  json_object_set_double_member (self->scores, name, value);
}

JsonObject *
lk_explanation_get_extra (LkExplanation *self, const char *name)
{
  if (!json_object_has_member (self->extras, name))
    json_object_set_object_member (self->extras, name, json_object_new ());
  return json_object_get_object_member (self->extras, name);
}

JsonNode *
lk_explanation_lookup_extra (LkExplanation *self, const char *name)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (self) && name != NULL, NULL);
  return json_object_get_member (self->extras, name);
}

JsonObject *
lk_explanation_lookup_object (LkExplanation *self, const char *name)
{
  JsonNode *node = lk_explanation_lookup_extra (self, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

const char *
lk_explanation_get_created (LkExplanation *self)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (self), NULL);
  return self->created;
}

void
lk_explanation_take_extra (LkExplanation *self, const char *name, JsonNode *node)
{
  g_return_if_fail (LK_IS_EXPLANATION (self) && name != NULL && node != NULL);
  json_object_set_member (self->extras, name, node);
}

/* Word-level matrix: the sum over each word's sub-word tokens. */
static void
derive_word_matrix (LkExplanation *self)
{
  const LkMatrix *m = &self->matrix;
  LkMatrix *w = &self->word_matrix;

  lk_matrix_clear (w);
  if (m->data == NULL || m->rows != self->side[0].tokens->len || m->cols != self->side[1].tokens->len)
    return;
  w->rows = self->side[0].word_first->len;
  w->cols = self->side[1].word_first->len;
  w->data = g_new0 (double, (gsize) w->rows * w->cols);
  for (guint i = 0; i < m->rows; i++)
    for (guint j = 0; j < m->cols; j++)
      w->data[(gsize) lk_explanation_token_word (self, 0, i) * w->cols + lk_explanation_token_word (self, 1, j)]
        += m->data[(gsize) i * m->cols + j];
}

void
lk_explanation_take_matrix (LkExplanation *self, LkMatrix *matrix)
{
  lk_matrix_clear (&self->matrix);
  self->matrix = *matrix;
  matrix->data = NULL;
  derive_word_matrix (self);
}

const LkMatrix *lk_explanation_get_matrix (LkExplanation *self) { return &self->matrix; }
const LkMatrix *lk_explanation_get_word_matrix (LkExplanation *self) { return &self->word_matrix; }

const double *
lk_explanation_get_matrix_values (LkExplanation *self, guint *n_rows, guint *n_cols, gsize *n_values)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (self), NULL);
  *n_rows = self->matrix.rows;
  *n_cols = self->matrix.cols;
  *n_values = self->matrix.data ? (gsize) self->matrix.rows * self->matrix.cols : 0;
  return self->matrix.data;
}

static double
score_of (const char *key, gpointer self)
{
  return lk_explanation_get_score (self, key, NAN);
}

static double
object_score_of (const char *key, gpointer scores)
{
  JsonNode *n = key ? json_object_get_member (scores, key) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) != G_TYPE_STRING &&
         json_node_get_value_type (n) != G_TYPE_BOOLEAN ? json_node_get_double (n) : NAN;
}

LkVerdict
lk_scores_verdict (const LkCheckInfo *check, JsonObject *scores, double *value)
{
  g_return_val_if_fail (check != NULL && scores != NULL, LK_VERDICT_NONE);
  return lk_check_verdict (check, object_score_of, scores, value);
}

LkVerdict
lk_explanation_get_verdict (LkExplanation *self, double *value)
{
  const LkMethodInfo *info;
  JsonObject *contrast;
  JsonArray *docs;

  g_return_val_if_fail (LK_IS_EXPLANATION (self), LK_VERDICT_NONE);
  if (value)
    *value = NAN;
  if ((info = lk_method_info_find (lk_explanation_get_method (self))) == NULL)
    return LK_VERDICT_NONE;
  /* A ranking contrast (lk-contrast.h) is as trustworthy as the worse of
   * its two pairs: each keeps its own scores. */
  contrast = lk_explanation_lookup_object (self, LK_EXTRA_CONTRAST);
  docs = contrast && json_object_has_member (contrast, "documents") &&
         JSON_NODE_HOLDS_ARRAY (json_object_get_member (contrast, "documents"))
         ? json_object_get_array_member (contrast, "documents") : NULL;
  if (docs != NULL)
    {
      LkVerdict worst = LK_VERDICT_NONE;
      for (guint k = 0; k < json_array_get_length (docs); k++)
        {
          JsonNode *d = json_array_get_element (docs, k);
          JsonObject *scores;
          double v = NAN;
          LkVerdict verdict;

          if (!JSON_NODE_HOLDS_OBJECT (d) || !json_object_has_member (json_node_get_object (d), "scores") ||
              !JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (d), "scores")))
            continue;
          scores = json_object_get_object_member (json_node_get_object (d), "scores");
          verdict = lk_scores_verdict (&info->check, scores, &v);
          if (verdict > worst || k == 0)
            {
              worst = MAX (worst, verdict);
              if (value)
                *value = v;
            }
        }
      return worst;
    }
  return lk_check_verdict (&info->check, score_of, self, value);
}

char *
lk_explanation_to_string (LkExplanation *self, GError **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (LK_IS_EXPLANATION (self), NULL);
  node = lk_explanation_to_json (self);
  return lk_json_to_data (node, TRUE, "the result", NULL, error);
}

/* ---- JSON ---- */

/* json_node_init_*() add a reference: these hand over the caller's. */
static JsonNode *
json_node_take_array_node (JsonArray *array)
{
  JsonNode *n = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);
  return n;
}

static JsonNode *
json_node_take_object_node (JsonObject *object)
{
  JsonNode *n = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return n;
}

static JsonNode *
matrix_to_json (const LkMatrix *m)
{
  JsonArray *rows = json_array_sized_new (m->rows);

  for (guint i = 0; i < m->rows; i++)
    {
      JsonArray *row = json_array_sized_new (m->cols);
      for (guint j = 0; j < m->cols; j++)
        json_array_add_double_element (row, m->data[(gsize) i * m->cols + j]);
      json_array_add_array_element (rows, row);
    }
  return json_node_take_array_node (rows);
}

static JsonArray *
side_strings (LkExplanation *self, guint s, gboolean words)
{
  JsonArray *a = json_array_new ();
  guint n = words ? lk_explanation_get_n_words (self, s) : lk_explanation_get_n_tokens (self, s);

  for (guint i = 0; i < n; i++)
    {
      if (words)
        {
          g_autofree char *w = lk_explanation_dup_word (self, s, i);
          json_array_add_string_element (a, w);
        }
      else
        json_array_add_string_element (a, lk_explanation_get_token (self, s, i)->text);
    }
  return a;
}

static JsonObject *
sides_object (LkExplanation *self, gboolean words)
{
  JsonObject *o = json_object_new ();

  for (guint s = 0; s < 2; s++)
    json_object_set_array_member (o, s ? "b" : "a", side_strings (self, s, words));
  return o;
}

JsonArray *
lk_explanation_dup_tokens_json (LkExplanation *self, guint side)
{
  g_return_val_if_fail (LK_IS_EXPLANATION (self) && side < 2, NULL);
  return side_strings (self, side, FALSE);
}

JsonArray *
lk_explanation_dup_token_info_json (LkExplanation *self, guint side)
{
  JsonArray *a;

  g_return_val_if_fail (LK_IS_EXPLANATION (self) && side < 2, NULL);
  a = json_array_new ();
  for (guint i = 0; i < lk_explanation_get_n_tokens (self, side); i++)
    {
      const LkToken *t = lk_explanation_get_token (self, side, i);
      JsonObject *ti = json_object_new ();
      json_object_set_int_member (ti, "start", t->start);
      json_object_set_int_member (ti, "end", t->end);
      json_object_set_boolean_member (ti, "special", t->special);
      json_object_set_int_member (ti, "word", t->word);
      if (t->prompt)
        json_object_set_boolean_member (ti, "prompt", TRUE);
      json_array_add_object_element (a, ti);
    }
  return a;
}

static JsonObject *
token_info (LkExplanation *self)
{
  JsonObject *o = json_object_new ();

  for (guint s = 0; s < 2; s++)
    json_object_set_array_member (o, s ? "b" : "a", lk_explanation_dup_token_info_json (self, s));
  return o;
}

JsonNode *
lk_explanation_to_json (LkExplanation *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonObject *root = json_object_new ();
  JsonObject *program = json_object_new ();
  JsonObject *method = json_object_new ();
  JsonObject *inputs = json_object_new ();
  GList *extras = json_object_get_members (self->extras);

  g_return_val_if_fail (LK_IS_EXPLANATION (self), NULL);

  json_object_set_string_member (root, "schema", LK_EXPLANATION_SCHEMA);
  json_object_set_string_member (program, "name", "likeness");
  json_object_set_string_member (program, "version", PACKAGE_VERSION);
  json_object_set_object_member (root, "program", program);
  json_object_set_string_member (root, "created", self->created);
  json_object_set_object_member (root, "model", json_object_ref (self->model));
  json_object_set_string_member (method, "name", self->method);
  json_object_set_object_member (method, "params", json_object_ref (self->params));
  json_object_set_object_member (root, "method", method);
  json_object_set_string_member (inputs, "a", self->side[0].text ? self->side[0].text : "");
  json_object_set_string_member (inputs, "b", self->side[1].text ? self->side[1].text : "");
  json_object_set_object_member (root, "inputs", inputs);
  json_object_set_object_member (root, "scores", json_object_ref (self->scores));
  json_object_set_object_member (root, "tokens", sides_object (self, FALSE));
  json_object_set_object_member (root, "token_info", token_info (self));
  json_object_set_object_member (root, "words", sides_object (self, TRUE));
  if (self->matrix.data)
    {
      json_object_set_member (root, "matrix", matrix_to_json (&self->matrix));
      json_object_set_member (root, "word_matrix", matrix_to_json (&self->word_matrix));
    }
  for (GList *l = extras; l; l = l->next)
    json_object_set_member (root, l->data, json_node_copy (json_object_get_member (self->extras, l->data)));
  g_list_free (extras);
  return json_node_take_object_node (root);
}

static gboolean
schema_error (GError **error, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "explanation: %s", what);
  return FALSE;
}

static gboolean
read_matrix (JsonObject *root, LkMatrix *m, GError **error)
{
  JsonArray *rows;

  if (!json_object_has_member (root, "matrix"))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "matrix")))
    return schema_error (error, "\"matrix\" must be an array of rows");
  rows = json_object_get_array_member (root, "matrix");
  m->rows = json_array_get_length (rows);
  m->cols = m->rows ? json_array_get_length (json_array_get_array_element (rows, 0)) : 0;
  m->data = g_new0 (double, (gsize) m->rows * m->cols);
  for (guint i = 0; i < m->rows; i++)
    {
      JsonNode *rn = json_array_get_element (rows, i);
      JsonArray *row = JSON_NODE_HOLDS_ARRAY (rn) ? json_node_get_array (rn) : NULL;
      if (row == NULL || json_array_get_length (row) != m->cols)
        return schema_error (error, "\"matrix\" rows must all have the same length");
      for (guint j = 0; j < m->cols; j++)
        {
          JsonNode *v = json_array_get_element (row, j);
          if (!JSON_NODE_HOLDS_VALUE (v) || (json_node_get_value_type (v) != G_TYPE_DOUBLE &&
                                             json_node_get_value_type (v) != G_TYPE_INT64))
            return schema_error (error, "\"matrix\" must hold numbers");
          m->data[(gsize) i * m->cols + j] = json_node_get_double (v);
        }
    }
  return TRUE;
}

static gboolean
read_tokens (LkExplanation *self, JsonObject *root, GError **error)
{
  JsonObject *tokens = json_object_get_object_member (root, "tokens");
  JsonObject *info = json_object_has_member (root, "token_info") ? json_object_get_object_member (root, "token_info") : NULL;

  for (guint s = 0; s < 2; s++)
    {
      const char *key = s ? "b" : "a";
      JsonArray *t = tokens ? json_object_get_array_member (tokens, key) : NULL;
      JsonArray *ti = info ? json_object_get_array_member (info, key) : NULL;
      if (t == NULL || (ti && json_array_get_length (ti) != json_array_get_length (t)))
        return schema_error (error, "\"tokens\" needs arrays \"a\" and \"b\" (and \"token_info\" of the same lengths)");
      for (guint i = 0; i < json_array_get_length (t); i++)
        {
          LkToken tok = { (char *) json_array_get_string_element (t, i), 0, 0, FALSE, (int) i };
          JsonObject *o = ti ? json_array_get_object_element (ti, i) : NULL;
          if (tok.text == NULL)
            return schema_error (error, "tokens must be strings");
          if (o)
            {
              tok.start = json_object_get_int_member_with_default (o, "start", 0);
              tok.end = json_object_get_int_member_with_default (o, "end", 0);
              tok.special = json_object_get_boolean_member_with_default (o, "special", FALSE);
              tok.word = json_object_get_int_member_with_default (o, "word", i);
              tok.prompt = json_object_get_boolean_member_with_default (o, "prompt", FALSE);
            }
          lk_explanation_add_token (self, s, &tok);
        }
    }
  return TRUE;
}

static JsonObject *
object_member (JsonObject *root, const char *name)
{
  JsonNode *n = json_object_get_member (root, name);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_object_ref (json_node_get_object (n)) : json_object_new ();
}

static const char *known_members[] = {
  "schema", "program", "created", "model", "method", "inputs", "scores", "tokens", "token_info",
  "words", "matrix", "word_matrix", NULL
};

LkExplanation *
lk_explanation_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr(LkExplanation) self = NULL;
  JsonObject *root, *method, *inputs;
  const char *name;
  LkMatrix m = { 0 };
  GList *members;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return schema_error (error, "expected a JSON object"), NULL;
  root = json_node_get_object (node);
  if (!lk_json_check_schema (root, LK_EXPLANATION_SCHEMA_PREFIX, LK_EXPLANATION_SCHEMA_VERSION,
                             "explanation", error))
    return NULL;
  method = json_object_has_member (root, "method") ? json_object_get_object_member (root, "method") : NULL;
  name = method ? json_object_get_string_member_with_default (method, "name", NULL) : NULL;
  if (name == NULL)
    return schema_error (error, "\"method.name\" is missing"), NULL;
  self = lk_explanation_new (name);
  g_free (self->created);
  self->created = g_strdup (json_object_get_string_member_with_default (root, "created", ""));
  inputs = object_member (root, "inputs");
  lk_explanation_set_text (self, 0, json_object_get_string_member_with_default (inputs, "a", NULL));
  lk_explanation_set_text (self, 1, json_object_get_string_member_with_default (inputs, "b", NULL));
  json_object_unref (inputs);
  json_object_unref (self->model);
  self->model = object_member (root, "model");
  json_object_unref (self->params);
  self->params = object_member (method, "params");
  json_object_unref (self->scores);
  self->scores = object_member (root, "scores");
  if (!read_tokens (self, root, error) || !read_matrix (root, &m, error))
    {
      lk_matrix_clear (&m);
      return NULL;
    }
  if (m.data && (m.rows != lk_explanation_get_n_tokens (self, 0) || m.cols != lk_explanation_get_n_tokens (self, 1)))
    {
      lk_matrix_clear (&m);
      return schema_error (error, "\"matrix\" must have one row per token of a and one column per token of b"), NULL;
    }
  lk_explanation_take_matrix (self, &m);
  members = json_object_get_members (root);
  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (known_members, l->data))
      json_object_set_member (self->extras, l->data, json_node_copy (json_object_get_member (root, l->data)));
  g_list_free (members);
  return g_steal_pointer (&self);
}

gboolean
lk_explanation_save (LkExplanation *self, const char *path, GError **error)
{
  g_autoptr(JsonNode) node = lk_explanation_to_json (self);
  return lk_json_save_atomic (node, path, error);
}

LkExplanation *
lk_explanation_load (const char *path, GError **error)
{
  g_autoptr(JsonNode) node = lk_json_load (path, FALSE, error);
  g_autoptr(GError) local = NULL;
  LkExplanation *e;

  if (node == NULL)
    return NULL;
  if ((e = lk_explanation_new_from_json (node, &local)) == NULL)
    g_set_error (error, LK_ERROR, local->code, "%s: %s", path, local->message);
  return e;
}
