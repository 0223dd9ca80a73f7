// shim-head.cpp — an aspect head (METHODS.md §5): an orthogonal map Q,
// trained on a frozen model's embeddings, so that the first n·k coordinates
// of Qe carry the aspects. Q is orthogonal by construction: a product of m
// Householder reflections H_j = I − 2 v_j v_jᵀ / ‖v_j‖², so cos(Qa, Qb) =
// cos(a, b) for every pair and S3BERT's consistency loss is 0 throughout.
// m = n·k reflections reach any n·k-dim subspace and any basis of it (the
// Householder QR of a D × n·k matrix with orthonormal columns), which is
// all the aspect loss sees; fewer would restrict it, more add nothing.
#include "shim-private.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace lk {
namespace {

// The first `rows` rows of Q = H_1 ⋯ H_m (rows × D): e_iᵀ H_1 ⋯ H_m, the
// reflections applied from the right in order. Differentiable in v.
torch::Tensor
head_rows (const torch::Tensor &v, int64_t rows)
{
  int64_t dim = v.size (1);
  auto r = torch::eye (rows, dim, v.options ());
  for (int64_t j = 0; j < v.size (0); j++)
    {
      auto vj = v[j];
      auto rv = torch::mv (r, vj);                                   // [rows]
      r = r - torch::outer (rv, vj) * (2.0 / vj.dot (vj).clamp_min (1e-30));
    }
  return r;
}

// [B, n]: the cosine of each aspect's coordinates of Qa and Qb.
torch::Tensor
head_cosines (const torch::Tensor &p, const torch::Tensor &ea, const torch::Tensor &eb, int n, int k)
{
  auto unit = [] (const torch::Tensor &t) { return t / t.norm (2, -1, true).clamp_min (1e-12); };
  auto sa = unit (torch::matmul (ea, p.t ()).view ({ ea.size (0), n, k }));
  auto sb = unit (torch::matmul (eb, p.t ()).view ({ eb.size (0), n, k }));
  return (sa * sb).sum (-1);
}

torch::Tensor
rows_of (const float *data, const std::vector<int64_t> &rows, int64_t width)
{
  auto t = torch::empty ({ (int64_t) rows.size (), width }, torch::kFloat32);
  float *p = t.data_ptr<float> ();
  for (size_t i = 0; i < rows.size (); i++)
    memcpy (p + i * width, data + rows[i] * width, sizeof (float) * width);
  return t;
}

struct HeadData {
  int dim, n_train, n_dev, n, k;
  const float *a, *b, *targets;
};

// The mean aspect MSE over `count` pairs from `first`, in batches.
double
score (const HeadData &d, const torch::Tensor &p, int first, int count)
{
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (int from = 0; from < count; from += 1024)
    {
      std::vector<int64_t> rows;
      for (int i = from; i < std::min (count, from + 1024); i++)
        rows.push_back (first + i);
      auto c = head_cosines (p, rows_of (d.a, rows, d.dim), rows_of (d.b, rows, d.dim), d.n, d.k);
      auto t = rows_of (d.targets, rows, d.n);
      sum += (c - t).pow (2).sum ().item<double> ();
    }
  return sum / ((double) count * d.n);
}

// Q (D × D, row-major) from v, in double: orthogonal to double rounding
// before its one rounding to float.
void
write_q (const torch::Tensor &v, float *out, double *orthogonality)
{
  torch::NoGradGuard no_grad;
  auto vd = v.to (torch::kFloat64);
  auto q = head_rows (vd, vd.size (1));
  auto qf = q.to (torch::kFloat32).contiguous ();
  memcpy (out, qf.data_ptr<float> (), sizeof (float) * qf.numel ());
  auto qq = qf.to (torch::kFloat64);
  auto gap = torch::matmul (qq, qq.t ()) - torch::eye (qq.size (0), torch::kFloat64);
  *orthogonality = gap.abs ().max ().item<double> ();
}

} // namespace
} // namespace lk

extern "C" {

void
lk_shim_head_default_params (lk_shim_head_params *p)
{
  memset (p, 0, sizeof *p);
  p->epochs = 30;
  p->batch_size = 128;
  p->lr = 3e-3;
  p->seed = 1;
}

int
lk_shim_train_aspect_head (int dim, int n_train, int n_dev, const float *emb_a, const float *emb_b,
                           const float *targets, const lk_shim_head_params *params, float *q_out,
                           lk_shim_head_result *result, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!params || !emb_a || !emb_b || !targets || !q_out || dim <= 0 || n_train <= 0 || n_dev < 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_train_aspect_head: bad arguments");
    int n = params->n_aspects, k = params->aspect_dim;
    if (n <= 0 || k <= 0 || (long) n * k > dim)
      lk::fail (LK_SHIM_ERROR_INVALID, "the layout needs %d aspects × %d dims, but the embedding has %d", n, k, dim);
    if (params->epochs <= 0 || params->batch_size <= 0 || !(params->lr > 0))
      lk::fail (LK_SHIM_ERROR_INVALID, "head training: epochs, batch size and learning rate must be positive");
    for (long i = 0; i < (long) (n_train + n_dev) * dim; i++)
      if (!std::isfinite (emb_a[i]) || !std::isfinite (emb_b[i]))
        lk::fail (LK_SHIM_ERROR_INVALID, "pair %ld: an embedding is not finite", i / dim + 1);
    lk_shim_head_result local {};
    lk_shim_head_result *res = result ? result : &local;
    *res = lk_shim_head_result {};
    lk::HeadData d { dim, n_train, n_dev, n, k, emb_a, emb_b, targets };
    int dev_first = n_dev > 0 ? n_train : 0, dev_count = n_dev > 0 ? n_dev : n_train;
    int64_t m = (int64_t) n * k;
    torch::manual_seed (params->seed);
    // v_j = e_j: Q starts as a sign flip of the first n·k coordinates, so
    // the head starts from the base model's own dims (the benchmark's
    // "base" column) and the dev score can only improve on them.
    auto v = torch::eye (m, dim, torch::kFloat32).set_requires_grad (true);
    torch::optim::Adam opt ({ v }, torch::optim::AdamOptions (params->lr));
    {
      torch::NoGradGuard no_grad;
      res->base_dev_mse = lk::score (d, lk::head_rows (v, m), dev_first, dev_count);
    }
    res->best_dev_mse = res->base_dev_mse;
    res->best_epoch = -1;
    auto best = v.detach ().clone ();
    int steps_per_epoch = (n_train + params->batch_size - 1) / params->batch_size;
    std::vector<int64_t> order (n_train);
    lk_shim_run_params rp;
    lk_shim_run_default_params (&rp);
    rp.abort = params->abort;
    rp.user_data = params->user_data;
    lk::Run run { &rp };
    for (int epoch = 0; epoch < params->epochs; epoch++)
      {
        std::iota (order.begin (), order.end (), 0);
        std::mt19937 rng (params->seed * 1000003u + (unsigned) epoch);
        std::shuffle (order.begin (), order.end (), rng);
        double sum = 0;
        for (int s = 0; s < steps_per_epoch; s++)
          {
            run.check_abort ();
            std::vector<int64_t> rows (order.begin () + (long) s * params->batch_size,
                                       order.begin () + std::min<long> (n_train, (long) (s + 1) * params->batch_size));
            auto p = lk::head_rows (v, m);
            auto c = lk::head_cosines (p, lk::rows_of (emb_a, rows, dim), lk::rows_of (emb_b, rows, dim), n, k);
            auto loss = torch::mse_loss (c, lk::rows_of (targets, rows, n));
            opt.zero_grad ();
            loss.backward ();
            opt.step ();
            sum += loss.item<double> ();
            res->steps++;
          }
        lk_shim_head_progress pr {};
        pr.epoch = epoch;
        pr.n_epochs = params->epochs;
        pr.step = res->steps;
        pr.n_steps = (long) steps_per_epoch * params->epochs;
        pr.train_loss = sum / steps_per_epoch;
        if (!std::isfinite (pr.train_loss))
          lk::fail (LK_SHIM_ERROR_INTERNAL, "head training diverged in epoch %d (the loss is not finite)", epoch + 1);
        {
          torch::NoGradGuard no_grad;
          pr.dev_aspect_mse = lk::score (d, lk::head_rows (v, m), dev_first, dev_count);
        }
        if (pr.dev_aspect_mse < res->best_dev_mse)
          {
            res->best_dev_mse = pr.dev_aspect_mse;
            res->best_epoch = epoch;
            best = v.detach ().clone ();
            pr.best = 1;
          }
        if (params->progress)
          params->progress (&pr, params->user_data);
      }
    lk::write_q (best, q_out, &res->orthogonality);
    lk::status_ok (status);
    return 0;
  )
}

} // extern "C"
