/* test-tokenizer-parity.c — the tokenizers of the real models in the Hugging
 * Face cache (suite parity).
 *
 * CLIP's full tokenizer (49,408 ids; the random-weight CLIP that
 * tools/fetch-models.py makes carries it) against its golden sets
 * (tests/golden/tokenizers/clip-<set>.jsonl.gz, the Hugging Face tokenizers
 * package on the same file), and 10,000 characters of it in well under a
 * second. And the copies that test-tokenizer.c checks hermetically are the
 * real models' files byte for byte: all-MiniLM-L6-v2's tokenizer.json in
 * ../shared/data and in the tiny BERT, all-mpnet-base-v2's in the tiny MPNet.
 */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "lk-test-utils.h"

static const char *const set_names[] = { "stsb-test", "stsb-dev", "sick-test", "biosses", "hostile" };

static LkTokenizer *clip;

static void
test_golden (gconstpointer data)
{
  g_autofree char *file = g_strdup_printf ("clip-%s.jsonl.gz", (const char *) data);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "golden", "tokenizers", file, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_fail_printf ("golden file is missing: %s", path);
      return;
    }
  lk_test_check_tokenizer_golden (clip, path);
}

/* 10,000 characters take milliseconds; a quadratic step would take seconds. */
static void
test_long_text (void)
{
  const char *fills[] = { "word ", "a", "é", "北", "[SEP]" };

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
      enc = lk_tokenizer_encode (clip, text->str, 0, &error);
      seconds = (g_get_monotonic_time () - start) / 1e6;
      g_assert_no_error (error);
      g_test_message ("clip, 10,000 characters (fill %u): %u tokens in %.4f s", f, enc->n_tokens, seconds);
      g_assert_cmpfloat (seconds, <, 1.0);
    }
}

static void
assert_same_file (const char *copy, const char *real)
{
  g_autofree char *a = NULL, *b = NULL;
  gsize na, nb;

  g_assert_true (g_file_get_contents (copy, &a, &na, NULL));
  g_assert_true (g_file_get_contents (real, &b, &nb, NULL));
  if (na != nb || memcmp (a, b, na) != 0)
    g_test_fail_printf ("%s (%" G_GSIZE_FORMAT " bytes) is not the real model's %s (%" G_GSIZE_FORMAT " bytes)",
                        copy, na, real, nb);
}

/* The tokenizer files test-tokenizer.c's golden sets run on are the real ones. */
static void
test_copies_are_real (void)
{
  g_autofree char *minilm = lk_test_real_model_dir (LK_TEST_MODEL);
  g_autofree char *mpnet = lk_test_real_model_dir (LK_TEST_MODEL_MPNET);
  g_autofree char *minilm_tok = g_build_filename (minilm, "tokenizer.json", NULL);
  g_autofree char *mpnet_tok = g_build_filename (mpnet, "tokenizer.json", NULL);
  g_autofree char *shared = g_build_filename (g_getenv ("LK_SHARED_DATA"), "models", "all-MiniLM-L6-v2",
                                              "tokenizer.json", NULL);
  g_autofree char *tiny_bert = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", "tokenizer.json", NULL);
  g_autofree char *tiny_mpnet = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "mpnet", "tokenizer.json", NULL);

  assert_same_file (shared, minilm_tok);
  assert_same_file (tiny_bert, minilm_tok);
  assert_same_file (tiny_mpnet, mpnet_tok);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char **args = g_new0 (char *, argc + 2);
  g_autofree char *dir = NULL, *path = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* Every golden set should report, not just the first failing one. */
  memcpy (args, argv, argc * sizeof (char *));
  args[argc++] = (char *) "--keep-going";
  argv = args;
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, LK_TEST_MODEL_MPNET, LK_TEST_MODEL_CLIP_RANDOM, NULL);
  dir = lk_test_real_model_dir (LK_TEST_MODEL_CLIP_RANDOM);
  path = g_build_filename (dir, "tokenizer.json", NULL);
  clip = lk_tokenizer_new_from_file (path, &error);
  if (clip == NULL)
    g_error ("cannot load %s: %s", path, error->message);

  g_test_add_func ("/tokenizer/copies-are-real", test_copies_are_real);
  g_test_add_func ("/tokenizer/long-text/clip", test_long_text);
  for (guint s = 0; s < G_N_ELEMENTS (set_names); s++)
    {
      g_autofree char *test_path = g_strdup_printf ("/tokenizer/golden/clip/%s", set_names[s]);

      g_test_add_data_func (test_path, set_names[s], test_golden);
    }

  status = g_test_run ();
  g_object_unref (clip);
  return status;
}
