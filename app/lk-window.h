/* lk-window.h — the main window: inputs on the left, the explanation's
 * figures on the right, model and method in the header bar. */
#pragma once

#include <adwaita.h>

#include "lk-audit-view.h"
#include "lk-details-view.h"
#include "lk-figure-view.h"
#include "lk-input-pane.h"
#include "lk-method-chooser.h"
#include "lk-model-chooser.h"

G_BEGIN_DECLS

#define LK_TYPE_WINDOW (lk_window_get_type ())
G_DECLARE_FINAL_TYPE (LkWindow, lk_window, LK, WINDOW, AdwApplicationWindow)

LkWindow       *lk_window_new                (GtkApplication *application);

/* Explains the current inputs, as win.explain does (from the cache when
 * it has them). */
void            lk_window_explain            (LkWindow       *self);
/* TRUE while a model loads or an explanation runs. */
gboolean        lk_window_get_busy           (LkWindow       *self);
/* The explanation shown, or NULL. */
LkExplanation  *lk_window_get_explanation    (LkWindow       *self);
/* The last error shown (a page or a toast), or NULL. */
const char     *lk_window_get_last_error     (LkWindow       *self);
/* Whether the shown explanation is for other inputs or settings. */
gboolean        lk_window_get_stale          (LkWindow       *self);

LkInputPane    *lk_window_get_input_pane     (LkWindow       *self);
LkModelChooser *lk_window_get_model_chooser  (LkWindow       *self);
/* Whether the header is in its narrow form (icon-only mode toggles, no title). */
gboolean        lk_window_get_narrow         (LkWindow       *self);
/* lk_window_export, then a toast: "Exported …" with Open, or the error. */
void            lk_window_export_and_tell    (LkWindow       *self,
                                              gboolean        report,
                                              const char     *path,
                                              double          scale);
/* Whether an error is shown in the bar above a result that stays. */
gboolean        lk_window_get_error_over_result (LkWindow    *self);
/* The Download button of the error shown (the bar's or the page's), for tests. */
GtkWidget      *lk_window_get_download_button (LkWindow      *self);
/* The file that the last export's toast offers to open, or NULL. */
const char     *lk_window_get_last_toast_file (LkWindow      *self);
/* The readout of the selected pair in the bar under the figures ("" when none). */
const char     *lk_window_get_selection_readout (LkWindow     *self);
LkMethodChooser *lk_window_get_method_chooser (LkWindow      *self);
LkFigureView   *lk_window_get_figure_view    (LkWindow       *self,
                                              LkView          view);
LkDetailsView  *lk_window_get_details_view   (LkWindow       *self);
/* "matrix", "alignment", "saliency", "aspects" or "details". */
const char     *lk_window_get_visible_view   (LkWindow       *self);
void            lk_window_set_visible_view   (LkWindow       *self,
                                              const char     *name);

/* Writes the visible figure (or, with @report, the one-page report) to
 * @path; the format comes from the extension. */
gboolean        lk_window_export             (LkWindow       *self,
                                              gboolean        report,
                                              const char     *path,
                                              double          scale,
                                              GError        **error);
/* The name Save As offers: "the-coffee-is-bad.likeness". */
char           *lk_window_dup_suggested_session_name (LkWindow *self);
gboolean        lk_window_save_session       (LkWindow       *self,
                                              GFile          *file,
                                              GError        **error);
/* On error nothing in the window changes. */
gboolean        lk_window_open_session       (LkWindow       *self,
                                              GFile          *file,
                                              GError        **error);

/* Reads a batch run's output (a .jsonl file or a folder of them) into the
 * audit table and shows it; busy while it reads. On error the table is
 * unchanged and a dialog says why. */
void            lk_window_open_audit         (LkWindow       *self,
                                              GFile          *file);
LkAuditView    *lk_window_get_audit_view     (LkWindow       *self);
/* The header's verdict badge: its word, and (@reading) its tooltip. */
const char     *lk_window_get_verdict_badge  (LkWindow       *self,
                                              const char    **reading);
/* "pair" (the inputs and figures) or "audit" (the table). */
const char     *lk_window_get_page           (LkWindow       *self);

G_END_DECLS
