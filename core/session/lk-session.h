/* lk-session.h — a saved piece of work: the inputs, the model and method
 * chosen, the app's parameters and the explanations computed for them,
 * serialised as the versioned JSON schema likeness.session/1 (a file named
 * *.likeness). */
#pragma once

#include <gio/gio.h>

#include "lk-explanation.h"

G_BEGIN_DECLS

#define LK_SESSION_SCHEMA         "likeness.session/1"
#define LK_SESSION_SCHEMA_PREFIX  "likeness.session/"
#define LK_SESSION_SCHEMA_VERSION 1

#define LK_TYPE_SESSION (lk_session_get_type ())
G_DECLARE_FINAL_TYPE (LkSession, lk_session, LK, SESSION, GObject)

typedef enum {
  LK_INPUT_TEXT_PAIR,
  LK_INPUT_IMAGE_CAPTION,
} LkInputMode;

const char    *lk_input_mode_to_string   (LkInputMode  mode);
gboolean       lk_input_mode_from_string (const char  *name,
                                          LkInputMode *mode);

LkSession     *lk_session_new            (void);

LkInputMode    lk_session_get_mode       (LkSession   *self);
void           lk_session_set_mode       (LkSession   *self,
                                          LkInputMode  mode);
/* The inputs: side 0 is text A, side 1 text B. */
const char    *lk_session_get_text       (LkSession   *self,
                                          guint        side);
void           lk_session_set_text       (LkSession   *self,
                                          guint        side,
                                          const char  *text);
const char    *lk_session_get_image      (LkSession   *self);
void           lk_session_set_image      (LkSession   *self,
                                          const char  *path);
const char    *lk_session_get_caption    (LkSession   *self);
void           lk_session_set_caption    (LkSession   *self,
                                          const char  *caption);
/* The prompt chosen for text @side (0: A, 1: B): one of the model's
 * prompt names, "" for none, NULL for the model's default. */
const char    *lk_session_get_prompt     (LkSession   *self,
                                          guint        side);
void           lk_session_set_prompt     (LkSession   *self,
                                          guint        side,
                                          const char  *name);
/* The model as the user named it: a hub id or a folder. */
const char    *lk_session_get_model      (LkSession   *self);
void           lk_session_set_model      (LkSession   *self,
                                          const char  *model);
const char    *lk_session_get_method     (LkSession   *self);
void           lk_session_set_method     (LkSession   *self,
                                          const char  *method);
/* The view the user was on: a name of lk_view_from_string (), or NULL. */
const char    *lk_session_get_view       (LkSession   *self);
void           lk_session_set_view       (LkSession   *self,
                                          const char  *view);
/* The app's parameters (IJ steps, layer, masks …); owned by the session
 * and may be changed in place. */
JsonObject    *lk_session_get_params     (LkSession   *self);

void           lk_session_add_result     (LkSession     *self,
                                          LkExplanation *result);
guint          lk_session_get_n_results  (LkSession   *self);
LkExplanation *lk_session_get_result     (LkSession   *self,
                                          guint        i);

/* Which of the session's inputs result @i explains: the text pair, or the
 * image (the same file) and caption. FALSE when it explains neither. */
gboolean       lk_session_get_result_mode (LkSession   *self,
                                           guint        i,
                                           LkInputMode *mode);

JsonNode      *lk_session_to_json        (LkSession   *self);
/* A file of a newer schema is LK_ERROR_UNSUPPORTED; anything malformed is
 * LK_ERROR_INVALID_DATA, with the field and what was expected. */
LkSession     *lk_session_new_from_json  (JsonNode    *node,
                                          GError     **error);
/* Writes through a temporary file and a rename. */
gboolean       lk_session_save           (LkSession   *self,
                                          const char  *path,
                                          GError     **error);
LkSession     *lk_session_load           (const char  *path,
                                          GError     **error);

G_END_DECLS
