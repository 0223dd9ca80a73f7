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
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GError *error = NULL;

  if (!cli_parse ("models", "", "Lists the models found in the Hugging Face cache and the given folders.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 1)
    return cli_usage ("models", "unexpected argument");
  if ((models = lk_model_store_list ((const char * const *) folders, &error)) == NULL)
    return cli_fail (error);
  cache = lk_model_store_get_cache_dir ();
  if (cli_format () == CLI_FORMAT_TEXT)
    {
      /* a table: id, kind, architecture, revision, folder */
      g_print ("# cache: %s\n", cache);
      g_print ("# id\tkind\tarchitecture\trevision\tfolder\n");
      for (guint i = 0; i < models->len; i++)
        {
          LkModelInfo *m = g_ptr_array_index (models, i);
          g_print ("%s\t%s\t%s\t%s\t%s\n", m->id,
                   lk_model_kind_to_string (m->kind),
                   m->architecture ? m->architecture : "-", m->revision ? m->revision : "-", m->path);
        }
      return CLI_EXIT_OK;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cache");
  json_builder_add_string_value (b, cache);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    {
      LkModelInfo *m = g_ptr_array_index (models, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, m->id);
      json_builder_set_member_name (b, "revision");
      if (m->revision)
        json_builder_add_string_value (b, m->revision);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, m->path);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, lk_model_kind_to_string (m->kind));
      json_builder_set_member_name (b, "architecture");
      if (m->architecture)
        json_builder_add_string_value (b, m->architecture);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (!cli_print_json (b, &error))
    return cli_fail (error);
  return CLI_EXIT_OK;
}
