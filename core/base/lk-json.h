/* lk-json.h — reading configuration files with errors that say which file,
 * which field and what was expected. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* json-glib's parser, copier and generator recurse once per level, so a file
 * nested 100 000 deep overflows the stack. No file Likeness reads comes near
 * this: model configs, tokenizer.json and results nest under 10 levels, and
 * the hub's own readers (serde_json in tokenizers and safetensors) stop at
 * 128. 512 levels of json-glib recursion take well under 1 MB of stack. */
#define LK_JSON_MAX_DEPTH 512

/* FALSE, with "FILE: JSON nested deeper than N levels at byte OFFSET", where
 * @data nests deeper than LK_JSON_MAX_DEPTH. A linear scan, no tree. */
gboolean    lk_json_check_depth   (const char  *data,
                                   gsize        len,
                                   const char  *file,
                                   GError     **error);

/* FALSE, naming the first member or cell that holds NaN or ±inf
 * ("FILE: scores.matrix[2][3] is not a finite number") or a string that is
 * not UTF-8. */
gboolean    lk_json_check_finite  (JsonNode    *node,
                                   const char  *file,
                                   GError     **error);

/* Every JSON text Likeness reads goes through these: depth checked before
 * json-glib sees it, non-finite numbers refused after. @file names the
 * source in messages. Any root type. */
JsonNode   *lk_json_parse         (const char  *data,
                                   gssize       len,
                                   const char  *file,
                                   GError     **error);
JsonNode   *lk_json_parse_file    (const char  *path,
                                   GError     **error);

/* Serialises @node; NULL with an error naming the member when it holds NaN
 * or ±inf, which json-glib would write as "nan.0", not JSON. */
char       *lk_json_to_data       (JsonNode    *node,
                                   gboolean     pretty,
                                   const char  *what,
                                   gsize       *length,
                                   GError     **error);

/* Parses @path; the root must be an object (or, with @want_array, an array). */
JsonNode   *lk_json_load          (const char  *path,
                                   gboolean     want_array,
                                   GError     **error);

/* Typed fields. A missing field gives @fallback when @required is FALSE. */
gboolean    lk_json_get_int       (JsonObject  *obj,
                                   const char  *file,
                                   const char  *field,
                                   gboolean     required,
                                   gint64       fallback,
                                   gint64      *out,
                                   GError     **error);
gboolean    lk_json_get_double    (JsonObject  *obj,
                                   const char  *file,
                                   const char  *field,
                                   double       fallback,
                                   double      *out,
                                   GError     **error);
gboolean    lk_json_get_bool      (JsonObject  *obj,
                                   const char  *file,
                                   const char  *field,
                                   gboolean     fallback,
                                   gboolean    *out,
                                   GError     **error);
/* NULL with an error when present but not a string; @fallback when missing. */
const char *lk_json_get_string    (JsonObject  *obj,
                                   const char  *file,
                                   const char  *field,
                                   const char  *fallback,
                                   GError     **error);
/* Element @i of @array when it is a string, else NULL (never an error:
 * for lists read element by element, such as config.json's architectures). */
const char *lk_json_array_get_string (JsonArray *array,
                                      guint      i);

/* The "schema" member of a Likeness file, "PREFIX" followed by a version:
 * FALSE with a message that tells a foreign file, a malformed version, a file
 * older than @current and one newer than it apart (the last two
 * LK_ERROR_UNSUPPORTED, the others LK_ERROR_INVALID_DATA). @kind names the
 * file ("explanation", "session"). */
gboolean    lk_json_check_schema  (JsonObject  *root,
                                   const char  *prefix,
                                   guint        current,
                                   const char  *kind,
                                   GError     **error);

/* Writes @node to @path through a temporary file beside it and a rename;
 * errors name @path, never the temporary file, and leave nothing behind. */
gboolean    lk_json_save_atomic   (JsonNode    *node,
                                   const char  *path,
                                   GError     **error);

G_END_DECLS
