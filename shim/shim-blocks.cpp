// shim-blocks.cpp — see shim-blocks.h.
#include "shim-blocks.h"

namespace lk {

void
rotary_tables (int64_t s, int head_dim, double theta, torch::Device device, torch::Tensor &cos, torch::Tensor &sin)
{
  auto f32 = torch::TensorOptions ().dtype (torch::kFloat32).device (device);
  auto idx = torch::arange (0, head_dim, 2, torch::TensorOptions ().dtype (torch::kInt64).device (device)).to (torch::kFloat32);
  auto inv_freq = 1.0 / torch::pow (theta, idx / (double) head_dim);
  auto freqs = torch::outer (torch::arange (s, f32), inv_freq);
  auto emb = torch::cat ({ freqs, freqs }, -1);
  cos = emb.cos ();
  sin = emb.sin ();
}

torch::Tensor
apply_rotary (const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
  int64_t half = x.size (-1) / 2;
  auto x1 = x.narrow (-1, 0, half), x2 = x.narrow (-1, half, half);
  return x * cos + torch::cat ({ -x2, x1 }, -1) * sin;
}

torch::Tensor
activate (const torch::Tensor &x, lk_shim_activation act, const Rules &r)
{
  torch::Tensor y;
  switch (act)
    {
    case LK_SHIM_ACT_SILU: y = torch::silu (x); break;
    case LK_SHIM_ACT_GELU: y = torch::gelu (x); break;
    case LK_SHIM_ACT_GELU_TANH: y = torch::gelu (x, "tanh"); break;
    case LK_SHIM_ACT_QUICK_GELU: y = x * torch::sigmoid (1.702 * x); break;
    case LK_SHIM_ACT_RELU: y = torch::relu (x); break;
    case LK_SHIM_ACT_TANH: y = torch::tanh (x); break;
    case LK_SHIM_ACT_IDENTITY: return x;
    default: fail (LK_SHIM_ERROR_UNSUPPORTED, "activation %d", (int) act);
    }
  if (!r.lrp)
    return y;
  // SiLU's ratio is σ(x) exactly; the others' as BiLRP's GELU rule has it.
  if (act == LK_SHIM_ACT_SILU)
    return x * torch::sigmoid (x).detach ();
  return x * (y / (x + 1e-9)).detach ();
}

torch::Tensor
gated_product (const torch::Tensor &g, const torch::Tensor &u, lk_shim_activation act, const Rules &r)
{
  auto m = activate (g, act, r) * u;
  if (!r.lrp)
    return m;
  auto half = 0.5 * m;
  return half + half.detach ();
}

} // namespace lk
