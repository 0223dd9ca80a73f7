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
#define LK_SCORE_SPLIT_HALF_CORRECTED    "split_half_corrected"
#define LK_SCORE_ERROR_VS_SCORE          "error_vs_score"
#define LK_SCORE_REF_RA_RB               "ref_ra_rb"
#define LK_SCORE_REF_RA_B                "ref_ra_b"
#define LK_SCORE_REF_A_RB                "ref_a_rb"

/* The inputs a method explains. */
typedef enum {
  LK_INPUTS_TEXT_PAIR     = 1 << 0,  /* two texts */
  LK_INPUTS_IMAGE_CAPTION = 1 << 1,  /* an image and its caption (CLIP) */
} LkInputs;

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
} LkMethodInfo;

const LkMethodInfo *lk_method_info        (LkMethod     method);
/* Every method, in the order a chooser offers them (@n of them). */
const LkMethodInfo *lk_method_infos       (guint       *n);
/* By name; also the names results of older versions used ("mask", "s3bert").
 * NULL for an unknown name. */
const LkMethodInfo *lk_method_info_find   (const char  *name);

const char         *lk_method_to_string   (LkMethod     method);
gboolean            lk_method_from_string (const char  *name,
                                           LkMethod    *method);
/* "ij|bilrp|hxp|align|distance|aspects": for usage lines and messages (a
 * new string each call; @separator between the names). */
char               *lk_method_names_joined (const char *separator);

/* Translated; for a name no entry has, the name itself ("Explanation" for
 * NULL), so that a result of a newer version still shows. */
const char         *lk_method_title       (const char  *name);
const char         *lk_method_short_title (const char  *name);

/* The score @key of @method's results (NULL when the method's entry does
 * not list it), and its translated label and description; the label of a
 * key no entry lists is the key. */
const LkScoreInfo  *lk_score_info         (const char  *method,
                                           const char  *key);
const char         *lk_score_label        (const char  *method,
                                           const char  *key);
const char         *lk_score_description  (const char  *method,
                                           const char  *key);

G_END_DECLS
