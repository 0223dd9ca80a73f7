/* lk-json.c — typed, well-reported access to JSON configuration files. */
#include "config.h"

#include "lk-atomic-file.h"
#include "lk-error.h"
#include "lk-json.h"

JsonNode *
lk_json_load (const char  *path,
              gboolean     want_array,
              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "%s: file not found", path);
      return NULL;
    }
  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: not valid JSON: %s", path, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != (want_array ? JSON_NODE_ARRAY : JSON_NODE_OBJECT))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: expected a JSON %s at the top level",
                   path, want_array ? "array" : "object");
      return NULL;
    }
  return json_node_copy (root);
}

static gboolean
field_error (const char *file, const char *field, const char *expected, GError **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: field \"%s\" must be %s", file, field, expected);
  return FALSE;
}

gboolean
lk_json_get_int (JsonObject  *obj,
                 const char  *file,
                 const char  *field,
                 gboolean     required,
                 gint64       fallback,
                 gint64      *out,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (obj, field);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: field \"%s\" is missing (expected an integer)", file, field);
          return FALSE;
        }
      *out = fallback;
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    return field_error (file, field, "an integer", error);
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
lk_json_get_double (JsonObject  *obj,
                    const char  *file,
                    const char  *field,
                    double       fallback,
                    double      *out,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (obj, field);
  GType t;

  *out = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return field_error (file, field, "a number", error);
  *out = json_node_get_double (node);
  return TRUE;
}

gboolean
lk_json_get_bool (JsonObject  *obj,
                  const char  *file,
                  const char  *field,
                  gboolean     fallback,
                  gboolean    *out,
                  GError     **error)
{
  JsonNode *node = json_object_get_member (obj, field);

  *out = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return field_error (file, field, "true or false", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

const char *
lk_json_get_string (JsonObject  *obj,
                    const char  *file,
                    const char  *field,
                    const char  *fallback,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (obj, field);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return fallback;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      field_error (file, field, "a string", error);
      return NULL;
    }
  return json_node_get_string (node);
}

gboolean
lk_json_save_atomic (JsonNode    *node,
                     const char  *path,
                     GError     **error)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;
  gsize len;

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &len);
  return lk_atomic_file_write (path, text, len, 0644, error);
}
