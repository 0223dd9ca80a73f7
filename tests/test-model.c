/* test-model.c — model folders: configuration errors, and the real
 * all-MiniLM-L6-v2 embedding texts as sentence-transformers does. */
#include <math.h>
#include <stdlib.h>

#include "lk-error.h"
#include "test-helpers.h"

static char *
shared_model_dir (void)
{
  return g_build_filename (g_getenv ("LK_SHARED_DATA"), "models", "all-MiniLM-L6-v2", NULL);
}

static void
write_file (const char *dir, const char *name, const char *content)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
}

static void
write_raw (const char *dir, const char *name, const char *data, gsize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
}

static void
expect_load_error (const char *dir, int code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  LkModel *m = lk_model_new_from_dir (dir, NULL, &opts, &error);

  g_assert_null (m);
  g_assert_error (error, LK_ERROR, code);
  lk_test_assert_message (error, fragment);
}

static void
test_config_errors (void)
{
  g_autofree char *src = shared_model_dir ();
  g_autofree char *dir = lk_test_copy_model_dir (src);
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *weights = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *good = NULL;

  g_file_get_contents (config, &good, NULL, NULL);
  /* the shared folder has everything but the weights */
  expect_load_error (dir, LK_ERROR_NOT_FOUND, "no weights");

  write_raw (dir, "model.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{}", 10);
  expect_load_error (dir, LK_ERROR_BACKEND, "beyond the file");
  write_raw (dir, "model.safetensors", "\x02\x00\x00\x00\x00\x00\x00\x00{}", 10);
  expect_load_error (dir, LK_ERROR_BACKEND, "no tensor named 'embeddings.word_embeddings.weight'");

  write_file (dir, "config.json", "{\"model_type\": \"gpt2\", \"hidden_size\": 8}");
  expect_load_error (dir, LK_ERROR_UNSUPPORTED, "model_type \"gpt2\" is not supported");
  write_file (dir, "config.json", "{\"model_type\": \"bert\", \"vocab_size\": 30522}");
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "field \"hidden_size\" is missing");
  write_file (dir, "config.json", "{\"model_type\": \"bert\", \"vocab_size\": \"many\"}");
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "field \"vocab_size\" must be an integer");
  write_file (dir, "config.json", "{ not json");
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "not valid JSON");
  g_unlink (config);
  expect_load_error (dir, LK_ERROR_NOT_FOUND, "config.json: file not found");

  write_file (dir, "config.json", good);
  write_file (dir, "1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": true}");
  expect_load_error (dir, LK_ERROR_UNSUPPORTED, "exactly one pooling mode");
  write_file (dir, "modules.json", "[{\"type\": \"sentence_transformers.models.Pooling\", \"path\": \"../x\"}]");
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "relative \"path\"");
  lk_test_rm_rf (dir);
}

static char *
tiny_bert_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
}

/* A file from the hub nested 100 000 deep gets a message, not SIGSEGV in
 * json-glib's recursive parser; a number that overflows to inf is refused. */
static void
test_deep_config (void)
{
  g_autofree char *src = tiny_bert_dir ();
  g_autofree char *dir = lk_test_copy_model_dir (src);
  g_autofree char *deep = lk_test_deep_json ("{\"model_type\": \"bert\", \"x\": ", 100000, "}");
  g_autofree char *good = NULL, *config = g_build_filename (dir, "config.json", NULL);

  g_autofree char *weights = g_build_filename (src, "model.safetensors", NULL);
  g_autofree char *bytes = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (weights, &bytes, &len, NULL));
  write_raw (dir, "model.safetensors", bytes, len);
  g_assert_true (g_file_get_contents (config, &good, NULL, NULL));
  write_file (dir, "config.json", deep);
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "config.json: JSON nested deeper than 512 levels at byte ");
  /* brackets inside strings are text, not nesting */
  g_clear_pointer (&deep, g_free);
  deep = lk_test_deep_json ("{\"model_type\": \"bert\", \"x\": \"", 100000, "\"}");
  write_file (dir, "config.json", deep);
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "is missing (expected an integer)");
  write_file (dir, "config.json", "{\"model_type\": \"bert\", \"layer_norm_eps\": 1e999}");
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "config.json: layer_norm_eps is not a finite number");

  write_file (dir, "config.json", good);
  g_clear_pointer (&deep, g_free);
  deep = lk_test_deep_json ("{\"pooling_mode_mean_tokens\": ", 100000, "}");
  write_file (dir, "1_Pooling/config.json", deep);
  expect_load_error (dir, LK_ERROR_INVALID_DATA, "nested deeper than 512 levels");
  lk_test_rm_rf (dir);
}

/* A NaN or Inf weight: an error that names the text and the cause, where
 * `similarity` printed "nan.0" and exit 0. */
static void
test_non_finite_weights (void)
{
  const float values[] = { NAN, INFINITY };
  const char *pair[] = { "a man plays the guitar", "someone plays music" };

  for (guint v = 0; v < G_N_ELEMENTS (values); v++)
    {
      g_autofree char *dir = lk_test_poisoned_tiny_bert ("encoder.layer.1.output.LayerNorm.bias", 5, values[v]);
      g_autoptr(GError) error = NULL;
      LkModelOptions opts = { LK_DEVICE_CPU, 1 };
      g_autoptr(LkModel) m = lk_model_new_from_dir (dir, NULL, &opts, &error);
      g_autofree float *e = NULL;

      g_assert_no_error (error);
      e = g_new (float, 2 * lk_model_get_dim (m));
      g_assert_false (lk_model_embed (m, pair, 2, e, NULL, NULL, NULL, NULL, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_BACKEND);
      lk_test_assert_message (error, "the embedding of text A is not finite (");
      lk_test_assert_message (error, "the model's weights may hold NaN or Inf");
      lk_test_rm_rf (dir);
    }
}

static void
test_real_model (void)
{
  g_autoptr(LkModel) m = lk_test_load_model (LK_TEST_MODEL);
  g_autoptr(GError) error = NULL;
  const char *pair[] = { "A man is playing a guitar.", "Someone plays an instrument." };
  const char *bad[] = { "fine", "   " };
  const char *broken[] = { "ok", "\xff\xfe broken" };
  float e[2 * 384];
  double norm = 0;

  g_assert_cmpuint (lk_model_get_dim (m), ==, 384);
  g_assert_cmpuint (lk_model_get_max_seq_length (m), ==, 256);
  g_assert_true (lk_model_get_normalize (m));
  g_assert_cmpstr (lk_model_get_architecture (m), ==, "bert");
  g_assert_true (lk_model_embed (m, pair, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 384; i++)
    norm += e[i] * e[i];
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  g_assert_cmpfloat (lk_cosine (e, e + 384, 384), >, 0.3);

  g_assert_false (lk_model_embed (m, bad, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  lk_test_assert_message (error, "text 2 is empty");
  g_clear_error (&error);
  g_assert_false (lk_model_embed (m, broken, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
}

static void
test_truncation (void)
{
  g_autoptr(LkModel) m = lk_test_load_model (LK_TEST_MODEL);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = NULL;
  const char *texts[1];
  float e[384];
  guint cut = 0;

  while (s->len < 10000)
    g_string_append (s, "The quick brown fox jumps over the lazy dog. ");
  texts[0] = s->str;
  enc = lk_model_tokenize (m, s->str, &error);
  g_assert_no_error (error);
  g_assert_true (enc->truncated);
  g_assert_cmpuint (enc->n_tokens, ==, 256);
  g_assert_true (lk_model_embed (m, texts, 1, e, &cut, NULL, NULL, NULL, &error));
  g_assert_cmpuint (cut, ==, 1);
}

static void
test_cancel (void)
{
  g_autoptr(LkModel) m = lk_test_load_model (LK_TEST_MODEL);
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const char *texts[] = { "one", "two" };
  float e[2 * 384];

  g_cancellable_cancel (c);
  g_assert_false (lk_model_embed (m, texts, 2, e, NULL, NULL, NULL, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/config-errors", test_config_errors);
  g_test_add_func ("/model/real", test_real_model);
  g_test_add_func ("/model/deep-config", test_deep_config);
  g_test_add_func ("/model/non-finite-weights", test_non_finite_weights);
  g_test_add_func ("/model/truncation", test_truncation);
  g_test_add_func ("/model/cancel", test_cancel);
  return g_test_run ();
}
