/* fuzz-tokenizer.c — libFuzzer target for the tokenizers.
 *
 * The first byte picks what to do with the rest of the input:
 *   0, 1  encode it with the MiniLM (WordPiece) tokenizer,
 *   2     encode it with the XLM-R-layout (Unigram) tokenizer,
 *   3     use it as a sentencepiece charsmap and normalize a fixed text.
 * The second byte is a max_length (0 = none). Every result is checked: ids in
 * the vocabulary, offsets inside the input and on character boundaries, word
 * ids in order; invalid UTF-8 must be an error, never a crash.
 *
 * Needs tokenizer files: LK_SHARED_DATA (or ../shared/data beside the
 * sources) for MiniLM, tests/golden/tiny/xlmr/ for XLM-R.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

static LkTokenizer *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  LkTokenizer *tok = lk_tokenizer_new_from_file (path, &error);

  if (tok == NULL)
    {
      fprintf (stderr, "fuzz-tokenizer: %s\n", error->message);
      abort ();
    }
  return tok;
}

static LkTokenizer *
tokenizer (guint which)
{
  static LkTokenizer *toks[2];

  if (toks[which] == NULL)
    {
      const char *shared = g_getenv ("LK_SHARED_DATA");
      g_autofree char *data = shared ? g_strdup (shared)
                              : g_build_filename (LK_SOURCE_DIR, "..", "shared", "data", NULL);
      g_autofree char *path = which == 0
        ? g_build_filename (data, "models", "all-MiniLM-L6-v2", "tokenizer.json", NULL)
        : g_build_filename (LK_SOURCE_DIR, "tests", "golden", "tiny", "xlmr", "tokenizer.json", NULL);

      toks[which] = load (path);
    }
  return toks[which];
}

static gboolean
is_boundary (const char *text,
             gsize       len,
             gsize       pos)
{
  return pos == len || ((guchar) text[pos] & 0xC0) != 0x80;
}

static void
check (LkTokenizer      *tok,
       const LkEncoding *enc,
       const char       *text,
       gsize             len,
       guint             max_length)
{
  gint last_word = -1;

  if (max_length > 0 && enc->n_tokens > max_length)
    abort ();
  for (guint i = 0; i < enc->n_tokens; i++)
    {
      if (enc->ids[i] < 0 || (guint) enc->ids[i] >= lk_tokenizer_get_vocab_size (tok))
        abort ();
      if (lk_tokenizer_id_to_token (tok, enc->ids[i]) == NULL)
        abort ();
      if (enc->starts[i] > enc->ends[i] || enc->ends[i] > len)
        abort ();
      if (!is_boundary (text, len, enc->starts[i]) || !is_boundary (text, len, enc->ends[i]))
        abort ();
      if (enc->special[i])
        {
          if (enc->word_ids[i] != -1 || enc->starts[i] != 0 || enc->ends[i] != 0)
            abort ();
          continue;
        }
      if (enc->word_ids[i] < last_word)
        abort ();
      last_word = enc->word_ids[i];
    }
}

static void
encode (LkTokenizer *tok,
        const char  *text,
        gsize        len,
        guint        max_length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_tokenizer_encode_len (tok, text, len, max_length, &error);

  if (enc != NULL)
    check (tok, enc, text, len, max_length);
  else if (!g_error_matches (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT))
    abort ();
}

static void
normalize_with_charsmap (const guint8 *data,
                         gsize         size)
{
  static const char text[] = "Ｈéllo\u00a0wörld \xe2\x80\x8b e\xcc\x81 ﬁ ①  ｶﾞ 한국어 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\r\n";
  g_autofree char *base64 = g_base64_encode (data, size);
  g_autoptr(GError) error = NULL;
  LkTokPrecompiled *map = lk_tok_precompiled_new (base64, "fuzz", "normalizer", &error);
  g_autoptr(LkTokNorm) norm = NULL;

  if (map == NULL)
    return;
  norm = lk_tok_norm_new (text, 0, sizeof text - 1);
  lk_tok_precompiled_apply (map, norm);
  if (!g_utf8_validate_len (norm->str->str, norm->str->len, NULL) ||
      norm->align->len != norm->str->len)
    abort ();
  lk_tok_precompiled_free (map);
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The tokenizers are loaded before the first input, outside the per-input
 * timeout: reading MiniLM's 30 522-entry vocabulary instrumented takes
 * seconds on a busy machine, and counted against one input it was reported
 * as that input's hang. */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  tokenizer (0);
  tokenizer (1);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint mode, max_length;

  if (size < 2)
    return 0;
  mode = data[0] % 4;
  max_length = data[1] < 3 ? 0 : data[1];
  if (mode == 3)
    normalize_with_charsmap (data + 2, size - 2);
  else
    encode (tokenizer (mode == 2), (const char *) data + 2, size - 2, max_length);
  return 0;
}
