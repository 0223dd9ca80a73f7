/* lk-model-vision.c — the image side of LkModel (CLIP): whether it has a
 * vision tower, preprocessing, image embeddings. The text side is
 * lk-model.c's: for a CLIP model lk_model_embed and lk_model_tokenize use
 * the text tower. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-image.h"
#include "lk-model.h"
#include "lk-model-private.h"

gboolean
lk_model_has_vision (LkModel *self)
{
  g_return_val_if_fail (LK_IS_MODEL (self), FALSE);
  return lk_model_get_config (self)->clip;
}

guint
lk_model_get_image_size (LkModel *self)
{
  g_return_val_if_fail (LK_IS_MODEL (self), 0);
  return lk_model_has_vision (self) ? (guint) lk_model_get_config (self)->params.image_size : 0;
}

static gboolean
need_vision (LkModel *self, GError **error)
{
  if (lk_model_has_vision (self))
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s is a text model: only CLIP models embed images"), lk_model_get_id (self));
  return FALSE;
}

gboolean
lk_model_preprocess_image (LkModel        *self,
                           const LkImage  *image,
                           float          *out,
                           GError        **error)
{
  g_return_val_if_fail (LK_IS_MODEL (self), FALSE);
  g_return_val_if_fail (image != NULL && out != NULL, FALSE);

  return need_vision (self, error) && lk_image_preprocess (image, &lk_model_get_config (self)->preprocess, out, error);
}

gboolean
lk_model_embed_pixels (LkModel       *self,
                       guint          n,
                       const float   *pixels,
                       float         *out,
                       GCancellable  *cancellable,
                       GError       **error)
{
  lk_shim_run_params run;
  lk_shim_status st;

  g_return_val_if_fail (LK_IS_MODEL (self), FALSE);
  g_return_val_if_fail (n == 0 || (pixels != NULL && out != NULL), FALSE);

  if (!need_vision (self, error))
    return FALSE;
  lk_shim_run_default_params (&run);
  run.abort = cancellable ? lk_backend_abort : NULL;
  run.user_data = &cancellable;
  if (lk_shim_embed_images (lk_model_get_shim (self), n, pixels, out, &run, &st) != 0)
    return lk_backend_set_error (&st, lk_model_get_id (self), NULL, error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *what = n == 1 ? g_strdup ("the embedding of the image")
                                     : g_strdup_printf ("the embedding of image %u", i + 1);
      if (!lk_check_finite (out + (gsize) i * lk_model_get_dim (self), lk_model_get_dim (self), what, error))
        return FALSE;
    }
  return TRUE;
}
