/* fuzz-session.c — libFuzzer target for opening a session (.likeness): its
 * inputs, choices and every result in it. */
#include "config.h"

#include "fuzz-common.h"
#include "lk-session.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fuzz_write ("session.likeness", data, size);
  g_autoptr(LkSession) s = lk_session_load (path, &error);

  FUZZ_CHECK_ERROR (s != NULL, error);
  if (s != NULL)
    for (guint i = 0; i < lk_session_get_n_results (s); i++)
      if (lk_session_get_result (s, i) == NULL)
        abort ();
  return 0;
}
