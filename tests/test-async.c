/* test-async.c — the progress relay (lk-async.h): reports from a worker
 * reach the caller's main context, coalesced or every one, and none after
 * the relay is finished or after the task's ready callback. */
#include "lk-async.h"

#define N_REPORTS 2000

typedef struct {
  GThread *thread;     /* where every delivery must run */
  guint    calls;
  double   last;
  gboolean finished;   /* a delivery now fails the test */
} Seen;

static void
on_fraction (double fraction, gpointer data)
{
  Seen *seen = data;

  g_assert_true (g_thread_self () == seen->thread);
  g_assert_false (seen->finished);
  g_assert_cmpfloat (fraction, >=, seen->last);
  seen->calls++;
  seen->last = fraction;
}

static gpointer
report_many (gpointer relay)
{
  for (guint i = 1; i <= N_REPORTS; i++)
    lk_async_progress_report (relay, (double) i / N_REPORTS);
  return NULL;
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A worker reporting faster than the context runs: fewer deliveries than
 * reports, in order, the last one included. */
static void
test_coalesce (void)
{
  Seen seen = { g_thread_self (), 0, 0, FALSE };
  LkAsyncProgress *relay = lk_async_progress_new (NULL, on_fraction, &seen);
  GThread *worker = g_thread_new ("reporter", report_many, relay);

  g_thread_join (worker);
  drain ();
  /* The context ran only once the worker was done: one delivery. */
  g_assert_cmpuint (seen.calls, ==, 1);
  g_assert_cmpfloat (seen.last, ==, 1.0);
  lk_async_progress_free (relay);
}

static void
on_payload (gpointer payload, gpointer data)
{
  GArray *seen = data;

  g_array_append_val (seen, *(guint *) payload);
}

static gpointer
report_numbered (gpointer relay)
{
  for (guint i = 0; i < N_REPORTS; i++)
    lk_async_progress_report_payload (relay, g_memdup2 (&i, sizeof i));
  return NULL;
}

/* LK_ASYNC_PROGRESS_EVERY: each report once, in order. */
static void
test_every (void)
{
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (guint));
  LkAsyncProgress *relay = lk_async_progress_new_full (NULL, LK_ASYNC_PROGRESS_EVERY, on_payload, seen, g_free);
  GThread *worker = g_thread_new ("reporter", report_numbered, relay);

  g_thread_join (worker);
  drain ();
  g_assert_cmpuint (seen->len, ==, N_REPORTS);
  for (guint i = 0; i < N_REPORTS; i++)
    g_assert_cmpuint (g_array_index (seen, guint, i), ==, i);
  lk_async_progress_free (relay);
}

/* Reports queued before lk_async_progress_finish are dropped, and so are
 * later ones; freeing the relay with a source pending is safe. */
static void
test_finish (void)
{
  Seen seen = { g_thread_self (), 0, 0, FALSE };
  LkAsyncProgress *relay = lk_async_progress_new (NULL, on_fraction, &seen);

  lk_async_progress_report (relay, 0.5);
  lk_async_progress_finish (relay);
  seen.finished = TRUE;
  lk_async_progress_report (relay, 0.75);
  drain ();
  lk_async_progress_report (relay, 1.0);
  lk_async_progress_free (relay);
  drain ();
  g_assert_cmpuint (seen.calls, ==, 0);

  /* Freed while its source is still pending. */
  relay = lk_async_progress_new (NULL, on_fraction, &seen);
  lk_async_progress_report (relay, 0.5);
  lk_async_progress_free (relay);
  drain ();
  g_assert_cmpuint (seen.calls, ==, 0);
}

/* Without a callback there is no relay, and a NULL relay is a no-op. */
static void
test_null (void)
{
  g_assert_null (lk_async_progress_new (NULL, NULL, NULL));
  g_assert_null (lk_async_progress_new_download (NULL, NULL, NULL));
  g_assert_null (lk_async_progress_new_full (NULL, 0, NULL, NULL, NULL));
  lk_async_progress_report (NULL, 0.5);
  lk_async_progress_fraction_func (0.5, NULL);
  lk_async_progress_download_func ("f", 1, 2, NULL);
  lk_async_progress_finish (NULL);
  lk_async_progress_free (NULL);
}

/* ---- through a task ---- */

static void
task_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  report_many (data);
  g_task_return_boolean (task, TRUE);
}

typedef struct {
  Seen     *seen;
  gboolean  done;
} Ready;

static void
on_ready (GObject *source, GAsyncResult *result, gpointer data)
{
  Ready *ready = data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  /* Everything reported before the result came first. */
  g_assert_cmpfloat (ready->seen->last, ==, 1.0);
  ready->seen->finished = TRUE;
  ready->done = TRUE;
}

static void
test_task (void)
{
  Seen seen = { g_thread_self (), 0, 0, FALSE };
  Ready ready = { &seen, FALSE };
  LkAsyncProgress *relay = lk_async_progress_new (NULL, on_fraction, &seen);
  GTask *task = lk_async_task_new (NULL, NULL, on_ready, &ready, relay);

  g_task_set_task_data (task, relay, NULL);
  g_task_run_in_thread (task, task_thread);
  g_object_unref (task);
  while (!ready.done)
    g_main_context_iteration (NULL, TRUE);
  /* A late delivery would fail on_fraction's assertion. */
  drain ();
  g_assert_cmpuint (seen.calls, >=, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/async/coalesce", test_coalesce);
  g_test_add_func ("/async/every", test_every);
  g_test_add_func ("/async/finish", test_finish);
  g_test_add_func ("/async/null", test_null);
  g_test_add_func ("/async/task", test_task);
  return g_test_run ();
}
