/* cli-similarity.c — `similarity` and `embed`. */
#include "config.h"

#include "cli.h"
#include "lk-error.h"
#include "lk-image.h"

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

/* CLIP: the image embeddings of @paths into @out (n × dim). */
static gboolean
embed_images (LkModel *model, const char *const *paths, guint n, float *out, GError **error)
{
  guint s = lk_model_get_image_size (model);
  g_autofree float *px = NULL;

  if (!lk_model_has_vision (model))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s is a text model: --image needs a CLIP model", lk_model_get_id (model));
      return FALSE;
    }
  px = g_new (float, (gsize) n * 3 * s * s);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LkImage) image = lk_image_load_for_model (paths[i], s, error);
      if (image == NULL || !lk_model_preprocess_image (model, image, px + (gsize) i * 3 * s * s, error))
        return FALSE;
    }
  return lk_model_embed_pixels (model, n, px, out, NULL, error);
}

int
cli_similarity (int argc, char **argv)
{
  g_autofree char *model_name = NULL;
  int truncate_dim = 0;
  g_autofree char *image = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { "truncate-dim", 0, 0, G_OPTION_ARG_INT, &truncate_dim, "Matryoshka: the first N embedding dimensions only, as sentence-transformers' truncate_dim (default: all)", "N" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, "Compare this image with one text (a CLIP model)", "FILE" },
    { NULL }
  };
  g_autoptr(LkModel) model = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree float *e = NULL;
  GError *error = NULL;
  const char *texts[2];
  guint dim, truncated = 0;
  gint64 t0;

  if (!cli_parse ("similarity", "TEXT_A TEXT_B | --image FILE TEXT",
                  "Prints the cosine similarity of two texts (or of an image and a text).", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc != (image ? 2 : 3))
    return cli_usage ("similarity", image ? "expected exactly one text with --image" : "expected exactly two texts");
  if (!cli_check_texts (argc, argv, image != NULL, &error))
    return cli_fail (error);
  if ((image && !lk_image_check_file (image, &error)) ||
      (model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, truncate_dim, &error)) == NULL)
    return cli_fail (error);
  dim = lk_model_get_dim (model);
  e = g_new (float, 2 * dim);
  texts[0] = argv[1];
  texts[1] = argv[2];
  t0 = g_get_monotonic_time ();
  if (image != NULL)
    {
      const char *paths[] = { image };
      if (!embed_images (model, paths, 1, e, &error) ||
          !lk_model_embed (model, texts, 1, e + dim, &truncated, NULL, NULL, NULL, &error))
        return cli_fail (error);
    }
  else if (!lk_model_embed (model, texts, 2, e, &truncated, NULL, NULL, NULL, &error))
    return cli_fail (error);
  json_builder_begin_object (b);
  add_model (b, model);
  if (image != NULL)
    {
      json_builder_set_member_name (b, "image");
      json_builder_add_string_value (b, image);
    }
  json_builder_set_member_name (b, "measure");
  json_builder_add_string_value (b, "cosine");
  json_builder_set_member_name (b, "similarity");
  json_builder_add_double_value (b, lk_cosine (e, e + dim, dim));
  json_builder_set_member_name (b, "truncated");
  json_builder_add_boolean_value (b, truncated > 0);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, (g_get_monotonic_time () - t0) / 1e6);
  json_builder_end_object (b);
  if (!cli_print_result (b, &error))
    return cli_fail (error);
  if (truncated)
    g_printerr ("likeness-cli: warning: a text was cut to the model's %u tokens\n", lk_model_get_max_seq_length (model));
  return CLI_EXIT_OK;
}

int
cli_embed (int argc, char **argv)
{
  g_autofree char *model_name = NULL;
  int truncate_dim = 0;
  g_auto(GStrv) images = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "Model: hub id or folder (default " CLI_DEFAULT_MODEL ")", "M" },
    { "truncate-dim", 0, 0, G_OPTION_ARG_INT, &truncate_dim, "Matryoshka: the first N embedding dimensions only, as sentence-transformers' truncate_dim (default: all)", "N" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &images, "Also embed this image, before the texts (a CLIP model; repeatable)", "FILE" },
    { NULL }
  };
  guint n_images;
  g_autoptr(LkModel) model = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree float *e = NULL;
  GError *error = NULL;
  guint dim, n;

  if (!cli_parse ("embed", "TEXT…", "Prints the sentence embeddings of the images and texts, in that order "
                  "(text: one embedding=v1,v2,… line each).", entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  n_images = images ? g_strv_length (images) : 0;
  if (argc < 2 && n_images == 0)
    return cli_usage ("embed", "expected at least one text or --image");
  for (guint i = 0; i < n_images; i++)
    if (!lk_image_check_file (images[i], &error))
      return cli_fail (error);
  if (!cli_check_texts (argc, argv, FALSE, &error))
    return cli_fail (error);
  if ((model = cli_load_model (model_name ? model_name : CLI_DEFAULT_MODEL, truncate_dim, &error)) == NULL)
    return cli_fail (error);
  n = n_images + argc - 1;
  dim = lk_model_get_dim (model);
  e = g_new (float, (gsize) n * dim);
  if (n_images > 0 && !embed_images (model, (const char * const *) images, n_images, e, &error))
    return cli_fail (error);
  if (argc > 1 &&
      !lk_model_embed (model, (const char * const *) argv + 1, argc - 1, e + (gsize) n_images * dim, NULL, NULL, NULL, NULL, &error))
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
  if (!cli_print_result (b, &error))
    return cli_fail (error);
  return CLI_EXIT_OK;
}
