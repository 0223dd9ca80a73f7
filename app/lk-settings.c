/* lk-settings.c — typed access to the io.github.likeness.Likeness schema. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "lk-error.h"
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

/* ---- method parameters ----
 * One a{sd} key holds what the user set away from the registry's defaults,
 * as "method.param": a layer means another thing to IJ than to BiLRP, so
 * each method keeps its own. */

#define PARAMS_KEY "method-params"

static char *
param_key (LkMethod method, LkParam param)
{
  return g_strdup_printf ("%s.%s", lk_method_to_string (method), lk_param_info (param)->name);
}

/* "ij.steps" → IJ, steps, when the method takes it. */
static gboolean
parse_param_key (const char *key, LkMethod *method, LkParam *param)
{
  const char *dot = key ? strchr (key, '.') : NULL;
  g_autofree char *name = NULL;
  const LkParamInfo *info;

  if (dot == NULL)
    return FALSE;
  name = g_strndup (key, dot - key);
  if (!lk_method_from_string (name, method) || (info = lk_param_info_find (dot + 1)) == NULL)
    return FALSE;
  *param = info->param;
  return lk_method_takes_param (*method, *param);
}

/* Whether @value is one the registry accepts for @param (@error says why not). */
static gboolean
param_value_ok (LkMethod method, LkParam param, double value, GError **error)
{
  g_autoptr(LkExplainRequest) probe = lk_explain_request_new (method);

  return lk_explain_request_set (probe, param, value, error);
}

double
lk_settings_get_param (LkSettings *self,
                       LkMethod    method,
                       LkParam     param,
                       gboolean   *is_set)
{
  g_autoptr(GVariant) dict = NULL;
  g_autofree char *key = NULL;
  double value;

  g_return_val_if_fail (LK_IS_SETTINGS (self), 0);
  dict = g_settings_get_value (self->settings, PARAMS_KEY);
  key = param_key (method, param);
  if (g_variant_lookup (dict, key, "d", &value) && param_value_ok (method, param, value, NULL))
    {
      if (is_set)
        *is_set = TRUE;
      return value;
    }
  if (is_set)
    *is_set = FALSE;
  return lk_param_info (param)->default_value;
}

/* Writes the dictionary without the keys that are @key or, with @prefix,
 * start with it; then with @key set to @value unless that is NULL. */
static void
store_params (GSettings *settings, const char *key, gboolean prefix, const double *value)
{
  g_autoptr(GVariant) dict = g_settings_get_value (settings, PARAMS_KEY);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{sd}"));
  GVariantIter iter;
  const char *k;
  double v;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sd}", &k, &v))
    if (!(prefix ? g_str_has_prefix (k, key) : g_str_equal (k, key)))
      g_variant_builder_add (&builder, "{sd}", k, v);
  if (value != NULL)
    g_variant_builder_add (&builder, "{sd}", key, *value);
  g_settings_set_value (settings, PARAMS_KEY, g_variant_builder_end (&builder));
}

gboolean
lk_settings_set_param (LkSettings *self,
                       LkMethod    method,
                       LkParam     param,
                       double      value,
                       GError    **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (LK_IS_SETTINGS (self), FALSE);
  if (!lk_method_takes_param (method, param))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("%s takes no parameter “%s”"),
                   lk_method_title (lk_method_to_string (method)), lk_param_info (param)->name);
      return FALSE;
    }
  if (!param_value_ok (method, param, value, error))
    return FALSE;
  key = param_key (method, param);
  /* the default is stored as no entry: a later default change reaches it */
  store_params (self->settings, key, FALSE, value == lk_param_info (param)->default_value ? NULL : &value);
  return TRUE;
}

void
lk_settings_reset_params (LkSettings *self,
                          LkMethod    method)
{
  g_autofree char *prefix = NULL;

  g_return_if_fail (LK_IS_SETTINGS (self));
  prefix = g_strconcat (lk_method_to_string (method), ".", NULL);
  store_params (self->settings, prefix, TRUE, NULL);
}

gboolean
lk_settings_has_params (LkSettings *self,
                        LkMethod    method)
{
  const LkMethodInfo *info = lk_method_info (method);
  gboolean set = FALSE;

  g_return_val_if_fail (LK_IS_SETTINGS (self), FALSE);
  for (guint i = 0; info->params[i] != LK_N_PARAMS && !set; i++)
    lk_settings_get_param (self, method, info->params[i], &set);
  return set;
}

LkExplainRequest *
lk_settings_new_request (LkSettings *self, LkMethod method)
{
  LkExplainRequest *request = lk_explain_request_new (method);
  const LkMethodInfo *info = lk_method_info (method);

  g_return_val_if_fail (LK_IS_SETTINGS (self), request);
  for (guint i = 0; info->params[i] != LK_N_PARAMS; i++)
    {
      gboolean set;
      double value = lk_settings_get_param (self, method, info->params[i], &set);
      /* only what was set: the request's unset parameters keep the
       * method's own, context-dependent defaults (IJ's layer L−2) */
      if (set)
        lk_explain_request_set (request, info->params[i], value, NULL);
    }
  return request;
}

JsonObject *
lk_settings_dup_params_json (LkSettings *self)
{
  JsonObject *obj = json_object_new ();
  g_autoptr(GVariant) dict = NULL;
  GVariantIter iter;
  const char *k;
  double v;

  g_return_val_if_fail (LK_IS_SETTINGS (self), obj);
  dict = g_settings_get_value (self->settings, PARAMS_KEY);
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sd}", &k, &v))
    {
      LkMethod method;
      LkParam param;
      if (!parse_param_key (k, &method, &param) || !param_value_ok (method, param, v, NULL))
        continue;
      if (lk_param_info (param)->type == LK_PARAM_TYPE_DOUBLE)
        json_object_set_double_member (obj, k, v);
      else
        json_object_set_int_member (obj, k, (gint64) v);
    }
  return obj;
}

/* Sessions of earlier versions kept three keys of their own. */
static const struct { const char *old; const char *key; } legacy_params[] = {
  { "ij-steps", "ij.steps" },
  { "ij-layer", "ij.layer" },
  { "masks",    "distance.masks" },
};

void
lk_settings_apply_params_json (LkSettings *self, JsonObject *params)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{sd}"));
  g_autoptr(GList) members = NULL;

  g_return_if_fail (LK_IS_SETTINGS (self));
  g_return_if_fail (params != NULL);

  /* A session's parameters replace the present ones: it reproduces its
   * results. What a hand-edited file gets wrong (an unknown name, a value
   * out of range, a string) is left out, at the default. */
  members = json_object_get_members (params);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (params, l->data);
      const char *key = l->data;
      LkMethod method;
      LkParam param;
      double value;

      for (guint i = 0; i < G_N_ELEMENTS (legacy_params); i++)
        if (g_str_equal (key, legacy_params[i].old) && !json_object_has_member (params, legacy_params[i].key))
          key = legacy_params[i].key;
      if (!JSON_NODE_HOLDS_VALUE (node) || !parse_param_key (key, &method, &param))
        continue;
      if (json_node_get_value_type (node) == G_TYPE_INT64)
        value = (double) json_node_get_int (node);
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        value = json_node_get_double (node);
      else if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        value = json_node_get_boolean (node);
      else
        continue;
      /* the old keys' "0 steps" and "layer −1" were the defaults */
      if (!param_value_ok (method, param, value, NULL) || value == lk_param_info (param)->default_value)
        continue;
      g_variant_builder_add (&builder, "{sd}", key, value);
    }
  g_settings_set_value (self->settings, PARAMS_KEY, g_variant_builder_end (&builder));
}

void
lk_settings_fill_render_options (LkSettings *self, LkRenderOptions *options)
{
  g_return_if_fail (LK_IS_SETTINGS (self));
  options->palette = g_settings_get_enum (self->settings, "palette");
  options->words = g_settings_get_boolean (self->settings, "merge-subwords");
  options->specials = g_settings_get_boolean (self->settings, "show-specials");
  options->hide_prompts = !g_settings_get_boolean (self->settings, "show-prompts");
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
