/* lk-tokenizer.h — tokenizers with character offsets, read from a Hugging Face tokenizer.json.
 *
 * Supported: WordPiece models (BERT cased/uncased, MiniLM, MPNet) and
 * SentencePiece Unigram models as XLM-R uses them, with the normalizers,
 * pre-tokenizers and post-processors those files name. The ids are the ones
 * the Hugging Face `tokenizers` package gives for the same file.
 *
 * Offsets are byte offsets into the caller's UTF-8 text, mapped back through
 * normalization. Special tokens added by the post-processor get (0, 0),
 * special = 1 and word id -1. Special tokens that appear literally in the text
 * (a "[SEP]" typed by the user) are matched like the Python package does: they
 * keep their place in the text, special = 0, and they are a word of their own.
 *
 * Empty text (or text that normalizes to nothing) gives just the special
 * tokens of the template, as the Python package does.
 *
 * A tokenizer is immutable once loaded: lk_tokenizer_encode() may be called
 * from several threads at once.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LK_TYPE_TOKENIZER (lk_tokenizer_get_type ())
G_DECLARE_FINAL_TYPE (LkTokenizer, lk_tokenizer, LK, TOKENIZER, GObject)

/* CLS = <s>/[CLS]/bos, SEP = </s>/[SEP]/eos */
typedef enum {
  LK_SPECIAL_CLS,
  LK_SPECIAL_SEP,
  LK_SPECIAL_PAD,
  LK_SPECIAL_MASK,
  LK_SPECIAL_UNK,
} LkSpecialToken;

typedef struct {
  guint     n_tokens;
  gint32   *ids;
  gsize    *starts;     /* byte offsets into the input */
  gsize    *ends;
  guint8   *special;    /* 1 for template special tokens */
  gint     *word_ids;   /* word index, -1 for specials */
  gboolean  truncated;
} LkEncoding;

LkTokenizer *lk_tokenizer_new_from_file (const char *tokenizer_json_path,
                                         GError    **error);
/* Reads tokenizer.json in that folder. */
LkTokenizer *lk_tokenizer_new_from_dir  (const char *model_dir,
                                         GError    **error);

/* @text must be valid UTF-8 (LK_ERROR_INVALID_ARGUMENT names the first bad
 * byte otherwise). @max_length counts the special tokens; 0 means no
 * truncation. When the text has more tokens, the first ones are kept and
 * truncated is set. A @max_length smaller than the number of special tokens
 * is LK_ERROR_INVALID_ARGUMENT. The `truncation` and `padding` sections of
 * tokenizer.json are ignored: the caller decides. */
LkEncoding  *lk_tokenizer_encode (LkTokenizer *self,
                                  const char  *text,
                                  guint        max_length,
                                  GError     **error);

/* NULL if out of range. */
const char  *lk_tokenizer_id_to_token (LkTokenizer *self,
                                       gint32       id);
/* -1 if none. */
gint32       lk_tokenizer_get_special_id (LkTokenizer    *self,
                                          LkSpecialToken  which);
/* One more than the largest id (vocabulary and added tokens): the number of
 * rows the model's embedding matrix needs. */
guint        lk_tokenizer_get_vocab_size (LkTokenizer *self);
/* "WordPiece" or "Unigram" */
const char  *lk_tokenizer_get_model_type (LkTokenizer *self);

void         lk_encoding_free (LkEncoding *enc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkEncoding, lk_encoding_free)

G_END_DECLS
