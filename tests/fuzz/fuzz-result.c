/* fuzz-result.c — libFuzzer target for reading a saved explanation
 * (likeness.explanation/1), as `likeness-cli render` and the app do. A result
 * that loads is written back: what was read must serialise. */
#include "config.h"

#include "fuzz-common.h"
#include "lk-explanation.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fuzz_write ("result.json", data, size);
  g_autoptr(LkExplanation) x = lk_explanation_load (path, &error);

  FUZZ_CHECK_ERROR (x != NULL, error);
  if (x != NULL)
    {
      g_autoptr(JsonNode) node = lk_explanation_to_json (x);

      if (node == NULL)
        abort ();
    }
  return 0;
}
