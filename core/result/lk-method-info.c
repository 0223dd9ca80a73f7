/* lk-method-info.c — the method registry; see lk-method-info.h. */
#include "config.h"

#include <math.h>

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
  { LK_SCORE_ERROR_TOLERANCE, N_("Error tolerance"), N_("Adaptive rule: the attribution error it aimed at (tolerance × |expected ΣA|)") },
  PERTURBATION_SCORES,
};

static const LkScoreInfo lrp_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SUM, N_("Σ pairs"), N_("The sum of all token-pair relevances") },
  { LK_SCORE_ERROR, N_("Conservation gap"), N_("How far the relevances’ sum is from the score (|Σ − score|)") },
  { LK_SCORE_ERROR_RELATIVE, N_("Relative error"), N_("The conservation gap as a share of the score") },
  PERTURBATION_SCORES,
};

/* A ranking contrast's, for every method that can contrast. */
static const LkScoreInfo contrast_scores[] = {
  { LK_SCORE_SIMILARITY_1, N_("Similarity 1"), N_("The model’s score for the query and document 1") },
  { LK_SCORE_SIMILARITY_2, N_("Similarity 2"), N_("The model’s score for the query and document 2") },
  { LK_SCORE_SIMILARITY_DIFFERENCE, N_("Score difference"), N_("Similarity 1 less similarity 2: above zero, document 1 ranks first") },
  { LK_SCORE_SUM_1, N_("ΣA 1"), N_("The token-pair attributions of the query and document 1, added up") },
  { LK_SCORE_SUM_2, N_("ΣA 2"), N_("The token-pair attributions of the query and document 2, added up") },
  { LK_SCORE_SUM_DIFFERENCE, N_("ΣA difference"), N_("ΣA 1 less ΣA 2: what the query tokens’ saliency adds up to") },
  { LK_SCORE_RESIDUAL_1, N_("Residual 1"), N_("What the method cannot assign to token pairs in pair 1 (similarity less ΣA)") },
  { LK_SCORE_RESIDUAL_2, N_("Residual 2"), N_("What the method cannot assign to token pairs in pair 2 (similarity less ΣA)") },
  { LK_SCORE_RESIDUAL_DIFFERENCE, N_("Residual difference"), N_("The part of the score difference no query token carries") },
};

static const LkScoreInfo align_scores[] = {
  SIMILARITY_SCORE,
  { LK_SCORE_SUM, N_("Σ cosines"), N_("The sum of all token-pair cosines") },
  /* As the bert-score package computes them (idf off, no baseline
   * rescale): the specials are not averaged over but may be best partners. */
  { LK_SCORE_BERTSCORE_PRECISION, N_("BERTScore precision"), N_("Mean over text A’s content tokens of the best cosine with any token of text B, special tokens included, as the bert-score package computes it") },
  { LK_SCORE_BERTSCORE_RECALL, N_("BERTScore recall"), N_("Mean over text B’s content tokens of the best cosine with any token of text A, special tokens included, as the bert-score package computes it") },
  { LK_SCORE_BERTSCORE_F1, N_("BERTScore F1"), N_("The harmonic mean of BERTScore precision and recall") },
  /* Likeness's earlier variant, kept under its keys: the best partner is
   * a content token, so [CLS] and [SEP] never take a word's match. */
  { LK_SCORE_PRECISION, N_("Content precision"), N_("Like BERTScore precision, but a token’s best partner is a content token of text B: special tokens are never partners") },
  { LK_SCORE_RECALL, N_("Content recall"), N_("Like BERTScore recall, but a token’s best partner is a content token of text A: special tokens are never partners") },
  { LK_SCORE_F1, N_("Content F1"), N_("The harmonic mean of content precision and recall") },
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

/* The split-half correlation a distance map needs for a "good" verdict,
 * and where masking stops by default: a map that stops early is one the
 * verdict calls good (Spearman–Brown: a reliability of 0.95 for all the
 * masks, so a correlation of about 0.97 with the map of endless masks). */
#define SPLIT_HALF_GOOD 0.9

/* Ranges are what the computation accepts; the model may narrow a layer
 * further (checked when the request runs). */
static const LkParamInfo params[] = {
  { LK_PARAM_LAYER, "layer", LK_PARAM_TYPE_INT, N_("Layer"),
    N_("The layer to attribute at; −1: the method’s default (IJ L−2; BiLRP, H×P 0, the embedding output; alignment the last)"),
    -1, -1, 10000, { NULL } },
  { LK_PARAM_STEPS, "steps", LK_PARAM_TYPE_INT, N_("Integration steps"),
    N_("IJ’s nodes on the path; 0: 12 Gauss–Legendre or 50 Riemann (adaptive: chosen, see max_steps)"), 0, 0, 10000, { NULL } },
  { LK_PARAM_QUADRATURE, "quadrature", LK_PARAM_TYPE_CHOICE, N_("Quadrature"),
    N_("IJ’s rule on the path: Gauss–Legendre (default), right Riemann, or adaptive (the fewest Gauss–Legendre nodes that reach the tolerance)"),
    1, 0, 2, { "riemann", "gauss", "adaptive", NULL } },
  { LK_PARAM_MEASURE, "measure", LK_PARAM_TYPE_CHOICE, N_("Measure"),
    N_("Explain the cosine (default) or the dot product"), 0, 0, 1, { "cos", "dot", NULL } },
  { LK_PARAM_AD_MODE, "ad_mode", LK_PARAM_TYPE_CHOICE, N_("Differentiation"),
    N_("Forward mode when the text is shorter than the embedding (auto), or always forward or reverse"), 0, 0, 2,
    { "auto", "forward", "reverse", NULL } },
  { LK_PARAM_ZERO_BIASES, "zero_biases", LK_PARAM_TYPE_BOOLEAN, N_("Zero biases"),
    N_("BiLRP’s diagnostic: every bias set to zero, so that conservation is exact"), 0, 0, 1, { NULL } },
  { LK_PARAM_PERTURBATION, "perturbation", LK_PARAM_TYPE_BOOLEAN, N_("Perturbation curve"),
    N_("Also compute the perturbation curve (text pairs)"), 0, 0, 1, { NULL } },
  { LK_PARAM_SEED, "seed", LK_PARAM_TYPE_INT, N_("Seed"),
    N_("The random masks’ or the perturbation baseline’s seed"), 1, 1, G_MAXUINT32, { NULL } },
  { LK_PARAM_MASKS, "masks", LK_PARAM_TYPE_INT, N_("Masks"),
    N_("The number of random masks; the most, when masking stops once the map is stable"), 1000, 2, 1000000,
    { NULL } },
  { LK_PARAM_FEATURE_RES, "feature_res", LK_PARAM_TYPE_INT, N_("Mask grid"),
    N_("Images: grid cells per axis of a random mask"), 8, 1, 256, { NULL } },
  { LK_PARAM_P_KEEP, "p_keep", LK_PARAM_TYPE_DOUBLE, N_("Keep probability"),
    N_("The probability that a cell or a token is kept"), 0.5, 0, 1, { NULL } },
  { LK_PARAM_MASK_SIDE, "mask_side", LK_PARAM_TYPE_CHOICE, N_("Masked side"),
    N_("Mask side A (the image) or side B (text B or the caption)"), 0, 0, 1, { "a", "b", NULL } },
  { LK_PARAM_UNIT, "unit", LK_PARAM_TYPE_CHOICE, N_("Masked unit"),
    N_("Texts: mask each token, or a word’s sub-words together"), 0, 0, 1, { "token", "word", NULL } },
  { LK_PARAM_REPLACE, "replace", LK_PARAM_TYPE_CHOICE, N_("Replacement"),
    N_("A masked token becomes the mask token, or is left out"), 0, 0, 1, { "mask", "drop", NULL } },
  { LK_PARAM_CLOSEST_MIN, "closest_min", LK_PARAM_TYPE_DOUBLE, N_("Closest window from"),
    N_("The masks counted +1 start at this fraction of the masks sorted by distance"), 0, 0, 1, { NULL } },
  { LK_PARAM_CLOSEST_MAX, "closest_max", LK_PARAM_TYPE_DOUBLE, N_("Closest window to"),
    N_("… and end before this fraction"), 0.1, 0, 1, { NULL } },
  { LK_PARAM_FARTHEST_MIN, "farthest_min", LK_PARAM_TYPE_DOUBLE, N_("Farthest window from"),
    N_("The masks counted −1 start at this fraction"), 0.9, 0, 1, { NULL } },
  { LK_PARAM_FARTHEST_MAX, "farthest_max", LK_PARAM_TYPE_DOUBLE, N_("Farthest window to"),
    N_("… and end at this fraction"), 1, 0, 1, { NULL } },
  { LK_PARAM_BATCH_SIZE, "batch_size", LK_PARAM_TYPE_INT, N_("Batch size"),
    N_("Masked inputs per model call"), 32, 1, 4096, { NULL } },
  { LK_PARAM_STOP_AT, "stop_at", LK_PARAM_TYPE_DOUBLE, N_("Stop at"),
    N_("Stop once the split-half correlation of the masks so far reaches it (the verdict’s “good”); 0: never, "
       "always all the masks"), SPLIT_HALF_GOOD, 0, 1, { NULL } },
  { LK_PARAM_CHECK_EVERY, "check_every", LK_PARAM_TYPE_INT, N_("Check every"),
    N_("Masks between two early-stop checks"), 100, 2, 1000000, { NULL } },
  /* 1e-3: ten times inside the report's "faithful" verdict (1 %, IJ_CHECK);
   * below 1e-7 float rounding, not the rule, sets the error. */
  { LK_PARAM_TOLERANCE, "tolerance", LK_PARAM_TYPE_DOUBLE, N_("Tolerance"),
    N_("Adaptive IJ: the attribution error to reach, relative to the expected ΣA"), 1e-3, 1e-7, 1, { NULL } },
  { LK_PARAM_MAX_STEPS, "max_steps", LK_PARAM_TYPE_INT, N_("Maximum steps"),
    N_("Adaptive IJ: the most Gauss–Legendre nodes it may use"), 32, 1, 10000, { NULL } },
  /* Captum's point: the baseline is a choice, and the reference terms
   * (ref_a_rb …) say how much of the score it leaves unattributed. */
  { LK_PARAM_REFERENCE, "reference", LK_PARAM_TYPE_CHOICE, N_("Reference"),
    N_("IJ’s path starts from the same tokens with every non-special one replaced by the padding token "
       "(default) or by the mask token"), 0, 0, 1, { "pad", "mask", NULL } },
};
G_STATIC_ASSERT (G_N_ELEMENTS (params) == LK_N_PARAMS);

#define ENGINE_PARAMS LK_PARAM_LAYER, LK_PARAM_MEASURE, LK_PARAM_AD_MODE
#define PERTURBATION_PARAMS LK_PARAM_PERTURBATION, LK_PARAM_SEED
#define DISTANCE_PARAMS \
  LK_PARAM_MASKS, LK_PARAM_FEATURE_RES, LK_PARAM_P_KEEP, LK_PARAM_MASK_SIDE, LK_PARAM_UNIT, LK_PARAM_REPLACE, \
  LK_PARAM_CLOSEST_MIN, LK_PARAM_CLOSEST_MAX, LK_PARAM_FARTHEST_MIN, LK_PARAM_FARTHEST_MAX, LK_PARAM_BATCH_SIZE, \
  LK_PARAM_STOP_AT, LK_PARAM_CHECK_EVERY, LK_PARAM_SEED

/* The check lines the figures draw under the title. */
static const LkCheckItem ij_check[] = {
  { N_("ΣA = %s"), LK_SCORE_SUM, LK_CHECK_ITEM_REQUIRED },
  { N_("expected %s"), LK_SCORE_EXPECTED, 0 },
  { N_("score %s"), LK_SCORE_SIMILARITY, 0 },
  { N_("attribution error %s"), LK_SCORE_ERROR, 0 },
  { NULL },
};

static const LkCheckItem lrp_check[] = {
  { N_("ΣR = %s"), LK_SCORE_SUM, LK_CHECK_ITEM_REQUIRED },
  { N_("score %s"), LK_SCORE_SIMILARITY, 0 },
  { N_("conservation gap %s"), LK_SCORE_ERROR, LK_CHECK_ITEM_REQUIRED },
  { NULL, LK_SCORE_ERROR_RELATIVE, LK_CHECK_ITEM_PERCENT },
  { NULL },
};

static const LkCheckItem align_check[] = {
  { N_("similarity map, not an attribution: no conservation"), NULL, 0 },
  { N_("BERTScore F1 %s"), LK_SCORE_BERTSCORE_F1, 0 },
  { NULL },
};

static const LkCheckItem distance_check[] = {
  { N_("score %s"), LK_SCORE_SIMILARITY, 0 },
  /* the reliability check of a masking method: do two halves agree? */
  { N_("split-half correlation %s"), LK_SCORE_SPLIT_HALF, LK_CHECK_ITEM_REQUIRED },
  { NULL },
};

/* Aspects draw their shares from the result's aspects (any result may
 * carry them), not from a line of their own. */
static const LkCheckItem no_check[] = {
  { NULL },
};

/* Thresholds: IJ and conservation as the report reads them (under 1 % the
 * pairs add up to the score; IJ under 10 % is closed by more steps, BiLRP
 * under 25 % is the biases' share); split-half as for a test's
 * reliability (0.9 high, 0.7 acceptable); the aspect shares are exact up
 * to float rounding: 1e-16 over a model's own dims, about 1e-10 over an
 * aspect head's Qe (Q is orthogonal to 1e-7 in float), so a gap of 1e-5 or
 * more means a head that does not keep the model's cosines. */
#define IJ_CHECK { LK_CHECK_ATTRIBUTION, LK_SCORE_ERROR, 0.01, 0.1, ij_check, \
                   { LK_SCORE_SUM, LK_SCORE_EXPECTED, LK_SCORE_ERROR, LK_SCORE_ERROR_VS_SCORE, NULL }, { NULL } }
#define LRP_CHECK { LK_CHECK_CONSERVATION, LK_SCORE_ERROR_RELATIVE, 0.01, 0.25, lrp_check, \
                    { LK_SCORE_SUM, LK_SCORE_ERROR, LK_SCORE_ERROR_RELATIVE, NULL }, { NULL } }

/* In the order a chooser offers them: BiLRP, the default, first. */
static const LkMethodInfo methods[] = {
  { LK_METHOD_BILRP, "bilrp", N_("BiLRP"), NC_("method", "BiLRP"),
    N_("Layer-wise relevance for pairs; fast, conserves the score"),
    "Vasileiou & Eberle: Explaining Text Similarity in Transformer Models (NAACL 2024)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (lrp_scores),
    { ENGINE_PARAMS, LK_PARAM_ZERO_BIASES, PERTURBATION_PARAMS, LK_N_PARAMS }, LRP_CHECK },
  { LK_METHOD_IJ, "ij", N_("Integrated Jacobians"), NC_("method", "IJ"),
    N_("Exact path integral of the Jacobians; slower, most faithful"),
    "Moeller, Nikolaev, Padó: An attribution method for Siamese encoders (EMNLP 2023)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (ij_scores),
    { ENGINE_PARAMS, LK_PARAM_STEPS, LK_PARAM_QUADRATURE, LK_PARAM_TOLERANCE, LK_PARAM_MAX_STEPS, LK_PARAM_REFERENCE,
      PERTURBATION_PARAMS,
      LK_N_PARAMS }, IJ_CHECK },
  { LK_METHOD_HXP, "hxp", N_("Hessian × Product"), NC_("method", "H×P"),
    N_("Gradient × input at the embedding, without BiLRP’s propagation rules: a first look, its conservation gap often large"),
    "Vasileiou & Eberle (NAACL 2024), the baseline without LRP rules",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "heatmap", "alignment", "saliency", "report", NULL }, SCORES (lrp_scores),
    { ENGINE_PARAMS, PERTURBATION_PARAMS, LK_N_PARAMS }, LRP_CHECK },
  { LK_METHOD_ALIGN, "align", N_("Token Alignment"), NC_("method", "Alignment"),
    N_("Which token of one text matches which of the other"),
    "Zhang et al.: BERTScore (ICLR 2020), last-layer token cosines",
    LK_INPUTS_TEXT_PAIR,
    { "alignment", "heatmap", "report", NULL }, SCORES (align_scores),
    { LK_PARAM_LAYER, PERTURBATION_PARAMS, LK_N_PARAMS },
    { LK_CHECK_NONE, NULL, 0, 0, align_check,
      { LK_SCORE_BERTSCORE_PRECISION, LK_SCORE_BERTSCORE_RECALL, LK_SCORE_BERTSCORE_F1, LK_SCORE_PRECISION,
        LK_SCORE_RECALL, LK_SCORE_F1, NULL }, { NULL } } },
  { LK_METHOD_DISTANCE, "distance", N_("Distance Masking"), NC_("method", "Distance"),
    N_("Masks tokens or image regions at random and ranks the masks by the distance they cause"),
    "Meijer & Bos: Explainable embeddings with Distance Explainer (arXiv 2505.15516)",
    LK_INPUTS_TEXT_PAIR | LK_INPUTS_IMAGE_CAPTION,
    { "saliency", "report", NULL }, SCORES (distance_scores),
    { DISTANCE_PARAMS, LK_N_PARAMS },
    { LK_CHECK_SPLIT_HALF, LK_SCORE_SPLIT_HALF, SPLIT_HALF_GOOD, 0.7, distance_check,
      { LK_SCORE_SPLIT_HALF, LK_SCORE_SPLIT_HALF_CORRECTED, NULL }, { "n_masks_used", "stop_at", NULL } } },
  { LK_METHOD_ASPECTS, "aspects", N_("Aspect Decomposition"), NC_("method", "Aspects"),
    N_("Similarity split into named aspects (S3BERT models)"),
    "Opitz & Frank: SBERT studies meaning representations (AACL-IJCNLP 2022)",
    LK_INPUTS_TEXT_PAIR,
    { "aspects", "report", NULL }, SCORES (aspects_scores),
    { LK_N_PARAMS },
    { LK_CHECK_SHARES, LK_SCORE_SHARES_GAP, 1e-5, 1e-3, no_check, { LK_SCORE_SHARES_SUM, LK_SCORE_SHARES_GAP, NULL },
      { NULL } } },
};
G_STATIC_ASSERT (G_N_ELEMENTS (methods) == LK_N_METHODS);

/* What results of older versions called two of the methods. */
static const struct { const char *old, *name; } aliases[] = {
  { "mask", "distance" },
  { "s3bert", "aspects" },
};

LkMethod
lk_method_default (void)
{
  return methods[0].method;
}

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

gboolean
lk_method_is_attribution (const LkMethodInfo *info)
{
  g_return_val_if_fail (info != NULL, FALSE);
  return info->check.kind == LK_CHECK_ATTRIBUTION || info->check.kind == LK_CHECK_CONSERVATION;
}

gboolean
lk_method_can_contrast (const LkMethodInfo *info)
{
  g_return_val_if_fail (info != NULL, FALSE);
  return lk_method_is_attribution (info) && (info->inputs & LK_INPUTS_TEXT_PAIR);
}

char *
lk_method_names_with (LkInputs inputs, gboolean attributions_only)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    if ((methods[i].inputs & inputs) && (!attributions_only || lk_method_is_attribution (&methods[i])))
      g_ptr_array_add (names, (gpointer) methods[i].name);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == names->len ? " or " : ", ",
                            (const char *) g_ptr_array_index (names, i));
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
  for (guint i = 0; info != NULL && key != NULL && lk_method_can_contrast (info) && i < G_N_ELEMENTS (contrast_scores); i++)
    if (g_str_equal (contrast_scores[i].key, key))
      return &contrast_scores[i];
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

const LkParamInfo *
lk_param_infos (guint *n)
{
  *n = G_N_ELEMENTS (params);
  return params;
}

const LkParamInfo *
lk_param_info (LkParam param)
{
  g_return_val_if_fail (param < LK_N_PARAMS, NULL);
  return &params[param];
}

const LkParamInfo *
lk_param_info_find (const char *name)
{
  g_autofree char *key = name ? g_strdelimit (g_strdup (name), "-", '_') : NULL;

  for (guint i = 0; key != NULL && i < G_N_ELEMENTS (params); i++)
    if (g_str_equal (key, params[i].name))
      return &params[i];
  return NULL;
}

gboolean
lk_method_takes_param (LkMethod method, LkParam param)
{
  const LkMethodInfo *info = lk_method_info (method);

  for (guint i = 0; info != NULL && i < G_N_ELEMENTS (info->params) && info->params[i] != LK_N_PARAMS; i++)
    if (info->params[i] == param)
      return TRUE;
  return FALSE;
}

char *
lk_method_param_names (LkMethod method)
{
  const LkMethodInfo *info = lk_method_info (method);
  GString *s = g_string_new (NULL);

  for (guint i = 0; info != NULL && i < G_N_ELEMENTS (info->params) && info->params[i] != LK_N_PARAMS; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", params[info->params[i]].name);
  return g_string_free (s, FALSE);
}

LkVerdict
lk_check_verdict (const LkCheckInfo *check, LkScoreGetter get_score, gpointer user_data, double *value)
{
  double v = NAN;
  LkVerdict verdict = LK_VERDICT_NONE;

  g_return_val_if_fail (check != NULL && get_score != NULL, LK_VERDICT_NONE);

  switch (check->kind)
    {
    case LK_CHECK_NONE:
      break;
    case LK_CHECK_ATTRIBUTION:
      {
        /* the error against what ΣA approximates, as a share of it */
        double err = get_score (check->key, user_data), expected = get_score (LK_SCORE_EXPECTED, user_data);
        v = err / MAX (fabs (expected), 1e-12);
      }
      break;
    case LK_CHECK_CONSERVATION:
    case LK_CHECK_SHARES:
      v = get_score (check->key, user_data);
      break;
    case LK_CHECK_SPLIT_HALF:
      v = get_score (check->key, user_data);
      if (!isnan (v))
        verdict = v >= check->good ? LK_VERDICT_GOOD : v >= check->fair ? LK_VERDICT_FAIR : LK_VERDICT_POOR;
      break;
    }
  if (check->kind != LK_CHECK_SPLIT_HALF && check->kind != LK_CHECK_NONE && !isnan (v))
    verdict = fabs (v) < check->good ? LK_VERDICT_GOOD : fabs (v) < check->fair ? LK_VERDICT_FAIR : LK_VERDICT_POOR;
  if (value)
    *value = v;
  return verdict;
}

const char *
lk_verdict_to_string (LkVerdict verdict)
{
  static const char *names[] = { "none", "good", "fair", "poor" };

  g_return_val_if_fail (verdict <= LK_VERDICT_POOR, "none");
  return names[verdict];
}

const char *
lk_verdict_title (LkVerdict verdict)
{
  switch (verdict)
    {
    case LK_VERDICT_GOOD:
      /* Translators: a result's verdict: its own check holds */
      return _("Faithful");
    case LK_VERDICT_FAIR:
      return _("Approximate");
    case LK_VERDICT_POOR:
      return _("Unreliable");
    case LK_VERDICT_NONE:
    default:
      return _("No check");
    }
}

static char *
percent (double v)
{
  return g_strdup_printf ("%g %%", v * 100);
}

char *
lk_method_check_help (const LkMethodInfo *info)
{
  g_autofree char *good = NULL, *fair = NULL;

  g_return_val_if_fail (info != NULL, NULL);
  switch (info->check.kind)
    {
    case LK_CHECK_ATTRIBUTION:
      good = percent (info->check.good);
      fair = percent (info->check.fair);
      return g_strdup_printf (_("Its check is the attribution error: how far the sum of the token pairs (ΣA) is from "
                                "what it should be, the score less the reference terms, relative to that. Below %s "
                                "the map is Faithful, below %s Approximate, else Unreliable: use more integration "
                                "steps."), good, fair);
    case LK_CHECK_CONSERVATION:
      good = percent (info->check.good);
      fair = percent (info->check.fair);
      return g_strdup_printf (_("Its check is the conservation gap: how far the sum of the pair relevances (ΣR) is "
                                "from the similarity, relative to it (the biases carry the rest; with zero biases it "
                                "closes). Below %s the map is Faithful, below %s Approximate: read it as a ranking, "
                                "else Unreliable."), good, fair);
    case LK_CHECK_SPLIT_HALF:
      return g_strdup_printf (_("Its check is the split-half correlation: two maps from the two halves of the masks, "
                                "compared. Above %g the map is Faithful (stable), above %g Approximate, else "
                                "Unreliable: use more masks."), info->check.good, info->check.fair);
    case LK_CHECK_SHARES:
      return g_strdup_printf (_("Its check is that the aspect shares and the residual add up to the similarity: a gap "
                                "below %g is Faithful."), info->check.good);
    case LK_CHECK_NONE:
    default:
      return g_strdup (_("It shows similarities, not an attribution of the score, so it has no faithfulness check."));
    }
}
