/* lk-model-load.c — a name to a loaded model: resolve (maybe download)
 * through the model store, then load; the one place that decides the id a
 * model is recorded under. */
#include "config.h"

#include "lk-model.h"
#include "lk-model-private.h"
#include "lk-model-store-private.h"

static LkModel *
load_with_env (const LkStoreEnv      *env,
               const char            *name,
               LkModelLoadFlags       flags,
               const LkModelOptions  *options,
               LkDownloadProgress     progress,
               gpointer               progress_data,
               GCancellable          *cancellable,
               GError               **error)
{
  g_autofree char *hub_id = NULL;
  g_autofree char *dir = NULL;

  dir = lk_model_store_resolve_env (env, name, (flags & LK_MODEL_LOAD_ALLOW_DOWNLOAD) != 0, progress, progress_data,
                                    cancellable, &hub_id, error);
  if (dir == NULL)
    return NULL;
  /* A folder is named by its name; a snapshot by the hub id it holds. */
  return lk_model_load_dir (dir, hub_id, options, cancellable, error);
}

LkModel *
lk_model_load (const char            *name,
               LkModelLoadFlags       flags,
               const LkModelOptions  *options,
               LkDownloadProgress     progress,
               gpointer               progress_data,
               GCancellable          *cancellable,
               GError               **error)
{
  g_autoptr(LkStoreEnv) env = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  env = lk_store_env_new ();
  return load_with_env (env, name, flags, options, progress, progress_data, cancellable, error);
}

LkModel *
lk_model_new (const char            *name,
              const LkModelOptions  *options,
              GError               **error)
{
  return lk_model_load (name, LK_MODEL_LOAD_NONE, options, NULL, NULL, NULL, error);
}

/* ---- async ---- */

typedef struct {
  LkStoreEnv       *env;
  char             *name;
  LkModelLoadFlags  flags;
  LkModelOptions    options;
  LkAsyncProgress  *progress;  /* the task's */
} LoadJob;

static void
load_job_free (LoadJob *job)
{
  lk_store_env_free (job->env);
  g_free (job->name);
  g_free (job);
}

static void
load_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LoadJob *job = task_data;
  GError *error = NULL;
  LkModel *model;

  model = load_with_env (job->env, job->name, job->flags, &job->options,
                         job->progress ? lk_async_progress_download_func : NULL, job->progress,
                         cancellable, &error);
  if (model != NULL)
    g_task_return_pointer (task, model, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
lk_model_load_async (const char            *name,
                     LkModelLoadFlags       flags,
                     const LkModelOptions  *options,
                     LkDownloadProgress     progress,
                     gpointer               progress_data,
                     GCancellable          *cancellable,
                     GAsyncReadyCallback    callback,
                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadJob *job;

  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = g_new0 (LoadJob, 1);
  job->env = lk_store_env_new ();
  job->name = g_strdup (name);
  job->flags = flags;
  if (options != NULL)
    job->options = *options;
  else
    lk_model_options_init_from_env (&job->options);
  job->progress = lk_async_progress_new_download (NULL, progress, progress_data);

  task = lk_async_task_new (NULL, cancellable, callback, user_data, job->progress);
  g_task_set_source_tag (task, lk_model_load_async);
  g_task_set_task_data (task, job, (GDestroyNotify) load_job_free);
  /* A model loaded after its caller gave up is dropped, not handed over. */
  g_task_set_check_cancellable (task, TRUE);
  g_task_run_in_thread (task, load_thread);
}

LkModel *
lk_model_load_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_model_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
