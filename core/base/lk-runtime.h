/* lk-runtime.h — process set-up shared by the app and the CLI. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libtorch's OpenMP threads spin while they wait by default (libgomp: some
 * 300,000 rounds), which on a desktop (or any busy machine) steals the cores
 * other threads need: measured here, 5× slower embeddings with two spinning
 * threads on a loaded 2-core machine. Not spinning at all (PASSIVE) costs a
 * sleep and a wake-up per parallel region: 15% of a long IJ. So the threads
 * spin 10,000 rounds (some microseconds), then sleep. The setting is read
 * from the environment when the OpenMP runtime loads, before main(), so when
 * neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set this re-executes the
 * program once with GOMP_SPINCOUNT=10000. Call it first thing in main(). */
void lk_runtime_init (char **argv);

/* TRUE when this program runs from the build folder (its executable lies
 * under it): the app and the core then read the source tree's data/ (the
 * example photos, the aspect heads) rather than the installed copy. */
gboolean lk_runtime_running_uninstalled (void);

G_END_DECLS
