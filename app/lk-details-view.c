/* lk-details-view.c — an explanation's numbers as preference-style rows. */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-details-view.h"
#include "lk-method-info.h"

struct _LkDetailsView
{
  GtkWidget      parent_instance;

  GtkWidget     *page;
  LkExplanation *explanation;
  GHashTable    *values;   /* row title → value, for lookups */
  gboolean       dirty;    /* a new explanation, not yet in the rows */
};

G_DEFINE_FINAL_TYPE (LkDetailsView, lk_details_view, GTK_TYPE_WIDGET)

/* A member and what it means; the scores' come from the method registry. */
typedef LkScoreInfo Known;

static const Known known_model[] = {
  { "id", N_("Model"), NULL },
  { "path", N_("Folder"), NULL },
  { "source", N_("Source"), N_("hub cache: a snapshot of the Hugging Face cache; local folder: no hub revision") },
  { "revision", N_("Revision"), N_("The commit of the hub snapshot") },
  { "weights_sha256", N_("Weights SHA-256"), NULL },
  { "architecture", N_("Architecture"), NULL },
  { "device", N_("Device"), NULL },
  { "dim", N_("Dimensions"), NULL },
};

static const Known known_params[] = {
  { "layer", N_("Layer"), N_("The layer whose output is attributed; 0 is the embedding output") },
  { "steps", N_("Steps"), N_("Integration nodes along the path") },
  { "quadrature", N_("Quadrature"), N_("How the path integral is summed") },
  { "tolerance", N_("Tolerance"), N_("Adaptive IJ: the attribution error to reach, relative to the expected ΣA") },
  { "max_steps", N_("Maximum steps"), N_("Adaptive IJ: the most Gauss–Legendre nodes it may use") },
  { "probed_steps", N_("Rules tried"), N_("Adaptive IJ: the node counts whose error was predicted before the run") },
  { "tolerance_reached", N_("Tolerance reached"), N_("Adaptive IJ: whether the error of the result is within the tolerance") },
  { "measure", N_("Measure"), N_("cos: cosine similarity; dot: dot product") },
  { "zero_biases", N_("Zero biases"), N_("A diagnostic mode in which conservation is exact") },
  { "ad_mode", N_("Differentiation"), N_("Forward or reverse automatic differentiation") },
  { "max_seq_length", N_("Maximum sequence length"), N_("Longer inputs are cut to this many tokens") },
  { "seed", N_("Seed"), N_("Of the random baseline") },
  { "n_masks_used", N_("Masks used"), N_("The masks the map is made of") },
  { "stop_at", N_("Stop at"), N_("Masking stops once the split-half correlation reaches it; 0: never") },
  { "stopped", N_("Stopped"), N_("converged: the split-half reached the threshold; all masks: it never did; off: no stop") },
};

static char *
format_node (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
      case G_TYPE_DOUBLE:
        {
          /* A point, whatever the locale, as in the figures. */
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", json_node_get_double (node)));
        }
      case G_TYPE_INT64:
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      case G_TYPE_BOOLEAN:
        return g_strdup (json_node_get_boolean (node) ? _("Yes") : _("No"));
      case G_TYPE_STRING:
        return g_strdup (json_node_get_string (node));
      default:
        break;
      }
  return json_to_string (node, FALSE);
}

static void
add_row (LkDetailsView *self, GtkWidget *group, const char *title, const char *subtitle, const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  /* Long values (paths, hashes) keep both ends visible; the tooltip has all. */
  if (g_utf8_strlen (value, -1) > 40)
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_width_chars (GTK_LABEL (label), 24);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 48);
      gtk_widget_set_tooltip_text (label, value);
    }
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, label, NULL, -1);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  g_hash_table_insert (self->values, g_strdup (title), g_strdup (value));
}

static GtkWidget *
add_group (LkDetailsView *self, const char *title, const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self->page), ADW_PREFERENCES_GROUP (group));
  return group;
}

/* The known members first, in order, with their explanations; then the rest. */
static void
add_object (LkDetailsView *self, GtkWidget *group, JsonObject *obj, const Known *known, guint n_known)
{
  g_autoptr(GList) members = NULL;

  if (obj == NULL)
    return;
  for (guint i = 0; i < n_known; i++)
    if (json_object_has_member (obj, known[i].key))
      {
        g_autofree char *value = format_node (json_object_get_member (obj, known[i].key));
        add_row (self, group, _(known[i].label), known[i].description ? _(known[i].description) : NULL, value);
      }
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      gboolean seen = FALSE;
      for (guint i = 0; i < n_known && !seen; i++)
        seen = g_str_equal (known[i].key, l->data);
      /* Objects (the model's files) get a group of their own. */
      if (!seen && !JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, l->data)))
        {
          g_autofree char *value = format_node (json_object_get_member (obj, l->data));
          add_row (self, group, l->data, NULL, value);
        }
    }
}

static void
add_method (LkDetailsView *self)
{
  GtkWidget *group = add_group (self, _("Method"), NULL);
  JsonObject *params = lk_explanation_get_params (self->explanation);

  add_row (self, group, _("Method"), NULL, lk_method_title (lk_explanation_get_method (self->explanation)));
  add_object (self, group, params, known_params, G_N_ELEMENTS (known_params));
}

static void
add_timings (LkDetailsView *self)
{
  JsonObject *timings = lk_explanation_lookup_object (self->explanation, "timings");
  g_autoptr(GList) members = timings ? json_object_get_members (timings) : NULL;
  GtkWidget *group;

  if (members == NULL)
    return;
  group = add_group (self, _("Timings"), NULL);
  for (GList *l = members; l; l = l->next)
    {
      double seconds = json_object_get_double_member_with_default (timings, l->data, NAN);
      g_autofree char *value = g_strdup_printf (_("%.2f s"), seconds);
      const char *title = g_str_equal (l->data, "explain_seconds") ? _("Explanation")
                        : g_str_equal (l->data, "perturbation_seconds") ? _("Perturbation curve")
                        : l->data;
      add_row (self, group, title, NULL, value);
    }
}

/* Which weights and program made the result, file by file. */
static void
add_provenance (LkDetailsView *self)
{
  JsonNode *files = json_object_get_member (lk_explanation_get_model (self->explanation), "files");
  JsonObject *run = lk_explanation_lookup_object (self->explanation, "runtime");
  static const Known known_runtime[] = {
    { "likeness", N_("Likeness"), NULL },
    { "libtorch", N_("libtorch"), NULL },
    { "device", N_("Device"), NULL },
    { "threads", N_("Threads"), NULL },
  };
  GtkWidget *group;

  if (files != NULL && JSON_NODE_HOLDS_OBJECT (files))
    {
      g_autoptr(GList) members = json_object_get_members (json_node_get_object (files));

      group = add_group (self, _("Model Files"), _("The SHA-256 of every file of the model folder"));
      for (GList *l = members; l; l = l->next)
        add_row (self, group, l->data, NULL,
                 json_object_get_string_member_with_default (json_node_get_object (files), l->data, ""));
    }
  group = add_group (self, _("Program"), run ? NULL : _("Not recorded: the result is older than this record"));
  add_object (self, group, run, known_runtime, G_N_ELEMENTS (known_runtime));
}

static void
rebuild (LkDetailsView *self)
{
  GtkWidget *group;

  self->dirty = FALSE;
  g_clear_pointer (&self->page, gtk_widget_unparent);
  g_hash_table_remove_all (self->values);
  self->page = adw_preferences_page_new ();
  gtk_widget_set_parent (self->page, GTK_WIDGET (self));
  if (self->explanation == NULL)
    return;

  group = add_group (self, _("Scores"), _("The similarity and how faithfully the explanation adds up to it"));
  {
    const LkMethodInfo *info = lk_method_info_find (lk_explanation_get_method (self->explanation));

    add_object (self, group, lk_explanation_get_scores (self->explanation),
                info ? info->scores : NULL, info ? info->n_scores : 0);
  }
  add_method (self);
  group = add_group (self, _("Model"), NULL);
  add_object (self, group, lk_explanation_get_model (self->explanation), known_model, G_N_ELEMENTS (known_model));
  add_provenance (self);
  add_timings (self);
}

static void
lk_details_view_dispose (GObject *object)
{
  LkDetailsView *self = LK_DETAILS_VIEW (object);

  g_clear_pointer (&self->page, gtk_widget_unparent);
  g_clear_object (&self->explanation);
  G_OBJECT_CLASS (lk_details_view_parent_class)->dispose (object);
}

static void
lk_details_view_finalize (GObject *object)
{
  g_hash_table_unref (LK_DETAILS_VIEW (object)->values);
  G_OBJECT_CLASS (lk_details_view_parent_class)->finalize (object);
}

/* Building the rows costs tens of milliseconds of the main loop: a hidden
 * page is built when it is first shown (or looked up), not when the result
 * arrives. */
static void
lk_details_view_map (GtkWidget *widget)
{
  LkDetailsView *self = LK_DETAILS_VIEW (widget);

  if (self->dirty)
    rebuild (self);
  GTK_WIDGET_CLASS (lk_details_view_parent_class)->map (widget);
}

static void
lk_details_view_class_init (LkDetailsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_details_view_dispose;
  object_class->finalize = lk_details_view_finalize;
  widget_class->map = lk_details_view_map;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "details");
}

static void
lk_details_view_init (LkDetailsView *self)
{
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rebuild (self);
}

GtkWidget *
lk_details_view_new (void)
{
  return g_object_new (LK_TYPE_DETAILS_VIEW, NULL);
}

LkExplanation *
lk_details_view_get_explanation (LkDetailsView *self)
{
  g_return_val_if_fail (LK_IS_DETAILS_VIEW (self), NULL);
  return self->explanation;
}

void
lk_details_view_set_explanation (LkDetailsView *self, LkExplanation *explanation)
{
  g_return_if_fail (LK_IS_DETAILS_VIEW (self));

  if (!g_set_object (&self->explanation, explanation))
    return;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    rebuild (self);
  else
    self->dirty = TRUE;
}

const char *
lk_details_view_lookup (LkDetailsView *self, const char *title)
{
  g_return_val_if_fail (LK_IS_DETAILS_VIEW (self), NULL);
  if (self->dirty)
    rebuild (self);
  return g_hash_table_lookup (self->values, title);
}
