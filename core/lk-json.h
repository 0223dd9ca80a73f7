/* lk-json.h — reading configuration files with errors that say which file,
 * which field and what was expected. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

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

/* Writes @node to @path through a temporary file and a rename. */
gboolean    lk_json_save_atomic   (JsonNode    *node,
                                   const char  *path,
                                   GError     **error);

G_END_DECLS
