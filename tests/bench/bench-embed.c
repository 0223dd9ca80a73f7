/* bench-embed.c — sentences per second of lk_model_embed (tokenization and
 * the whole sentence-transformers pipeline; model loading excluded).
 *
 *   bench-embed MODEL SENTENCES.txt [REPEATS]
 *
 * SENTENCES.txt holds one sentence a line. One warm-up call on the first 32
 * sentences, then REPEATS (default 3) timed calls on all of them; prints one
 * JSON line with the best. Threads: $LIKENESS_THREADS. Built and run by
 * tests/bench/run embed. */
#include <stdio.h>
#include <stdlib.h>

#include "lk-model.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(LkModel) model = NULL;
  g_autofree float *out = NULL;
  LkModelOptions opts;
  int repeats = argc > 3 ? atoi (argv[3]) : 3;
  double best = G_MAXDOUBLE, load;
  gint64 t0;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s MODEL SENTENCES.txt [REPEATS]\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[2], &data, NULL, &error))
    g_error ("%s", error->message);
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (lines[i][0])
      g_ptr_array_add (texts, lines[i]);

  lk_model_options_init_from_env (&opts);
  t0 = g_get_monotonic_time ();
  if ((model = lk_model_new (argv[1], &opts, &error)) == NULL)
    g_error ("%s", error->message);
  load = (g_get_monotonic_time () - t0) / 1e6;
  out = g_new (float, (gsize) texts->len * lk_model_get_dim (model));

  if (!lk_model_embed (model, (const char *const *) texts->pdata, MIN (32u, texts->len), out, NULL,
                       NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  for (int r = 0; r < repeats; r++)
    {
      double dt;
      t0 = g_get_monotonic_time ();
      if (!lk_model_embed (model, (const char *const *) texts->pdata, texts->len, out, NULL, NULL, NULL, NULL, &error))
        g_error ("%s", error->message);
      dt = (g_get_monotonic_time () - t0) / 1e6;
      best = MIN (best, dt);
    }
  printf ("{\"side\": \"likeness\", \"model\": \"%s\", \"sentences\": %u, \"repeats\": %d, "
          "\"seconds\": %.4f, \"per_second\": %.2f, \"load_seconds\": %.3f, \"threads\": \"%s\"}\n",
          argv[1], texts->len, repeats, best, texts->len / best, load,
          g_getenv ("LIKENESS_THREADS") ? g_getenv ("LIKENESS_THREADS") : "auto");
  return 0;
}
