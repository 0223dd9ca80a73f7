// shim-engine.cpp — the one engine behind IJ, BiLRP and H×P: the D × S
// contribution matrix U of one input of one tower (shim-tower.h: a text
// encoder, either of CLIP's towers), by forward-mode AD (one JVP per token,
// batched) or reverse mode (one backward pass per embedding dimension,
// batched).
#include <cstring>
#include "shim-model-private.h"

#include <cmath>

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

// About 768 MB of the pass's tensors, the heads × S × S softmax tangents
// and the feed-forward ones (measured about 10 MB a tangent for MiniLM at
// S = 256). Larger passes run the GEMMs better: 64 tangents a pass took 9 s
// a node there, 18 took 13 s.
int64_t
tangents_per_pass (const Tower &t, int64_t s, int max_batch)
{
  if (max_batch > 0)
    return max_batch;
  double per_tangent = 4.0 * s * (2.0 * t.heads () * s + 16.0 * t.hidden ());
  return std::max<int64_t> (1, std::min<int64_t> (768.0 * 1024 * 1024 / per_tangent, 256));
}

// About 512 MB of activations (doubled for the graph autograd keeps).
int64_t
sequences_per_pass (const Tower &t, int64_t s, int max_batch)
{
  if (max_batch > 0)
    return max_batch;
  double per_seq = 8.0 * s * (12.0 * t.hidden () + 3.0 * t.heads () * s);
  return std::max<int64_t> (1, std::min<int64_t> (512.0 * 1024 * 1024 / per_seq, 256));
}

namespace {

struct Job {
  const Tower &tower;
  const TowerInput &in;
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

  torch::Tensor at (double alpha) const { return r + alpha * delta; }

  // One JVP per token: the tangent is Δ's row i in sequence i, zero elsewhere.
  torch::Tensor
  forward_mode ()
  {
    torch::NoGradGuard no_grad;
    auto u = torch::zeros ({ d, s }, x.options ());
    int64_t c = std::min (tangents_per_pass (tower, s, p.max_batch), s);
    total = (double) q.nodes.size () * ((s + c - 1) / c);
    for (size_t k = 0; k < q.nodes.size (); k++)
      {
        auto xk = at (q.nodes[k]).unsqueeze (0);
        for (int64_t i0 = 0; i0 < s; i0 += c)
          {
            int64_t n = std::min (c, s - i0);
            auto rows = torch::arange (i0, i0 + n, torch::TensorOptions ().dtype (torch::kInt64).device (x.device ()));
            auto jvp = tower.jvp_from_layer (p.layer, xk, rows, delta.narrow (0, i0, n), in, rules, run);  // [n, D]
            u.narrow (1, i0, n).add_ (jvp.t (), q.weights[k]);
            tick (1);
          }
      }
    return u;
  }

  // One backward pass per cotangent, over a batch of path nodes whose
  // graph is kept between them: the unit vectors of the D dimensions (U,
  // [D, S]), or with w [m, D] its rows (w·U, [m, S]; the contributions are
  // linear in the cotangent). Copies of one node, each taking another
  // cotangent, would make the passes fewer and larger, but keep a graph per
  // copy: for one mpnet text of 20 tokens, 3× faster at 4× the peak memory,
  // and only at a small S, where forward mode is faster still.
  torch::Tensor
  reverse_mode (const torch::Tensor *w = nullptr)
  {
    int64_t m = w ? w->size (0) : d;
    auto u = torch::zeros ({ m, s }, x.options ());
    int64_t c = std::min<int64_t> (sequences_per_pass (tower, s, p.max_batch), (int64_t) q.nodes.size ());
    total = (double) m * ((q.nodes.size () + c - 1) / c);
    for (size_t k0 = 0; k0 < q.nodes.size (); k0 += c)
      {
        int64_t n = std::min<int64_t> (c, q.nodes.size () - k0);
        std::vector<torch::Tensor> xs;
        std::vector<double> wq (q.weights.begin () + k0, q.weights.begin () + k0 + n);
        for (int64_t j = 0; j < n; j++)
          xs.push_back (at (q.nodes[k0 + j]));
        auto input = torch::stack (xs).detach ().requires_grad_ (true);
        auto wt = torch::tensor (wq, x.options ());
        auto e = tower.from_layer (p.layer, input, in, rules, run);  // [n, D]
        for (int64_t row = 0; row < m; row++)
          {
            auto out = w ? (e * (*w)[row]).sum () : e.select (1, row).sum ();
            auto g = torch::autograd::grad ({ out }, { input }, {}, true)[0];
            u[row] += torch::matmul (wt, (g * delta).sum (-1));
            tick (1);
          }
      }
    return u;
  }
};

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

const Tower *
find_tower (const lk_shim_model *m, int which)
{
  int i = (int) which;
  return m && i >= 0 && i < n_towers ? m->towers[i].get () : nullptr;
}

const Tower &
tower_of (const lk_shim_model *m, int which)
{
  if (const Tower *t = find_tower (m, which))
    return *t;
  if (which == LK_SHIM_TOWER_IMAGE)
    fail (LK_SHIM_ERROR_UNSUPPORTED, "this model has no vision tower (image contributions need a CLIP model)");
  fail (LK_SHIM_ERROR_UNSUPPORTED, "this model has no tower %d", (int) which);
}

// Under the model's lock.
const Tower &
zero_bias_tower (lk_shim_model *m, int which)
{
  auto &z = m->zero_bias_towers[(int) which];
  if (!z)
    z = tower_of (m, which).with_zero_biases ();
  return *z;
}

void
check_params (const Tower &t, const lk_shim_contrib_params &p)
{
  if (p.layer < 0 || p.layer > t.num_layers ())
    fail (LK_SHIM_ERROR_INVALID, "layer %d is out of range: %s has layers 0 to %d", p.layer, t.name (), t.num_layers ());
  if (p.n_steps < 1 || p.n_steps > 10000)
    fail (LK_SHIM_ERROR_INVALID, "%d steps: expected 1 to 10000", p.n_steps);
  if (p.cotangents && (p.n_cotangents < 1 || p.n_cotangents > 1000000))
    fail (LK_SHIM_ERROR_INVALID, "%d cotangents: expected 1 to 1000000", p.n_cotangents);
  if (p.reference_ids && !t.takes_reference_ids ())
    fail (LK_SHIM_ERROR_INVALID, "%s takes no reference ids (its reference is the zero hidden state)", t.name ());
}

TowerInput
input_of (const Tower &t, const lk_shim_contrib_input &in)
{
  TowerInput ti;
  if (t.image_size () > 0)
    {
      if (!in.pixels)
        fail (LK_SHIM_ERROR_INVALID, "%s takes an image: the input has no pixels", t.name ());
      if (in.n_tokens != t.image_tokens ())
        fail (LK_SHIM_ERROR_INVALID, "%s makes %lld tokens of an image, not %d", t.name (),
              (long long) t.image_tokens (), in.n_tokens);
      int64_t side = t.image_size ();
      ti.pixels = torch::from_blob ((void *) in.pixels, { 1, 3, side, side }, torch::kFloat32).to (t.device ());
      return ti;
    }
  if (!in.ids)
    fail (LK_SHIM_ERROR_INVALID, "%s takes token ids: the input has none", t.name ());
  if (in.n_tokens <= 0)
    fail (LK_SHIM_ERROR_INVALID, "the text has no tokens");
  ti.ids = ids_tensor (in.ids, in.n_tokens, t.device ());
  return ti;
}

struct Contributions {
  torch::Tensor u, e, e_ref;
  lk_shim_ad_mode mode;
};

// The point x entering the layer, the path's start r (the reference's
// hidden state, or zero) and their embeddings e(x), e(r) (zero when there
// is no path).
struct Path {
  torch::Tensor x, r, e, e_ref;
  bool path;
};

Path
path_of (const Tower &t, const TowerInput &in, const lk_shim_contrib_params &p, const Run &run)
{
  // A path from the reference, or from the zero hidden state when steps
  // are asked for without one; else one node at the point.
  Path w;
  w.path = p.reference_ids || p.n_steps > 1;
  torch::NoGradGuard no_grad;
  w.x = t.hidden_at (p.layer, in)[0];
  w.r = p.reference_ids ? t.hidden_at (p.layer, TowerInput { ids_tensor (p.reference_ids, (int) w.x.size (0), t.device ()), {} })[0]
                        : torch::zeros_like (w.x);
  w.e = t.from_layer (p.layer, w.x.unsqueeze (0), in, Rules (), run)[0];
  w.e_ref = w.path ? t.from_layer (p.layer, w.r.unsqueeze (0), in, Rules (), run)[0] : torch::zeros_like (w.e);
  return w;
}

Run
run_of (const lk_shim_contrib_params &p, lk_shim_run_params &rp)
{
  lk_shim_run_default_params (&rp);
  rp.abort = p.abort;
  rp.user_data = p.user_data;
  return Run { &rp };
}

Contributions
contributions (const Tower &t, const TowerInput &in, const lk_shim_contrib_params &p)
{
  Rules rules;
  rules.lrp = p.graph == LK_SHIM_GRAPH_LRP;
  lk_shim_run_params rp;
  Run run = run_of (p, rp);
  Contributions c;
  Path w = path_of (t, in, p, run);
  torch::Tensor x = w.x, r = w.r;
  bool path = w.path;
  c.e = w.e;
  c.e_ref = w.e_ref;
  Job job { t, in, p, rules, x, r, x - r, x.size (0), x.size (1), c.e.size (0),
            path ? path_quadrature (p.quadrature, p.n_steps) : Quadrature { { 1.0 }, { 1.0 } }, run };
  if (p.cotangents)
    {
      auto w = torch::from_blob ((void *) p.cotangents, { p.n_cotangents, job.d }, torch::kFloat32)
                 .to (x.device (), x.scalar_type ());
      c.mode = LK_SHIM_AD_REVERSE;
      c.u = job.reverse_mode (&w);
      return c;
    }
  c.mode = p.mode;
  if (c.mode == LK_SHIM_AD_AUTO)
    c.mode = job.s < job.d ? LK_SHIM_AD_FORWARD : LK_SHIM_AD_REVERSE;
  c.u = c.mode == LK_SHIM_AD_FORWARD ? job.forward_mode () : job.reverse_mode ();
  return c;
}

// ∂e/∂α at the nodes alphas of the path w, in passes of sequences_per_pass points.
torch::Tensor
path_derivatives (const Tower &t, const TowerInput &in, const lk_shim_contrib_params &p, const double *alphas,
                  int n, const Path &w)
{
  lk_shim_run_params rp;
  Run run = run_of (p, rp);
  auto delta = w.x - w.r;
  int64_t c = std::min<int64_t> (sequences_per_pass (t, w.x.size (0), p.max_batch), n);
  std::vector<torch::Tensor> parts;
  for (int64_t k0 = 0; k0 < n; k0 += c)
    {
      int64_t m = std::min<int64_t> (c, n - k0);
      std::vector<torch::Tensor> xs;
      for (int64_t j = 0; j < m; j++)
        xs.push_back (w.r + alphas[k0 + j] * delta);
      parts.push_back (t.path_derivatives (p.layer, torch::stack (xs), delta, in, run));
      if (p.progress)
        p.progress ((double) (k0 + m) / n, p.user_data);
    }
  return torch::cat (parts);
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
lk_shim_model_num_layers_of (const lk_shim_model *model, lk_shim_tower tower)
{
  const lk::Tower *t = lk::find_tower (model, tower);
  return t ? t->num_layers () : 0;
}

int
lk_shim_model_num_layers (const lk_shim_model *model)
{
  return lk_shim_model_num_layers_of (model, LK_SHIM_TOWER_TEXT);
}

int
lk_shim_model_hidden_size (const lk_shim_model *model)
{
  const lk::Tower *t = model && !model->clip ? model->towers[LK_SHIM_TOWER_TEXT].get () : nullptr;
  return t ? t->hidden () : 0;
}

int
lk_shim_clip_num_image_tokens (const lk_shim_model *model)
{
  const lk::Tower *t = lk::find_tower (model, LK_SHIM_TOWER_IMAGE);
  return t ? (int) t->image_tokens () : 0;
}

int
lk_shim_contributions (lk_shim_model *model, const lk_shim_contrib_input *in, const lk_shim_contrib_params *params,
                       lk_shim_contrib_output *out, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || !in || !params || !out || !out->u)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_contributions: bad arguments");
    // The caller's tower as an int: a value outside the enum is an error
    // to report, not one to load as the enum (undefined behaviour).
    int which;
    std::memcpy (&which, &in->tower, sizeof which);
    lk::check_params (lk::tower_of (model, which), *params);
    std::lock_guard<std::mutex> hold (model->lock);
    lk::TrimCpuCacheOnExit trim;  // after the tensors below are freed
    const lk::Tower &tower = params->zero_biases ? lk::zero_bias_tower (model, which) : lk::tower_of (model, which);
    lk::TowerInput input = lk::input_of (tower, *in);
    lk::Contributions c = lk::contributions (tower, input, *params);
    lk::copy_out (c.u, out->u);
    lk::copy_out (c.e, out->e);
    lk::copy_out (c.e_ref, out->e_ref);
    out->mode_used = c.mode;
    lk::status_ok (status);
    return 0;
  )
}

int
lk_shim_quadrature_rule (lk_shim_quadrature rule, int n, double *nodes, double *weights, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (n < 1 || n > 10000 || !nodes || !weights)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_quadrature_rule: %d nodes: expected 1 to 10000", n);
    if (rule != LK_SHIM_QUAD_RIEMANN && rule != LK_SHIM_QUAD_GAUSS)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_quadrature_rule: unknown rule %d", (int) rule);
    lk::Quadrature q = lk::path_quadrature (rule, n);
    std::copy (q.nodes.begin (), q.nodes.end (), nodes);
    std::copy (q.weights.begin (), q.weights.end (), weights);
    lk::status_ok (status);
    return 0;
  )
}

} // extern "C"

struct lk_shim_path {
  lk_shim_model *model;
  const lk::Tower *tower;
  lk::TowerInput input;
  lk_shim_contrib_params params;
  lk::Path w;
};

extern "C" {

lk_shim_path *
lk_shim_path_new (lk_shim_model *model, const lk_shim_contrib_input *in, const lk_shim_contrib_params *params,
                  float *e, float *e_ref, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return nullptr,
    if (!model || !in || !params)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_path_new: bad arguments");
    int which;
    std::memcpy (&which, &in->tower, sizeof which);
    lk::check_params (lk::tower_of (model, which), *params);
    std::lock_guard<std::mutex> hold (model->lock);
    auto path = std::make_unique<lk_shim_path> ();
    path->model = model;
    path->tower = &lk::tower_of (model, which);
    path->input = lk::input_of (*path->tower, *in);
    path->params = *params;
    path->params.reference_ids = nullptr;  // used here only, not kept
    lk_shim_run_params rp;
    path->w = lk::path_of (*path->tower, path->input, *params, lk::run_of (*params, rp));
    lk::copy_out (path->w.e, e);
    lk::copy_out (path->w.e_ref, e_ref);
    lk::status_ok (status);
    return path.release ();
  )
}

int
lk_shim_path_derivatives (lk_shim_path *path, const double *alphas, int n_alphas, float *out, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!path || !alphas || !out || n_alphas < 1 || n_alphas > 10000)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_path_derivatives: bad arguments");
    for (int k = 0; k < n_alphas; k++)
      if (!(alphas[k] >= 0 && alphas[k] <= 1))
        lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_path_derivatives: node %g is outside [0, 1]", alphas[k]);
    std::lock_guard<std::mutex> hold (path->model->lock);
    lk::copy_out (lk::path_derivatives (*path->tower, path->input, path->params, alphas, n_alphas, path->w), out);
    lk::status_ok (status);
    return 0;
  )
}

void
lk_shim_path_free (lk_shim_path *path)
{
  if (!path)
    return;
  delete path;
  lk::trim_cpu_cache ();
}

int
lk_shim_hidden_states (lk_shim_model *model, const int32_t *ids, int n_tokens, int layer,
                       float *out, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || !ids || !out || n_tokens <= 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_hidden_states: bad arguments");
    if (model->clip)
      lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "hidden states are not available for CLIP models");
    const lk::Tower &t = *model->towers[LK_SHIM_TOWER_TEXT];
    if (layer < 0 || layer > t.num_layers ())
      lk::fail (LK_SHIM_ERROR_INVALID, "layer %d is out of range: this model has layers 0 to %d", layer, t.num_layers ());
    torch::InferenceMode guard;
    lk::TowerInput in;
    in.ids = lk::ids_tensor (ids, n_tokens, t.device ());
    lk::copy_out (t.hidden_at (layer, in)[0], out);
    lk::status_ok (status);
    return 0;
  )
}

} // extern "C"
