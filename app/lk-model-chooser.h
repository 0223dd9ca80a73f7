/* lk-model-chooser.h — the header bar's model menu: the models in the
 * Hugging Face cache and in the user's folders, "Add Folder…", and a
 * download from the hub by id with progress and clear errors. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LK_TYPE_MODEL_CHOOSER (lk_model_chooser_get_type ())
G_DECLARE_FINAL_TYPE (LkModelChooser, lk_model_chooser, LK, MODEL_CHOOSER, GtkWidget)

/* A hub id or a folder. */
const char *lk_model_chooser_get_model     (LkModelChooser *self);
void        lk_model_chooser_set_model     (LkModelChooser *self,
                                            const char     *model);
/* Re-reads the cache and the folders. */
void        lk_model_chooser_refresh       (LkModelChooser *self);
/* How many models are listed, for tests. */
guint       lk_model_chooser_get_n_models  (LkModelChooser *self);
/* Starts downloading @id, as the Download button does. */
void        lk_model_chooser_download      (LkModelChooser *self,
                                            const char     *id);
gboolean    lk_model_chooser_get_busy      (LkModelChooser *self);
/* The kind shown beside model @name in the menu ("Text", "Image & Text"), or NULL. */
const char *lk_model_chooser_get_kind_label (LkModelChooser *self,
                                             const char     *name);
/* Whether the Download button can be used (not when HF_HUB_OFFLINE is set). */
gboolean    lk_model_chooser_get_can_download (LkModelChooser *self);
/* The last download error shown, or NULL. */
const char *lk_model_chooser_get_error     (LkModelChooser *self);

G_END_DECLS
