// shim-encoder.cpp — BERT, MPNet and XLM-R encoders and the
// sentence-transformers pipeline (pooling, Dense, Normalize).
#include "shim-encoder.h"

#include <cmath>
#include <limits>

namespace lk {

namespace {

// The encoders' tensors (WeightLoader: any prefix, shapes checked).
class Loader : public WeightLoader {
public:
  Loader (Weights &w, const char *anchor, torch::Device device)
    : WeightLoader (w, anchor, device, "not a checkpoint of this architecture?") {}

  Linear linear (const std::string &name, int64_t out, int64_t in)
  {
    return { get (name + ".weight", { out, in }), get (name + ".bias", { out }) };
  }

  Norm norm (const std::string &name, int64_t h, double eps)
  {
    return { get (name + ".weight", { h }), get (name + ".bias", { h }), eps };
  }

};

void
check_params (const lk_shim_model_params &p)
{
  if (p.hidden_size <= 0 || p.num_layers <= 0 || p.num_heads <= 0 || p.intermediate_size <= 0 ||
      p.vocab_size <= 0 || p.max_position_embeddings <= 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: sizes must be positive");
  if (p.hidden_size % p.num_heads != 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: hidden_size %d is not a multiple of num_heads %d",
          p.hidden_size, p.num_heads);
  if (p.n_dense < 0 || p.n_dense > LK_SHIM_MAX_DENSE)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: %d Dense modules (at most %d)", p.n_dense, LK_SHIM_MAX_DENSE);
  if (!p.weights_path)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: no weights file");
  if (p.arch == LK_SHIM_ARCH_MPNET && p.relative_attention_num_buckets <= 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: MPNet needs relative_attention_num_buckets");
}

// MPNet's bidirectional relative-position buckets (T5 style, max distance 128).
torch::Tensor
relative_buckets (int64_t s, int64_t num_buckets, torch::Device device)
{
  auto pos = torch::arange (s, torch::TensorOptions ().dtype (torch::kInt64).device (device));
  auto rel = pos.unsqueeze (0) - pos.unsqueeze (1);  // memory − context
  auto n = -rel;
  int64_t half = num_buckets / 2;
  auto ret = (n < 0).to (torch::kInt64) * half;
  n = n.abs ();
  int64_t max_exact = half / 2;
  auto is_small = n < max_exact;
  auto large = max_exact + (torch::log (n.to (torch::kFloat32) / (double) max_exact) /
                            std::log (128.0 / max_exact) * (double) (half - max_exact)).to (torch::kInt64);
  large = torch::clamp_max (large, half - 1);
  return ret + torch::where (is_small, n, large);
}

} // namespace

torch::Tensor
Norm::apply (const torch::Tensor &x, const Rules &r) const
{
  if (!r.lrp)
    return torch::layer_norm (x, { x.size (-1) }, w, b, eps);
  auto mu = x.mean (-1, true);
  auto xc = x - mu;
  auto sigma = (xc * xc).mean (-1, true).sqrt ().detach ();
  return xc / (sigma + eps) * w + b;
}

Encoder::Encoder (const lk_shim_model_params &p, torch::Device device)
  : arch_ (p.arch), hidden_ (p.hidden_size), heads_ (p.num_heads), dim_ (p.hidden_size),
    max_pos_ (p.max_position_embeddings), pad_id_ (p.pad_token_id),
    buckets_ (p.relative_attention_num_buckets), act_ (p.hidden_act), pooling_ (p.pooling),
    normalize_ (p.normalize != 0), device_ (device)
{
  check_params (p);
  Weights w = load_weights (p.weights_path);
  Loader ld (w, "embeddings.word_embeddings.weight", device);
  int64_t h = hidden_, ff = p.intermediate_size;
  double eps = p.layer_norm_eps > 0 ? p.layer_norm_eps : 1e-12;

  word_ = ld.get ("embeddings.word_embeddings.weight", { p.vocab_size, h });
  pos_ = ld.get ("embeddings.position_embeddings.weight", { p.max_position_embeddings, h });
  if (arch_ != LK_SHIM_ARCH_MPNET)
    type_ = ld.get ("embeddings.token_type_embeddings.weight", { std::max (p.type_vocab_size, 1), h });
  else
    rel_bias_ = ld.get ("encoder.relative_attention_bias.weight", { buckets_, heads_ });
  emb_norm_ = ld.norm ("embeddings.LayerNorm", h, eps);

  for (int i = 0; i < p.num_layers; i++)
    {
      std::string l = "encoder.layer." + std::to_string (i) + ".";
      Layer L;
      if (arch_ == LK_SHIM_ARCH_MPNET)
        {
          L.q = ld.linear (l + "attention.attn.q", h, h);
          L.k = ld.linear (l + "attention.attn.k", h, h);
          L.v = ld.linear (l + "attention.attn.v", h, h);
          L.o = ld.linear (l + "attention.attn.o", h, h);
          L.attn_norm = ld.norm (l + "attention.LayerNorm", h, eps);
        }
      else
        {
          L.q = ld.linear (l + "attention.self.query", h, h);
          L.k = ld.linear (l + "attention.self.key", h, h);
          L.v = ld.linear (l + "attention.self.value", h, h);
          L.o = ld.linear (l + "attention.output.dense", h, h);
          L.attn_norm = ld.norm (l + "attention.output.LayerNorm", h, eps);
        }
      L.up = ld.linear (l + "intermediate.dense", ff, h);
      L.down = ld.linear (l + "output.dense", h, ff);
      L.out_norm = ld.norm (l + "output.LayerNorm", h, eps);
      layers_.push_back (std::move (L));
    }

  int64_t in = h;
  for (int i = 0; i < p.n_dense; i++)
    {
      const lk_shim_dense &d = p.dense[i];
      if (!d.weights_path || d.in_features != in || d.out_features <= 0)
        fail (LK_SHIM_ERROR_INVALID, "Dense module %d: expected in_features %lld and a weights file", i, (long long) in);
      Weights dw = load_weights (d.weights_path);
      Loader dl (dw, "linear.weight", device);
      DenseHead head { { dl.get ("linear.weight", { d.out_features, in }), torch::Tensor () }, d.activation };
      if (d.bias)
        head.lin.b = dl.get ("linear.bias", { d.out_features });
      dense_.push_back (head);
      in = d.out_features;
    }
  dim_ = (int) in;
}

torch::Tensor
Encoder::activation (const torch::Tensor &x, lk_shim_activation a, const Rules &r) const
{
  torch::Tensor y;
  switch (a)
    {
    case LK_SHIM_ACT_GELU: y = torch::gelu (x); break;
    case LK_SHIM_ACT_GELU_TANH: y = torch::gelu (x, "tanh"); break;
    case LK_SHIM_ACT_QUICK_GELU: y = x * torch::sigmoid (1.702 * x); break;
    case LK_SHIM_ACT_RELU: y = torch::relu (x); break;
    case LK_SHIM_ACT_TANH: y = torch::tanh (x); break;
    case LK_SHIM_ACT_IDENTITY: return x;
    default: fail (LK_SHIM_ERROR_UNSUPPORTED, "activation %d", (int) a);
    }
  if (!r.lrp)
    return y;
  return x * (y / (x + 1e-9)).detach ();
}

torch::Tensor
Encoder::embed_tokens (const torch::Tensor &ids, const torch::Tensor &mask) const
{
  int64_t s = ids.size (1);
  torch::Tensor pos;
  if (arch_ == LK_SHIM_ARCH_BERT)
    pos = torch::arange (s, ids.options ()).unsqueeze (0).expand_as (ids);
  else
    {
      // RoBERTa-type, as transformers' create_position_ids_from_input_ids:
      // positions count the non-<pad> tokens from pad + 1 and every <pad>
      // keeps position pad, inside the text too (an IJ reference
      // <s> <pad>… </s> is run so, with an all-ones mask).
      auto real = ids.ne (pad_id_).to (mask.scalar_type ()) * mask;
      pos = torch::cumsum (real, 1) * real + pad_id_;
    }
  int64_t max_id = pos.max ().item<int64_t> ();
  if (max_id >= max_pos_)
    fail (LK_SHIM_ERROR_INVALID, "%lld tokens exceed the model's %d positions", (long long) s,
          arch_ == LK_SHIM_ARCH_BERT ? max_pos_ : max_pos_ - pad_id_ - 1);
  if (ids.min ().item<int64_t> () < 0 || ids.max ().item<int64_t> () >= word_.size (0))
    fail (LK_SHIM_ERROR_INVALID, "a token id is outside the vocabulary of %lld", (long long) word_.size (0));
  auto x = torch::embedding (word_, ids) + torch::embedding (pos_, pos);
  if (type_.defined ())
    x = x + type_[0];
  return emb_norm_.apply (x, Rules ());
}

torch::Tensor
Encoder::attention_bias (const torch::Tensor &mask) const
{
  // Padded keys get the most negative float, as transformers does.
  auto bias = (1.0 - mask.to (torch::kFloat32)) * std::numeric_limits<float>::lowest ();
  bias = bias.unsqueeze (1).unsqueeze (2);  // [B, 1, 1, S]
  if (arch_ != LK_SHIM_ARCH_MPNET)
    return bias;
  auto buckets = relative_buckets (mask.size (1), buckets_, device_);
  auto rel = torch::embedding (rel_bias_, buckets).permute ({ 2, 0, 1 }).unsqueeze (0);  // [1, heads, S, S]
  return rel + bias;
}

torch::Tensor
Encoder::layer (int i, const torch::Tensor &x, const torch::Tensor &bias, const Rules &r) const
{
  const Layer &L = layers_.at (i);
  int64_t b = x.size (0), s = x.size (1), dh = hidden_ / heads_;
  auto split = [&] (const torch::Tensor &t) { return t.view ({ b, s, heads_, dh }).transpose (1, 2); };
  auto q = split (L.q (x)), k = split (L.k (x)), v = split (L.v (x));
  auto scores = torch::matmul (q, k.transpose (-1, -2)) / std::sqrt ((double) dh) + bias;
  auto probs = torch::softmax (scores, -1);
  if (r.lrp)
    probs = probs.detach ();
  auto ctx = torch::matmul (probs, v).transpose (1, 2).reshape ({ b, s, hidden_ });
  auto h = L.attn_norm.apply (L.o (ctx) + x, r);
  auto ff = L.down (activation (L.up (h), act_, r));
  return L.out_norm.apply (ff + h, r);
}

namespace {

// The tangent of an elementwise activation at u for tangent tu. Under the
// LRP rules the activation is u times its detached ratio, so the tangent is
// tu times that ratio; otherwise the derivative, by autograd on u alone
// (exact for every activation the encoder knows).
torch::Tensor
activation_jvp (const Encoder &enc, const torch::Tensor &u, const torch::Tensor &tu, lk_shim_activation a,
                const Rules &r)
{
  if (a == LK_SHIM_ACT_IDENTITY)
    return tu;
  if (r.lrp)
    return tu * (enc.activation (u, a, Rules ()) / (u + 1e-9));
  torch::AutoGradMode on (true);
  auto v = u.detach ().requires_grad_ (true);
  auto y = enc.activation (v, a, Rules ());
  return tu * torch::autograd::grad ({ y.sum () }, { v })[0].detach ();
}

// LayerNorm's JVP at a (the input) for tangent ta.
torch::Tensor
norm_jvp (const Norm &n, const torch::Tensor &a, const torch::Tensor &ta, const Rules &r)
{
  auto mu = a.mean (-1, true);
  auto c = a - mu;
  auto tc = ta - ta.mean (-1, true);
  if (r.lrp)
    {
      // σ detached: y = c / (σ + eps) · w + b
      auto sigma = (c * c).mean (-1, true).sqrt ();
      return tc / (sigma + n.eps) * n.w;
    }
  auto sigma = ((c * c).mean (-1, true) + n.eps).sqrt ();
  auto xh = c / sigma;
  return (tc - xh * (xh * ta).mean (-1, true)) / sigma * n.w;
}

torch::Tensor
linear_jvp (const Linear &l, const torch::Tensor &t)
{
  return torch::matmul (t, l.w.t ());
}

} // namespace

void
Encoder::layer_jvp (int i, torch::Tensor &x, torch::Tensor &t, const torch::Tensor &bias, const Rules &r) const
{
  const Layer &L = layers_.at (i);
  int64_t s = x.size (1), n = t.size (0), dh = hidden_ / heads_;
  auto split = [&] (const torch::Tensor &v, int64_t b) { return v.view ({ b, s, heads_, dh }).transpose (1, 2); };
  auto merge = [&] (const torch::Tensor &v, int64_t b) { return v.transpose (1, 2).reshape ({ b, s, hidden_ }); };
  double scale = 1.0 / std::sqrt ((double) dh);

  auto q = split (L.q (x), 1), k = split (L.k (x), 1), v = split (L.v (x), 1);
  auto probs = torch::softmax (torch::matmul (q, k.transpose (-1, -2)) * scale + bias, -1);  // [1, heads, S, S]
  auto tv = split (linear_jvp (L.v, t), n);
  auto tctx = torch::matmul (probs, tv);                                                    // [n, heads, S, dh]
  if (!r.lrp)
    {
      auto tq = split (linear_jvp (L.q, t), n), tk = split (linear_jvp (L.k, t), n);
      auto ts = (torch::matmul (tq, k.transpose (-1, -2)) + torch::matmul (q, tk.transpose (-1, -2))) * scale;
      auto tp = probs * (ts - (probs * ts).sum (-1, true));
      tctx = tctx + torch::matmul (tp, v);
    }
  auto a = L.o (merge (torch::matmul (probs, v), 1)) + x;
  auto ta = linear_jvp (L.o, merge (tctx, n)) + t;
  auto h = L.attn_norm.apply (a, r);
  auto th = norm_jvp (L.attn_norm, a, ta, r);

  auto u = L.up (h);
  auto tu = linear_jvp (L.up, th);
  auto g = activation (u, act_, r);
  auto tg = activation_jvp (*this, u, tu, act_, r);
  auto f = L.down (g) + h;
  auto tf = linear_jvp (L.down, tg) + th;
  x = L.out_norm.apply (f, r);
  t = norm_jvp (L.out_norm, f, tf, r);
}

torch::Tensor
Encoder::jvp_from_layer (int layer, const torch::Tensor &x0, const torch::Tensor &t0, const torch::Tensor &bias,
                         const torch::Tensor &mask, const Rules &r, const Run &run) const
{
  torch::NoGradGuard no_grad;
  torch::Tensor x = x0, t = t0;
  int64_t n = t.size (0);
  for (int i = layer; i < num_layers (); i++)
    {
      run.check_abort ();
      layer_jvp (i, x, t, bias, r);
    }
  // Pooling: linear for every mode but max, whose tangent is the one at the
  // primal's argmax.
  torch::Tensor e = pool (x, mask), te;
  if (pooling_ == LK_SHIM_POOL_MAX)
    {
      auto m = mask.to (x.dtype ()).unsqueeze (-1);
      auto idx = x.masked_fill (m == 0, -1e9).argmax (1);                  // [1, H]
      te = t.gather (1, idx.unsqueeze (1).expand ({ n, 1, idx.size (1) })).squeeze (1);
    }
  else
    te = pool (t, mask.expand ({ n, mask.size (1) }));
  for (const DenseHead &d : dense_)
    {
      auto z = d.lin (e);
      te = activation_jvp (*this, z, linear_jvp (d.lin, te), d.act, r);
      e = activation (z, d.act, r);
    }
  return te;
}

torch::Tensor
Encoder::pool (const torch::Tensor &x, const torch::Tensor &mask) const
{
  auto m = mask.to (x.dtype ()).unsqueeze (-1);
  switch (pooling_)
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
    case LK_SHIM_POOL_MEAN:
    default:
      return (x * m).sum (1) / torch::clamp_min (m.sum (1), 1e-9);
    }
}

torch::Tensor
Encoder::head (const torch::Tensor &pooled, const Rules &r) const
{
  torch::Tensor e = pooled;
  for (const DenseHead &d : dense_)
    e = activation (d.lin (e), d.act, r);
  return e;
}

torch::Tensor
Encoder::hidden_at (int layer, const torch::Tensor &ids, const torch::Tensor &mask) const
{
  auto x = embed_tokens (ids, mask);
  auto bias = attention_bias (mask);
  for (int i = 0; i < layer; i++)
    x = this->layer (i, x, bias, Rules ());
  return x;
}

torch::Tensor
Encoder::from_layer (int layer, const torch::Tensor &x, const torch::Tensor &bias,
                     const torch::Tensor &mask, const Rules &r, const Run &run) const
{
  torch::Tensor h = x;
  for (int i = layer; i < num_layers (); i++)
    {
      run.check_abort ();
      h = this->layer (i, h, bias, r);
    }
  return head (pool (h, mask), r);
}

namespace {

void
zero (torch::Tensor &b)
{
  if (b.defined ())
    b = torch::zeros_like (b);
}

} // namespace

std::unique_ptr<Encoder>
Encoder::with_zero_biases () const
{
  auto z = std::make_unique<Encoder> (*this);
  zero (z->emb_norm_.b);
  for (Layer &L : z->layers_)
    {
      for (Linear *lin : { &L.q, &L.k, &L.v, &L.o, &L.up, &L.down })
        zero (lin->b);
      zero (L.attn_norm.b);
      zero (L.out_norm.b);
    }
  for (DenseHead &d : z->dense_)
    zero (d.lin.b);
  return z;
}

torch::Tensor
Encoder::forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const
{
  auto x = embed_tokens (ids, mask);
  auto bias = attention_bias (mask);
  for (int i = 0; i < num_layers (); i++)
    {
      run.check_abort ();
      x = layer (i, x, bias, Rules ());
    }
  auto e = head (pool (x, mask));
  if (normalize_)
    e = torch::nn::functional::normalize (e, torch::nn::functional::NormalizeFuncOptions ().p (2).dim (1));
  return e;
}

} // namespace lk
