/* lk-render-csv.c — the values behind a figure as CSV, for a spreadsheet or
 * pandas: the cells the figure shows, with the labels it shows (words or
 * tokens, special tokens or not, as the options say), so that the table and
 * the figure agree. Long form, one value a line, with a header: that reads
 * into a data frame as it is and holds matrices of any shape.
 *
 *   heatmap, alignment   row,col,text_a,text_b,value
 *   saliency (texts)     side,index,item,value
 *   aspects              aspect,similarity,share
 *
 * Numbers are written with 9 significant digits and a '.' whatever the
 * locale; text is quoted as RFC 4180 says (fields with a comma, quote or
 * line break in quotes, quotes doubled). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-atomic-file.h"
#include "lk-csv.h"
#include "lk-error.h"
#include "lk-render-private.h"

static void
csv_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
}

static gboolean
matrix_csv (LkFigure *f, GString *out, GError **error)
{
  if (f->m == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("This result has no token-pair matrix to write as CSV"));
      return FALSE;
    }
  g_string_append (out, "row,col,text_a,text_b,value\n");
  for (guint i = 0; i < lk_figure_n (f, 0); i++)
    for (guint j = 0; j < lk_figure_n (f, 1); j++)
      {
        g_string_append_printf (out, "%u,%u,", i, j);
        lk_csv_append_field (out, lk_figure_label (f, 0, i));
        g_string_append_c (out, ',');
        lk_csv_append_field (out, lk_figure_label (f, 1, j));
        g_string_append_c (out, ',');
        csv_number (out, lk_figure_value (f, i, j));
        g_string_append_c (out, '\n');
      }
  return TRUE;
}

static gboolean
saliency_csv (LkFigure *f, GString *out, GError **error)
{
  if (lk_figure_member (f, "saliency_map"))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("An image’s saliency map is not a table: its values are in the result’s JSON "
                     "(“saliency_map”)"));
      return FALSE;
    }
  g_string_append (out, "side,index,item,value\n");
  for (guint side = 0; side < 2; side++)
    {
      g_autofree double *s = lk_figure_saliency (f, side);

      for (guint k = 0; k < lk_figure_n (f, side); k++)
        {
          g_string_append_printf (out, "%s,%u,", side ? "b" : "a", k);
          lk_csv_append_field (out, lk_figure_label (f, side, k));
          g_string_append_c (out, ',');
          csv_number (out, s[k]);
          g_string_append_c (out, '\n');
        }
    }
  return TRUE;
}

static gboolean
aspects_csv (LkFigure *f, GString *out, GError **error)
{
  g_autoptr(GArray) aspects = lk_figure_aspects (f);

  if (aspects == NULL || aspects->len == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("This result has no aspects to write as CSV"));
      return FALSE;
    }
  g_string_append (out, "aspect,similarity,share\n");
  for (guint i = 0; i < aspects->len; i++)
    {
      LkAspect *a = &g_array_index (aspects, LkAspect, i);

      lk_csv_append_field (out, a->name);
      g_string_append_c (out, ',');
      csv_number (out, a->similarity);
      g_string_append_c (out, ',');
      csv_number (out, a->share);
      g_string_append_c (out, '\n');
    }
  return TRUE;
}

gboolean
lk_render_write_csv (LkFigure *f, LkView view, const char *path, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean ok;

  switch (view)
    {
    case LK_VIEW_HEATMAP:
    case LK_VIEW_ALIGNMENT:
      ok = matrix_csv (f, out, error);
      break;
    case LK_VIEW_SALIENCY:
      ok = saliency_csv (f, out, error);
      break;
    case LK_VIEW_ASPECTS:
      ok = aspects_csv (f, out, error);
      break;
    default:
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("The %s view has no table of values: CSV is for the matrix, alignment, saliency and "
                     "aspects views"), lk_view_to_string (view));
      return FALSE;
    }
  return ok && lk_atomic_file_write (path, out->str, out->len, 0644, error);
}
