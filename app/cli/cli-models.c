/* cli-models.c — `models`: what the store can resolve. */
#include "config.h"

#include "cli.h"
#include "lk-model-store.h"

int
cli_models (int argc, char **argv)
{
  g_auto(GStrv) folders = NULL;
  GOptionEntry entries[] = {
    { "folder", 'f', 0, G_OPTION_ARG_FILENAME_ARRAY, &folders, "Also list this model folder, or the models inside it (repeatable)", "DIR" },
    { NULL }
  };
  g_autoptr(GPtrArray) models = NULL;
  g_autofree char *cache = NULL;
  GError *error = NULL;

  if (!cli_parse ("models", "", "Lists the models found in the Hugging Face cache and the given folders.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 1)
    return cli_usage ("models", "unexpected argument");
  if ((models = lk_model_store_list ((const char * const *) folders, &error)) == NULL)
    return cli_fail (error);
  cache = lk_model_store_get_cache_dir ();
  g_print ("# cache: %s\n", cache);
  for (guint i = 0; i < models->len; i++)
    {
      LkModelInfo *m = g_ptr_array_index (models, i);
      g_print ("%s\t%s\t%s\n", m->id, m->revision ? m->revision : "-", m->path);
    }
  return CLI_EXIT_OK;
}
