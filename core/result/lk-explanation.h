/* lk-explanation.h — the one result type: everything a figure or an audit
 * needs, serialised as the versioned JSON schema likeness.explanation/1
 * (docs/explanation-schema.md). */
#pragma once

#include <json-glib/json-glib.h>

#include "lk-method-info.h"

G_BEGIN_DECLS

#define LK_EXPLANATION_SCHEMA_PREFIX  "likeness.explanation/"
#define LK_EXPLANATION_SCHEMA_VERSION 1
#define LK_EXPLANATION_SCHEMA         "likeness.explanation/1"

#define LK_TYPE_EXPLANATION (lk_explanation_get_type ())
G_DECLARE_FINAL_TYPE (LkExplanation, lk_explanation, LK, EXPLANATION, GObject)

/* One token of one input, with where it came from. */
typedef struct {
  char   *text;      /* the token as the tokenizer writes it */
  gsize   start;     /* byte offsets into the input text */
  gsize   end;
  gboolean special;
  int     word;      /* index into the side's words, -1 for specials */
  gboolean prompt;   /* part of the prompt put before the text (lk_explanation_mark_prompt) */
} LkToken;

/* A dense rows × cols matrix of doubles. */
typedef struct {
  guint   rows;
  guint   cols;
  double *data;
} LkMatrix;

LkExplanation *lk_explanation_new          (const char *method);

/* The two inputs ("a" and "b"): the text and its tokens. */
void           lk_explanation_set_text     (LkExplanation *self, guint side, const char *text);
const char    *lk_explanation_get_text     (LkExplanation *self, guint side);
void           lk_explanation_add_token    (LkExplanation *self, guint side, const LkToken *token);
guint          lk_explanation_get_n_tokens (LkExplanation *self, guint side);
/* The side's text begins with a prompt of @n_bytes bytes (named @name, or
 * NULL for a literal one): its tokens are flagged, they form words of their
 * own, and "prompts" records it. The tokens still count in every check. */
void           lk_explanation_mark_prompt  (LkExplanation *self, guint side, const char *name, gsize n_bytes);
/* The prompt's length in bytes at the start of the side's text (0: none). */
gsize          lk_explanation_get_prompt_length (LkExplanation *self, guint side);
gboolean       lk_explanation_word_is_prompt (LkExplanation *self, guint side, guint word);
const LkToken *lk_explanation_get_token    (LkExplanation *self, guint side, guint i);
/* Words: spans of sub-word tokens; specials are words of their own. */
guint          lk_explanation_get_n_words  (LkExplanation *self, guint side);
char          *lk_explanation_dup_word     (LkExplanation *self, guint side, guint word);
gboolean       lk_explanation_word_is_special (LkExplanation *self, guint side, guint word);
/* The word each token belongs to, specials included. */
guint          lk_explanation_token_word   (LkExplanation *self, guint side, guint token);

const char    *lk_explanation_get_method   (LkExplanation *self);

/* The model: id, revision, SHA-256 of the weights, architecture, device. */
JsonObject    *lk_explanation_get_model    (LkExplanation *self);
/* Every parameter of the method (seed included), and the scores. */
JsonObject    *lk_explanation_get_params   (LkExplanation *self);
JsonObject    *lk_explanation_get_scores   (LkExplanation *self);
double         lk_explanation_get_score    (LkExplanation *self, const char *name, double fallback);
void           lk_explanation_set_score    (LkExplanation *self, const char *name, double value);
/* Named extras: "timings", "perturbation", … */
JsonObject    *lk_explanation_get_extra    (LkExplanation *self, const char *name);
/* The extra member @name (an object, an array or a value), or NULL when
 * the result has none: unlike get_extra, never adds it, and costs no copy. */
JsonNode      *lk_explanation_lookup_extra (LkExplanation *self, const char *name);
/* The same when it is an object, else NULL. */
JsonObject    *lk_explanation_lookup_object (LkExplanation *self, const char *name);
/* When it was made: ISO 8601, UTC. */
const char    *lk_explanation_get_created  (LkExplanation *self);
/* Sets the extra @name to @node (an array or any value; takes ownership). */
void           lk_explanation_take_extra   (LkExplanation *self, const char *name, JsonNode *node);

/* Takes ownership of @matrix's data. Token-level (rows: tokens of a,
 * columns: tokens of b); the word-level matrix is derived on set. */
void           lk_explanation_take_matrix  (LkExplanation *self, LkMatrix *matrix);
const LkMatrix *lk_explanation_get_matrix  (LkExplanation *self);
/**
 * lk_explanation_get_matrix_values:
 * @self: an explanation
 * @n_rows: (out): side A's tokens
 * @n_cols: (out): side B's tokens
 * @n_values: (out): @n_rows × @n_cols
 *
 * The token-pair matrix, row-major (empty for a method without one).
 *
 * Returns: (array length=n_values) (transfer none): the values
 */
const double  *lk_explanation_get_matrix_values (LkExplanation *self, guint *n_rows, guint *n_cols, gsize *n_values);
/**
 * lk_explanation_get_verdict:
 * @self: an explanation
 * @value: (out) (optional): the value the verdict read (a relative error,
 *   a split-half correlation, …)
 *
 * How far to trust the result, by its method's check in the registry
 * (lk-method-info.h: the kind of check and its thresholds).
 *
 * Returns: the verdict; %LK_VERDICT_NONE for a method without a check
 */
LkVerdict      lk_explanation_get_verdict  (LkExplanation *self, double *value);
/**
 * lk_scores_verdict: (skip)
 * @check: a method's check (its registry entry's)
 * @scores: a "scores" object, as a result or a contrast's document holds it
 * @value: (out) (optional): the value the verdict read
 *
 * lk_check_verdict() on the numbers of @scores (a missing or non-number
 * member reads as NaN).
 */
LkVerdict      lk_scores_verdict           (const LkCheckInfo *check, JsonObject *scores, double *value);
/**
 * lk_explanation_to_string:
 * @self: an explanation
 * @error: when a value is not finite (JSON has no NaN)
 *
 * The result as the schema likeness.explanation/1 writes it (what
 * lk_explanation_save() and `likeness-cli explain --json` write).
 *
 * Returns: (transfer full): JSON text, or %NULL with @error set
 */
char          *lk_explanation_to_string    (LkExplanation *self, GError **error);
const LkMatrix *lk_explanation_get_word_matrix (LkExplanation *self);

/**
 * lk_explanation_dup_tokens_json: (skip)
 * @self: an explanation
 * @side: 0 for A, 1 for B
 *
 * One side's "tokens" and "token_info" as the schema writes them, without
 * writing the whole result.
 *
 * Returns: (transfer full): a new array
 */
JsonArray     *lk_explanation_dup_tokens_json     (LkExplanation *self, guint side);
/**
 * lk_explanation_dup_token_info_json: (skip)
 * @self: an explanation
 * @side: 0 for A, 1 for B
 *
 * Returns: (transfer full): a new array
 */
JsonArray     *lk_explanation_dup_token_info_json (LkExplanation *self, guint side);
JsonNode      *lk_explanation_to_json      (LkExplanation *self);
LkExplanation *lk_explanation_new_from_json (JsonNode *node, GError **error);
gboolean       lk_explanation_save         (LkExplanation *self, const char *path, GError **error);
/**
 * lk_explanation_load:
 * @path: a result file (schema likeness.explanation/1)
 * @error: the reason when it cannot be read
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LkExplanation *lk_explanation_load         (const char *path, GError **error);

void           lk_matrix_clear             (LkMatrix *m);
double         lk_matrix_sum               (const LkMatrix *m);

G_END_DECLS
