/* lk-compare.c — see lk-compare.h. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-compare.h"
#include "lk-error.h"
#include "lk-method-info.h"

static const char *
side_name (guint side)
{
  return side == 0 ? _("the first input") : _("the second input");
}

LkExplanation *
lk_explanation_difference (LkExplanation *a,
                           LkExplanation *b,
                           GError       **error)
{
  const LkMatrix *ma, *mb;
  LkExplanation *d;
  LkMatrix diff;

  g_return_val_if_fail (a != NULL && b != NULL, NULL);
  ma = lk_explanation_get_matrix (a);
  mb = lk_explanation_get_matrix (b);
  if (ma->rows == 0 || mb->rows == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s has no token-pair matrix to subtract"),
                   lk_method_title (lk_explanation_get_method (ma->rows == 0 ? a : b)));
      return NULL;
    }
  for (guint side = 0; side < 2; side++)
    {
      guint na = lk_explanation_get_n_tokens (a, side), nb = lk_explanation_get_n_tokens (b, side);
      if (g_strcmp0 (lk_explanation_get_text (a, side), lk_explanation_get_text (b, side)) != 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       _("The two results explain different texts in %s"), side_name (side));
          return NULL;
        }
      if (na != nb)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       _("The shapes do not agree: %s has %u tokens in one result and %u in the other "
                         "(the models tokenise it differently)"), side_name (side), na, nb);
          return NULL;
        }
      for (guint i = 0; i < na; i++)
        if (g_strcmp0 (lk_explanation_get_token (a, side, i)->text, lk_explanation_get_token (b, side, i)->text) != 0)
          {
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                         _("The shapes do not agree: token %u of %s is “%s” in one result and “%s” in the other"),
                         i + 1, side_name (side), lk_explanation_get_token (a, side, i)->text,
                         lk_explanation_get_token (b, side, i)->text);
            return NULL;
          }
    }
  /* the token counts agree, and a matrix is tokens × tokens */
  g_assert (ma->rows == mb->rows && ma->cols == mb->cols);

  d = lk_explanation_new (lk_explanation_get_method (b));
  for (guint side = 0; side < 2; side++)
    {
      lk_explanation_set_text (d, side, lk_explanation_get_text (b, side));
      for (guint i = 0; i < lk_explanation_get_n_tokens (b, side); i++)
        lk_explanation_add_token (d, side, lk_explanation_get_token (b, side, i));
    }
  diff.rows = mb->rows;
  diff.cols = mb->cols;
  diff.data = g_new (double, (gsize) diff.rows * diff.cols);
  for (gsize i = 0; i < (gsize) diff.rows * diff.cols; i++)
    diff.data[i] = mb->data[i] - ma->data[i];
  lk_explanation_take_matrix (d, &diff);
  /* the figure's title names the model: both, when they differ */
  {
    JsonObject *mb_ = lk_explanation_get_model (b), *ma_ = lk_explanation_get_model (a);
    const char *ib = mb_ && json_object_has_member (mb_, "id") ? json_object_get_string_member (mb_, "id") : NULL;
    const char *ia = ma_ && json_object_has_member (ma_, "id") ? json_object_get_string_member (ma_, "id") : NULL;
    JsonObject *md = lk_explanation_get_model (d);
    if (ib != NULL && g_strcmp0 (ia, ib) == 0)
      json_object_set_string_member (md, "id", ib);
    else if (ib != NULL && ia != NULL)
      {
        g_autofree char *both = g_strdup_printf ("%s − %s", ib, ia);
        json_object_set_string_member (md, "id", both);
      }
  }
  lk_explanation_set_score (d, LK_SCORE_SIMILARITY,
                            lk_explanation_get_score (b, LK_SCORE_SIMILARITY, 0) -
                            lk_explanation_get_score (a, LK_SCORE_SIMILARITY, 0));
  return d;
}
