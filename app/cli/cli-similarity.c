/* cli-similarity.c — `similarity` and `embed`. */
#include "config.h"

#include "cli.h"

static void
add_model (JsonBuilder *b, LkModel *model)
{
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, lk_model_get_id (model));
  json_builder_set_member_name (b, "dim");
  json_builder_add_int_value (b, lk_model_get_dim (model));
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, lk_model_get_device_name (model));
}

int
cli_similarity (int argc, char **argv)
{
  g_autofree char *model_name = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree float *e = NULL;
  GError *error = NULL;
  const char *texts[2];
  guint dim, truncated = 0;
  gint64 t0;

  if (!cli_parse ("similarity", "TEXT_A TEXT_B", "Prints the cosine similarity of two texts as JSON.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != 3)
    return cli_usage ("similarity", "expected exactly two texts");
  if ((model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, &error)) == NULL)
    return cli_fail (error);
  dim = lk_model_get_dim (model);
  e = g_new (float, 2 * dim);
  texts[0] = argv[1];
  texts[1] = argv[2];
  t0 = g_get_monotonic_time ();
  if (!lk_model_embed (model, texts, 2, e, &truncated, NULL, NULL, NULL, &error))
    return cli_fail (error);
  json_builder_begin_object (b);
  add_model (b, model);
  json_builder_set_member_name (b, "measure");
  json_builder_add_string_value (b, "cosine");
  json_builder_set_member_name (b, "similarity");
  json_builder_add_double_value (b, lk_cosine (e, e + dim, dim));
  json_builder_set_member_name (b, "truncated");
  json_builder_add_boolean_value (b, truncated > 0);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, (g_get_monotonic_time () - t0) / 1e6);
  json_builder_end_object (b);
  cli_print_json (b);
  if (truncated)
    g_printerr ("likeness-cli: warning: a text was cut to the model's %u tokens\n", lk_model_get_max_seq_length (model));
  return CLI_EXIT_OK;
}

int
cli_embed (int argc, char **argv)
{
  g_autofree char *model_name = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree float *e = NULL;
  GError *error = NULL;
  guint dim, n;

  if (!cli_parse ("embed", "TEXT…", "Prints the sentence embeddings of the texts as JSON.", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc < 2)
    return cli_usage ("embed", "expected at least one text");
  if ((model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, &error)) == NULL)
    return cli_fail (error);
  n = argc - 1;
  dim = lk_model_get_dim (model);
  e = g_new (float, (gsize) n * dim);
  if (!lk_model_embed (model, (const char * const *) argv + 1, n, e, NULL, NULL, NULL, NULL, &error))
    return cli_fail (error);
  json_builder_begin_object (b);
  add_model (b, model);
  json_builder_set_member_name (b, "normalized");
  json_builder_add_boolean_value (b, lk_model_get_normalize (model));
  json_builder_set_member_name (b, "embeddings");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      json_builder_begin_array (b);
      for (guint d = 0; d < dim; d++)
        json_builder_add_double_value (b, e[(gsize) i * dim + d]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  cli_print_json (b);
  return CLI_EXIT_OK;
}
