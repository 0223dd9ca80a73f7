/* lk-aggregate.h — what a whole batch run says: the words that carry most
 * of ΣA, the share of ΣA on special tokens and punctuation (a shortcut
 * detector), the distribution of the faithfulness checks, the aspects'
 * shares, and in retrieval mode the query words that decide rank 1 over
 * rank 2. The summary is JSON of schema likeness.aggregate/1
 * (docs/batch.md); render/ draws it (lk_render_aggregate_export). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LK_AGGREGATE_SCHEMA "likeness.aggregate/1"

/* The summary of every line of @paths (batch outputs), keeping the
 * @top_n strongest words; NULL with an error naming the file and line
 * when a line is not a batch line. Error lines are counted, not read. */
JsonObject *lk_aggregate_files     (const char * const  *paths,
                                    guint                top_n,
                                    GError             **error);

/* The summary's word table as CSV (word, items, occurrences, sum, share),
 * written atomically. */
gboolean    lk_aggregate_write_csv (JsonObject          *summary,
                                    const char          *path,
                                    GError             **error);

G_END_DECLS
