/* test-model.c — model folders: configuration errors, and the tiny
 * random-weight models of tests/golden/tiny embedding texts, truncating and
 * cancelling (the real all-MiniLM-L6-v2: test-model-parity.c). */
#include <math.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-test-utils.h"

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

/* Sets config.json's @member (inside @sub when not NULL) to the integer @value. */
static void
set_config_int (const char *dir, const char *sub, const char *member, gint64 value)
{
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  JsonObject *o;

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  if (sub)
    o = json_object_get_object_member (o, sub);
  json_object_set_int_member (o, member, value);
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, path, NULL));
}

typedef struct {
  const char *model, *sub, *member;
  gint64      value;
  const char *fragment;
} BadField;

static void
expect_field_error (const BadField *c)
{
  g_autofree char *dir = lk_test_copy_tiny (c->model);
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  g_autoptr(LkModel) m = NULL;

  set_config_int (dir, c->sub, c->member, c->value);
  m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_assert_null (m);
  g_test_message ("%s %s=%" G_GINT64_FORMAT ": %s", c->model, c->member, c->value, error->message);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  lk_test_assert_message (error, "config.json: ");
  lk_test_assert_message (error, c->fragment);
  lk_test_rm_rf (dir);
}

/* Every size and token id of config.json is checked at load time, and the
 * message names the field and the value (not "sizes must be positive",
 * nor libtorch's "index out of range in self" at the first text). */
static void
test_config_fields (void)
{
  static const BadField cases[] = {
    { "bert", NULL, "hidden_size", 0, "hidden_size is 0; expected a positive integer" },
    { "bert", NULL, "num_attention_heads", -3, "num_attention_heads is -3; expected a positive integer" },
    { "bert", NULL, "num_hidden_layers", 0, "num_hidden_layers is 0; expected a positive integer" },
    { "bert", NULL, "intermediate_size", -1, "intermediate_size is -1" },
    { "bert", NULL, "vocab_size", 0, "vocab_size is 0" },
    { "bert", NULL, "max_position_embeddings", 0, "max_position_embeddings is 0" },
    { "bert", NULL, "hidden_size", 1 << 30, "hidden_size is 1073741824; expected at most" },
    { "bert", NULL, "num_attention_heads", 5, "hidden_size 32 is not a multiple of num_attention_heads 5" },
    { "bert", NULL, "type_vocab_size", 0, "type_vocab_size is 0" },
    { "bert", NULL, "pad_token_id", 40000, "pad_token_id is 40000; expected an id of the vocabulary (0 to 30521" },
    { "xlmr", NULL, "pad_token_id", 100000, "pad_token_id is 100000; expected an id of the vocabulary" },
    { "xlmr", NULL, "pad_token_id", -1, "pad_token_id is -1" },
    { "xlmr", NULL, "pad_token_id", 600, "pad_token_id is 600 but max_position_embeddings is 514" },
    { "xlmr", NULL, "pad_token_id", 513, "which leaves 0 positions" },
    { "mpnet", NULL, "pad_token_id", 9000, "max_position_embeddings is 514" },
    { "clip", "text_config", "hidden_size", 0, "text_config.hidden_size is 0; expected a positive integer" },
    { "clip", "vision_config", "num_attention_heads", 0, "vision_config.num_attention_heads is 0" },
    { "clip", "vision_config", "num_attention_heads", 5, "vision_config.hidden_size 32 is not a multiple of "
                                                         "vision_config.num_attention_heads 5" },
    { "clip", "vision_config", "patch_size", 7, "vision_config.image_size 32 is not a multiple of vision_config.patch_size 7" },
    { "clip", "text_config", "eos_token_id", 99999, "text_config.eos_token_id is 99999" },
    { "clip", NULL, "projection_dim", -16, "projection_dim is -16" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_field_error (&cases[i]);
}

static guint32
crc32_of (const guchar *p, gsize n)
{
  guint32 c = 0xffffffff;

  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? (c >> 1) ^ 0xedb88320 : c >> 1;
    }
  return ~c;
}

static guint32
le32 (const guchar *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
}

static void
put_le32 (guchar *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = v >> (8 * i);
}

/* Rewrites the protocol byte of data.pkl in torch's zip (entries stored
 * uncompressed) and both of its CRCs, as torch.save(pickle_protocol=N) would mark it. */
static void
set_pickle_protocol (guchar *zip, gsize len, guchar protocol)
{
  for (gsize i = 0; i + 46 < len; i++)
    {
      guint n = zip[i + 28] | zip[i + 29] << 8;
      guint32 loc, size;
      guchar *data;
      if (memcmp (zip + i, "PK\1\2", 4) != 0 || n < 8 || memcmp (zip + i + 46 + n - 8, "data.pkl", 8) != 0)
        continue;
      loc = le32 (zip + i + 42);
      size = le32 (zip + i + 20);
      data = zip + loc + 30 + (zip[loc + 26] | zip[loc + 27] << 8) + (zip[loc + 28] | zip[loc + 29] << 8);
      g_assert_cmpint (data[0], ==, 0x80);
      data[1] = protocol;
      put_le32 (zip + i + 16, crc32_of (data, size));
      put_le32 (zip + loc + 14, crc32_of (data, size));
      return;
    }
  g_assert_not_reached ();
}

static void
expect_clean_message (const char *dir, const char *const fragments[])
{
  g_autoptr(GError) error = NULL;
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  g_autoptr(LkModel) m = lk_model_new_from_dir (dir, NULL, &opts, &error);

  g_assert_null (m);
  g_test_message ("%s", error->message);
  for (guint i = 0; fragments[i]; i++)
    lk_test_assert_message (error, fragments[i]);
  for (const char *p = error->message; *p; p++)
    g_assert_cmpint ((guchar) *p, >=, 0x20);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* pytorch_model.bin of a pickle protocol libtorch 1.13 cannot read: its
 * own message ends in the raw protocol byte (0x04). */
static void
test_pickle_protocol (void)
{
  g_autofree char *dir = lk_test_copy_tiny ("xlmr");
  g_autofree char *bin = g_build_filename (dir, "pytorch_model.bin", NULL);
  g_autofree guchar *zip = NULL;
  const char *zip4[] = { "pytorch_model.bin: data.pkl is pickle protocol 4", "reads protocol 2 only", NULL };
  const char *plain4[] = { "pytorch_model.bin: a pickle of protocol 4, not a zip archive", "expected torch's zip format", NULL };
  const char *text[] = { "pytorch_model.bin: not a zip archive", NULL };
  /* protocol 4 pickle of {"w": [1.0]}, as pickle.dumps writes it */
  static const guchar pickle4[] = { 0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x7d, 0x94, 0x8c, 0x01, 'w', 0x94,
                                    0x5d, 0x94, 0x47, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x61, 0x73, 0x2e };
  gsize len;

  g_assert_true (g_file_get_contents (bin, (char **) &zip, &len, NULL));
  set_pickle_protocol (zip, len, 4);
  g_assert_true (g_file_set_contents (bin, (char *) zip, len, NULL));
  expect_clean_message (dir, zip4);
  g_assert_true (g_file_set_contents (bin, (const char *) pickle4, sizeof pickle4, NULL));
  expect_clean_message (dir, plain4);
  g_assert_true (g_file_set_contents (bin, "\x04\x01 not torch", -1, NULL));
  expect_clean_message (dir, text);
  lk_test_rm_rf (dir);
}

static void
test_tiny_model (void)
{
  g_autoptr(LkModel) m = lk_test_load_tiny ("bert");
  g_autoptr(GError) error = NULL;
  const char *pair[] = { "A man is playing a guitar.", "Someone plays an instrument." };
  const char *bad[] = { "fine", "   " };
  const char *broken[] = { "ok", "\xff\xfe broken" };
  float e[2 * 32];
  double norm = 0;

  g_assert_cmpuint (lk_model_get_dim (m), ==, 32);
  g_assert_cmpuint (lk_model_get_max_seq_length (m), ==, 128);
  g_assert_true (lk_model_get_normalize (m));
  g_assert_cmpstr (lk_model_get_architecture (m), ==, "bert");
  g_assert_true (lk_model_embed (m, pair, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 32; i++)
    norm += e[i] * e[i];
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  g_assert_cmpfloat (fabs (lk_cosine (e, e + 32, 32)), <=, 1 + 1e-6);

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
  g_autoptr(LkModel) m = lk_test_load_tiny ("bert");
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = NULL;
  const char *texts[1];
  float e[32];
  guint cut = 0;

  while (s->len < 10000)
    g_string_append (s, "The quick brown fox jumps over the lazy dog. ");
  texts[0] = s->str;
  enc = lk_model_tokenize (m, s->str, &error);
  g_assert_no_error (error);
  g_assert_true (enc->truncated);
  g_assert_cmpuint (enc->n_tokens, ==, 128);
  g_assert_true (lk_model_embed (m, texts, 1, e, &cut, NULL, NULL, NULL, &error));
  g_assert_cmpuint (cut, ==, 1);
}

static void
test_cancel (void)
{
  g_autoptr(LkModel) m = lk_test_load_tiny ("bert");
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const char *texts[] = { "one", "two" };
  float e[2 * 32];

  g_cancellable_cancel (c);
  g_assert_false (lk_model_embed (m, texts, 2, e, NULL, NULL, NULL, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/config-errors", test_config_errors);
  g_test_add_func ("/model/config-fields", test_config_fields);
  g_test_add_func ("/model/pickle-protocol", test_pickle_protocol);
  g_test_add_func ("/model/tiny", test_tiny_model);
  g_test_add_func ("/model/deep-config", test_deep_config);
  g_test_add_func ("/model/non-finite-weights", test_non_finite_weights);
  g_test_add_func ("/model/truncation", test_truncation);
  g_test_add_func ("/model/cancel", test_cancel);
  return g_test_run ();
}
