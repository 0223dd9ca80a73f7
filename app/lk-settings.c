/* lk-settings.c — typed access to the io.github.likeness.Likeness schema. */
#include "config.h"

#include "lk-settings.h"

struct _LkSettings
{
  GObject    parent_instance;
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (LkSettings, lk_settings, G_TYPE_OBJECT)

static void
lk_settings_finalize (GObject *object)
{
  LkSettings *self = LK_SETTINGS (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lk_settings_parent_class)->finalize (object);
}

static void
lk_settings_class_init (LkSettingsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_settings_finalize;
}

static void
lk_settings_init (LkSettings *self)
{
  self->settings = g_settings_new (LK_SETTINGS_SCHEMA_ID);
}

LkSettings *
lk_settings_new (void)
{
  return g_object_new (LK_TYPE_SETTINGS, NULL);
}

LkSettings *
lk_settings_get_default (void)
{
  static LkSettings *instance;

  if (g_once_init_enter (&instance))
    g_once_init_leave (&instance, lk_settings_new ());
  return instance;
}

GSettings *
lk_settings_get_gsettings (LkSettings *self)
{
  g_return_val_if_fail (LK_IS_SETTINGS (self), NULL);
  return self->settings;
}

LkModelOptions
lk_settings_get_model_options (LkSettings *self)
{
  LkModelOptions options = { LK_DEVICE_AUTO, 0 };

  g_return_val_if_fail (LK_IS_SETTINGS (self), options);
  /* The schema's enum values are the LkDevice values. */
  options.device = g_settings_get_enum (self->settings, "device");
  options.n_threads = g_settings_get_int (self->settings, "threads");
  return options;
}

/* Only what the method takes: a request refuses a parameter its method
 * does not. */
static void
fill_int (GSettings *settings, const char *key, LkExplainRequest *request, LkMethod method, LkParam param)
{
  g_autoptr(GError) error = NULL;

  if (lk_method_takes_param (method, param) &&
      !lk_explain_request_set (request, param, g_settings_get_int (settings, key), &error))
    g_warning ("preference %s: %s", key, error->message);
}

LkExplainRequest *
lk_settings_new_request (LkSettings *self, LkMethod method)
{
  LkExplainRequest *request = lk_explain_request_new (method);

  g_return_val_if_fail (LK_IS_SETTINGS (self), request);
  if (method == LK_METHOD_IJ)
    {
      fill_int (self->settings, "ij-steps", request, method, LK_PARAM_STEPS);
      fill_int (self->settings, "ij-layer", request, method, LK_PARAM_LAYER);
    }
  fill_int (self->settings, "masks", request, method, LK_PARAM_MASKS);
  return request;
}

JsonObject *
lk_settings_dup_params_json (LkSettings *self)
{
  JsonObject *obj = json_object_new ();

  g_return_val_if_fail (LK_IS_SETTINGS (self), obj);
  json_object_set_int_member (obj, "ij-steps", g_settings_get_int (self->settings, "ij-steps"));
  json_object_set_int_member (obj, "ij-layer", g_settings_get_int (self->settings, "ij-layer"));
  json_object_set_int_member (obj, "masks", g_settings_get_int (self->settings, "masks"));
  return obj;
}

static void
apply_int (GSettings *settings, JsonObject *params, const char *key)
{
  g_autoptr(GSettingsSchemaKey) schema_key = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GVariant) value = NULL;
  JsonNode *node = json_object_get_member (params, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return;
  g_object_get (settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  value = g_variant_ref_sink (g_variant_new_int32 ((gint32) CLAMP (json_node_get_int (node), G_MININT32, G_MAXINT32)));
  /* A hand-edited file must not set a value the schema forbids. */
  if (g_settings_schema_key_range_check (schema_key, value))
    g_settings_set_value (settings, key, value);
}

void
lk_settings_apply_params_json (LkSettings *self, JsonObject *params)
{
  g_return_if_fail (LK_IS_SETTINGS (self));
  g_return_if_fail (params != NULL);

  apply_int (self->settings, params, "ij-steps");
  apply_int (self->settings, params, "ij-layer");
  apply_int (self->settings, params, "masks");
}

void
lk_settings_fill_render_options (LkSettings *self, LkRenderOptions *options)
{
  g_return_if_fail (LK_IS_SETTINGS (self));
  options->palette = g_settings_get_enum (self->settings, "palette");
  options->words = g_settings_get_boolean (self->settings, "merge-subwords");
  options->specials = g_settings_get_boolean (self->settings, "show-specials");
  options->top_k = g_settings_get_int (self->settings, "alignment-top-k");
  options->overlay_alpha = g_settings_get_double (self->settings, "saliency-opacity");
}

char *
lk_settings_dup_model (LkSettings *self)
{
  g_return_val_if_fail (LK_IS_SETTINGS (self), NULL);
  return g_settings_get_string (self->settings, "model");
}

void
lk_settings_set_model (LkSettings *self, const char *model)
{
  g_return_if_fail (LK_IS_SETTINGS (self));
  g_settings_set_string (self->settings, "model", model);
}

char **
lk_settings_dup_model_folders (LkSettings *self)
{
  g_return_val_if_fail (LK_IS_SETTINGS (self), NULL);
  return g_settings_get_strv (self->settings, "model-folders");
}

void
lk_settings_add_model_folder (LkSettings *self, const char *folder)
{
  g_auto(GStrv) folders = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_if_fail (LK_IS_SETTINGS (self));
  folders = g_settings_get_strv (self->settings, "model-folders");
  if (g_strv_contains ((const char * const *) folders, folder))
    return;
  g_strv_builder_addv (builder, (const char **) folders);
  g_strv_builder_add (builder, folder);
  g_auto(GStrv) updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "model-folders", (const char * const *) updated);
}
