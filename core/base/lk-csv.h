/* lk-csv.h — CSV as RFC 4180 writes it, for the tables Likeness exports
 * (the aggregate of a run, the values behind a figure). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @text as one field: as it is, or in double quotes with its quotes
 * doubled when it holds a comma, a quote or a line break. NULL is "". */
void lk_csv_append_field (GString    *out,
                          const char *text);

G_END_DECLS
