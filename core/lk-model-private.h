/* lk-model-private.h — the model folder as the shim needs it. */
#pragma once

#include <glib.h>

#include "likeness-shim.h"

G_BEGIN_DECLS

typedef struct {
  lk_shim_model_params params;   /* paths point into the strings below */
  char *model_type;
  char *weights;
  char *dense_weights[LK_SHIM_MAX_DENSE];
  guint max_seq_length;
} LkModelConfig;

gboolean lk_model_config_read  (LkModelConfig *config, const char *dir, GError **error);
void     lk_model_config_clear (LkModelConfig *config);
gboolean lk_model_parse_activation (const char *name, const char *file, lk_shim_activation *act, GError **error);

/* The shim's model, for the explanation engine. */
lk_shim_model *lk_model_get_shim (gpointer model);

G_END_DECLS
