/* lk-hf-cache.c — the Hugging Face cache's layout and the hub's names:
 * where the cache is, the environment read once, which ids and file names
 * are valid, a repository's folder. Below both the store (lk-model-store.c)
 * and the download (lk-download.c), which use it, so neither calls the
 * other back. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-hf-cache.h"

#define DEFAULT_ENDPOINT "https://huggingface.co"
#define MAX_ID_PART 96

char *
lk_hf_expand_home (const char *path)
{
  if (g_str_equal (path, "~"))
    return g_strdup (g_get_home_dir ());
  if (g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 2, NULL);
  return g_strdup (path);
}

static const char *
getenv_nonempty (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : NULL;
}

/* huggingface_hub's reading of boolean variables. */
static gboolean
env_is_true (const char *name)
{
  const char *value = getenv_nonempty (name);
  static const char * const yes[] = { "1", "on", "yes", "true", NULL };

  if (value == NULL)
    return FALSE;
  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (value, yes[i]) == 0)
      return TRUE;
  return FALSE;
}

/**
 * lk_model_store_get_cache_dir:
 *
 * The Hugging Face hub cache, found as huggingface_hub finds it:
 * $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
 * else ~/.cache/huggingface/hub.  Inside a Flatpak the host's cache
 * ($HOST_XDG_CACHE_HOME, else ~/.cache) takes the place of XDG_CACHE_HOME,
 * the app's private one.  The folder may not exist yet.
 *
 * Returns: (transfer full): an absolute path when the variables are.
 */
char *
lk_model_store_get_cache_dir (void)
{
  const char *value;
  g_autofree char *home = NULL;

  if ((value = getenv_nonempty ("HF_HUB_CACHE")) != NULL)
    return lk_hf_expand_home (value);
  if ((value = getenv_nonempty ("HF_HOME")) != NULL)
    home = lk_hf_expand_home (value);
  else if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    {
      /* In the Flatpak, XDG_CACHE_HOME is the app's own folder: the cache
       * shared with the user's other tools is the host's, which the
       * manifest opens (--filesystem=xdg-cache/huggingface). */
      if ((value = getenv_nonempty ("HOST_XDG_CACHE_HOME")) != NULL)
        home = g_build_filename (value, "huggingface", NULL);
      else
        home = g_build_filename (g_get_home_dir (), ".cache", "huggingface", NULL);
    }
  else if ((value = getenv_nonempty ("XDG_CACHE_HOME")) != NULL)
    home = g_build_filename (value, "huggingface", NULL);
  else
    home = g_build_filename (g_get_home_dir (), ".cache", "huggingface", NULL);
  return g_build_filename (home, "hub", NULL);
}

LkStoreEnv *
lk_store_env_new (void)
{
  LkStoreEnv *env = g_new0 (LkStoreEnv, 1);
  const char *endpoint = getenv_nonempty ("HF_ENDPOINT");
  gsize len;

  env->cache_dir = lk_model_store_get_cache_dir ();
  env->endpoint = g_strdup (endpoint != NULL ? endpoint : DEFAULT_ENDPOINT);
  len = strlen (env->endpoint);
  while (len > 0 && env->endpoint[len - 1] == '/')
    env->endpoint[--len] = '\0';
  env->token = g_strdup (getenv_nonempty ("HF_TOKEN"));
  env->offline = env_is_true ("HF_HUB_OFFLINE");
  return env;
}

void
lk_store_env_free (LkStoreEnv *env)
{
  if (env == NULL)
    return;
  g_free (env->cache_dir);
  g_free (env->endpoint);
  g_free (env->token);
  g_free (env);
}

/* ---- names ------------------------------------------------------------ */

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

gboolean
lk_model_store_is_safe_name (const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.' || strlen (name) > 255)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!is_name_char (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_edge_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* One part of a hub id, with huggingface_hub's rules (validate_repo_id).
 * Returns NULL when valid, else why not. */
static const char *
check_id_part (const char *part)
{
  gsize len = strlen (part);

  if (len == 0)
    return _("a part is empty");
  if (len > MAX_ID_PART)
    return _("a part is longer than 96 characters");
  for (const char *p = part; *p; p++)
    if (!is_name_char (*p))
      return _("only letters, digits, “.”, “_” and “-” are allowed");
  if (!is_edge_char (part[0]) || !is_edge_char (part[len - 1]))
    return _("each part must start and end with a letter, digit or “_”");
  /* "--" is the cache's separator; ".." could climb out of a folder. */
  if (strstr (part, "--") != NULL || strstr (part, "..") != NULL)
    return _("“--” and “..” are not allowed");
  if (g_str_has_suffix (part, ".git"))
    return _("a part may not end with “.git”");
  return NULL;
}

/**
 * lk_model_store_validate_id:
 * @id: a hub id, "ORG/NAME" or "NAME"
 *
 * Returns: %TRUE if @id is a valid hub id, else %FALSE with
 *   LK_ERROR_INVALID_ARGUMENT saying why.
 */
gboolean
lk_model_store_validate_id (const char *id, GError **error)
{
  g_auto(GStrv) parts = NULL;
  const char *why = NULL;

  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parts = g_strsplit (id, "/", -1);
  if (*id == '\0')
    why = _("it is empty");
  else if (g_strv_length (parts) > 2)
    why = _("expected ORG/NAME or NAME");
  for (guint i = 0; why == NULL && parts[i] != NULL; i++)
    why = check_id_part (parts[i]);
  if (why == NULL)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a valid model id: %s"), id, why);
  return FALSE;
}

char *
lk_model_store_repo_dir (const char *cache_dir, const char *id)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);
  g_autofree char *joined = g_strjoinv ("--", parts);
  g_autofree char *base = g_strconcat ("models--", joined, NULL);

  return g_build_filename (cache_dir, base, NULL);
}

gboolean
lk_model_store_downloads_allowed (char **why)
{
  g_autoptr(LkStoreEnv) env = lk_store_env_new ();

  if (why)
    *why = env->offline ? g_strdup (_("Downloads are turned off (HF_HUB_OFFLINE is set): copy the model into the "
                                      "Hugging Face cache or add its folder, or unset HF_HUB_OFFLINE"))
                        : NULL;
  return !env->offline;
}
