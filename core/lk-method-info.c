/* lk-method-info.c — the method registry; see lk-method-info.h. */
#include "config.h"

#include "lk-method-info.h"
#include <glib/gi18n-lib.h>


/* Every method reports the similarity; the engine's three methods share
 * the perturbation scores. "sum" and "error" mean
 * ΣA and the attribution error for IJ (against the score less IJ's
 * reference terms), Σ pairs and the conservation gap for BiLRP and H×P. */
#define SIMILARITY_SCORE \
  { LK_SCORE_SIMILARITY, N_("Similarity"), N_("The model’s score for the two inputs") }

#define PERTURBATION_SCORES \
  { LK_SCORE_PERTURBATION_AREA, N_("Perturbation area"), N_("Area under the perturbation curve; smaller is more faithful") }, \
  { LK_SCORE_PERTURBATION_RANDOM_AREA, N_("Random baseline area"), N_("The same area for random token orders") }

static const LkScoreInfo ij_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SUM, N_("ΣA"), N_("The sum of all token-pair contributions") },
  { LK_SCORE_EXPECTED, N_("Expected ΣA"), N_("What the contributions should add up to: the score less the reference terms") },
  { LK_SCORE_ERROR, N_("Attribution error"), N_("How far ΣA is from what it should be (|ΣA − expected ΣA|)") },
  { LK_SCORE_ERROR_VS_SCORE, N_("Error against the score"), N_("How far ΣA is from the similarity itself") },
  { LK_SCORE_REF_A_RB, N_("Reference term a·r(b)"), N_("The score of text A against text B’s reference") },
  { LK_SCORE_REF_RA_B, N_("Reference term r(a)·b"), N_("The score of text A’s reference against text B") },
  { LK_SCORE_REF_RA_RB, N_("Reference term r(a)·r(b)"), N_("The score of the two references") },
  PERTURBATION_SCORES,
};

static const LkScoreInfo lrp_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SUM, N_("Σ pairs"), N_("The sum of all token-pair relevances") },
  { LK_SCORE_ERROR, N_("Conservation gap"), N_("How far the relevances’ sum is from the score (|Σ − score|)") },
  { LK_SCORE_ERROR_RELATIVE, N_("Relative error"), N_("The conservation gap as a share of the score") },
  PERTURBATION_SCORES,
};

static const LkScoreInfo align_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SUM, N_("Σ cosines"), N_("The sum of all token-pair cosines") },
  { LK_SCORE_PRECISION, N_("Precision"), N_("BERTScore precision of the token alignment") },
  { LK_SCORE_RECALL, N_("Recall"), N_("BERTScore recall of the token alignment") },
  { LK_SCORE_F1, N_("F1"), N_("BERTScore F1 of the token alignment") },
};

static const LkScoreInfo distance_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SPLIT_HALF, N_("Split-half correlation"), N_("The map of one half of the masks against the other’s: how stable the map is") },
  { LK_SCORE_SPLIT_HALF_CORRECTED, N_("Split-half, corrected"), N_("The same, Spearman–Brown corrected to all the masks") },
};

static const LkScoreInfo aspects_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SHARES_SUM, N_("Σ shares"), N_("The aspects’ and the residual’s shares added up") },
  { LK_SCORE_SHARES_GAP, N_("Shares gap"), N_("How far the shares’ sum is from the similarity") },
};

#define SCORES(s) s, G_N_ELEMENTS (s)

/* In the order a chooser offers them: BiLRP, the default, first. */
static const LkMethodInfo methods[] = {
  { LK_METHOD_BILRP, "bilrp", N_("BiLRP"), NC_("method", "BiLRP"),
    N_("Layer-wise relevance for pairs; fast, conserves the score"),
    "Vasileiou & Eberle: Explaining Text Similarity in Transformer Models (NAACL 2024)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (lrp_scores) },
  { LK_METHOD_IJ, "ij", N_("Integrated Jacobians"), NC_("method", "IJ"),
    N_("Exact path integral of the Jacobians; slower, most faithful"),
    "Moeller, Nikolaev, Padó: An attribution method for Siamese encoders (EMNLP 2023)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (ij_scores) },
  { LK_METHOD_HXP, "hxp", N_("Hessian × Product"), NC_("method", "H×P"),
    N_("Gradient × input at the embedding; fastest, a first look"),
    "Vasileiou & Eberle (NAACL 2024), the baseline without LRP rules",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (lrp_scores) },
  { LK_METHOD_ALIGN, "align", N_("Token Alignment"), NC_("method", "Alignment"),
    N_("Which token of one text matches which of the other"),
    "Zhang et al.: BERTScore (ICLR 2020), last-layer token cosines",
    LK_INPUTS_TEXT_PAIR,
    { "alignment", "heatmap", "report", NULL }, SCORES (align_scores) },
  { LK_METHOD_DISTANCE, "distance", N_("Distance Masking"), NC_("method", "Distance"),
    N_("Masks tokens or image regions at random and ranks the masks by the distance they cause"),
    "Meijer & Bos: Explainable embeddings with Distance Explainer (arXiv 2505.15516)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "saliency", "report", NULL }, SCORES (distance_scores) },
  { LK_METHOD_ASPECTS, "aspects", N_("Aspect Decomposition"), NC_("method", "Aspects"),
    N_("Similarity split into named aspects (S3BERT models)"),
    "Opitz & Frank: SBERT studies meaning representations (AACL-IJCNLP 2022)",
    LK_INPUTS_TEXT_PAIR,
    { "aspects", "report", NULL }, SCORES (aspects_scores) },
};
G_STATIC_ASSERT (G_N_ELEMENTS (methods) == LK_N_METHODS);

/* What results of older versions called two of the methods. */
static const struct { const char *old, *name; } aliases[] = {
  { "mask", "distance" },
  { "s3bert", "aspects" },
};

const LkMethodInfo *
lk_method_info (LkMethod method)
{
  g_return_val_if_fail (method < LK_N_METHODS, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    if (methods[i].method == method)
      return &methods[i];
  g_return_val_if_reached (NULL);
}

const LkMethodInfo *
lk_method_infos (guint *n)
{
  *n = G_N_ELEMENTS (methods);
  return methods;
}

const LkMethodInfo *
lk_method_info_find (const char *name)
{
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_str_equal (name, aliases[i].old))
      name = aliases[i].name;
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    if (g_str_equal (name, methods[i].name))
      return &methods[i];
  return NULL;
}

const char *
lk_method_to_string (LkMethod method)
{
  const LkMethodInfo *info = lk_method_info (method);

  return info ? info->name : NULL;
}

gboolean
lk_method_from_string (const char *name, LkMethod *method)
{
  /* Exact names only: the aliases are for reading old results. */
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (methods); i++)
    if (g_str_equal (name, methods[i].name))
      {
        *method = methods[i].method;
        return TRUE;
      }
  return FALSE;
}

char *
lk_method_names_joined (const char *separator)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    g_string_append_printf (s, "%s%s", i ? separator : "", methods[i].name);
  return g_string_free (s, FALSE);
}

const char *
lk_method_title (const char *name)
{
  const LkMethodInfo *info = lk_method_info_find (name);

  if (info != NULL)
    return _(info->title);
  return name ? name : _("Explanation");
}

const char *
lk_method_short_title (const char *name)
{
  const LkMethodInfo *info = lk_method_info_find (name);

  if (info != NULL)
    return g_dpgettext2 (GETTEXT_PACKAGE, "method", info->short_title);
  return name ? name : _("Explanation");
}

const LkScoreInfo *
lk_score_info (const char *method, const char *key)
{
  const LkMethodInfo *info = lk_method_info_find (method);

  for (guint i = 0; info != NULL && key != NULL && i < info->n_scores; i++)
    if (g_str_equal (info->scores[i].key, key))
      return &info->scores[i];
  return NULL;
}

const char *
lk_score_label (const char *method, const char *key)
{
  const LkScoreInfo *s = lk_score_info (method, key);

  return s ? _(s->label) : key;
}

const char *
lk_score_description (const char *method, const char *key)
{
  const LkScoreInfo *s = lk_score_info (method, key);

  return s ? _(s->description) : NULL;
}
