/* fuzz-config.c — libFuzzer target for a model folder's JSON files.
 *
 * The first byte picks which file of a sentence-transformers folder the rest
 * of the input becomes (config.json, modules.json, 1_Pooling/config.json,
 * sentence_bert_config.json, 2_Dense/config.json; CLIP's config.json); the
 * other files are the tiny BERT's own, so a fuzzed file is read in the
 * context it has in a real folder. Reading must end in a config or in an
 * error with a message.
 */
#include "config.h"

#include "fuzz-common.h"
#include "lk-model-private.h"

static const char * const files[] = {
  "config.json", "modules.json", "1_Pooling/config.json",
  "sentence_bert_config.json", "2_Dense/config.json",
};

static const char * const tiny_files[] = {
  "config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
};

static void
restore_tiny (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tiny_files); i++)
    {
      g_autofree char *src = g_build_filename (LK_SOURCE_DIR, "tests", "golden", "tiny", "bert", tiny_files[i], NULL);
      g_autofree char *contents = NULL;
      g_autofree char *path = NULL;
      gsize len;

      if (!g_file_get_contents (src, &contents, &len, NULL))
        abort ();
      path = fuzz_write (tiny_files[i], (const uint8_t *) contents, len);
    }
  {
    g_autofree char *dense = g_build_filename (fuzz_dir (), "2_Dense", "config.json", NULL);
    g_unlink (dense);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  LkModelConfig config = { 0 };
  gboolean ok;
  guint which;

  if (size < 1)
    return 0;
  restore_tiny ();
  which = data[0] % (G_N_ELEMENTS (files) + 1);
  path = fuzz_write (which < G_N_ELEMENTS (files) ? files[which] : "config.json", data + 1, size - 1);
  if (which < G_N_ELEMENTS (files))
    ok = lk_model_config_read (&config, fuzz_dir (), &error);
  else
    ok = lk_model_config_read_clip (&config, fuzz_dir (), &error);
  FUZZ_CHECK_ERROR (ok, error);
  lk_model_config_clear (&config);
  return 0;
}
