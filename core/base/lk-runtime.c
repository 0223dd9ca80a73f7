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
