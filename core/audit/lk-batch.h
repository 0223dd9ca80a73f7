/* lk-batch.h — audits of many pairs: the items of a batch file, the shard an
 * id belongs to, one item explained as one line of JSON Lines, a run that
 * appends whole lines and resumes, and the merge of a sharded run's files
 * (docs/batch.md). The CLI's `batch` and the Ray driver (tools/ray/) call
 * the same functions, so their lines are equal. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lk-explain.h"
#include "lk-model.h"

G_BEGIN_DECLS

#define LK_TYPE_BATCH_READER (lk_batch_reader_get_type ())
G_DECLARE_FINAL_TYPE (LkBatchReader, lk_batch_reader, LK, BATCH_READER, GObject)

/**
 * lk_batch_reader_new:
 * @path: a batch input: JSON Lines (.jsonl, .ndjson), TSV (.tsv) or CSV
 *   (.csv), the last two with a header row naming the columns
 * @error: when @path cannot be opened or its format told
 *
 * Every item has "a" and "b" (two texts) or "image" (a path, relative to
 * @path's folder) and "b" (the caption), and may have "id" (else the item's
 * line number is its id); other members are kept under "meta".
 *
 * Returns: (transfer full): the reader, or %NULL with @error set
 */
LkBatchReader *lk_batch_reader_new   (const char     *path,
                                      GError        **error);
/**
 * lk_batch_reader_new_full:
 * @path: a batch input, as for lk_batch_reader_new()
 * @texts: read records of one text ("id", "text": queries, a corpus)
 *   instead of pairs
 * @error: when @path cannot be opened or its format told
 *
 * Returns: (transfer full): the reader, or %NULL with @error set
 */
LkBatchReader *lk_batch_reader_new_full (const char  *path,
                                         gboolean     texts,
                                         GError     **error);
/**
 * lk_batch_reader_next:
 * @self: a reader
 * @item: (out) (transfer full) (optional): the next item as a JSON object
 *   in text: its "id", its inputs (an image's path made absolute), "line"
 *   and "meta"; an item the file spells wrongly comes with "error" (a
 *   message naming the file, the line and the field) instead
 * @error: when the file cannot be read
 *
 * Returns: %TRUE with @item set; %FALSE at the end (@error unset) or when
 *   reading fails (@error set)
 */
gboolean       lk_batch_reader_next  (LkBatchReader  *self,
                                      char          **item,
                                      GError        **error);

/**
 * lk_batch_shard_of:
 * @id: an item's id
 * @n_shards: how many shards the run is split into
 *
 * The shard (0 … @n_shards − 1) @id belongs to: the first 8 bytes of its
 * SHA-256, so that every machine and every language agrees.
 *
 * Returns: the shard
 */
guint          lk_batch_shard_of     (const char     *id,
                                      guint           n_shards);

/**
 * lk_batch_explain_item:
 * @model: the model
 * @request: the method and its parameters (the inputs are the item's)
 * @item: an item as lk_batch_reader_next() gives it
 * @cancellable: (nullable): stops the item
 * @error: only when cancelled
 *
 * Explains one item. What goes wrong with the item (an empty text, an image
 * that does not load, a result that is not finite) is a line with its
 * "error", not a failure: one bad item never ends a run.
 *
 * Returns: (transfer full): one line (no newline): the result
 *   (likeness.explanation/1) with the item's "id" (and "query_id", "rank",
 *   … when it has them), or {"id", "error"}; %NULL only when cancelled
 */
char          *lk_batch_explain_item (LkModel                 *model,
                                      const LkExplainRequest  *request,
                                      const char              *item,
                                      GCancellable            *cancellable,
                                      GError                 **error);

/* Where a run stands, for a progress line. */
typedef struct {
  guint  total;     /* items in this run's shard */
  guint  done;      /* written by this run, failures included */
  guint  failed;    /* of them, error lines */
  guint  skipped;   /* already in the output (--resume) */
  double seconds;   /* since the run started */
} LkBatchProgress;

typedef void (*LkBatchProgressFunc) (const LkBatchProgress *progress,
                                     gpointer               user_data);

/**
 * lk_batch_read_items: (skip)
 *
 * Not for bindings.
 */
/* Every item of @path (lk_batch_reader_next's texts), or NULL with an
 * error when it cannot be read or two items share an id. */
GPtrArray     *lk_batch_read_items   (const char              *path,
                                      GError                 **error);
/**
 * lk_batch_read_records: (skip)
 *
 * Not for bindings.
 */
/* The same with @texts as for lk_batch_reader_new_full(). */
GPtrArray     *lk_batch_read_records (const char              *path,
                                      gboolean                 texts,
                                      GError                 **error);

/**
 * lk_batch_check_output: (skip)
 *
 * Not for bindings.
 */
/* FALSE with an error when @output exists and is not a regular file, or
 * is one of @inputs (NULL-ended). */
gboolean       lk_batch_check_output (const char              *output,
                                      const char * const      *inputs,
                                      GError                 **error);

/**
 * lk_batch_run_items: (skip)
 *
 * Not for bindings.
 */
/* lk_batch_run over @items (texts as lk_batch_reader_next gives them); an
 * item with a "query_id" goes to the shard of its query. */
gboolean       lk_batch_run_items    (LkModel                 *model,
                                      const LkExplainRequest  *request,
                                      GPtrArray               *items,
                                      const char              *output,
                                      guint                    shard,
                                      guint                    n_shards,
                                      gboolean                 resume,
                                      LkBatchProgressFunc      progress,
                                      gpointer                 progress_data,
                                      GCancellable            *cancellable,
                                      GError                 **error);

/**
 * lk_batch_run: (skip)
 *
 * Not for bindings: Ray and others call lk_batch_explain_item() per item.
 */
/* Explains every item of @input whose id falls in shard @shard of
 * @n_shards (all of them for 0 of 1) and appends one line per item to
 * @output, each with a single write, so that a run killed at any moment
 * leaves whole lines. Without @resume an @output that exists and is not
 * empty is an error (nothing is overwritten); with it, the ids already in
 * @output are skipped and a last line cut short by a kill is dropped.
 * Duplicate ids in @input are an error before anything runs. */
gboolean       lk_batch_run          (LkModel                 *model,
                                      const LkExplainRequest  *request,
                                      const char              *input,
                                      const char              *output,
                                      guint                    shard,
                                      guint                    n_shards,
                                      gboolean                 resume,
                                      LkBatchProgressFunc      progress,
                                      gpointer                 progress_data,
                                      GCancellable            *cancellable,
                                      GError                 **error);

/**
 * lk_batch_merge: (skip)
 *
 * Not for bindings.
 */
/* Concatenates the lines of @inputs into @output (atomically), in the
 * order of the ids of @expected (a batch input) when given, else as read.
 * An id in two lines is an error naming both files; with @expected, so is
 * an id of @expected that no input has, or an id it does not have.
 * @n_lines and @n_failed (optional) receive the counts. */
gboolean       lk_batch_merge        (const char * const      *inputs,
                                      const char              *output,
                                      const char              *expected,
                                      guint                   *n_lines,
                                      guint                   *n_failed,
                                      GError                 **error);

G_END_DECLS
