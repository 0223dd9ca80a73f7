/* lk-figure-view.c — a figure drawn by lk_render_cairo(). */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-figure-view.h"

/* Beyond this the figure is not blown up to fill the space. */
#define MAX_FIT_SCALE 1.6

struct _LkFigureView
{
  GtkWidget        parent_instance;

  LkView           view;
  LkExplanation   *explanation;
  LkRenderOptions  options;
  double           zoom;
  /* lk_render_get_size() lays out every label: measured once per figure,
   * not on each measure, snapshot and pointer motion */
  gboolean         size_valid;
  double           nat_w, nat_h;
};

enum {
  PROP_0,
  PROP_VIEW,
  PROP_EXPLANATION,
  PROP_ZOOM,
  N_PROPS
};

enum {
  SELECTION_CHANGED,
  ZOOM_STEP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LkFigureView, lk_figure_view, GTK_TYPE_WIDGET)

static const char *
view_label (LkView view)
{
  switch (view)
    {
    case LK_VIEW_HEATMAP:   return _("Interaction matrix");
    case LK_VIEW_ALIGNMENT: return _("Alignment arcs");
    case LK_VIEW_SALIENCY:  return _("Saliency");
    case LK_VIEW_ASPECTS:   return _("Aspects");
    case LK_VIEW_REPORT:    return _("Report");
    default:                return "";
    }
}

/* The figure's natural size at zoom 1 (0 × 0 without an explanation). */
static void
natural_size (LkFigureView *self, double *w, double *h)
{
  if (!self->size_valid)
    {
      self->nat_w = self->nat_h = 0;
      if (self->explanation)
        lk_render_get_size (self->explanation, self->view, &self->options, &self->nat_w, &self->nat_h);
      self->size_valid = TRUE;
    }
  *w = self->nat_w;
  *h = self->nat_h;
}

/* The figure's box inside the widget: scaled to fit, centred. */
static gboolean
figure_box (LkFigureView *self, double *x, double *y, double *w, double *h)
{
  double nat_w = 0, nat_h = 0, s;
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->explanation == NULL)
    return FALSE;
  natural_size (self, &nat_w, &nat_h);
  if (nat_w <= 0 || nat_h <= 0 || width <= 0 || height <= 0)
    return FALSE;
  s = MIN (width / nat_w, height / nat_h);
  s = MIN (s, MAX (self->zoom, MAX_FIT_SCALE * self->zoom));
  *w = nat_w * s;
  *h = nat_h * s;
  *x = floor ((width - *w) / 2);
  *y = floor ((height - *h) / 2);
  return TRUE;
}

/* The selected pair comes first: GTK 4.8 has no announcement, so a screen
 * reader hears the selection that the arrow keys move as the figure's
 * description changes. */
static void
update_accessible (LkFigureView *self)
{
  g_autofree char *description = NULL;
  g_autofree char *selected = NULL;
  g_autofree char *both = NULL;

  if (self->explanation)
    {
      description = lk_render_describe (self->explanation, self->view, &self->options);
      selected = lk_figure_view_dup_selection_text (self);
    }
  if (selected && description)
    /* Translators: the selected cell of a figure, then the figure's description */
    both = g_strdup_printf (_("Selected: %s. %s"), selected, description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, view_label (self->view),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  both ? both : description ? description : _("No explanation yet"),
                                  -1);
}

static void
lk_figure_view_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  LkFigureView *self = LK_FIGURE_VIEW (widget);
  double w = 0, h = 0;

  natural_size (self, &w, &h);
  *minimum = *natural = (int) ceil ((orientation == GTK_ORIENTATION_HORIZONTAL ? w : h) * self->zoom);
}

static void
lk_figure_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  LkFigureView *self = LK_FIGURE_VIEW (widget);
  LkRenderOptions options = self->options;
  double x, y, w, h;
  cairo_t *cr;

  if (!figure_box (self, &x, &y, &w, &h))
    return;
  options.dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, y, w, h));
  cairo_translate (cr, x, y);
  lk_render_cairo (self->explanation, self->view, &options, cr, w, h);
  cairo_destroy (cr);
}

static gboolean
hit (LkFigureView *self, double px, double py, int *row, int *col)
{
  double x, y, w, h;

  *row = *col = -1;
  if (!figure_box (self, &x, &y, &w, &h))
    return FALSE;
  return lk_render_hit (self->explanation, self->view, &self->options, w, h, px - x, py - y, row, col);
}

static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         px,
                  int         py,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    data)
{
  LkFigureView *self = LK_FIGURE_VIEW (widget);
  g_autofree char *text = NULL;
  int row = -1, col = -1;

  if (keyboard)
    {
      row = self->options.highlight_a;
      col = self->options.highlight_b;
    }
  else if (!hit (self, px, py, &row, &col))
    return FALSE;
  if (self->explanation == NULL || (row < 0 && col < 0))
    return FALSE;
  text = lk_render_describe_hit (self->explanation, self->view, &self->options, row, col);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double px, double py, LkFigureView *self)
{
  int row, col;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!hit (self, px, py, &row, &col))
    {
      lk_figure_view_select (self, -1, -1);
      return;
    }
  if (row == self->options.highlight_a && col == self->options.highlight_b)
    lk_figure_view_select (self, -1, -1);
  else
    lk_figure_view_select (self, row, col);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, LkFigureView *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if ((state & GDK_CONTROL_MASK) == 0 || dy == 0)
    return FALSE;
  g_signal_emit (self, signals[ZOOM_STEP], 0, dy < 0 ? 1 : -1);
  return TRUE;
}

static guint
n_units (LkFigureView *self, guint side)
{
  if (self->explanation == NULL)
    return 0;
  return self->options.words ? lk_explanation_get_n_words (self->explanation, side)
                             : lk_explanation_get_n_tokens (self->explanation, side);
}

/* Arrow keys move the selected pair; Escape clears it. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                LkFigureView          *self)
{
  int rows = n_units (self, 0), cols = n_units (self, 1);
  int row = MAX (self->options.highlight_a, 0), col = MAX (self->options.highlight_b, 0);

  if (rows == 0 || cols == 0 || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Up: case GDK_KEY_KP_Up:       row--; break;
    case GDK_KEY_Down: case GDK_KEY_KP_Down:   row++; break;
    case GDK_KEY_Left: case GDK_KEY_KP_Left:   col--; break;
    case GDK_KEY_Right: case GDK_KEY_KP_Right: col++; break;
    case GDK_KEY_Escape:
      if (self->options.highlight_a < 0 && self->options.highlight_b < 0)
        return FALSE;
      lk_figure_view_select (self, -1, -1);
      return TRUE;
    default:
      return FALSE;
    }
  lk_figure_view_select (self, CLAMP (row, 0, rows - 1), CLAMP (col, 0, cols - 1));
  return TRUE;
}

static void
on_dark_changed (LkFigureView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
lk_figure_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkFigureView *self = LK_FIGURE_VIEW (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      g_value_set_int (value, self->view);
      break;
    case PROP_EXPLANATION:
      g_value_set_object (value, self->explanation);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_figure_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LkFigureView *self = LK_FIGURE_VIEW (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      self->view = g_value_get_int (value);
      update_accessible (self);
      break;
    case PROP_EXPLANATION:
      lk_figure_view_set_explanation (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      lk_figure_view_set_zoom (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_figure_view_dispose (GObject *object)
{
  LkFigureView *self = LK_FIGURE_VIEW (object);

  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  g_clear_object (&self->explanation);
  G_OBJECT_CLASS (lk_figure_view_parent_class)->dispose (object);
}

static void
lk_figure_view_class_init (LkFigureViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lk_figure_view_get_property;
  object_class->set_property = lk_figure_view_set_property;
  object_class->dispose = lk_figure_view_dispose;
  widget_class->measure = lk_figure_view_measure;
  widget_class->snapshot = lk_figure_view_snapshot;

  properties[PROP_VIEW] =
    g_param_spec_int ("view", NULL, NULL, LK_VIEW_HEATMAP, LK_VIEW_CONTRAST, LK_VIEW_HEATMAP,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPLANATION] =
    g_param_spec_object ("explanation", NULL, NULL, LK_TYPE_EXPLANATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.25, 8.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  signals[ZOOM_STEP] =
    g_signal_new ("zoom-step", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_css_name (widget_class, "figure");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lk_figure_view_init (LkFigureView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkEventController *key = gtk_event_controller_key_new ();

  lk_render_options_init (&self->options);
  self->zoom = 1.0;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (on_dark_changed), self);
}

GtkWidget *
lk_figure_view_new (LkView view)
{
  return g_object_new (LK_TYPE_FIGURE_VIEW, "view", view, NULL);
}

LkView
lk_figure_view_get_view (LkFigureView *self)
{
  g_return_val_if_fail (LK_IS_FIGURE_VIEW (self), LK_VIEW_HEATMAP);
  return self->view;
}

LkExplanation *
lk_figure_view_get_explanation (LkFigureView *self)
{
  g_return_val_if_fail (LK_IS_FIGURE_VIEW (self), NULL);
  return self->explanation;
}

void
lk_figure_view_set_explanation (LkFigureView *self, LkExplanation *explanation)
{
  g_return_if_fail (LK_IS_FIGURE_VIEW (self));
  g_return_if_fail (explanation == NULL || LK_IS_EXPLANATION (explanation));

  if (!g_set_object (&self->explanation, explanation))
    return;
  self->options.highlight_a = self->options.highlight_b = -1;
  self->options.saliency_word = -1;
  self->size_valid = FALSE;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPLANATION]);
}

const LkRenderOptions *
lk_figure_view_get_options (LkFigureView *self)
{
  g_return_val_if_fail (LK_IS_FIGURE_VIEW (self), NULL);
  return &self->options;
}

void
lk_figure_view_set_options (LkFigureView *self, const LkRenderOptions *options)
{
  int a, b;
  gboolean words;

  g_return_if_fail (LK_IS_FIGURE_VIEW (self));
  a = self->options.highlight_a;
  b = self->options.highlight_b;
  words = self->options.words;
  self->options = *options;
  /* A token index means nothing once the rows are words, and back. */
  self->options.highlight_a = words == options->words ? a : -1;
  self->options.highlight_b = words == options->words ? b : -1;
  self->size_valid = FALSE;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

double
lk_figure_view_get_zoom (LkFigureView *self)
{
  g_return_val_if_fail (LK_IS_FIGURE_VIEW (self), 1.0);
  return self->zoom;
}

void
lk_figure_view_set_zoom (LkFigureView *self, double zoom)
{
  g_return_if_fail (LK_IS_FIGURE_VIEW (self));

  zoom = CLAMP (zoom, 0.25, 8.0);
  if (zoom == self->zoom)
    return;
  self->zoom = zoom;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

/* The caption word (a word index of B) whose patch map the saliency view
 * of a patch × word explanation shows; -1 when this is not one. */
static int
caption_word (LkFigureView *self, int col)
{
  JsonObject *map;

  if (self->view != LK_VIEW_SALIENCY || self->explanation == NULL || col < 0)
    return -1;
  map = lk_explanation_lookup_object (self->explanation, "saliency_map");
  if (map == NULL || !json_object_has_member (map, "maps"))
    return -1;
  return self->options.words ? col : (int) lk_explanation_token_word (self->explanation, 1, col);
}

char *
lk_figure_view_dup_selection_text (LkFigureView *self)
{
  g_return_val_if_fail (LK_IS_FIGURE_VIEW (self), NULL);

  if (self->explanation == NULL || (self->options.highlight_a < 0 && self->options.highlight_b < 0))
    return NULL;
  return lk_render_describe_hit (self->explanation, self->view, &self->options,
                                 self->options.highlight_a, self->options.highlight_b);
}

void
lk_figure_view_select (LkFigureView *self, int row, int col)
{
  int word;

  g_return_if_fail (LK_IS_FIGURE_VIEW (self));

  /* Image and caption: choosing a caption word shows the image regions
   * that support it; clearing the selection goes back to the strongest word. */
  if (row < 0 && caption_word (self, MAX (col, 0)) >= 0)
    {
      word = col < 0 ? -1 : caption_word (self, col);
      if (word != self->options.saliency_word)
        {
          self->options.saliency_word = word;
          update_accessible (self);
          gtk_widget_queue_draw (GTK_WIDGET (self));
        }
    }
  if (row == self->options.highlight_a && col == self->options.highlight_b)
    return;
  self->options.highlight_a = row;
  self->options.highlight_b = col;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  gtk_widget_trigger_tooltip_query (GTK_WIDGET (self));
  g_signal_emit (self, signals[SELECTION_CHANGED], 0, row, col);
}
