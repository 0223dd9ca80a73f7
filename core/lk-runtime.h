/* lk-runtime.h — process set-up shared by the app and the CLI. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libtorch's OpenMP threads spin while they wait by default, which on a
 * desktop (or any busy machine) steals the cores other threads need: measured
 * here, 5× slower embeddings with two spinning threads on a loaded 2-core
 * machine. The policy is read from the environment when the OpenMP runtime
 * loads, before main(), so when it is unset this re-executes the program
 * once with OMP_WAIT_POLICY=PASSIVE. Call it first thing in main(). */
void lk_runtime_init (char **argv);

G_END_DECLS
