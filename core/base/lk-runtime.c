/* lk-runtime.c — see lk-runtime.h. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "lk-runtime.h"

void
lk_runtime_init (char **argv)
{
  if (getenv ("OMP_WAIT_POLICY") != NULL || getenv ("GOMP_SPINCOUNT") != NULL)
    return;
  setenv ("GOMP_SPINCOUNT", "10000", 1);
  execv ("/proc/self/exe", argv);
  /* exec failed (no /proc?): carry on with the runtime's default policy */
}

gboolean
lk_runtime_running_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe != NULL && g_str_has_prefix (exe, LK_BUILD_ROOT "/");
}
