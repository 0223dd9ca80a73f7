/* lk-window-private.h — the window's state, shared by lk-window.c (layout,
 * actions, views), lk-window-explain.c (models and jobs) and
 * lk-window-files.c (sessions, export, clipboard). */
#pragma once

#include "lk-audit-view.h"
#include "lk-method-chooser.h"
#include "lk-eta.h"
#include "lk-explain.h"
#include "lk-settings.h"
#include "lk-window.h"

G_BEGIN_DECLS

struct _LkWindow
{
  AdwApplicationWindow  parent_instance;

  /* below NARROW_WIDTH: icon-only mode toggles and no title (lk-window.c) */
  gboolean              narrow;
  gboolean              aspects_unavailable;  /* the chosen model has no aspect layout or head */
  char                 *last_toast_file;
  char                 *text_model;  /* the text model to go back to when leaving image mode */  /* the file the last toast offers to open */
  guint                 narrow_idle;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;     /* "pair" and "audit" */
  LkAuditView          *audit_view;
  GtkWidget            *audit_button;
  AdwWindowTitle       *window_title;
  LkModelChooser       *model_chooser;
  LkMethodChooser      *method_chooser;
  LkInputPane          *input_pane;
  GtkRevealer          *progress_revealer;
  GtkSpinner           *spinner;
  GtkLabel             *progress_title;
  GtkLabel             *progress_eta;
  GtkProgressBar       *progress_bar;
  GtkStack             *results_stack;
  AdwStatusPage        *error_page;
  GtkWidget            *error_download_button;
  GtkLabel             *score_label;
  GtkLabel             *score_caption;
  GtkLabel             *summary_title;
  GtkLabel             *verdict_badge;
  GtkLabel             *summary_subtitle;
  GtkWidget            *stale_label;
  AdwViewStack         *view_stack;
  LkFigureView         *matrix_view;
  LkFigureView         *alignment_view;
  LkFigureView         *saliency_view;
  LkFigureView         *aspects_view;
  LkFigureView         *contrast_view;
  GtkStack             *aspects_stack;
  LkDetailsView        *details_view;
  GtkWidget            *words_button;
  GtkWidget            *specials_button;
  GtkWidget            *prompts_button;
  GtkWidget            *topk_box;
  GtkWidget            *opacity_box;
  GtkLabel             *selection_label;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_bar_title;
  GtkLabel             *error_bar_label;
  GtkWidget            *error_bar_download_button;
  AdwButtonContent     *texts_content;
  AdwButtonContent     *image_content;
  GtkWidget            *zoom_box;
  GtkButton            *zoom_button;
  GtkAdjustment        *topk_adjustment;
  GtkAdjustment        *opacity_adjustment;

  GSettings            *settings;

  /* the model */
  LkModel              *model;
  char                 *model_name;     /* as chosen, for the model loaded */
  char                 *load_name;      /* as chosen, for the model loading */
  GCancellable         *load_cancellable;
  GCancellable         *aspects_cancellable;  /* lk-window.c's check_aspects () */
  char                 *prompts_for;          /* the model check_prompts () last asked about */
  gboolean              prompts_pending;      /* its prompts are being read */
  LkSession            *restoring;            /* a session whose results wait for them (apply_session) */
  gboolean              explain_after_load;

  /* the running explanation */
  GCancellable         *explain_cancellable;
  gint64                explain_started;
  LkEta                 eta;
  guint                 pulse_source;

  /* results, by request key */
  GHashTable           *cache;
  LkExplanation        *current;
  LkExplanation        *pinned;       /* for Compare (win.pin) */
  char                 *current_key;
  char                 *last_error;
  guint                 generation;    /* bumped when a session is opened */

  double                zoom;
  GFile                *session_file;
  gboolean              disposed;
  GCancellable         *audit_cancellable;  /* an audit being read */
};

/* lk-window.c */
void     lk_window_update_actions   (LkWindow      *self);
void     lk_window_show_explanation (LkWindow      *self,
                                     LkExplanation *x,
                                     const char    *key);
void     lk_window_show_error       (LkWindow      *self,
                                     const char    *icon_name,
                                     const char    *title,
                                     const char    *message,
                                     gboolean       offer_download);
void     lk_window_toast_file       (LkWindow      *self,
                                     const char    *message,
                                     const char    *path);
void     lk_window_toast            (LkWindow      *self,
                                     const char    *message);
void     lk_window_refresh_results  (LkWindow      *self);
LkFigureView *lk_window_get_visible_figure (LkWindow *self,
                                            LkView   *view);
void     lk_window_show_empty       (LkWindow      *self);
LkView   lk_window_get_view         (LkWindow      *self);
void     lk_window_set_view         (LkWindow      *self,
                                     LkView         view);

/* lk-window-explain.c */
char    *lk_window_request_key      (LkWindow      *self,
                                     const char    *method);
/* The "method" setting if it names a method, else lk_method_default (). */
char    *lk_window_dup_method           (LkWindow  *self);
char    *lk_window_request_key_for_mode (LkWindow  *self,
                                     LkInputMode    mode,
                                     const char    *method);
void     lk_window_forget_results   (LkWindow      *self);
void     lk_window_cancel           (LkWindow      *self);
void     lk_window_load_model       (LkWindow      *self);
void     lk_window_explain_dispose  (LkWindow      *self);

/* lk-window-files.c */
void     lk_window_open_dialog      (LkWindow      *self);
void     lk_window_save_dialog      (LkWindow      *self,
                                     gboolean       save_as);
void     lk_window_export_dialog    (LkWindow      *self,
                                     gboolean       report);
void     lk_window_copy_figure      (LkWindow      *self);
void     lk_window_open_audit_dialog (LkWindow     *self,
                                     gboolean       folder);

/* lk-window-files.c: the rest of opening @session once the prompt
 * choosers hold its prompts (the cache keys include them). */
void lk_window_finish_session (LkWindow *self, LkSession *session);

G_END_DECLS
