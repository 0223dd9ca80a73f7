/* lk-settings.h — the app's preferences: a thin, typed wrapper over its
 * GSettings schema, shared by the windows. */
#pragma once

#include <gio/gio.h>

#include "lk-explain.h"
#include "lk-model.h"
#include "lk-render.h"

G_BEGIN_DECLS

#define LK_SETTINGS_SCHEMA_ID "io.github.likeness.Likeness"

#define LK_TYPE_SETTINGS (lk_settings_get_type ())
G_DECLARE_FINAL_TYPE (LkSettings, lk_settings, LK, SETTINGS, GObject)

LkSettings *lk_settings_new              (void);
/* The one instance of the running app. */
LkSettings *lk_settings_get_default      (void);
GSettings  *lk_settings_get_gsettings    (LkSettings       *self);

LkModelOptions lk_settings_get_model_options (LkSettings   *self);
/* A method's parameter as the user set it, else the registry's default
 * (@is_set, optional, says which). */
double      lk_settings_get_param        (LkSettings       *self,
                                          LkMethod          method,
                                          LkParam           param,
                                          gboolean         *is_set);
/* Range-checked as a request checks it; the default is stored as unset. */
gboolean    lk_settings_set_param        (LkSettings       *self,
                                          LkMethod          method,
                                          LkParam           param,
                                          double            value,
                                          GError          **error);
/* Every parameter of @method back to its default. */
void        lk_settings_reset_params     (LkSettings       *self,
                                          LkMethod          method);
/* Whether any parameter of @method is set away from its default. */
gboolean    lk_settings_has_params       (LkSettings       *self,
                                          LkMethod          method);
/* A request for @method with the parameters the user set; its inputs are
 * the caller's to set. */
LkExplainRequest *lk_settings_new_request (LkSettings       *self,
                                           LkMethod          method);
/* The parameters that shape a request, as stored in a session and used in
 * the result cache's key: { "ij.steps": 2, … }, only those set. Applying
 * replaces every parameter (and reads the keys of older sessions). */
JsonObject *lk_settings_dup_params_json  (LkSettings       *self);
void        lk_settings_apply_params_json(LkSettings       *self,
                                          JsonObject       *params);
/* Fills the palette, word merging and special tokens of @options. */
void        lk_settings_fill_render_options (LkSettings    *self,
                                             LkRenderOptions *options);

char       *lk_settings_dup_model        (LkSettings       *self);
void        lk_settings_set_model        (LkSettings       *self,
                                          const char       *model);
char      **lk_settings_dup_model_folders(LkSettings       *self);
void        lk_settings_add_model_folder (LkSettings       *self,
                                          const char       *folder);

G_END_DECLS
