/* lk-contrast.h — ranking contrast: why does document 1 score above
 * document 2 for one query (METHODS.md §5). For a bilinear method (IJ,
 * BiLRP, H×P) each pair has its token matrix A(q, d); the query-side
 * saliency of the difference, s_i = Σ_j A(q,d1)[i,j] − Σ_k A(q,d2)[i,k],
 * adds up to ΣA(q,d1) − ΣA(q,d2). What the method cannot assign (IJ's
 * reference terms, BiLRP's bias share) is each pair's residual,
 * similarity − ΣA, and the residuals' difference closes the sum:
 * similarity_1 − similarity_2 = sum_difference + residual_difference.
 *
 * A request with a second document (lk_explain_request_set_contrast ())
 * runs as a contrast through lk_explain () and its async form; this file
 * holds the combination, so that two results explained apart (a batch's
 * ranks) combine the same way. */
#pragma once

#include "lk-explanation.h"

G_BEGIN_DECLS

/**
 * lk_contrast_from_results:
 * @x1: the query against document 1 (a bilinear method's result)
 * @x2: the same query against document 2, by the same method and model
 * @error: what does not match (method, model, query, a missing matrix)
 *
 * The contrast of two results: text A is the query, text B document 1;
 * scores similarity_1, similarity_2, sum_1, sum_2, residual_1, residual_2
 * and their differences; "query_saliency" (one value per query token, in
 * the order of tokens.a); "contrast": {"documents": [two objects with
 * text, tokens, token_info, saliency (per document token),
 * query_saliency, similarity, sum, residual, truncated and the pair's
 * scores]}. No token matrix. Its verdict is the worse of the two pairs'.
 *
 * Returns: (transfer full): the contrast, or %NULL with @error set
 */
LkExplanation *lk_contrast_from_results (LkExplanation  *x1,
                                         LkExplanation  *x2,
                                         GError        **error);

G_END_DECLS
