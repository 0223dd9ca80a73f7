/* lk-input-pane.h — the inputs: two texts with live token counts, or an
 * image and its caption; menus of example pairs and photos; highlights of
 * the tokens picked in a figure. */
#pragma once

#include <gtk/gtk.h>

#include "lk-model.h"
#include "lk-session.h"

G_BEGIN_DECLS

#define LK_TYPE_INPUT_PANE (lk_input_pane_get_type ())
G_DECLARE_FINAL_TYPE (LkInputPane, lk_input_pane, LK, INPUT_PANE, GtkWidget)

typedef struct {
  const char *a;
  const char *b;
} LkExamplePair;

/* The example pairs of the Examples menu, NULL-terminated. */
const LkExamplePair *lk_example_pairs      (void);

typedef struct {
  const char *file;     /* its name in the examples folder */
  const char *title;    /* untranslated (N_): show it with _() */
  const char *caption;  /* a model input, so in English */
} LkExampleImage;

/* The example photos of image–caption mode's Examples menu, terminated by
 * a NULL file; the action input.example-image takes an index into it. */
const LkExampleImage *lk_example_images    (void);
/* The folder that holds them: the source tree's data/examples when running
 * from the build folder, else <datadir>/likeness/examples. */
char                *lk_example_images_dir (void);

LkInputMode  lk_input_pane_get_mode        (LkInputPane *self);
void         lk_input_pane_set_mode        (LkInputPane *self,
                                            LkInputMode  mode);
char        *lk_input_pane_dup_text        (LkInputPane *self,
                                            guint        side);
void         lk_input_pane_set_text        (LkInputPane *self,
                                            guint        side,
                                            const char  *text);
const char  *lk_input_pane_get_image       (LkInputPane *self);
void         lk_input_pane_set_image       (LkInputPane *self,
                                            const char  *path);
const char  *lk_input_pane_get_caption     (LkInputPane *self);
void         lk_input_pane_set_caption     (LkInputPane *self,
                                            const char  *caption);
/* The model whose tokenizer counts the tokens; NULL hides the counts. */
void         lk_input_pane_set_model       (LkInputPane *self,
                                            LkModel     *model);
/* The count as shown under text @side, for tests. */
const char  *lk_input_pane_get_count_label (LkInputPane *self,
                                            guint        side);
/* Highlights bytes [@start, @end) of text @side; start == end clears. */
void         lk_input_pane_highlight       (LkInputPane *self,
                                            guint        side,
                                            gsize        start,
                                            gsize        end);
void         lk_input_pane_focus_text      (LkInputPane *self,
                                            guint        side);

/* The prompt chosen for text @side: NULL when the model names none, ""
 * for "No Prompt", else one of lk_model_get_prompt_names (). */
const char  *lk_input_pane_get_prompt      (LkInputPane *self,
                                            guint        side);
/* The prompts of the chosen model (lk_model_read_prompts), before it loads. */
void         lk_input_pane_set_prompt_names (LkInputPane       *self,
                                             const char *const *names,
                                             const char        *default_name);
void         lk_input_pane_set_prompt      (LkInputPane *self,
                                            guint        side,
                                            const char  *name);

/* Why the chosen image cannot be read (shown in its place), or NULL. */
const char  *lk_input_pane_get_image_error (LkInputPane *self);

G_END_DECLS
