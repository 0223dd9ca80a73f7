// shim-engine.cpp — the one engine behind IJ, BiLRP and H×P: the D × S
// contribution matrix U of one text, by forward-mode AD (one JVP per token,
// batched) or reverse mode (one backward pass per embedding dimension).
#include "shim-encoder.h"

#include <torch/csrc/autograd/forward_grad.h>

#include <cmath>
#include "shim-model-private.h"

namespace lk {

Quadrature
path_quadrature (lk_shim_quadrature rule, int n)
{
  Quadrature q;
  if (rule != LK_SHIM_QUAD_GAUSS)
    {
      for (int k = 0; k < n; k++)
        {
          q.nodes.push_back (1.0 - (double) k / n);
          q.weights.push_back (1.0 / n);
        }
      return q;
    }
  // Gauss–Legendre on [0, 1]: roots of P_n by Newton's method from Chebyshev guesses.
  for (int i = 0; i < n; i++)
    {
      double x = std::cos (M_PI * (i + 0.75) / (n + 0.5)), dp = 1;
      for (int it = 0; it < 100; it++)
        {
          double p0 = 1, p1 = x;
          for (int k = 2; k <= n; k++)
            {
              double p2 = ((2.0 * k - 1) * x * p1 - (k - 1.0) * p0) / k;
              p0 = p1;
              p1 = p2;
            }
          if (n == 1)
            p0 = 1, p1 = x;
          dp = n * (x * p1 - p0) / (x * x - 1);
          double dx = p1 / dp;
          x -= dx;
          if (std::fabs (dx) < 1e-15)
            break;
        }
      q.nodes.push_back ((1 - x) / 2);
      q.weights.push_back (1.0 / ((1 - x * x) * dp * dp));  // 2/((1−x²)P'²), halved for [0, 1]
    }
  return q;
}

namespace {

Quadrature
quadrature (const lk_shim_contrib_params &p, bool has_reference)
{
  if (!has_reference)
    return { { 1.0 }, { 1.0 } };
  return path_quadrature (p.quadrature, p.n_steps);
}

struct Job {
  const Encoder &enc;
  const lk_shim_contrib_params &p;
  const Rules rules;
  torch::Tensor x, r, delta;  // [S, H]
  int64_t s, h, d;
  Quadrature q;
  Run run;
  double done = 0, total = 1;

  void tick (double amount)
  {
    done += amount;
    if (p.progress)
      p.progress (std::min (1.0, done / total), p.user_data);
    run.check_abort ();
  }

  // Tangents per forward-mode pass: about 768 MB of the pass's tensors, the
  // heads × S × S softmax tangents and the feed-forward ones (measured
  // about 10 MB a tangent for MiniLM at S = 256). Larger passes run the
  // GEMMs better: 64 tangents a pass took 9 s a node there, 18 took 13 s.
  int64_t tangent_batch () const
  {
    if (p.max_batch > 0)
      return p.max_batch;
    double per_tangent = 4.0 * s * (2.0 * enc.heads () * s + 16.0 * h);
    return std::max<int64_t> (1, std::min<int64_t> (768.0 * 1024 * 1024 / per_tangent, 256));
  }

  // Path nodes per reverse-mode pass: about 512 MB of activations (doubled
  // for the graph autograd keeps).
  int64_t node_batch () const
  {
    if (p.max_batch > 0)
      return p.max_batch;
    double per_seq = 8.0 * s * (12.0 * h + 3.0 * enc.heads () * s);
    return std::max<int64_t> (1, std::min<int64_t> (512.0 * 1024 * 1024 / per_seq, 256));
  }

  torch::Tensor at (double alpha) const { return r + alpha * delta; }

  torch::Tensor
  run_from (const torch::Tensor &xs) const
  {
    auto mask = torch::ones ({ xs.size (0), s }, torch::TensorOptions ().dtype (torch::kInt64).device (enc.device ()));
    return enc.from_layer (p.layer, xs, enc.attention_bias (mask), mask, rules, run);
  }

  // One JVP per token: the tangent is Δ's row i in sequence i, zero elsewhere.
  // The point's activations are computed once per node and the tangents
  // pushed through the linearised layers (Encoder::jvp_from_layer).
  torch::Tensor
  forward_mode ()
  {
    torch::NoGradGuard no_grad;
    auto u = torch::zeros ({ d, s }, x.options ());
    int64_t c = std::min (tangent_batch (), s);
    total = (double) q.nodes.size () * ((s + c - 1) / c);
    auto mask = torch::ones ({ 1, s }, torch::TensorOptions ().dtype (torch::kInt64).device (x.device ()));
    auto bias = enc.attention_bias (mask);
    for (size_t k = 0; k < q.nodes.size (); k++)
      {
        auto xk = at (q.nodes[k]).unsqueeze (0);
        for (int64_t i0 = 0; i0 < s; i0 += c)
          {
            int64_t n = std::min (c, s - i0);
            auto rows = torch::arange (i0, i0 + n, torch::TensorOptions ().dtype (torch::kInt64).device (x.device ()));
            auto jvp = enc.jvp_from_layer (p.layer, xk, rows, delta.narrow (0, i0, n), bias, mask, rules, run);  // [n, D]
            u.narrow (1, i0, n).add_ (jvp.t (), q.weights[k]);
            tick (1);
          }
      }
    return u;
  }

  // One backward pass per embedding dimension, over a batch of path nodes.
  torch::Tensor
  reverse_mode ()
  {
    auto u = torch::zeros ({ d, s }, x.options ());
    int64_t c = std::min<int64_t> (node_batch (), (int64_t) q.nodes.size ());
    total = (double) d * ((q.nodes.size () + c - 1) / c);
    for (size_t k0 = 0; k0 < q.nodes.size (); k0 += c)
      {
        int64_t n = std::min<int64_t> (c, q.nodes.size () - k0);
        std::vector<torch::Tensor> xs;
        std::vector<double> w (q.weights.begin () + k0, q.weights.begin () + k0 + n);
        for (int64_t j = 0; j < n; j++)
          xs.push_back (at (q.nodes[k0 + j]));
        auto input = torch::stack (xs).detach ().requires_grad_ (true);
        auto wt = torch::tensor (w, x.options ());
        auto e = run_from (input);
        for (int64_t dim = 0; dim < d; dim++)
          {
            auto g = torch::autograd::grad ({ e.select (1, dim).sum () }, { input }, {}, true)[0];
            u[dim] += torch::matmul (wt, (g * delta).sum (-1));
            tick (1);
          }
      }
    return u;
  }
};

void
check_contrib (const Encoder &enc, int n_tokens, const lk_shim_contrib_params &p)
{
  if (n_tokens <= 0)
    fail (LK_SHIM_ERROR_INVALID, "the text has no tokens");
  if (p.layer < 0 || p.layer > enc.num_layers ())
    fail (LK_SHIM_ERROR_INVALID, "layer %d is out of range: this model has layers 0 to %d", p.layer, enc.num_layers ());
  if (p.reference_ids && (p.n_steps < 1 || p.n_steps > 10000))
    fail (LK_SHIM_ERROR_INVALID, "%d steps: expected 1 to 10000", p.n_steps);
}

torch::Tensor
ids_tensor (const int32_t *ids, int n, torch::Device dev)
{
  auto t = torch::empty ({ 1, n }, torch::kInt64);
  for (int i = 0; i < n; i++)
    t[0][i] = ids[i];
  return t.to (dev);
}

void
copy_out (const torch::Tensor &t, float *out)
{
  if (!out)
    return;
  auto c = t.detach ().to (torch::kCPU, torch::kFloat32).contiguous ();
  memcpy (out, c.data_ptr<float> (), sizeof (float) * c.numel ());
}

const Encoder &
encoder_for (lk_shim_model *m, bool zero_biases)
{
  if (!m->enc)
    fail (LK_SHIM_ERROR_UNSUPPORTED, "a CLIP model has two towers: use lk_shim_clip_contributions");
  if (!zero_biases)
    return *m->enc;
  if (!m->zero_bias_enc)
    m->zero_bias_enc = m->enc->with_zero_biases ();
  return *m->zero_bias_enc;
}

} // namespace

} // namespace lk

extern "C" {

void
lk_shim_contrib_default_params (lk_shim_contrib_params *p)
{
  memset (p, 0, sizeof *p);
  p->n_steps = 1;
}

int
lk_shim_model_num_layers (const lk_shim_model *model)
{
  return model && model->enc ? model->enc->num_layers () : 0;
}

int
lk_shim_model_hidden_size (const lk_shim_model *model)
{
  return model && model->enc ? model->enc->hidden () : 0;
}

int
lk_shim_contributions (lk_shim_model *model, const int32_t *ids, int n_tokens,
                       const lk_shim_contrib_params *params, float *u, float *e, float *e_ref,
                       lk_shim_ad_mode *mode_used, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || !ids || !params || !u)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_contributions: bad arguments");
    std::lock_guard<std::mutex> hold (model->lock);
    lk::TrimCpuCacheOnExit trim;  // after the tensors below are freed
    const lk::Encoder &enc = lk::encoder_for (model, params->zero_biases != 0);
    lk::check_contrib (enc, n_tokens, *params);
    torch::Device dev = enc.device ();
    auto mask = torch::ones ({ 1, n_tokens }, torch::TensorOptions ().dtype (torch::kInt64).device (dev));
    lk::Rules rules;
    rules.lrp = params->graph == LK_SHIM_GRAPH_LRP;
    torch::Tensor x, r, ex, er;
    {
      torch::NoGradGuard no_grad;
      x = enc.hidden_at (params->layer, lk::ids_tensor (ids, n_tokens, dev), mask)[0];
      r = params->reference_ids
        ? enc.hidden_at (params->layer, lk::ids_tensor (params->reference_ids, n_tokens, dev), mask)[0]
        : torch::zeros_like (x);
      auto bias = enc.attention_bias (mask);
      ex = enc.from_layer (params->layer, x.unsqueeze (0), bias, mask, lk::Rules ())[0];
      er = params->reference_ids ? enc.from_layer (params->layer, r.unsqueeze (0), bias, mask, lk::Rules ())[0]
                                 : torch::zeros_like (ex);
    }
    lk::Job job { enc, *params, rules, x, r, x - r, n_tokens, enc.hidden (), ex.size (0),
                  lk::quadrature (*params, params->reference_ids != nullptr), lk::Run { nullptr } };
    lk_shim_run_params rp;
    lk_shim_run_default_params (&rp);
    rp.abort = params->abort;
    rp.user_data = params->user_data;
    job.run.p = &rp;
    lk_shim_ad_mode mode = params->mode;
    if (mode == LK_SHIM_AD_AUTO)
      mode = n_tokens < job.d ? LK_SHIM_AD_FORWARD : LK_SHIM_AD_REVERSE;
    auto U = mode == LK_SHIM_AD_FORWARD ? job.forward_mode () : job.reverse_mode ();
    lk::copy_out (U, u);
    lk::copy_out (ex, e);
    lk::copy_out (er, e_ref);
    if (mode_used)
      *mode_used = mode;
    lk::status_ok (status);
    return 0;
  )
}

int
lk_shim_hidden_states (lk_shim_model *model, const int32_t *ids, int n_tokens, int layer,
                       float *out, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || !ids || !out || n_tokens <= 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_hidden_states: bad arguments");
    if (!model->enc)
      lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "hidden states are not available for CLIP models");
    if (layer < 0 || layer > model->enc->num_layers ())
      lk::fail (LK_SHIM_ERROR_INVALID, "layer %d is out of range: this model has layers 0 to %d", layer, model->enc->num_layers ());
    torch::InferenceMode guard;
    torch::Device dev = model->enc->device ();
    auto mask = torch::ones ({ 1, n_tokens }, torch::TensorOptions ().dtype (torch::kInt64).device (dev));
    lk::copy_out (model->enc->hidden_at (layer, lk::ids_tensor (ids, n_tokens, dev), mask)[0], out);
    lk::status_ok (status);
    return 0;
  )
}

} // extern "C"
