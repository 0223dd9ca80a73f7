// shim-encoder.cpp — BERT, MPNet and XLM-R encoders and the
// sentence-transformers pipeline (pooling, Dense, Normalize).
#include "shim-encoder.h"

#include "shim-blocks.h"

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
  if (p.pad_token_id < 0 || p.pad_token_id >= p.vocab_size)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: pad_token_id %d is outside the vocabulary (0 to %d)",
          p.pad_token_id, p.vocab_size - 1);
  // RoBERTa-style positions start at pad_token_id + 1.
  if (p.arch != LK_SHIM_ARCH_BERT && p.max_position_embeddings - p.pad_token_id - 1 < 1)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: pad_token_id %d leaves no positions of the %d "
          "(they start at pad_token_id + 1)", p.pad_token_id, p.max_position_embeddings);
  if (p.arch != LK_SHIM_ARCH_MPNET && p.type_vocab_size < 1)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: type_vocab_size %d (expected at least 1)", p.type_vocab_size);
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
    type_ = ld.get ("embeddings.token_type_embeddings.weight", { p.type_vocab_size, h });
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
  dim_ = truncated_dim ((int) in, p.truncate_dim);
  keep_ = p.truncate_dim;
}

torch::Tensor
Encoder::activation (const torch::Tensor &x, lk_shim_activation a, const Rules &r) const
{
  return activate (x, a, r);
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

// The attention block's values at the point x [1, S, H] (one sequence),
// per head, that its linearisations need.
Encoder::PointAttention
Encoder::point_attention (const Layer &L, const torch::Tensor &x, const torch::Tensor &bias) const
{
  int64_t s = x.size (1), h = heads_, dh = hidden_ / heads_;
  auto split = [&] (const torch::Tensor &v) { return v.view ({ s, h, dh }).transpose (0, 1); };  // [h, S, dh]
  auto x0 = x.select (0, 0);
  PointAttention pt;
  pt.q = split (L.q (x0));
  pt.k = split (L.k (x0));
  pt.v = split (L.v (x0));
  pt.probs = torch::softmax (torch::matmul (pt.q, pt.k.transpose (-1, -2)) / std::sqrt ((double) dh) + bias.select (0, 0), -1);
  pt.ctx = torch::matmul (pt.probs, pt.v);
  pt.a = L.o (pt.ctx.transpose (0, 1).reshape ({ 1, s, hidden_ })) + x;
  return pt;
}

// The attention block at the point x [1, S, H], linearised for dense tangents
// t [n, S, H]: a = x + attention(x) and its tangent ta.
//
// With ts = tq kᵀ + q tkᵀ (scaled by 1/√d) and the softmax tangent
// tp = P ⊙ (ts − rs), rs_i = Σ_j p_ij ts_ij, the context tangent is
//   P tv + tp v = P tv + M_i tq_i + (P ⊙ q tkᵀ) v − rs_i ctx_i,
// where M_i = Σ_j p_ij v_j k_jᵀ belongs to the point (one GEMM) and
// rs_i = tq_i·(P k)_i + q_i·(P tk)_i needs no S × S tensor. Only the
// q tkᵀ half is S × S per tangent. Those tensors are laid out
// [heads, S_i, n, S_j], so every product is one GEMM per head with the
// point's factor shared by all n tangents (no copy of P or q per tangent).
void
Encoder::attention_jvp (const Layer &L, const torch::Tensor &x, const torch::Tensor &t, const torch::Tensor &bias,
                        const Rules &r, torch::Tensor &a, torch::Tensor &ta) const
{
  int64_t s = x.size (1), n = t.size (0), h = heads_, dh = hidden_ / heads_;
  double scale = 1.0 / std::sqrt ((double) dh);
  // [n, S, H] → [h, S, n, dh], contiguous
  auto by_head = [&] (const torch::Tensor &v) { return v.view ({ n, s, h, dh }).permute ({ 2, 1, 0, 3 }).contiguous (); };

  auto pt = point_attention (L, x, bias);
  const torch::Tensor &q = pt.q, &k = pt.k, &v = pt.v, &probs = pt.probs, &ctx = pt.ctx;
  a = pt.a;

  // P tv: [h, S_i, n·dh]
  auto tv = by_head (linear_jvp (L.v, t));
  auto tctx = torch::bmm (probs, tv.view ({ h, s, n * dh }));
  if (!r.lrp)
    {
      auto tq = by_head (linear_jvp (L.q, t) * scale);                       // [h, S_i, n, dh]
      auto tk_lin = linear_jvp (L.k, t);
      auto qs = q * scale;
      // M_i tq_i, M = P (v ⊗ k): [h, S, dh(v), dh(k)]
      auto vk = (v.unsqueeze (-1) * k.unsqueeze (-2)).reshape ({ h, s, dh * dh });
      auto m = torch::bmm (probs, vk).view ({ h * s, dh, dh });
      auto mtq = torch::bmm (m, tq.view ({ h * s, n, dh }).transpose (1, 2));  // [h·S, dh, n]
      auto tctx4 = tctx.view ({ h, s, n, dh });
      tctx4.add_ (mtq.view ({ h, s, dh, n }).transpose (2, 3));
      // rs = tq·(P k) + q·(P tk)
      auto ptk = torch::bmm (probs, by_head (tk_lin).view ({ h, s, n * dh })).view ({ h, s, n, dh });
      auto pk = torch::bmm (probs, k).unsqueeze (2);                          // [h, S, 1, dh]
      auto rs = (tq * pk).sum (-1, true) + (ptk * qs.unsqueeze (2)).sum (-1, true);  // [h, S, n, 1]
      tctx4.sub_ (rs * ctx.unsqueeze (2));
      // (P ⊙ q tkᵀ) v
      auto tk = tk_lin.view ({ n, s, h, dh }).permute ({ 2, 3, 0, 1 }).contiguous ();  // [h, dh, n, S_j]
      auto qtk = torch::bmm (qs, tk.view ({ h, dh, n * s }));                          // [h, S_i, n·S_j]
      qtk.view ({ h, s, n, s }).mul_ (probs.unsqueeze (2));
      tctx.view ({ h, s * n, dh }).baddbmm_ (qtk.view ({ h, s * n, s }), v);
    }
  // [h, S, n, dh] → [n, S, H]
  auto merged = tctx.view ({ h, s, n, dh }).permute ({ 2, 1, 0, 3 }).reshape ({ n, s, hidden_ });
  ta = torch::addmm (t.reshape ({ -1, hidden_ }), merged.view ({ -1, hidden_ }), L.o.w.t ()).view_as (t);
}

// The same for the first layer's tangents, which are zero but for one row:
// tangent j is dv[j] at row rows[j]. Its Q, K and V tangents are one row
// each, and the softmax tangent has closed forms: for a row i,
//   Σ_l tp_il v_l = c_ij p_i,r (v_r − ctx_i) + p_i,r tv_j,   c_ij = q_i·tk_j/√d,
// plus, at row r itself, Σ_l w_l v_l − (Σ_l w_l) ctx_r with w_l = p_r,l tq_j·k_l/√d.
// So no S × S tensor per tangent is formed.
void
Encoder::attention_jvp_rows (const Layer &L, const torch::Tensor &x, const torch::Tensor &rows,
                             const torch::Tensor &dv, const torch::Tensor &bias, const Rules &r, torch::Tensor &a,
                             torch::Tensor &ta) const
{
  int64_t n = dv.size (0), h = heads_, dh = hidden_ / heads_;
  double scale = 1.0 / std::sqrt ((double) dh);
  auto heads_of = [&] (const torch::Tensor &v) { return v.view ({ n, h, dh }); };

  auto pt = point_attention (L, x, bias);
  const torch::Tensor &q = pt.q, &k = pt.k, &v = pt.v, &probs = pt.probs, &ctx = pt.ctx;
  a = pt.a;

  // Per head, the context tangent of row i lies in span{tv_j, v_r − ctx_i}, so
  // the output projection W_o^h is applied to those vectors once (per
  // tangent, per row), not to every row of every tangent:
  //   ta_i = Σ_h p_i,r W_o^h tv_j + Σ_h p_i,r c_ij (W_o^h v_r − W_o^h ctx_i).
  auto wo = L.o.w.view ({ hidden_, h, dh }).permute ({ 1, 2, 0 });           // [h, dh, H]
  auto idx = torch::arange (n, rows.options ());
  auto pcol = probs.index_select (2, rows).permute ({ 2, 1, 0 });             // [n, S, h]: p_i,r
  auto tv = heads_of (linear_jvp (L.v, dv)).transpose (0, 1);                // [h, n, dh]
  auto wtv = torch::bmm (tv, wo).transpose (0, 1);                           // [n, h, H]
  if (r.lrp)
    ta = torch::bmm (pcol, wtv);                                             // [n, S, H]
  else
    {
      auto tq = heads_of (linear_jvp (L.q, dv) * scale), tk = heads_of (linear_jvp (L.k, dv) * scale);
      auto c = torch::matmul (tk.unsqueeze (2), q.transpose (1, 2).unsqueeze (0)).squeeze (2);  // [n, h, S]
      auto gamma = pcol * c.transpose (1, 2);                                                   // [n, S, h]
      auto wv = torch::bmm (v, wo), wctx = torch::bmm (ctx, wo);                                 // [h, S, H]
      auto wvr = wv.index_select (1, rows).transpose (0, 1);                                     // [n, h, H]
      ta = torch::bmm (torch::cat ({ pcol, gamma }, 2), torch::cat ({ wtv, wvr }, 1));
      ta.sub_ (torch::bmm (gamma.permute ({ 1, 0, 2 }), wctx.transpose (0, 1)).transpose (0, 1));
      // Row r itself also has the tq term: Σ_l w_l v_l − (Σ_l w_l) ctx_r,
      // w_l = p_r,l tq_j·k_l/√d.
      auto g = torch::matmul (k.unsqueeze (0), tq.unsqueeze (-1)).squeeze (-1);     // [n, h, S]
      auto w = probs.index_select (1, rows).permute ({ 1, 0, 2 }) * g;             // [n, h, S]
      auto ctxr = ctx.index_select (1, rows).permute ({ 1, 0, 2 });                // [n, h, dh]
      auto at_row = torch::matmul (w.unsqueeze (2), v.unsqueeze (0)).squeeze (2) - w.sum (-1, true) * ctxr;
      ta.index_put_ ({ idx, rows }, linear_jvp (L.o, at_row.reshape ({ n, hidden_ })), true);
    }
  ta.index_put_ ({ idx, rows }, dv, true);
}

// The feed-forward block after the attention block's a, ta: x and t become
// the layer's output and its tangent.
Encoder::FfnTangent
Encoder::ffn_tangent (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta, const Rules &r) const
{
  FfnTangent ft;
  auto hh = L.attn_norm.apply (a, r);
  ft.th = norm_jvp (L.attn_norm, a, ta, r);
  auto u = L.up (hh);
  ft.tg = activation_jvp (*this, u, linear_jvp (L.up, ft.th), act_, r);
  ft.f = L.down (activation (u, act_, r)) + hh;
  return ft;
}

void
Encoder::ffn_jvp (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta, const Rules &r, torch::Tensor &x,
                  torch::Tensor &t) const
{
  auto ft = ffn_tangent (L, a, ta, r);
  const torch::Tensor &th = ft.th, &tg = ft.tg, &f = ft.f;
  auto tf = torch::addmm (th.reshape ({ -1, hidden_ }), tg.reshape ({ -1, tg.size (-1) }), L.down.w.t ()).view_as (th);
  x = L.out_norm.apply (f, r);
  t = norm_jvp (L.out_norm, f, tf, r);
}

// The last layer's feed-forward block followed by mean pooling, for mask
// weights β: only Σ_i β_i (output tangent)_i is needed, and the output
// LayerNorm's tangent is linear in the block's tangent tf_i = W tg_i + th_i:
//   w ⊙ (tf_i − mean(tf_i) − x̂_i mean(x̂_i ⊙ tf_i)) / σ_i.
// The sum over i can so be taken before the down projection W, which then
// runs on n rows instead of n·S; x̂_i·(W tg_i) is (Wᵀ x̂_i)·tg_i.
// Returns the pooled tangents [n, H]; x becomes the layer's output.
torch::Tensor
Encoder::ffn_jvp_pooled (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta, const torch::Tensor &beta,
                         const Rules &r, torch::Tensor &x) const
{
  int64_t n = ta.size (0);
  auto ft = ffn_tangent (L, a, ta, r);
  const torch::Tensor &th = ft.th, &tg = ft.tg, &f = ft.f;  // tg [n, S, F], f [1, S, H]
  x = L.out_norm.apply (f, r);

  auto c = f - f.mean (-1, true);
  auto var = (c * c).mean (-1, true);
  auto sigma = r.lrp ? var.sqrt () + L.out_norm.eps : (var + L.out_norm.eps).sqrt ();  // [1, S, 1]
  auto b = (beta.view ({ 1, -1, 1 }) / sigma).view ({ 1, 1, -1 });                   // [1, 1, S]
  auto bn = b.expand ({ n, 1, b.size (2) });
  auto sum_tf = linear_jvp (L.down, torch::bmm (bn, tg).squeeze (1)) + torch::bmm (bn, th).squeeze (1);  // Σ β_i/σ_i tf_i
  auto out = sum_tf - sum_tf.mean (-1, true);
  if (!r.lrp)
    {
      auto xh = (c / (var + L.out_norm.eps).sqrt ()).select (0, 0);  // [S, H]
      auto wx = torch::matmul (xh, L.down.w);                         // [S, F]: Wᵀ x̂_i
      auto nu = ((tg * wx).sum (-1) + (th * xh).sum (-1)) / (double) hidden_;  // [n, S]
      out = out - torch::matmul (nu * b.view ({ 1, -1 }), xh);
    }
  return out * L.out_norm.w;
}

torch::Tensor
Encoder::jvp_from_layer (int layer, const torch::Tensor &x0, const torch::Tensor &rows, const torch::Tensor &dv,
                         const torch::Tensor &bias, const torch::Tensor &mask, const Rules &r, const Run &run) const
{
  torch::NoGradGuard no_grad;
  torch::Tensor x = x0, t, te, e;
  int64_t n = dv.size (0), s = x0.size (1);
  bool pooled = false;
  auto beta = mask.to (x.dtype ()).select (0, 0);
  if (pooling_ == LK_SHIM_POOL_MEAN)
    pooled = true, beta = beta / torch::clamp_min (beta.sum (), 1e-9);
  else if (pooling_ == LK_SHIM_POOL_MEAN_SQRT_LEN)
    pooled = true, beta = beta / torch::clamp_min (beta.sum (), 1e-9).sqrt ();
  if (layer >= num_layers ())
    {
      t = torch::zeros ({ n, s, hidden_ }, x.options ());
      t.index_put_ ({ torch::arange (n, rows.options ()), rows }, dv);
    }
  for (int i = layer; i < num_layers (); i++)
    {
      run.check_abort ();
      const Layer &L = layers_.at (i);
      torch::Tensor a, ta;
      if (i == layer)
        attention_jvp_rows (L, x, rows, dv, bias, r, a, ta);
      else
        attention_jvp (L, x, t, bias, r, a, ta);
      t = torch::Tensor ();
      if (pooled && i == num_layers () - 1)
        te = ffn_jvp_pooled (L, a, ta, beta, r, x);
      else
        ffn_jvp (L, a, ta, r, x, t);
    }
  // Pooling: linear for every mode but max, whose tangent is the one at the
  // primal's argmax.
  e = pool (x, mask);
  if (te.defined ())
    ;
  else if (pooling_ == LK_SHIM_POOL_MAX)
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
  return truncate_dims (te, keep_);
}

torch::Tensor
Encoder::pool (const torch::Tensor &x, const torch::Tensor &mask) const
{
  return pool_tokens (x, mask, pooling_);
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
  return truncate_dims (head (pool (h, mask), r), keep_);
}

namespace {

torch::Tensor
all_ones (int64_t b, int64_t s, torch::Device device)
{
  return torch::ones ({ b, s }, torch::TensorOptions ().dtype (torch::kInt64).device (device));
}

} // namespace

torch::Tensor
Encoder::hidden_at (int layer, const TowerInput &in) const
{
  return hidden_at (layer, in.ids, torch::ones_like (in.ids));
}

torch::Tensor
Encoder::from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r, const Run &run) const
{
  auto mask = all_ones (xs.size (0), xs.size (1), device_);
  return from_layer (layer, xs, attention_bias (mask), mask, r, run);
}

torch::Tensor
Encoder::jvp_from_layer (int layer, const torch::Tensor &x, const torch::Tensor &rows, const torch::Tensor &dv,
                         const TowerInput &in, const Rules &r, const Run &run) const
{
  auto mask = all_ones (1, x.size (1), device_);
  return jvp_from_layer (layer, x, rows, dv, attention_bias (mask), mask, r, run);
}

namespace {

void
zero (torch::Tensor &b)
{
  if (b.defined ())
    b = torch::zeros_like (b);
}

} // namespace

std::unique_ptr<Tower>
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
  auto e = truncate_dims (head (pool (x, mask)), keep_);
  if (normalize_)
    e = torch::nn::functional::normalize (e, torch::nn::functional::NormalizeFuncOptions ().p (2).dim (1));
  return e;
}

} // namespace lk
