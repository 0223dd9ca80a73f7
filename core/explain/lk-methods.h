/* lk-methods.h — the token-pair explanations (IJ, BiLRP, H×P, alignment)
 * as parameter sets over the shim's one contribution engine. */
#pragma once

#include <gio/gio.h>

#include "lk-explanation.h"
#include "lk-method-info.h"
#include "lk-model.h"

G_BEGIN_DECLS

typedef enum {
  LK_MEASURE_COS,
  LK_MEASURE_DOT,
} LkMeasure;

typedef enum {
  LK_QUADRATURE_RIEMANN,
  LK_QUADRATURE_GAUSS,
  LK_QUADRATURE_ADAPTIVE,  /* the fewest Gauss–Legendre nodes that reach tolerance (lk-ij-adaptive.c) */
} LkQuadrature;

/* IJ's reference sequence: the specials kept, every other token this one. */
typedef enum {
  LK_REFERENCE_PAD,
  LK_REFERENCE_MASK,
} LkReference;

typedef enum {
  LK_AD_AUTO,
  LK_AD_FORWARD,
  LK_AD_REVERSE,
} LkAdMode;

typedef struct {
  LkMethod     method;
  int          layer;         /* -1: the method's default (IJ L−2, BiLRP and H×P 0) */
  int          steps;         /* IJ nodes; 0: the default of the quadrature */
  LkQuadrature quadrature;
  double       tolerance;     /* adaptive: |ΣA − expected| ≤ tolerance × |expected| */
  int          max_steps;     /* adaptive: the most nodes */
  LkReference  reference;     /* IJ's path start */
  LkMeasure    measure;
  gboolean     zero_biases;   /* BiLRP's diagnostic mode: conservation is exact */
  LkAdMode     ad_mode;
  gboolean     perturbation;  /* also compute the perturbation curve */
  guint        seed;          /* for the perturbation curve's random baseline */
} LkExplainParams;

#define LK_IJ_DEFAULT_STEPS_RIEMANN 50
/* The smallest Gauss–Legendre count that reached the attribution error of
 * 50 right-Riemann steps on every pair measured (21 pairs, by 3.6× or more;
 * 10 nodes reached it on all, by only 2% on one): the node sweep of
 * tests/bench/run long. */
#define LK_IJ_DEFAULT_STEPS_GAUSS   12

void           lk_explain_params_init   (LkExplainParams *params,
                                         LkMethod         method);

/* The token-pair methods (ij, bilrp, hxp, align) on two texts: the compute
 * function lk_explain() (lk-explain.h) runs for them. */
LkExplanation *lk_explain_pair          (LkModel                *model,
                                         const char             *text_a,
                                         const char             *text_b,
                                         const LkExplainParams  *params,
                                         LkProgressFunc          progress,
                                         gpointer                progress_data,
                                         GCancellable           *cancellable,
                                         GError                **error);

/* Patch × word interactions (lk-methods-image.c): IJ, BiLRP or H×P across a
 * CLIP model's two towers. Side A is the image's tokens ("[CLS]", then the
 * patches "p(r,c)" in raster order), side B the caption's; matrix =
 * U_imageᵀ U_caption, scaled like lk_explain()'s. The patch grid and the
 * image are described in the extra member "image". */
LkExplanation *lk_explain_image         (LkModel                *model,
                                         const char             *image_path,
                                         const char             *caption,
                                         const LkExplainParams  *params,
                                         LkProgressFunc          progress,
                                         gpointer                progress_data,
                                         GCancellable           *cancellable,
                                         GError                **error);

/* The perturbation curve of METHODS.md §2 for the explanation's matrix:
 * each side's tokens are ordered by their summed interactions, added back
 * one by one (the rest removed) and the distance to the full embedding
 * measured; the same for @n_random random orders. Stored in the
 * explanation as "perturbation". */
gboolean       lk_explanation_add_perturbation (LkExplanation *explanation,
                                                LkModel       *model,
                                                guint          n_random,
                                                guint          seed,
                                                GCancellable  *cancellable,
                                                GError       **error);

G_END_DECLS
