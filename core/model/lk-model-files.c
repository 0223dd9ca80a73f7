/* lk-model-files.c — what every model folder's reader needs, below the
 * readers of each architecture's config.json (lk-model-config.c,
 * lk-model-config-clip.c): where the weights are and the activation
 * names of transformers and sentence-transformers. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-model-private.h"

/* model.safetensors if present, else pytorch_model.bin (also for the
 * text models of lk-model-config.c). */
char *
lk_model_find_weights (const char *dir, GError **error)
{
  g_autofree char *st = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *bin = g_build_filename (dir, "pytorch_model.bin", NULL);

  if (g_file_test (st, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&st);
  if (g_file_test (bin, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&bin);
  g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
               _("%s: no weights (expected model.safetensors or pytorch_model.bin)"), dir);
  return NULL;
}

gboolean
lk_model_parse_activation (const char *name, const char *file, lk_shim_activation *act, GError **error)
{
  static const struct { const char *name; lk_shim_activation act; } known[] = {
    { "gelu", LK_SHIM_ACT_GELU }, { "gelu_new", LK_SHIM_ACT_GELU_TANH },
    { "gelu_pytorch_tanh", LK_SHIM_ACT_GELU_TANH }, { "quick_gelu", LK_SHIM_ACT_QUICK_GELU },
    { "relu", LK_SHIM_ACT_RELU }, { "tanh", LK_SHIM_ACT_TANH }, { "silu", LK_SHIM_ACT_SILU }, { "swish", LK_SHIM_ACT_SILU },
    { "torch.nn.modules.activation.Tanh", LK_SHIM_ACT_TANH },
    { "torch.nn.modules.activation.ReLU", LK_SHIM_ACT_RELU },
    { "torch.nn.modules.linear.Identity", LK_SHIM_ACT_IDENTITY },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_strcmp0 (name, known[i].name) == 0)
      {
        *act = known[i].act;
        return TRUE;
      }
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, "%s: activation \"%s\" is not supported", file, name);
  return FALSE;
}
