/* lk-audit-view.h — the corpus view: a batch run's output (a JSON Lines
 * file of likeness-cli batch, or a folder of them) as a sortable,
 * filterable table; a row opens its pair's explanation, and two rows with
 * one query open their ranking contrast. */
#pragma once

#include <adwaita.h>

#include "lk-explanation.h"

G_BEGIN_DECLS

#define LK_TYPE_AUDIT_ROW (lk_audit_row_get_type ())
G_DECLARE_FINAL_TYPE (LkAuditRow, lk_audit_row, LK, AUDIT_ROW, GObject)

#define LK_TYPE_AUDIT_VIEW (lk_audit_view_get_type ())
G_DECLARE_FINAL_TYPE (LkAuditView, lk_audit_view, LK, AUDIT_VIEW, GtkWidget)

/* Reads @file (a .jsonl, or a folder: every .jsonl in it, by name) in a
 * worker thread; the table changes only when the whole run was read. A
 * line that is not a batch line is a failed row, not the end of the file;
 * a file with no batch line at all is an error. */
void           lk_audit_view_open_async   (LkAuditView         *self,
                                           GFile               *file,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean       lk_audit_view_open_finish  (LkAuditView         *self,
                                           GAsyncResult        *result,
                                           GError             **error);
/* The file or folder shown, or NULL. */
GFile         *lk_audit_view_get_file     (LkAuditView         *self);

/* For tests and the window: the rows in the file, and those the search
 * and the verdict filter leave, in the table's order. */
guint          lk_audit_view_get_n_rows   (LkAuditView         *self);
guint          lk_audit_view_get_n_shown  (LkAuditView         *self);
LkAuditRow    *lk_audit_view_get_shown    (LkAuditView         *self,
                                           guint                position);
void           lk_audit_view_set_search   (LkAuditView         *self,
                                           const char          *text);
/* Sorts the table by the column @name ("query", "passage", "rank",
 * "score", "method", "verdict", "strongest", "id"). */
void           lk_audit_view_sort_by      (LkAuditView         *self,
                                           const char          *name,
                                           GtkSortType          order);
/* Selects the shown rows at @positions (@n of them), as a user does. */
void           lk_audit_view_select       (LkAuditView         *self,
                                           const guint         *positions,
                                           guint                n);
/* Opens the shown row at @position (as a double click or Enter does). */
void           lk_audit_view_activate     (LkAuditView         *self,
                                           guint                position);

const char    *lk_audit_row_get_id        (LkAuditRow          *row);
const char    *lk_audit_row_get_query     (LkAuditRow          *row);
double         lk_audit_row_get_score     (LkAuditRow          *row);
int            lk_audit_row_get_rank      (LkAuditRow          *row);
/* The item's error, NULL for a result. */
const char    *lk_audit_row_get_error     (LkAuditRow          *row);
/* Reads the row's line again and parses it: the table keeps no results,
 * so a run of any size stays a few hundred bytes a row. */
LkExplanation *lk_audit_row_load          (LkAuditRow          *row,
                                           GError             **error);

G_END_DECLS
