/* lk-methods-private.h — the pieces lk-methods.c shares with the image
 * methods (lk-methods-image.c) and distance masking (lk-distance.c). */
#pragma once

#include <gio/gio.h>

#include "likeness-shim.h"
#include "lk-explanation.h"
#include "lk-methods.h"
#include "lk-model.h"

G_BEGIN_DECLS

/* The engine's progress and abort callbacks report through this:
 * progress (offset + scale × f), abort when cancellable is cancelled. */
typedef struct {
  GCancellable   *cancellable;   /* first: lk_backend_abort reads it */
  LkProgressFunc  progress;
  gpointer        data;
  double          offset, scale;
} LkMethodsProgress;

/* cp's graph, zero_biases, quadrature and callbacks from p; for IJ
 * reference_ids = ref and n_steps. mode is left to the caller. */
void      lk_methods_contrib_params (lk_shim_contrib_params *cp, const LkExplainParams *p, int layer,
                                     const gint32 *ref, LkMethodsProgress *prog);
gboolean  lk_methods_shim_failed    (const lk_shim_status *st, GError **error);
/* What the engine gave for @who ("text A", "the image"): the embedding e (d)
 * and the contributions u (d × n) must be finite, or nothing is derived. */
gboolean  lk_methods_check_engine   (const float *e, const float *u, int d, guint n, const char *who,
                                     GError **error);
double    lk_methods_dot            (const float *a, const float *b, int d);
/* ‖a‖‖b‖ (at least 1e-12) for cos, else 1. */
double    lk_methods_norm           (const LkExplainParams *p, const float *a, const float *b, int d);
/* IJ's expected ΣA and (@terms, 4 or NULL) the products it is summed from. */
double    lk_methods_expected       (const float *ea, const float *ea_ref, const float *eb, const float *eb_ref,
                                     int d, double norm, double *terms);
/* Fills p->steps for IJ when 0 and checks its range. */
gboolean  lk_methods_check_steps    (LkExplainParams *p, GError **error);
/* IJ's reference token as @p chooses it: the padding token (-1 when there
 * is none, which lk_methods_reference_ids () reports) or the mask token
 * (-1 and @error when there is none); and what the result records of it. */
gint32      lk_methods_reference_token       (LkModel *model, const LkExplainParams *p, GError **error);
const char *lk_methods_reference_description (const LkExplainParams *p);
/* The reference sequence: specials in place, every other token pad. */
gint32   *lk_methods_reference_ids  (LkModel *model, const LkEncoding *enc, gint32 pad, GError **error);
/* m = U_aᵀ U_b / norm, with U_a D × na and U_b D × nb. */
void      lk_methods_pair_matrix    (const float *ua, guint na, const float *ub, guint nb, int d, double norm,
                                     LkMatrix *m);
void      lk_methods_add_tokens     (LkExplanation *x, guint side, LkModel *model, const LkEncoding *enc);
/* params' measure, IJ's steps/quadrature/reference, BiLRP's zero_biases,
 * ad_mode (unless NULL), max_seq_length, and the model object. */
void      lk_methods_set_params     (LkExplanation *x, const LkExplainParams *p, LkModel *model,
                                     const char *reference, const char *ad_mode);
/* similarity, sum, and IJ's reference terms or the conservation gap. */
void      lk_methods_set_scores     (LkExplanation *x, const float *ea, const float *ea_ref, const float *eb,
                                     const float *eb_ref, int d, const LkExplainParams *p, double norm);
/* params' max_seq_length and the "model" object. */
void      lk_methods_set_model      (LkExplanation *x, LkModel *model);
gboolean  lk_methods_require_vision (LkModel *model, GError **error);

/* Adaptive IJ (lk-ij-adaptive.c). One side of the pair: the tower's input,
 * the layer, and the reference ids (NULL: the zero hidden state). */
typedef struct {
  lk_shim_contrib_input in;
  int                   layer;
  const gint32         *ref;
} LkIjPathInput;

typedef struct {
  int     steps;          /* the Gauss–Legendre nodes chosen */
  double  error;          /* that rule's attribution error, from the path sums */
  double  tolerance_abs;  /* tolerance × |expected ΣA|, at least float rounding's 1e-6 */
  GArray *probed;         /* int: the rules tried, in order */
  int     evaluations;    /* path derivatives computed, both sides */
  double  seconds;        /* the search's */
} LkIjAdaptive;

/* The fewest Gauss–Legendre nodes (up to p->max_steps) whose attribution
 * error on the pair is within p->tolerance; sets p->quadrature to Gauss
 * and p->steps to them. Progress over prog's span; cancellable. */
/* The share of the progress the rule's search takes. */
#define LK_IJ_ADAPTIVE_PROGRESS 0.1
gboolean  lk_ij_adaptive_choose     (LkModel *model, const LkIjPathInput sides[2], LkExplainParams *p,
                                     LkMethodsProgress *prog, LkIjAdaptive *out, GError **error);
/* params' quadrature "adaptive", steps, tolerance, max_steps, probed_steps,
 * path_derivatives, tolerance_reached (of the error in x's scores, so
 * after lk_methods_set_scores), and the score error_tolerance. */
void      lk_ij_adaptive_record     (LkExplanation *x, const LkExplainParams *p, const LkIjAdaptive *a);
void      lk_ij_adaptive_clear      (LkIjAdaptive *a);

G_END_DECLS
