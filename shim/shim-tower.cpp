// shim-tower.cpp — the default forward mode of a Tower: libtorch's
// forward-mode AD through the tower's own from_layer.
#include "shim-tower.h"

#include <torch/csrc/autograd/forward_grad.h>

#include <mutex>

namespace lk {

namespace {

// libtorch keeps its forward-AD levels in one process-wide list and refuses
// a second level while one is open, whichever thread opens it: so one
// dual-number pass at a time in the whole process.
std::mutex &
dual_level_lock ()
{
  static std::mutex m;
  return m;
}

// Opens a level and closes it however the scope ends (a cancel throws).
struct DualLevel {
  uint64_t idx;
  DualLevel () : idx (torch::autograd::ForwardADLevel::get_next_idx ()) {}
  ~DualLevel () { torch::autograd::ForwardADLevel::release_idx (idx); }
  DualLevel (const DualLevel &) = delete;
  DualLevel &operator= (const DualLevel &) = delete;
};

} // namespace

torch::Tensor
Tower::jvp_from_layer (int layer, const torch::Tensor &x, const torch::Tensor &rows, const torch::Tensor &dv,
                       const TowerInput &in, const Rules &r, const Run &run) const
{
  int64_t n = dv.size (0);
  // Each tangent needs its own copy of the point: a dual tensor's tangent
  // has the primal's shape.
  auto xs = x.expand ({ n, x.size (1), x.size (2) }).contiguous ();
  auto t = torch::zeros_like (xs);
  t.index_put_ ({ torch::arange (n, rows.options ()), rows }, dv);
  torch::NoGradGuard no_grad;  // forward AD needs no graph
  std::lock_guard<std::mutex> hold (dual_level_lock ());
  DualLevel level;
  auto e = from_layer (layer, at::_make_dual (xs, t, (int64_t) level.idx), in, r, run);
  auto tangent = std::get<1> (at::_unpack_dual (e, (int64_t) level.idx));
  // No tangent: the embedding does not depend on x at all.
  return tangent.defined () ? tangent.clone () : torch::zeros_like (e);
}

torch::Tensor
Tower::path_derivatives (int layer, const torch::Tensor &xs, const torch::Tensor &delta, const TowerInput &in,
                         const Run &run) const
{
  auto t = delta.unsqueeze (0).expand_as (xs).contiguous ();
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> hold (dual_level_lock ());
  DualLevel level;
  auto e = from_layer (layer, at::_make_dual (xs.contiguous (), t, (int64_t) level.idx), in, Rules (), run);
  auto tangent = std::get<1> (at::_unpack_dual (e, (int64_t) level.idx));
  return tangent.defined () ? tangent.clone () : torch::zeros_like (e);
}

int
truncated_dim (int full, int keep)
{
  if (keep < 0 || keep > full)
    fail (LK_SHIM_ERROR_INVALID, "truncate_dim %d: the model's embeddings have %d dimensions (expected 1 to %d)",
          keep, full, full);
  return keep > 0 ? keep : full;
}

torch::Tensor
pool_tokens (const torch::Tensor &x, const torch::Tensor &mask, lk_shim_pooling mode)
{
  auto m = mask.to (x.dtype ()).unsqueeze (-1);
  switch (mode)
    {
    case LK_SHIM_POOL_CLS:
      return x.select (1, 0);
    case LK_SHIM_POOL_MAX:
      return x.masked_fill (m == 0, -1e9).amax (1);
    case LK_SHIM_POOL_LAST_TOKEN:
      {
        auto last = mask.sum (1) - 1;
        return x.index ({ torch::arange (x.size (0), mask.options ()), last });
      }
    case LK_SHIM_POOL_MEAN_SQRT_LEN:
      return (x * m).sum (1) / torch::clamp_min (m.sum (1), 1e-9).sqrt ();
    case LK_SHIM_POOL_WEIGHTED_MEAN:
      {
        // Padding is on the right, so a text's first token is position 0.
        auto w = m * torch::arange (1, x.size (1) + 1, x.options ()).view ({ 1, -1, 1 });
        return (x * w).sum (1) / torch::clamp_min (w.sum (1), 1e-9);
      }
    case LK_SHIM_POOL_MEAN:
    default:
      return (x * m).sum (1) / torch::clamp_min (m.sum (1), 1e-9);
    }
}

} // namespace lk
