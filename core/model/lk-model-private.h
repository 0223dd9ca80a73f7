/* lk-model-private.h — the model folder as the shim needs it. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "likeness-shim.h"
#include "lk-image.h"
#include "lk-model.h"

G_BEGIN_DECLS

typedef struct {
  lk_shim_model_params params;   /* paths point into the strings below */
  char *model_type;
  char *weights;
  char *dense_weights[LK_SHIM_MAX_DENSE];
  guint max_seq_length;
  gboolean clip;                 /* a CLIPModel (lk-model-clip.c) */
  LkImagePreprocess preprocess;  /* CLIP: preprocessor_config.json */
  /* config_sentence_transformers.json: prompts by name, NULL-terminated */
  char **prompt_names;
  char **prompt_texts;
  char *default_prompt_name;
  unsigned char *sliding;        /* ModernBERT: num_layers flags (params.sliding points here) */
  gboolean pool_excludes_prompt; /* the Pooling module's include_prompt is false (INSTRUCTOR) */
} LkModelConfig;

gboolean lk_model_config_read  (LkModelConfig *config, const char *dir, GError **error);
void     lk_model_config_clear (LkModelConfig *config);
gboolean lk_model_parse_activation (const char *name, const char *file, lk_shim_activation *act, GError **error);
/* "FILE: FIELD is V; expected a positive integer" unless 0 < @value ≤ 2²². */
gboolean lk_model_check_size       (const char *file, const char *field, gint64 value, GError **error);
/* @prefix names the sub-config ("text_config." or ""). */
gboolean lk_model_check_heads      (const char *file, const char *prefix, gint64 hidden, gint64 heads, GError **error);

/* lk_model_new_from_dir (), stopped by @cancellable between its steps
 * (G_IO_ERROR_CANCELLED). */
LkModel       *lk_model_load_dir (const char            *dir,
                                  const char            *id,
                                  const LkModelOptions  *options,
                                  GCancellable          *cancellable,
                                  GError               **error);

/* The shim's model, for the explanation engine. */
lk_shim_model *lk_model_get_shim (gpointer model);
LkModelConfig *lk_model_get_config (gpointer model);

/* lk-model-clip.c */
gboolean lk_model_config_is_clip   (const char *dir);
gboolean lk_model_config_read_clip (LkModelConfig *config, const char *dir, GError **error);
char    *lk_model_find_weights     (const char *dir, GError **error);

/* lk-model-config-modernbert.c: ModernBERT, from config.json's object @o */
gboolean lk_model_config_read_modernbert (LkModelConfig *config, JsonObject *o, const char *file, const char *dir,
                                          GError **error);
/* lk-model-config-decoder.c: Qwen2/Qwen3 decoders, from config.json's object @o */
gboolean lk_model_config_is_decoder   (const char *model_type);
gboolean lk_model_config_read_decoder (LkModelConfig *config, JsonObject *o, const char *file, const char *dir,
                                       GError **error);

G_END_DECLS
