/* test-tokenizer.c — LkTokenizer against the Hugging Face tokenizers package.
 *
 * The golden files (tests/golden/tokenizers/<tok>-<set>.jsonl.gz, written by
 * tests/oracle/make_goldens.py) hold, per line, a text and what the Python
 * package returns for it: ids, offsets in code points, and the special-token
 * mask. Every line must match. A missing golden or tokenizer file is a
 * failure, never a skip. Every tokenizer here is in the tree or in
 * ../shared/data; CLIP's full one, from the Hugging Face cache:
 * test-tokenizer-parity.c.
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-tokenizer.h"
#include "lk-tokenizer-private.h"
#include "lk-test-utils.h"

/* all-MiniLM-L6-v2's tokenizer (../shared/data), all-mpnet-base-v2's (the
 * tiny MPNet carries it byte for byte: test-tokenizer-parity.c checks that
 * against the real model), the tiny XLM-R's, and the tiny CLIP's (CLIP's
 * byte-level BPE pipeline on a vocabulary of 2,514) and the tiny Qwen3's (Qwen2's
 * Split regex, NFC and byte-level BPE, trained by tests/oracle/decoder_oracle.py) and the tiny ModernBERT's
 * (GPT-2's ByteLevel regex, [CLS] … [SEP], a [MASK] that strips the space
 * before it: tests/oracle/modernbert_oracle.py). */
static const char *const tokenizer_names[] = { "minilm", "mpnet", "xlmr", "tiny-clip", "qwen", "modernbert" };
/* Those with golden sets here. CLIP's golden sets are of its full
 * vocabulary, which only the Hugging Face cache has (the random-weight CLIP
 * of tools/fetch-models.py): test-tokenizer-parity.c. */
static const char *const golden_names[] = { "minilm", "mpnet", "xlmr", "qwen", "modernbert" };
static const char *const set_names[] = { "stsb-test", "stsb-dev", "sick-test", "biosses", "hostile" };

/* ---- Finding files ------------------------------------------------------ */

static char *
tokenizer_path (const char *name)
{
  if (g_str_equal (name, "minilm"))
    {
      const char *shared = g_getenv ("LK_SHARED_DATA");
      return g_build_filename (shared ? shared : "shared/data", "models", "all-MiniLM-L6-v2",
                               "tokenizer.json", NULL);
    }
  if (g_str_equal (name, "mpnet"))
    return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "mpnet", "tokenizer.json", NULL);
  if (g_str_equal (name, "tiny-clip"))
    return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", "tokenizer.json", NULL);
  if (g_str_equal (name, "qwen"))
    return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "qwen3", "tokenizer.json", NULL);
  if (g_str_equal (name, "modernbert"))
    return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "modernbert", "tokenizer.json", NULL);
  return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "xlmr", "tokenizer.json", NULL);
}

/* NULL (and the test failed, naming the file) when it cannot be loaded. */
static LkTokenizer *
load_tokenizer (const char *name)
{
  g_autofree char *path = tokenizer_path (name);
  g_autoptr(GError) error = NULL;
  LkTokenizer *tok;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_fail_printf ("tokenizer file for %s is missing: %s", name, path);
      return NULL;
    }
  tok = lk_tokenizer_new_from_file (path, &error);
  if (tok == NULL)
    g_test_fail_printf ("cannot load %s: %s", path, error->message);
  return tok;
}

/* Loaded once for all the golden sets (a few tenths of a second each). */
static LkTokenizer *shared_tokenizers[G_N_ELEMENTS (tokenizer_names)];

static LkTokenizer *
shared_tokenizer (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (tokenizer_names); i++)
    if (g_str_equal (name, tokenizer_names[i]))
      {
        if (shared_tokenizers[i] == NULL)
          shared_tokenizers[i] = load_tokenizer (name);
        return shared_tokenizers[i];
      }
  g_assert_not_reached ();
}

/* ---- Golden files ------------------------------------------------------- */

static void
test_golden (gconstpointer data)
{
  g_auto(GStrv) parts = g_strsplit (data, "/", 2);
  g_autofree char *file = g_strdup_printf ("%s-%s.jsonl.gz", parts[0], parts[1]);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "tokenizers", file, NULL);
  LkTokenizer *tok;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_fail_printf ("golden file is missing: %s", path);
      return;
    }
  if ((tok = shared_tokenizer (parts[0])) == NULL)
    return;
  lk_test_check_tokenizer_golden (tok, path);
}

/* ---- Unit tests --------------------------------------------------------- */

static LkTokenizer *
minilm (void)
{
  LkTokenizer *tok = load_tokenizer ("minilm");

  g_assert_nonnull (tok);
  return tok;
}

static void
test_metadata (void)
{
  g_autoptr(LkTokenizer) tok = minilm ();

  g_assert_cmpstr (lk_tokenizer_get_model_type (tok), ==, "WordPiece");
  g_assert_cmpuint (lk_tokenizer_get_vocab_size (tok), ==, 30522);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_CLS), ==, 101);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_SEP), ==, 102);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_PAD), ==, 0);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_MASK), ==, 103);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_UNK), ==, 100);
  g_assert_cmpstr (lk_tokenizer_id_to_token (tok, 101), ==, "[CLS]");
  g_assert_null (lk_tokenizer_id_to_token (tok, 30522));
  g_assert_null (lk_tokenizer_id_to_token (tok, -1));
  g_assert_finalize_object (g_steal_pointer (&tok));
}

static void
test_metadata_unigram (void)
{
  g_autoptr(LkTokenizer) tok = load_tokenizer ("xlmr");
  gint32 mask;

  if (tok == NULL)
    return;
  g_assert_cmpstr (lk_tokenizer_get_model_type (tok), ==, "Unigram");
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_CLS), ==, 0);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_PAD), ==, 1);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_SEP), ==, 2);
  g_assert_cmpint (lk_tokenizer_get_special_id (tok, LK_SPECIAL_UNK), ==, 3);
  mask = lk_tokenizer_get_special_id (tok, LK_SPECIAL_MASK);
  g_assert_cmpstr (lk_tokenizer_id_to_token (tok, mask), ==, "<mask>");
  g_assert_cmpuint (lk_tokenizer_get_vocab_size (tok), ==, mask + 1);
  g_assert_finalize_object (g_steal_pointer (&tok));
}

/* Byte offsets through lowercasing and accent stripping. */
static void
test_offsets (void)
{
  static const char *const tokens[] = { "[CLS]", "hello", ",", "cafe", "[SEP]" };
  static const gsize starts[] = { 0, 0, 6, 8, 0 }, ends[] = { 0, 6, 7, 13, 0 };
  static const gint words[] = { -1, 0, 1, 2, -1 };
  g_autoptr(LkTokenizer) tok = minilm ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_tokenizer_encode (tok, "Héllo, CAFÉ", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (enc->n_tokens, ==, G_N_ELEMENTS (tokens));
  for (guint i = 0; i < enc->n_tokens; i++)
    {
      g_assert_cmpstr (lk_tokenizer_id_to_token (tok, enc->ids[i]), ==, tokens[i]);
      g_assert_cmpuint (enc->starts[i], ==, starts[i]);
      g_assert_cmpuint (enc->ends[i], ==, ends[i]);
      g_assert_cmpint (enc->word_ids[i], ==, words[i]);
      g_assert_cmpint (enc->special[i], ==, words[i] < 0);
    }
  g_assert_false (enc->truncated);
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(LkTokenizer) tok = minilm ();
  g_autoptr(GError) error = NULL;
  LkEncoding *enc = lk_tokenizer_encode (tok, "abc\xff" "def", 0, &error);

  g_assert_null (enc);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "byte offset 3"));
}

static void
test_empty (void)
{
  g_autoptr(LkTokenizer) tok = minilm ();
  g_autoptr(GError) error = NULL;
  const char *texts[] = { "", "   \t\n", "\x01" };

  for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
    {
      g_autoptr(LkEncoding) enc = lk_tokenizer_encode (tok, texts[t], 0, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (enc->n_tokens, ==, 2);
      g_assert_cmpint (enc->ids[0], ==, 101);
      g_assert_cmpint (enc->ids[1], ==, 102);
      for (guint i = 0; i < 2; i++)
        {
          g_assert_cmpint (enc->special[i], ==, 1);
          g_assert_cmpint (enc->word_ids[i], ==, -1);
          g_assert_cmpuint (enc->starts[i], ==, 0);
          g_assert_cmpuint (enc->ends[i], ==, 0);
        }
    }
}

static void
test_truncation (void)
{
  g_autoptr(LkTokenizer) tok = minilm ();
  g_autoptr(GError) error = NULL;
  const char *text = "one two three four five six seven eight nine ten";
  g_autoptr(LkEncoding) full = lk_tokenizer_encode (tok, text, 0, &error);
  g_autoptr(LkEncoding) exact = lk_tokenizer_encode (tok, text, 12, &error);
  g_autoptr(LkEncoding) cut = lk_tokenizer_encode (tok, text, 5, &error);
  LkEncoding *none;

  g_assert_no_error (error);
  g_assert_cmpuint (full->n_tokens, ==, 12);
  g_assert_false (full->truncated);
  g_assert_false (exact->truncated);
  g_assert_cmpuint (exact->n_tokens, ==, 12);

  g_assert_true (cut->truncated);
  g_assert_cmpuint (cut->n_tokens, ==, 5);
  g_assert_cmpint (cut->ids[0], ==, 101);
  g_assert_cmpint (cut->ids[4], ==, 102);
  g_assert_cmpint (cut->special[4], ==, 1);
  for (guint i = 1; i < 4; i++)
    g_assert_cmpint (cut->ids[i], ==, full->ids[i]);

  none = lk_tokenizer_encode (tok, text, 1, &error);
  g_assert_null (none);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
}

/* A special token typed in the text is found as such, not split up. */
static void
test_special_in_text (void)
{
  g_autoptr(LkTokenizer) tok = minilm ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_tokenizer_encode (tok, "a [SEP] b", 0, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (enc->n_tokens, ==, 5);
  g_assert_cmpint (enc->ids[2], ==, 102);
  g_assert_cmpint (enc->special[2], ==, 0);
  g_assert_cmpuint (enc->starts[2], ==, 2);
  g_assert_cmpuint (enc->ends[2], ==, 7);
  g_assert_cmpint (enc->word_ids[2], ==, 1);
}

/* ---- Malformed tokenizer.json ------------------------------------------- */

static void
expect_load_error (const char *json,
                   gint        code,
                   const char *message_part)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-tokenizer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autoptr(GError) error = NULL;
  LkTokenizer *tok;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  tok = lk_tokenizer_new_from_dir (dir, &error);
  g_assert_null (tok);
  g_assert_error (error, LK_ERROR, code);
  if (strstr (error->message, message_part) == NULL || strstr (error->message, path) == NULL)
    g_error ("unexpected message: %s", error->message);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_malformed (void)
{
  expect_load_error ("{\"normalizer\": null}", LK_ERROR_INVALID_DATA, "model is missing");
  expect_load_error ("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}", LK_ERROR_UNSUPPORTED,
                     "model.type 'WordLevel' is not supported here (expected WordPiece, Unigram or BPE)");
  expect_load_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}", LK_ERROR_INVALID_DATA,
                     "model.merges is missing");
  expect_load_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"]}}",
                     LK_ERROR_INVALID_DATA, "model.merges[0] is not a pair of symbols");
  expect_load_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}",
                     LK_ERROR_INVALID_DATA, "model.vocab[\"a\"] is not a non-negative integer id");
  expect_load_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, "
                     "\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Removed\"}}",
                     LK_ERROR_UNSUPPORTED, "the regular expression cannot be used");
  expect_load_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, "
                     "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"BertPreTokenizer\"}]}}",
                     LK_ERROR_UNSUPPORTED, "only Split and ByteLevel are supported in a Sequence");
  expect_load_error ("{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\"}}",
                     LK_ERROR_INVALID_DATA, "model.vocab is missing");
  expect_load_error ("{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"a\": 0}}}",
                     LK_ERROR_INVALID_DATA, "model.unk_token '[UNK]' is not in model.vocab");
  expect_load_error ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\"]]}}",
                     LK_ERROR_INVALID_DATA, "model.vocab[0] is not a [piece, score] pair");
  expect_load_error ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", -1]]},"
                     " \"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAAA\"}}",
                     LK_ERROR_INVALID_DATA, "normalizer.precompiled_charsmap");
  expect_load_error ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", -1]]},"
                     " \"normalizer\": {\"type\": \"NFKC\"}}",
                     LK_ERROR_UNSUPPORTED, "normalizer.type 'NFKC' is not supported");
  expect_load_error ("{\"model\": ", LK_ERROR_INVALID_DATA, "");
  expect_load_error ("[1, 2]", LK_ERROR_INVALID_DATA, "not a JSON object");
}

/* 100 000 levels: a message, not SIGSEGV in json-glib's recursive parser.
 * The scan follows json-glib's lexer: a quote inside one of its "/…/"
 * comments or a single-quoted string does not hide the brackets after it. */
static void
test_deep (void)
{
  const char *prefixes[] = { "{\"normalizer\": ", "{\"model\": /\"/ ", "{'\"': ", "{\"a\\\"\": ", NULL };

  for (guint i = 0; prefixes[i]; i++)
    {
      g_autofree char *deep = lk_test_deep_json (prefixes[i], 100000, "}");
      expect_load_error (deep, LK_ERROR_INVALID_DATA, "tokenizer.json: JSON nested deeper than 512 levels at byte ");
    }
  {
    g_autofree char *deep = lk_test_deep_json ("{\"normalizer\": ", 511, ", \"model\": {\"type\": \"BPE\"}}");
    /* 512 levels in all are allowed: the error is the next one the reader finds */
    expect_load_error (deep, LK_ERROR_INVALID_DATA, "model.vocab");
  }
  expect_load_error ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", -1e999]]}}",
                     LK_ERROR_INVALID_DATA, "model.vocab[0][1] is not a finite number");
  expect_load_error ("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"\\udc00xy\", -1]]}}",
                     LK_ERROR_INVALID_DATA, "model.vocab[0][0] is not valid UTF-8");
  expect_load_error ("{\"model\": \"\xff\"}", LK_ERROR_INVALID_DATA, "not valid UTF-8: byte 0xFF at byte offset 11");
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  LkTokenizer *tok = lk_tokenizer_new_from_file ("/nonexistent/tokenizer.json", &error);

  g_assert_null (tok);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/tokenizer.json"));
}

/* ---- Small hand-made models --------------------------------------------- */

static LkTokenizer *
tokenizer_from_string (const char *json)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-tokenizer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autoptr(GError) error = NULL;
  LkTokenizer *tok;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  tok = lk_tokenizer_new_from_file (path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (dir);
  return tok;
}

static char *
format_ids (const gint32 *ids,
            gsize         n)
{
  GString *s = g_string_new ("[");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? ", " : "", ids[i]);
  g_string_append (s, "]");
  return g_string_free (s, FALSE);
}

static void
assert_ids (LkTokenizer  *tok,
            const char   *text,
            const gint32 *expected,
            guint         n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_tokenizer_encode (tok, text, 0, &error);
  g_autofree char *got = NULL, *want = NULL;

  g_assert_no_error (error);
  got = format_ids (enc->ids, enc->n_tokens);
  want = format_ids (expected, n);
  g_assert_cmpstr (got, ==, want);
}

/* Longest match first, "##" pieces, and the unknown token for a word with an
 * unmatched part or more than max_input_chars_per_word characters. */
static void
test_wordpiece (void)
{
  g_autoptr(LkTokenizer) tok = tokenizer_from_string (
    "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"max_input_chars_per_word\": 10,"
    " \"vocab\": {\"[UNK]\": 0, \"un\": 1, \"##believ\": 2, \"##able\": 3, \"unbe\": 4, \"##lie\": 5,"
    " \"##v\": 6, \"a\": 7}},"
    " \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}}");
  static const gint32 word[] = { 4, 5, 6 }, unk[] = { 0 }, two[] = { 7, 0 };

  assert_ids (tok, "unbeliev", word, G_N_ELEMENTS (word));
  assert_ids (tok, "unbelievable", unk, 1);   /* 12 characters > 10 */
  assert_ids (tok, "unbx", unk, 1);
  assert_ids (tok, "a unbx", two, 2);
}

/* Viterbi picks the best total score; unknown characters fuse into one. */
static void
test_unigram (void)
{
  g_autoptr(LkTokenizer) tok = tokenizer_from_string (
    "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0,"
    " \"vocab\": [[\"<unk>\", 0], [\"ab\", -1], [\"a\", -1], [\"b\", -1], [\"abc\", -5], [\"c\", -1]]}}");
  static const gint32 best[] = { 1, 5 }, fused[] = { 2, 0, 3 };

  assert_ids (tok, "abc", best, G_N_ELEMENTS (best));
  assert_ids (tok, "axyb", fused, G_N_ELEMENTS (fused));
}

/* A Sequence of Replace normalizers, each making every "a" a hundred: the
 * text would grow 100^5 times. Refused with an error, in bounded memory,
 * for a text and for an added token alike; one Replace that grows a text
 * four times (as real ones may) still works. */
static void
test_normalizer_growth (void)
{
  g_autoptr(GString) json = g_string_new ("{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [");
  g_autoptr(GString) content = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append_c (content, 'a');
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (json, "%s{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, \"content\": \"%s\"}",
                            i ? ", " : "", content->str);
  g_string_append (json, "]}, \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"a\": 1}}}");
  {
    g_autoptr(LkTokenizer) tok = tokenizer_from_string (json->str);
    g_autoptr(LkEncoding) enc = lk_tokenizer_encode (tok, "a man and a plan", 0, &error);

    g_assert_null (enc);
    g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
    lk_test_assert_message (error, "normalizer");
    g_clear_error (&error);
  }
  {
    g_autoptr(GString) added = g_string_new (json->str);
    g_autofree char *dir = g_dir_make_tmp ("lk-tokenizer-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
    LkTokenizer *tok;

    g_string_insert (added, 1, "\"added_tokens\": [{\"id\": 2, \"content\": \"a\", \"special\": false,"
                     " \"normalized\": true, \"single_word\": false, \"lstrip\": false, \"rstrip\": false}], ");
    g_assert_true (g_file_set_contents (path, added->str, -1, NULL));
    tok = lk_tokenizer_new_from_file (path, &error);
    g_assert_null (tok);
    g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
    lk_test_assert_message (error, path);
    lk_test_assert_message (error, "added token 2");
    lk_test_rm_rf (dir);
    g_clear_error (&error);
  }
  {
    g_autoptr(LkTokenizer) tok = tokenizer_from_string (
      "{\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, \"content\": \"aaaa\"},"
      " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"aaaa\": 1}}}");
    static const gint32 one[] = { 1 };

    assert_ids (tok, "a", one, 1);
  }
}

/* 10,000 characters take milliseconds; a quadratic step would take seconds. */
static void
test_long_text (void)
{
  for (guint t = 0; t < G_N_ELEMENTS (tokenizer_names); t++)
    {
      LkTokenizer *tok = shared_tokenizer (tokenizer_names[t]);
      const char *fills[] = { "word ", "a", "é", "北", "[SEP]" };

      if (tok == NULL)
        continue;
      for (guint f = 0; f < G_N_ELEMENTS (fills); f++)
        {
          g_autoptr(GString) text = g_string_new (NULL);
          g_autoptr(GError) error = NULL;
          g_autoptr(LkEncoding) enc = NULL;
          gint64 start;
          double seconds;

          while (g_utf8_strlen (text->str, -1) < 10000)
            g_string_append (text, fills[f]);
          start = g_get_monotonic_time ();
          enc = lk_tokenizer_encode (tok, text->str, 0, &error);
          seconds = (g_get_monotonic_time () - start) / 1e6;
          g_assert_no_error (error);
          g_test_message ("%s, 10,000 characters (fill %u): %u tokens in %.4f s",
                          tokenizer_names[t], f, enc->n_tokens, seconds);
          g_assert_cmpfloat (seconds, <, 1.0);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char **args = g_new0 (char *, argc + 2);
  int status;

  /* Every golden set should report, not just the first failing one. */
  memcpy (args, argv, argc * sizeof (char *));
  args[argc++] = (char *) "--keep-going";
  argv = args;
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tokenizer/metadata", test_metadata);
  g_test_add_func ("/tokenizer/metadata-unigram", test_metadata_unigram);
  g_test_add_func ("/tokenizer/offsets", test_offsets);
  g_test_add_func ("/tokenizer/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/tokenizer/empty", test_empty);
  g_test_add_func ("/tokenizer/truncation", test_truncation);
  g_test_add_func ("/tokenizer/special-in-text", test_special_in_text);
  g_test_add_func ("/tokenizer/malformed", test_malformed);
  g_test_add_func ("/tokenizer/missing-file", test_missing_file);
  g_test_add_func ("/tokenizer/deep", test_deep);
  g_test_add_func ("/tokenizer/wordpiece", test_wordpiece);
  g_test_add_func ("/tokenizer/unigram", test_unigram);
  g_test_add_func ("/tokenizer/long-text", test_long_text);
  g_test_add_func ("/tokenizer/normalizer-growth", test_normalizer_growth);

  for (guint t = 0; t < G_N_ELEMENTS (golden_names); t++)
    for (guint s = 0; s < G_N_ELEMENTS (set_names); s++)
      {
        char *name = g_strdup_printf ("%s/%s", golden_names[t], set_names[s]);
        char *path = g_strdup_printf ("/tokenizer/golden/%s", name);

        /* The strings live as long as the program. */
        g_test_add_data_func_full (path, name, test_golden, g_free);
        g_free (path);
      }

  status = g_test_run ();
  for (guint i = 0; i < G_N_ELEMENTS (shared_tokenizers); i++)
    g_clear_object (&shared_tokenizers[i]);
  return status;
}
