/* fuzz-tokenizer-json.c — libFuzzer target for reading tokenizer.json (the
 * file a model brings from the hub), not for encoding with it (that is
 * fuzz-tokenizer.c). A tokenizer that loads must then encode a fixed text
 * without crashing. */
#include "config.h"

#include "fuzz-common.h"
#include "lk-error.h"
#include "lk-tokenizer-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fuzz_write ("tokenizer.json", data, size);
  LkTokenizer *tok = lk_tokenizer_new_from_file (path, &error);

  FUZZ_CHECK_ERROR (tok != NULL, error);
  if (tok != NULL)
    {
      g_autoptr(GError) enc_error = NULL;
      LkEncoding *enc = lk_tokenizer_encode (tok, "A man is playing a guitar, naïvely. 東京 😀", 0, &enc_error);

      if (enc != NULL)
        lk_encoding_free (enc);
      g_object_unref (tok);
    }
  return 0;
}
