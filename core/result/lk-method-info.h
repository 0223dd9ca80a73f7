/* lk-method-info.h — the method registry: the one place that lists the
 * methods and says, for each, its names, what it reads, the views that
 * show it and the scores it reports. The app's choosers and Details, the
 * CLI's help, the renderers and sessions read it; a new method is one
 * entry here and one compute function. Needs nothing but GLib, so that
 * every layer above the result may include it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LK_METHOD_IJ,     /* Integrated Jacobians (Moeller et al.) */
  LK_METHOD_BILRP,  /* BiLRP with the transformer LRP rules (Vasileiou & Eberle) */
  LK_METHOD_HXP,    /* Hessian × product: plain gradient × input at the point */
  LK_METHOD_ALIGN,  /* last-layer token cosine alignment, BERTScore P/R/F1 */
  LK_METHOD_DISTANCE, /* distance masking (lk-distance.h), with its defaults */
  LK_METHOD_ASPECTS,  /* S3BERT aspect decomposition (lk-aspects.h) */
  LK_N_METHODS        /* not a method: the count, for loops over every method */
} LkMethod;

/* The keys of a result's "scores", one name each in C (the registry's
 * entries below say what each means, per method). */
#define LK_SCORE_SIMILARITY              "similarity"
#define LK_SCORE_SUM                     "sum"
#define LK_SCORE_ERROR                   "error"
#define LK_SCORE_PERTURBATION_AREA       "perturbation_area"
#define LK_SCORE_SPLIT_HALF              "split_half"
#define LK_SCORE_PERTURBATION_RANDOM_AREA "perturbation_random_area"
#define LK_SCORE_F1                      "f1"
#define LK_SCORE_EXPECTED                "expected"
#define LK_SCORE_ERROR_RELATIVE          "error_relative"
#define LK_SCORE_SHARES_SUM              "shares_sum"
#define LK_SCORE_SHARES_GAP              "shares_gap"
#define LK_SCORE_RECALL                  "recall"
#define LK_SCORE_PRECISION               "precision"
#define LK_SCORE_BERTSCORE_PRECISION     "bertscore_precision"
#define LK_SCORE_BERTSCORE_RECALL        "bertscore_recall"
#define LK_SCORE_BERTSCORE_F1            "bertscore_f1"
#define LK_SCORE_SPLIT_HALF_CORRECTED    "split_half_corrected"
#define LK_SCORE_ERROR_VS_SCORE          "error_vs_score"
#define LK_SCORE_REF_RA_RB               "ref_ra_rb"
#define LK_SCORE_REF_RA_B                "ref_ra_b"
#define LK_SCORE_REF_A_RB                "ref_a_rb"
/* IJ with the adaptive rule: the attribution error it aimed at (tolerance ×
 * |expected ΣA|). */
#define LK_SCORE_ERROR_TOLERANCE         "error_tolerance"
/* A ranking contrast's (lk-contrast.h): each pair's score, ΣA and
 * residual (similarity − ΣA), document 1's less document 2's. */
#define LK_SCORE_SIMILARITY_1            "similarity_1"
#define LK_SCORE_SIMILARITY_2            "similarity_2"
#define LK_SCORE_SIMILARITY_DIFFERENCE   "similarity_difference"
#define LK_SCORE_SUM_1                   "sum_1"
#define LK_SCORE_SUM_2                   "sum_2"
#define LK_SCORE_SUM_DIFFERENCE          "sum_difference"
#define LK_SCORE_RESIDUAL_1              "residual_1"
#define LK_SCORE_RESIDUAL_2              "residual_2"
#define LK_SCORE_RESIDUAL_DIFFERENCE     "residual_difference"

/* The result members two methods add beside the common ones (the schema,
 * docs/explanation-schema.md): the aspect shares, any result may carry
 * them; distance masking's run. */
#define LK_EXTRA_ASPECTS                 "aspects"
#define LK_EXTRA_DISTANCE                "distance"
/* A ranking contrast's: the query tokens' saliency of the difference, and
 * the two documents (lk-contrast.h). */
#define LK_EXTRA_QUERY_SALIENCY          "query_saliency"
#define LK_EXTRA_CONTRAST                "contrast"

/* The inputs a method explains. */
typedef enum {
  LK_INPUTS_TEXT_PAIR     = 1 << 0,  /* two texts */
  LK_INPUTS_IMAGE_CAPTION = 1 << 1,  /* an image and its caption (CLIP) */
} LkInputs;

/* The parameters of the methods: one table (lk_param_info ()) says each
 * one's name, type, range, default and label; each method's entry lists
 * those it takes. A request (lk-explain.h) holds one value per parameter. */
typedef enum {
  LK_PARAM_LAYER,          /* ij, bilrp, hxp, align */
  LK_PARAM_STEPS,          /* ij */
  LK_PARAM_QUADRATURE,
  LK_PARAM_MEASURE,
  LK_PARAM_AD_MODE,
  LK_PARAM_ZERO_BIASES,    /* bilrp */
  LK_PARAM_PERTURBATION,
  LK_PARAM_SEED,
  LK_PARAM_MASKS,          /* distance */
  LK_PARAM_FEATURE_RES,
  LK_PARAM_P_KEEP,
  LK_PARAM_MASK_SIDE,
  LK_PARAM_UNIT,
  LK_PARAM_REPLACE,
  LK_PARAM_CLOSEST_MIN,
  LK_PARAM_CLOSEST_MAX,
  LK_PARAM_FARTHEST_MIN,
  LK_PARAM_FARTHEST_MAX,
  LK_PARAM_BATCH_SIZE,
  LK_PARAM_STOP_AT,
  LK_PARAM_CHECK_EVERY,
  LK_PARAM_TOLERANCE,      /* ij, quadrature adaptive */
  LK_PARAM_MAX_STEPS,
  LK_PARAM_REFERENCE,      /* ij */
  LK_N_PARAMS              /* not a parameter: the count */
} LkParam;

typedef enum {
  LK_PARAM_TYPE_INT,
  LK_PARAM_TYPE_DOUBLE,
  LK_PARAM_TYPE_BOOLEAN,
  LK_PARAM_TYPE_CHOICE,    /* the value is an index into choices */
} LkParamType;

typedef struct {
  LkParam      param;
  const char  *name;          /* "p_keep": in a request, a result's "params" and (with '-') the CLI */
  LkParamType  type;
  const char  *label;         /* sentence case (N_) */
  const char  *description;   /* one line, with what the default means (N_) */
  double       default_value; /* a choice's index; for layer and steps a sentinel the description names */
  double       min, max;      /* inclusive */
  const char  *choices[4];    /* LK_PARAM_TYPE_CHOICE: the names, NULL-ended, in the enum's order */
} LkParamInfo;

/* How a method's result says how far to trust it (METHODS.md; the
 * thresholds are the ones the report's readings explain). */
typedef enum {
  LK_CHECK_NONE,           /* a similarity map: nothing to conserve (align) */
  LK_CHECK_ATTRIBUTION,    /* IJ: |ΣA − expected ΣA| relative to |expected ΣA| */
  LK_CHECK_CONSERVATION,   /* BiLRP, H×P: the conservation gap relative to the score */
  LK_CHECK_SPLIT_HALF,     /* distance: the split-half correlation (higher is better) */
  LK_CHECK_SHARES,         /* aspects: |Σ shares − similarity| */
} LkCheckKind;

typedef enum {
  LK_VERDICT_NONE,         /* the result carries no check */
  LK_VERDICT_GOOD,         /* the check holds: read the amounts */
  LK_VERDICT_FAIR,         /* roughly: read the ranking, mind the gap */
  LK_VERDICT_POOR,         /* the check fails: do not read amounts */
} LkVerdict;

/* One segment of a result's check line ("ΣA = 0.81"): @format (N_) with
 * the score @key formatted; a NULL key prints the format as it is. */
typedef enum {
  LK_CHECK_ITEM_REQUIRED = 1 << 0,  /* without this score, the method's line is not drawn */
  LK_CHECK_ITEM_PERCENT  = 1 << 1,  /* appended to the previous segment as " (12 %)" */
} LkCheckItemFlags;

typedef struct {
  const char       *format;
  const char       *key;
  LkCheckItemFlags  flags;
} LkCheckItem;

typedef struct {
  LkCheckKind        kind;
  const char        *key;          /* the score the verdict reads (for IJ, the error; see kind) */
  double             good, fair;   /* below good (above, for split-half): good; below fair: fair */
  const LkCheckItem *items;        /* the check line, NULL-format-ended */
  const char        *summary[8];   /* the scores a one-pair summary prints, NULL-ended */
  const char        *summary_params[3]; /* and the result's params it prints */
} LkCheckInfo;

/* A member of a result's "scores". The strings are untranslated (N_):
 * show them through lk_score_label () and lk_score_description (). */
typedef struct {
  const char *key;
  const char *label;        /* sentence case: "Relative error" */
  const char *description;  /* one line: what it measures, how to read it */
} LkScoreInfo;

typedef struct {
  LkMethod           method;
  const char        *name;         /* in the CLI and the result schema: "bilrp" */
  const char        *title;        /* "Integrated Jacobians" (N_) */
  const char        *short_title;  /* for a small button: "IJ" (N_, context "method") */
  const char        *description;  /* one line, for a chooser (N_) */
  const char        *paper;        /* where the method comes from */
  LkInputs           inputs;
  const char        *views[5];     /* the views that show it, the default first; NULL-ended */
  const LkScoreInfo *scores;       /* in the order a reader wants them */
  guint              n_scores;
  LkParam            params[16];   /* the parameters it takes, LK_N_PARAMS-ended */
  LkCheckInfo        check;
} LkMethodInfo;

const LkMethodInfo *lk_method_info        (LkMethod     method);
/* The method explained when none is chosen, the registry's first: the
 * app's chooser and the CLI's --method take it from here. */
LkMethod            lk_method_default     (void);
/**
 * lk_method_infos:
 * @n: (out): how many
 *
 * Every method, in the order a chooser offers them (the default first).
 *
 * Returns: (array length=n) (transfer none): the registry's entries
 */
const LkMethodInfo *lk_method_infos       (guint       *n);
/* By name; also the names results of older versions used ("mask", "s3bert").
 * NULL for an unknown name. */
const LkMethodInfo *lk_method_info_find   (const char  *name);

const char         *lk_method_to_string   (LkMethod     method);
/**
 * lk_method_from_string:
 * @name: "ij", "bilrp", …
 * @method: (out): the method
 *
 * Returns: whether @name is a method's
 */
gboolean            lk_method_from_string (const char  *name,
                                           LkMethod    *method);
/* "ij|bilrp|hxp|align|distance|aspects": for usage lines and messages (a
 * new string each call; @separator between the names). */
char               *lk_method_names_joined (const char *separator);
/* Whether the method attributes the score to token pairs (IJ, BiLRP, H×P:
 * its check is the attribution error or conservation). */
gboolean            lk_method_is_attribution (const LkMethodInfo *info);
/* Whether a ranking contrast (lk-contrast.h) can read the method's
 * results: an attribution of two texts, with a token matrix. */
gboolean            lk_method_can_contrast (const LkMethodInfo *info);
/* For help and messages: "bilrp, ij, hxp or distance", the methods that
 * take @inputs (and, with @attributions_only, attribute). A new string. */
char               *lk_method_names_with   (LkInputs     inputs,
                                            gboolean     attributions_only);

/* Translated; for a name no entry has, the name itself ("Explanation" for
 * NULL), so that a result of a newer version still shows. */
const char         *lk_method_title       (const char  *name);
const char         *lk_method_short_title (const char  *name);

/* The score @key of @method's results (NULL when the method's entry does
 * not list it; a contrast's keys are every contrastable method's), and its translated label and description; the label of a
 * key no entry lists is the key. */
const LkScoreInfo  *lk_score_info         (const char  *method,
                                           const char  *key);
const char         *lk_score_label        (const char  *method,
                                           const char  *key);
const char         *lk_score_description  (const char  *method,
                                           const char  *key);

/**
 * lk_param_infos:
 * @n: (out): how many
 *
 * Every parameter; lk_param_info() and lk_param_info_find() give one by
 * enum or by name (a CLI option's '-' read as '_'; %NULL for an unknown
 * name).
 *
 * Returns: (array length=n) (transfer none): the registry's parameters
 */
const LkParamInfo  *lk_param_infos        (guint       *n);
const LkParamInfo  *lk_param_info         (LkParam      param);
const LkParamInfo  *lk_param_info_find    (const char  *name);
gboolean            lk_method_takes_param (LkMethod     method,
                                           LkParam      param);
/* The names of the parameters @method takes ("layer, steps, …"); a new string. */
char               *lk_method_param_names (LkMethod     method);
typedef double (*LkScoreGetter) (const char *key, gpointer user_data);
/**
 * lk_check_verdict:
 * @check: a method's check (its registry entry's)
 * @get_score: (scope call) (closure user_data): reads a result's score by
 *   key, NAN for a missing one
 * @user_data: for @get_score
 * @value: (out) (optional): the value the verdict read
 *
 * The verdict of @check on a result's scores.
 *
 * Returns: the verdict
 */
LkVerdict           lk_check_verdict      (const LkCheckInfo *check,
                                           LkScoreGetter      get_score,
                                           gpointer           user_data,
                                           double            *value);
/* "good", "fair", "poor", "none": in the CLI's summary and the schema. */
const char         *lk_verdict_to_string  (LkVerdict    verdict);
/* Translated, for a badge: "Faithful", "Approximate", "Unreliable", "No check". */
const char         *lk_verdict_title      (LkVerdict    verdict);

/* One paragraph for the help: what the method's own check measures and
 * the thresholds of its verdict (the same the badge and the report use). */
char               *lk_method_check_help  (const LkMethodInfo *info);

G_END_DECLS
