/* lk-async.h — progress from a worker thread to the caller's main context.
 *
 * Core's _async calls run in a GTask worker thread and report progress
 * there; their callers want it in their own main context, no faster than
 * that context can show it, and never after their GAsyncReadyCallback
 * (which may free what the progress callback uses). An LkAsyncProgress
 * relays it:
 *
 *  - the report functions are thread-safe and never wait for the main
 *    context;
 *  - at most one idle source (G_PRIORITY_DEFAULT) is pending in the
 *    context at a time. By default reports coalesce: one not yet delivered
 *    is replaced by the next. With LK_ASYNC_PROGRESS_EVERY they queue
 *    instead and each is delivered, in order (for reports that each say
 *    something, such as a training step);
 *  - lk_async_progress_finish(), called in the context's thread, ends
 *    delivery: no callback starts after it, not even for a report made
 *    before it;
 *  - lk_async_task_new() makes a GTask whose ready callback calls
 *    lk_async_progress_finish() just before the caller's, so an async call
 *    has the guarantee without writing it. Reports made before the worker
 *    returns its result are still delivered, before that callback: their
 *    source was attached first, at the task's priority.
 *
 * An _async function uses it so:
 *
 *   LkAsyncProgress *relay = lk_async_progress_new (NULL, progress, progress_data);
 *   GTask *task = lk_async_task_new (NULL, cancellable, callback, user_data, relay);
 *
 *   job->relay = relay;             (borrowed: the task owns it)
 *   g_task_set_task_data (task, job, job_free);
 *   g_task_run_in_thread (task, thread_func);
 *
 * and the worker hands the relay to the synchronous call:
 *
 *   lk_explain (…, job->relay ? lk_async_progress_fraction_func : NULL, job->relay, …);
 *
 * A NULL callback gives a NULL relay, and every function here accepts a
 * NULL relay and does nothing.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The progress callbacks of core's calls. */

/* @fraction in [0, 1]. */
typedef void (*LkProgressFunc)     (double      fraction,
                                    gpointer    user_data);
/* A download: @done and @total count bytes over all the files of the model
 * (@total is 0 while unknown), @file is the repository path being fetched. */
typedef void (*LkDownloadProgress) (const char *file,
                                    guint64     done,
                                    guint64     total,
                                    gpointer    user_data);
/* Any other report: @payload is what lk_async_progress_report_payload() was
 * given, owned by the relay (it is freed after the call). */
typedef void (*LkAsyncProgressFunc) (gpointer   payload,
                                     gpointer   user_data);

typedef enum {
  LK_ASYNC_PROGRESS_COALESCE = 0,       /* only the latest report counts */
  LK_ASYNC_PROGRESS_EVERY    = 1 << 0,  /* every report is delivered, in order */
} LkAsyncProgressFlags;

/* C only (its functions are not for bindings: a binding's own main loop
 * relays its progress). */
typedef struct _LkAsyncProgress LkAsyncProgress;

/* Relays to @callback (@user_data) in @context (NULL: the calling thread's
 * thread-default context, as GTask uses). NULL when @callback is NULL. */
/**
 * lk_async_progress_new: (skip)
 */
LkAsyncProgress *lk_async_progress_new          (GMainContext          *context,
                                                 LkProgressFunc         callback,
                                                 gpointer               user_data);
/**
 * lk_async_progress_new_download: (skip)
 */
LkAsyncProgress *lk_async_progress_new_download (GMainContext          *context,
                                                 LkDownloadProgress     callback,
                                                 gpointer               user_data);
/* @payload_free frees what lk_async_progress_report_payload() is given. */
/**
 * lk_async_progress_new_full: (skip)
 */
LkAsyncProgress *lk_async_progress_new_full     (GMainContext          *context,
                                                 LkAsyncProgressFlags   flags,
                                                 LkAsyncProgressFunc    callback,
                                                 gpointer               user_data,
                                                 GDestroyNotify         payload_free);

/* From any thread. Each matches the relay's constructor: _report for
 * lk_async_progress_new, _report_download for _new_download (@file is
 * copied), _report_payload for _new_full (takes @payload). */
/**
 * lk_async_progress_report: (skip)
 */
void             lk_async_progress_report          (LkAsyncProgress *self,
                                                    double           fraction);
/**
 * lk_async_progress_report_download: (skip)
 */
void             lk_async_progress_report_download (LkAsyncProgress *self,
                                                    const char      *file,
                                                    guint64          done,
                                                    guint64          total);
/**
 * lk_async_progress_report_payload: (skip)
 */
void             lk_async_progress_report_payload  (LkAsyncProgress *self,
                                                    gpointer         payload);

/* The same reports as callbacks, the relay as their user_data: to hand a
 * relay to a synchronous call that takes an LkProgressFunc or an
 * LkDownloadProgress. */
/**
 * lk_async_progress_fraction_func: (skip)
 */
void             lk_async_progress_fraction_func   (double           fraction,
                                                    gpointer         relay);
/**
 * lk_async_progress_download_func: (skip)
 */
void             lk_async_progress_download_func   (const char      *file,
                                                    guint64          done,
                                                    guint64          total,
                                                    gpointer         relay);

/* Ends delivery: in the context's thread, no callback starts after it
 * returns (in another thread, one already running may still end); later
 * reports are dropped. Idempotent. */
/**
 * lk_async_progress_finish: (skip)
 */
void             lk_async_progress_finish          (LkAsyncProgress *self);
/* Finishes @self and drops the caller's reference; a source still pending
 * holds its own and delivers nothing. */
/**
 * lk_async_progress_free: (skip)
 */
void             lk_async_progress_free            (LkAsyncProgress *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAsyncProgress, lk_async_progress_free)

/* g_task_new (@source_object, @cancellable, @callback, @user_data) whose
 * callback first finishes @progress (transfer full, may be NULL), which
 * lives as long as the task. */
/**
 * lk_async_task_new: (skip)
 */
GTask           *lk_async_task_new                 (gpointer             source_object,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data,
                                                    LkAsyncProgress     *progress);

G_END_DECLS
