/* lk-async.c — see lk-async.h. */
#include "config.h"

#include "lk-async.h"

/* Calls the relay's callback, of whichever type it has, with a payload. */
typedef void (*Deliver) (GCallback callback, gpointer payload, gpointer user_data);

struct _LkAsyncProgress
{
  gatomicrefcount       ref;        /* the owner's, and one per pending source */
  GMainContext         *context;
  LkAsyncProgressFlags  flags;
  Deliver               deliver;
  GCallback             callback;
  gpointer              user_data;
  GDestroyNotify        payload_free;

  GMutex                lock;       /* guards what follows */
  GQueue                pending;    /* payloads not yet delivered */
  gboolean              scheduled;  /* an idle source will take them */
  gboolean              finished;
};

typedef struct {
  char    *file;
  guint64  done;
  guint64  total;
} DownloadReport;

static void
download_report_free (gpointer data)
{
  DownloadReport *r = data;

  g_free (r->file);
  g_free (r);
}

static void
deliver_fraction (GCallback callback, gpointer payload, gpointer user_data)
{
  ((LkProgressFunc) callback) (*(double *) payload, user_data);
}

static void
deliver_download (GCallback callback, gpointer payload, gpointer user_data)
{
  DownloadReport *r = payload;

  ((LkDownloadProgress) callback) (r->file, r->done, r->total, user_data);
}

static void
deliver_payload (GCallback callback, gpointer payload, gpointer user_data)
{
  ((LkAsyncProgressFunc) callback) (payload, user_data);
}

static LkAsyncProgress *
relay_new (GMainContext *context, LkAsyncProgressFlags flags, Deliver deliver, GCallback callback,
           gpointer user_data, GDestroyNotify payload_free)
{
  LkAsyncProgress *self = g_new0 (LkAsyncProgress, 1);

  g_atomic_ref_count_init (&self->ref);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->flags = flags;
  self->deliver = deliver;
  self->callback = callback;
  self->user_data = user_data;
  self->payload_free = payload_free;
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending);
  return self;
}

static void
relay_unref (gpointer data)
{
  LkAsyncProgress *self = data;

  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  g_queue_clear_full (&self->pending, self->payload_free);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  g_free (self);
}

/* A payload the caller keeps (lk_async_progress_new_full without a free function). */
static void
keep_payload (gpointer payload)
{
}

LkAsyncProgress *
lk_async_progress_new (GMainContext *context, LkProgressFunc callback, gpointer user_data)
{
  if (callback == NULL)
    return NULL;
  return relay_new (context, LK_ASYNC_PROGRESS_COALESCE, deliver_fraction, G_CALLBACK (callback), user_data, g_free);
}

LkAsyncProgress *
lk_async_progress_new_download (GMainContext *context, LkDownloadProgress callback, gpointer user_data)
{
  if (callback == NULL)
    return NULL;
  return relay_new (context, LK_ASYNC_PROGRESS_COALESCE, deliver_download, G_CALLBACK (callback), user_data,
                    download_report_free);
}

LkAsyncProgress *
lk_async_progress_new_full (GMainContext          *context,
                            LkAsyncProgressFlags   flags,
                            LkAsyncProgressFunc    callback,
                            gpointer               user_data,
                            GDestroyNotify         payload_free)
{
  if (callback == NULL)
    return NULL;
  return relay_new (context, flags, deliver_payload, G_CALLBACK (callback), user_data,
                    payload_free ? payload_free : keep_payload);
}

/* In the context: what is pending now, one callback each, as long as
 * nobody finishes the relay meanwhile. Reports made while this runs
 * schedule the next source. */
static gboolean
dispatch (gpointer data)
{
  LkAsyncProgress *self = data;
  GQueue batch = G_QUEUE_INIT;
  gpointer payload;

  g_mutex_lock (&self->lock);
  if (!self->finished)
    batch = self->pending;
  g_queue_init (&self->pending);
  self->scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  while ((payload = g_queue_pop_head (&batch)) != NULL)
    {
      gboolean finished;

      g_mutex_lock (&self->lock);
      finished = self->finished;
      g_mutex_unlock (&self->lock);
      if (!finished)
        self->deliver (self->callback, payload, self->user_data);
      self->payload_free (payload);
    }
  return G_SOURCE_REMOVE;
}

static void
relay_push (LkAsyncProgress *self, gpointer payload)
{
  gpointer replaced = NULL;

  g_mutex_lock (&self->lock);
  if (self->finished)
    {
      g_mutex_unlock (&self->lock);
      self->payload_free (payload);
      return;
    }
  if (!(self->flags & LK_ASYNC_PROGRESS_EVERY))
    replaced = g_queue_pop_head (&self->pending);
  g_queue_push_tail (&self->pending, payload);
  if (!self->scheduled)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      self->scheduled = TRUE;
      g_atomic_ref_count_inc (&self->ref);
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, dispatch, self, relay_unref);
      g_source_set_static_name (source, "[likeness] progress");
      g_source_attach (source, self->context);
    }
  g_mutex_unlock (&self->lock);
  if (replaced != NULL)
    self->payload_free (replaced);
}

void
lk_async_progress_report (LkAsyncProgress *self, double fraction)
{
  if (self == NULL)
    return;
  g_return_if_fail (self->deliver == deliver_fraction);
  relay_push (self, g_memdup2 (&fraction, sizeof fraction));
}

void
lk_async_progress_report_download (LkAsyncProgress *self, const char *file, guint64 done, guint64 total)
{
  DownloadReport *r;

  if (self == NULL)
    return;
  g_return_if_fail (self->deliver == deliver_download);
  r = g_new (DownloadReport, 1);
  r->file = g_strdup (file);
  r->done = done;
  r->total = total;
  relay_push (self, r);
}

void
lk_async_progress_report_payload (LkAsyncProgress *self, gpointer payload)
{
  if (self == NULL)
    return;
  g_return_if_fail (self->deliver == deliver_payload);
  relay_push (self, payload);
}

void
lk_async_progress_fraction_func (double fraction, gpointer relay)
{
  lk_async_progress_report (relay, fraction);
}

void
lk_async_progress_download_func (const char *file, guint64 done, guint64 total, gpointer relay)
{
  lk_async_progress_report_download (relay, file, done, total);
}

void
lk_async_progress_finish (LkAsyncProgress *self)
{
  GQueue dropped = G_QUEUE_INIT;

  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  dropped = self->pending;
  g_queue_init (&self->pending);
  g_mutex_unlock (&self->lock);
  g_queue_clear_full (&dropped, self->payload_free);
}

void
lk_async_progress_free (LkAsyncProgress *self)
{
  if (self == NULL)
    return;
  lk_async_progress_finish (self);
  relay_unref (self);
}

/* ---- the task ---- */

typedef struct {
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  LkAsyncProgress     *progress;
} TaskReady;

static void
task_ready_free (gpointer data)
{
  TaskReady *r = data;

  lk_async_progress_free (r->progress);
  g_free (r);
}

static void
task_ready (GObject *source, GAsyncResult *result, gpointer data)
{
  TaskReady *r = data;

  lk_async_progress_finish (r->progress);
  if (r->callback != NULL)
    r->callback (source, result, r->user_data);
}

GTask *
lk_async_task_new (gpointer             source_object,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data,
                   LkAsyncProgress     *progress)
{
  TaskReady *r;
  GTask *task;

  if (progress == NULL)
    return g_task_new (source_object, cancellable, callback, user_data);
  r = g_new (TaskReady, 1);
  r->callback = callback;
  r->user_data = user_data;
  r->progress = progress;
  task = g_task_new (source_object, cancellable, task_ready, r);
  g_object_set_data_full (G_OBJECT (task), "lk-async-ready", r, task_ready_free);
  return task;
}
