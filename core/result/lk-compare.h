/* lk-compare.h — two results of the same pair side by side (two methods,
 * or two models), and their difference where the shapes agree. */
#pragma once

#include "lk-explanation.h"

G_BEGIN_DECLS

/**
 * lk_explanation_difference:
 * @a: the result compared against (the pinned one)
 * @b: the other
 * @error: why there is no difference: a result without a token matrix,
 *   other texts, or tokens that differ (another tokenizer)
 *
 * The token-pair matrix @b − @a, as a result of @b's method on @b's texts
 * and tokens; its one score is the similarity's difference ("similarity").
 * Both matrices must be token × token of the same tokens, side by side.
 *
 * Returns: (transfer full): the difference, or %NULL with @error set
 */
LkExplanation *lk_explanation_difference (LkExplanation *a,
                                          LkExplanation *b,
                                          GError       **error);

G_END_DECLS
