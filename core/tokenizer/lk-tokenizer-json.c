/* lk-tokenizer-json.c — reading tokenizer.json fields with errors that say
 * which file, which field, and what was expected.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

static char *
field_name (const char *where,
            const char *member)
{
  return where && *where ? g_strdup_printf ("%s.%s", where, member) : g_strdup (member);
}

/* Returns the member's node, or NULL (with an error if @required) when it is
 * absent or null. */
static JsonNode *
member_node (JsonObject  *parent,
             const char  *member,
             gboolean     required,
             const char  *file,
             const char  *where,
             const char  *expected,
             GError     **error)
{
  JsonNode *node = json_object_get_member (parent, member);

  if ((node == NULL || JSON_NODE_HOLDS_NULL (node)) && required)
    {
      g_autofree char *name = field_name (where, member);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: %s is missing (expected %s)"), file, name, expected);
    }
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static void
set_type_error (JsonObject  *parent,
                const char  *member,
                const char  *file,
                const char  *where,
                const char  *expected,
                GError     **error)
{
  g_autofree char *name = field_name (where, member);
  JsonNode *node = json_object_get_member (parent, member);

  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               _("%s: %s is a %s (expected %s)"), file, name,
               json_node_type_name (node), expected);
}

JsonObject *
lk_tok_json_object (JsonObject  *parent,
                    const char  *member,
                    gboolean     required,
                    const char  *file,
                    const char  *where,
                    GError     **error)
{
  JsonNode *node = member_node (parent, member, required, file, where, "an object", error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_type_error (parent, member, file, where, "an object", error);
      return NULL;
    }
  return json_node_get_object (node);
}

JsonArray *
lk_tok_json_array (JsonObject  *parent,
                   const char  *member,
                   gboolean     required,
                   const char  *file,
                   const char  *where,
                   GError     **error)
{
  JsonNode *node = member_node (parent, member, required, file, where, "an array", error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_type_error (parent, member, file, where, "an array", error);
      return NULL;
    }
  return json_node_get_array (node);
}

const char *
lk_tok_json_string (JsonObject  *parent,
                    const char  *member,
                    gboolean     required,
                    const char  *file,
                    const char  *where,
                    GError     **error)
{
  JsonNode *node = member_node (parent, member, required, file, where, "a string", error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_type_error (parent, member, file, where, "a string", error);
      return NULL;
    }
  return json_node_get_string (node);
}

/* Absent or null members give @fallback. */
gboolean
lk_tok_json_bool (JsonObject  *parent,
                  const char  *member,
                  gboolean     fallback,
                  const char  *file,
                  const char  *where,
                  gboolean    *value,
                  GError     **error)
{
  JsonNode *node = member_node (parent, member, FALSE, file, where, "true or false", error);

  *value = fallback;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_type_error (parent, member, file, where, "true or false", error);
      return FALSE;
    }
  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
lk_tok_json_int (JsonObject  *parent,
                 const char  *member,
                 gint64       fallback,
                 const char  *file,
                 const char  *where,
                 gint64      *value,
                 GError     **error)
{
  JsonNode *node = member_node (parent, member, FALSE, file, where, "an integer", error);

  *value = fallback;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      set_type_error (parent, member, file, where, "an integer", error);
      return FALSE;
    }
  *value = json_node_get_int (node);
  return TRUE;
}

gboolean
lk_tok_json_is_null (JsonObject *parent,
                     const char *member)
{
  JsonNode *node = json_object_get_member (parent, member);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}
