/* lk-tokenizer-private.h — the parts of a tokenizer, shared by lk-tokenizer-*.c.
 *
 * The pipeline follows the Hugging Face `tokenizers` package, whose output we
 * must reproduce id for id and offset for offset:
 *   added tokens (raw text) → normalizer → added tokens (normalized text)
 *   → pre-tokenizer → model → post-processor.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "lk-tokenizer.h"

G_BEGIN_DECLS

/* ---- Aligned strings (lk-tokenizer-align.c) ----------------------------- */

typedef struct {
  gsize start;
  gsize end;
} LkTokSpan;

/* A normalized string: UTF-8 text plus, for each of its bytes, the byte range
 * of the caller's text it came from. Every normalizer keeps it up to date, so
 * a token's offsets are those of its first and last byte. */
typedef struct {
  GString *str;
  GArray  *align;   /* LkTokSpan, one per byte of str */
  gsize    base;    /* where this string starts in the caller's text */
  /* A normalizer may grow the string (NFKD, a Replace or Prepend with a long
   * content), and a Sequence of them multiplies: past this many characters
   * it stops, too_long set, and the caller refuses the text. */
  gsize    limit;
  gboolean too_long;
} LkTokNorm;

/* Characters a normalized string may reach: 64 times the original, and at
 * least 64 Ki (no real normalizer comes near; a hostile tokenizer.json
 * would otherwise grow it exponentially). */
#define LK_TOK_NORM_LIMIT(chars) (MAX ((gsize) (chars) * 64, (gsize) 65536))

/* The error for a text whose normalization passed the limit. */
void       lk_tok_norm_set_too_long (const LkTokNorm *norm,
                                     gsize            original,
                                     GError         **error);

/* Whether @changes (being built) has passed @norm's limit: sets too_long. */
gboolean   lk_tok_norm_over      (LkTokNorm       *norm,
                                  const GArray    *changes);

/* One character of a transformed string and how it relates to the old one,
 * with the meaning the tokenizers package gives it: 0 = replaces the next old
 * character, 1 = inserted (takes the alignment of the byte before), -n =
 * replaces the next old character and removes the n after it. A character
 * LK_TOK_CHANGE_SKIP outputs nothing and skips `change` old characters. */
typedef struct {
  gunichar c;
  gint     change;
} LkTokChange;

#define LK_TOK_CHANGE_SKIP ((gunichar) -1)

LkTokNorm *lk_tok_norm_new       (const char      *text,
                                  gsize            start,
                                  gsize            end);
LkTokNorm *lk_tok_norm_slice     (const LkTokNorm *self,
                                  gsize            start,
                                  gsize            end);
void       lk_tok_norm_free      (LkTokNorm       *self);
void       lk_tok_norm_transform (LkTokNorm       *self,
                                  const GArray    *changes);
LkTokSpan  lk_tok_norm_original  (const LkTokNorm *self,
                                  gsize            start,
                                  gsize            end);
void       lk_tok_changes_add    (GArray          *changes,
                                  gunichar         c,
                                  gint             change);
/* Characters in @len bytes of valid UTF-8, NULs included. */
gsize      lk_tok_utf8_count     (const char      *s,
                                  gsize            len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkTokNorm, lk_tok_norm_free)

/* ---- Unicode classes (lk-tokenizer-unicode.c) --------------------------- */

gboolean lk_tok_unichar_is_bert_removed (gunichar    c);
gboolean lk_tok_unichar_is_whitespace   (gunichar    c);
gboolean lk_tok_unichar_is_bert_punct   (gunichar    c);
gboolean lk_tok_unichar_is_cjk          (gunichar    c);
gboolean lk_tok_unichar_is_mark         (gunichar    c);
/* Writes the lowercase form (1 or 2 characters) and returns its length. */
guint    lk_tok_unichar_lower           (gunichar    c,
                                         gunichar    out[2]);
/* End (byte offset) of the extended grapheme cluster starting at @pos. */
gsize    lk_tok_grapheme_end            (const char *s,
                                         gsize       len,
                                         gsize       pos);

/* ---- Normalizers (lk-tokenizer-normalize.c, -precompiled.c) ------------- */

typedef struct _LkTokNormalizer LkTokNormalizer;
typedef struct _LkTokPrecompiled LkTokPrecompiled;

/* A null @node is no normalizer: NULL without an error. */
LkTokNormalizer  *lk_tok_normalizer_from_json (JsonNode               *node,
                                               const char             *file,
                                               const char             *where,
                                               GError                **error);
void              lk_tok_normalizer_apply     (const LkTokNormalizer  *self,
                                               LkTokNorm              *norm);
void              lk_tok_normalizer_free      (LkTokNormalizer        *self);

LkTokPrecompiled *lk_tok_precompiled_new      (const char             *base64,
                                               const char             *file,
                                               const char             *where,
                                               GError                **error);
void              lk_tok_precompiled_apply    (const LkTokPrecompiled *self,
                                               LkTokNorm              *norm);
void              lk_tok_precompiled_free     (LkTokPrecompiled       *self);

/* ---- Pre-tokenizers (lk-tokenizer-pretok.c) ----------------------------- */

typedef struct _LkTokPreTokenizer LkTokPreTokenizer;

/* A null @node is no pre-tokenizer: NULL without an error. */
LkTokPreTokenizer *lk_tok_pre_tokenizer_from_json (JsonNode                *node,
                                                   const char              *file,
                                                   GError                 **error);
/* May transform @norm (Metaspace does), then appends the words to @words as
 * LkTokSpans: byte ranges of @norm. */
void               lk_tok_pre_tokenizer_apply     (const LkTokPreTokenizer *self,
                                                   LkTokNorm               *norm,
                                                   GArray                  *words);
void               lk_tok_pre_tokenizer_free      (LkTokPreTokenizer       *self);

/* ---- Models (lk-tokenizer-model.c, -wordpiece.c, -unigram.c) ------------ */

typedef struct {
  gint32 id;
  gsize  start;   /* byte range in the word */
  gsize  end;
} LkTokPiece;

typedef struct _LkTokModel LkTokModel;

struct _LkTokModel {
  const char  *type;          /* "WordPiece" or "Unigram" */
  GHashTable  *vocab;         /* token → GINT_TO_POINTER (id + 1) */
  GPtrArray   *id_to_token;   /* char *, NULL where an id is unused */
  gint32       unk_id;
  gpointer     impl;
  /* Appends the LkTokPieces of a word of @len bytes. */
  void       (*tokenize)  (const LkTokModel *self,
                           const char       *word,
                           gsize             len,
                           GArray           *pieces);
  void       (*free_impl) (gpointer          impl);
};

LkTokModel *lk_tok_model_from_json (JsonObject        *model,
                                    const char        *file,
                                    GError           **error);
gboolean    lk_tok_wordpiece_init  (LkTokModel        *self,
                                    JsonObject        *model,
                                    const char        *file,
                                    GError           **error);
gboolean    lk_tok_unigram_init    (LkTokModel        *self,
                                    JsonObject        *model,
                                    const char        *file,
                                    GError           **error);
/* lk-tokenizer-bpe.c */
gboolean    lk_tok_bpe_init        (LkTokModel        *self,
                                    JsonObject        *model,
                                    const char        *file,
                                    GError           **error);
void        lk_tok_nfc             (LkTokNorm         *norm);
/* NULL @pattern: GPT-2's, as ByteLevel's use_regex splits. */
GRegex     *lk_tok_regex_new       (const char        *pattern,
                                    const char        *file,
                                    const char        *where,
                                    GError           **error);
void        lk_tok_split_regex     (const GRegex      *re,
                                    gboolean           invert,
                                    gboolean           removed,
                                    const char        *s,
                                    GArray            *spans);
void        lk_tok_byte_level      (LkTokNorm         *norm,
                                    GArray            *spans);
void        lk_tok_model_set_token (LkTokModel        *self,
                                    const char        *token,
                                    gint32             id);
/* -1 if @token (@len bytes, NUL-terminated or not) is not in the vocabulary. */
gint32      lk_tok_model_lookup    (const LkTokModel  *self,
                                    const char        *token,
                                    gsize              len);
void        lk_tok_model_free      (LkTokModel        *self);

/* ---- Added tokens (lk-tokenizer-added.c) -------------------------------- */

typedef struct {
  char    *content;
  gsize    len;
  gint32   id;
  gboolean single_word;
  gboolean lstrip;
  gboolean rstrip;
  gboolean normalized;
  gboolean special;
} LkTokAdded;

/* A stretch of text: an added token (id >= 0) or plain text (id = -1). */
typedef struct {
  gint32 id;
  gsize  start;
  gsize  end;
} LkTokSegment;

GPtrArray *lk_tok_added_from_json (JsonArray   *array,
                                   const char  *file,
                                   GError     **error);
/* Splits @s into LkTokSegments around the added tokens of @tokens, matching
 * the leftmost and then longest one, then stretching over whitespace for
 * lstrip and rstrip. Empty text adds none. */
void       lk_tok_added_split     (GPtrArray   *tokens,
                                   const char  *s,
                                   gsize        len,
                                   GArray      *segments);

/* ---- Post-processing (lk-tokenizer-post.c) ------------------------------ */

/* A token on its way into an LkEncoding; offsets are bytes of the input. */
typedef struct {
  gint32 id;
  gsize  start;
  gsize  end;
  gint   word;
  gint   trim_lead;    /* whitespace characters at the ends of the */
  gint   trim_trail;   /* token's text, for RobertaProcessing */
} LkTokToken;

typedef struct {
  GArray   *prefix;             /* gint32 ids before the text */
  GArray   *suffix;             /* and after it */
  gboolean  trim_offsets;       /* RobertaProcessing */
  gboolean  add_prefix_space;
} LkTokPost;

/* A null @node adds no special tokens. */
gboolean lk_tok_post_init  (LkTokPost        *self,
                            JsonNode         *node,
                            const char       *file,
                            GError          **error);
void     lk_tok_post_clear (LkTokPost        *self);
/* Trims whitespace off offsets, for RobertaProcessing's trim_offsets. */
void     lk_tok_post_trim  (const LkTokPost  *self,
                            const char       *text,
                            GArray           *toks);
/* Counts the whitespace characters (and "Ġ") at both ends of @s. */
void     lk_tok_count_trim (const char       *s,
                            gsize             len,
                            gint             *lead,
                            gint             *trail);

/* ---- The tokenizer (lk-tokenizer.c, lk-tokenizer-encode.c) -------------- */

struct _LkTokenizer {
  GObject            parent_instance;

  LkTokModel        *model;
  LkTokNormalizer   *normalizer;
  LkTokPreTokenizer *pre_tokenizer;
  LkTokPost          post;
  GPtrArray         *added;             /* LkTokAdded, as in the file */
  GPtrArray         *added_raw;         /* those matched before normalization (borrowed) */
  GPtrArray         *added_normalized;  /* the others, their content normalized (owned) */
  GPtrArray         *id_to_token;       /* borrowed strings */
  gint32             pad_id;
};

/* lk_tokenizer_encode() for @len bytes of @text, which may hold NULs. */
LkEncoding *lk_tokenizer_encode_len (LkTokenizer  *self,
                                     const char   *text,
                                     gsize         len,
                                     guint         max_length,
                                     GError      **error);

/* ---- JSON helpers (lk-tokenizer-json.c) --------------------------------- */

/* Each names the file and the field (@where is the parent's path, such as
 * "normalizer.normalizers[0]") in its error. Absent or null members give
 * NULL (an error only when @required) or the fallback. */
JsonObject *lk_tok_json_object  (JsonObject  *parent,
                                 const char  *member,
                                 gboolean     required,
                                 const char  *file,
                                 const char  *where,
                                 GError     **error);
JsonArray  *lk_tok_json_array   (JsonObject  *parent,
                                 const char  *member,
                                 gboolean     required,
                                 const char  *file,
                                 const char  *where,
                                 GError     **error);
const char *lk_tok_json_string  (JsonObject  *parent,
                                 const char  *member,
                                 gboolean     required,
                                 const char  *file,
                                 const char  *where,
                                 GError     **error);
gboolean    lk_tok_json_bool    (JsonObject  *parent,
                                 const char  *member,
                                 gboolean     fallback,
                                 const char  *file,
                                 const char  *where,
                                 gboolean    *value,
                                 GError     **error);
gboolean    lk_tok_json_int     (JsonObject  *parent,
                                 const char  *member,
                                 gint64       fallback,
                                 const char  *file,
                                 const char  *where,
                                 gint64      *value,
                                 GError     **error);
gboolean    lk_tok_json_is_null (JsonObject  *parent,
                                 const char  *member);

G_END_DECLS
