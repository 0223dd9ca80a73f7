/* lk-retrieval.h — a batch's retrieval mode: embed a corpus once (cached),
 * take each query's top-k passages by the model's own score, exactly, and
 * make every (query, passage) pair an item. */
#pragma once

#include <gio/gio.h>

#include "lk-model.h"

G_BEGIN_DECLS

/* The items (texts as lk_batch_reader_next gives them) of the queries of
 * shard @shard of @n_shards: "id" QUERY#RANK, "query_id", "passage_id",
 * "rank" (1 = best), "retrieval_score" (the cosine), "a" the query, "b" the
 * passage. @queries and @corpus hold records {"id", "text"}. The corpus's
 * embeddings are kept in the user cache folder, keyed by the model's
 * weights and revision and the corpus file's SHA-256, so a second run does
 * not embed it again. Ties in score go to the passage first in @corpus. */
GPtrArray *lk_retrieval_items (LkModel       *model,
                               const char    *queries,
                               const char    *corpus,
                               guint          top_k,
                               guint          shard,
                               guint          n_shards,
                               GCancellable  *cancellable,
                               GError       **error);

/* Where the embeddings of @corpus for @model are (or will be) cached; NULL
 * with an error when the model's files or the corpus cannot be hashed. */
char      *lk_retrieval_cache_path (LkModel     *model,
                                    const char  *corpus,
                                    GError     **error);

/* How many corpus texts the last lk_retrieval_items() embedded (0 when
 * the cache had them): for the tests. */
guint      lk_retrieval_embedded_count (void);

G_END_DECLS
