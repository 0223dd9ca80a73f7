// shim-blocks.h — blocks the newer towers share (Decoder, ModernBert):
// rotary positions and the gated feed-forward product under AttnLRP's
// uniform rule.
#pragma once

#include "shim-tower.h"

namespace lk {

// cos and sin of the rotary angles for positions 0…S−1 and heads of
// @head_dim, [S, head_dim], computed as transformers does (inverse
// frequencies in float32, the angles repeated for both halves).
void rotary_tables (int64_t s, int head_dim, double theta, torch::Device device, torch::Tensor &cos,
                    torch::Tensor &sin);
// x [B, h, S, d]: the first half of each head's pairs rotated against the second.
torch::Tensor apply_rotary (const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin);

// act(g) ⊙ u, the gated unit of SwiGLU and GeGLU. Under the LRP rules the
// activation is g times its detached ratio (as for GELU) and the product
// gives each factor half of its relevance (the uniform rule): with the
// values unchanged, the block stays linear in its input.
torch::Tensor gated_product (const torch::Tensor &g, const torch::Tensor &u, lk_shim_activation act,
                             const Rules &r);
// An elementwise activation; under the LRP rules, x times its detached ratio.
torch::Tensor activate (const torch::Tensor &x, lk_shim_activation act, const Rules &r);

} // namespace lk
