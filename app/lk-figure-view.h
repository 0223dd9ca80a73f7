/* lk-figure-view.h — one figure of an explanation (heatmap, arcs,
 * saliency, aspects), drawn by the core's renderer, with hover tooltips,
 * click and keyboard selection of a token pair, and zoom. */
#pragma once

#include <gtk/gtk.h>

#include "lk-render.h"

G_BEGIN_DECLS

#define LK_TYPE_FIGURE_VIEW (lk_figure_view_get_type ())
G_DECLARE_FINAL_TYPE (LkFigureView, lk_figure_view, LK, FIGURE_VIEW, GtkWidget)

GtkWidget     *lk_figure_view_new             (LkView                 view);
LkView         lk_figure_view_get_view        (LkFigureView          *self);
LkExplanation *lk_figure_view_get_explanation (LkFigureView          *self);
void           lk_figure_view_set_explanation (LkFigureView          *self,
                                               LkExplanation         *explanation);
const LkRenderOptions *lk_figure_view_get_options (LkFigureView      *self);
/* Keeps the view's own highlight. */
void           lk_figure_view_set_options     (LkFigureView          *self,
                                               const LkRenderOptions *options);
double         lk_figure_view_get_zoom        (LkFigureView          *self);
void           lk_figure_view_set_zoom        (LkFigureView          *self,
                                               double                 zoom);
/* The selected pair (-1: none); emits "selection-changed". */
void           lk_figure_view_select          (LkFigureView          *self,
                                               int                    row,
                                               int                    col);
/* The selected pair and its value as the tooltip words it; NULL when none. */
char          *lk_figure_view_dup_selection_text (LkFigureView       *self);

G_END_DECLS
