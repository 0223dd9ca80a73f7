/* lk-json.c — typed, well-reported access to JSON configuration files. */
#include "config.h"

#include "lk-atomic-file.h"
#include "lk-error.h"
#include "lk-json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* The scan mirrors json-glib's lexer: double-quoted strings with backslash
 * escapes, single-quoted strings without, NUL as the end, and comments, which
 * json-glib 1.6 opens with "/" and closes with the next "/", while a C-style
 * lexer reads them as C comments. Both readings are scanned, so that no
 * bracket a lexer of either kind takes as structure is skipped; counting a
 * bracket it would skip only errs toward refusing. */
static const char *
skip_token (const char *p, const char *end, gboolean c_comments)
{
  if (*p == '"')
    {
      for (p++; p < end && *p != '\0' && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end)
          p++;
      return p;
    }
  if (*p == '\'')
    {
      for (p++; p < end && *p != '\0' && *p != '\''; p++)
        ;
      return p;
    }
  if (*p == '/' && !c_comments)
    {
      for (p++; p < end && *p != '\0' && *p != '/'; p++)
        ;
      return p;
    }
  if (*p == '/' && p + 1 < end && p[1] == '*')
    {
      for (p += 2; p < end && *p != '\0'; p++)
        if (*p == '*' && p + 1 < end && p[1] == '/')
          return p + 1;
      return p;
    }
  if (*p == '/' && p + 1 < end && p[1] == '/')
    {
      for (p += 2; p < end && *p != '\0' && *p != '\n'; p++)
        ;
      return p;
    }
  return p;
}

/* The byte offset where the nesting first passes the limit, or -1. */
static gssize
deep_offset (const char *data, gsize len, gboolean c_comments)
{
  const char *p, *end = data + len;
  int depth = 0;

  for (p = data; p < end && *p != '\0'; p++)
    {
      if (*p == '[' || *p == '{')
        {
          if (++depth > LK_JSON_MAX_DEPTH)
            return p - data;
        }
      else if (*p == ']' || *p == '}')
        depth = MAX (depth - 1, 0);
      else if ((p = skip_token (p, end, c_comments)) >= end)
        break;
    }
  return -1;
}

gboolean
lk_json_check_depth (const char  *data,
                     gsize        len,
                     const char  *file,
                     GError     **error)
{
  gssize at = deep_offset (data, len, FALSE);

  if (at < 0)
    at = deep_offset (data, len, TRUE);
  if (at < 0)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               "%s: JSON nested deeper than %d levels at byte %" G_GSSIZE_FORMAT,
               file, LK_JSON_MAX_DEPTH, at);
  return FALSE;
}

/* json-glib reads 1e999 as inf, and a lone surrogate escape ("\udc00") as
 * bytes that are not UTF-8; nothing Likeness reads may hold either. Returns
 * what is wrong with the first such value, its path in @where. */
static const char *
find_bad_value (JsonNode *node, GString *where)
{
  gsize mark = where->len;
  const char *why = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter it;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&it, json_node_get_object (node));
      while (why == NULL && json_object_iter_next (&it, &name, &member))
        {
          g_string_append_printf (where, "%s%s", mark > 0 ? "." : "", name);
          if (!g_utf8_validate (name, -1, NULL))
            return "is a member name that is not valid UTF-8";
          if ((why = find_bad_value (member, where)) == NULL)
            g_string_truncate (where, mark);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; why == NULL && i < json_array_get_length (array); i++)
        {
          g_string_append_printf (where, "[%u]", i);
          if ((why = find_bad_value (json_array_get_element (array, i), where)) == NULL)
            g_string_truncate (where, mark);
        }
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    why = isfinite (json_node_get_double (node)) ? NULL : "is not a finite number";
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    why = g_utf8_validate (json_node_get_string (node), -1, NULL) ? NULL
          : "is not valid UTF-8 (a lone surrogate escape such as \\udc00?)";
  return why;
}

gboolean
lk_json_check_finite (JsonNode    *node,
                      const char  *file,
                      GError     **error)
{
  g_autoptr(GString) where = g_string_new (NULL);
  const char *why = find_bad_value (node, where);

  if (why == NULL)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s %s",
               file, where->len > 0 ? where->str : "the top-level value", why);
  return FALSE;
}

static gboolean
check_utf8 (const char *data, gsize len, const char *file, GError **error)
{
  const char *bad = NULL;

  if (g_utf8_validate_len (data, len, &bad))
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               "%s: not valid UTF-8: byte 0x%02X at byte offset %" G_GSIZE_FORMAT,
               file, (guchar) *bad, (gsize) (bad - data));
  return FALSE;
}

JsonNode *
lk_json_parse (const char  *data,
               gssize       len,
               const char  *file,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (len < 0)
    len = strlen (data);
  if (!check_utf8 (data, len, file, error) || !lk_json_check_depth (data, len, file, error))
    return NULL;
  if (!json_parser_load_from_data (parser, data, len, &local))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: not valid JSON: %s", file, local->message);
      return NULL;
    }
  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: empty, not JSON", file);
      return NULL;
    }
  if (!lk_json_check_finite (root, file, error))
    return NULL;
  return g_steal_pointer (&root);
}

JsonNode *
lk_json_parse_file (const char  *path,
                    GError     **error)
{
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if ((map = g_mapped_file_new (path, FALSE, &local)) == NULL)
    {
      gboolean missing = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT);

      if (missing)
        g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "%s: file not found", path);
      else
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s", path, local->message);
      return NULL;
    }
  return lk_json_parse (g_mapped_file_get_contents (map) ? g_mapped_file_get_contents (map) : "",
                        g_mapped_file_get_length (map), path, error);
}

JsonNode *
lk_json_load (const char  *path,
              gboolean     want_array,
              GError     **error)
{
  g_autoptr(JsonNode) root = lk_json_parse_file (path, error);

  if (root == NULL)
    return NULL;
  if (JSON_NODE_TYPE (root) != (want_array ? JSON_NODE_ARRAY : JSON_NODE_OBJECT))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: expected a JSON %s at the top level",
                   path, want_array ? "array" : "object");
      return NULL;
    }
  return g_steal_pointer (&root);
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
lk_json_array_get_string (JsonArray *array, guint i)
{
  JsonNode *e = i < json_array_get_length (array) ? json_array_get_element (array, i) : NULL;

  return e && JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING ? json_node_get_string (e)
                                                                                         : NULL;
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
lk_json_check_schema (JsonObject  *root,
                      const char  *prefix,
                      guint        current,
                      const char  *kind,
                      GError     **error)
{
  JsonNode *node = json_object_get_member (root, "schema");
  const char *schema, *digits;
  char *end = NULL;
  guint64 version;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "no \"schema\" member: not a Likeness %s (expected \"%s%u\")", kind, prefix, current);
      return FALSE;
    }
  schema = json_node_get_string (node);
  if (!g_str_has_prefix (schema, prefix))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "schema \"%s\" is not a Likeness %s (expected \"%s%u\")", schema, kind, prefix, current);
      return FALSE;
    }
  digits = schema + strlen (prefix);
  /* Version 0 never shipped, but it is still an older number, not a broken one. */
  version = g_ascii_isdigit (*digits) ? g_ascii_strtoull (digits, &end, 10) : 0;
  if (end == NULL || *end != '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "schema \"%s\" has no valid version number (expected \"%s%u\")", schema, prefix, current);
      return FALSE;
    }
  if (version < current)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "schema \"%s\" is from an older version of Likeness: this version reads \"%s%u\" only",
                   schema, prefix, current);
      return FALSE;
    }
  if (version > current)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "schema \"%s\" is from a newer version of Likeness (this version reads \"%s%u\"): "
                   "update Likeness to open it", schema, prefix, current);
      return FALSE;
    }
  return TRUE;
}

char *
lk_json_to_data (JsonNode    *node,
                 gboolean     pretty,
                 const char  *what,
                 gsize       *length,
                 GError     **error)
{
  g_autoptr(JsonGenerator) gen = NULL;

  if (!lk_json_check_finite (node, what, error))
    return NULL;
  gen = json_generator_new ();
  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, pretty);
  return json_generator_to_data (gen, length);
}

gboolean
lk_json_save_atomic (JsonNode    *node,
                     const char  *path,
                     GError     **error)
{
  g_autofree char *text = NULL;
  gsize len;

  if ((text = lk_json_to_data (node, TRUE, path, &len, error)) == NULL)
    return FALSE;
  return lk_atomic_file_write (path, text, len, 0644, error);
}
