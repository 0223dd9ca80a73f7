// shim-modernbert.cpp — ModernBERT as transformers' ModernBertModel computes
// it with eager attention, then the sentence-transformers pooling and
// Normalize.
//
// The LRP graph (METHODS.md §5) keeps the forward values: attention
// probabilities detached (so the rotary positions and the sliding window,
// which only shape the scores, carry no relevance), LayerNorm's σ detached
// (BiLRP's rule), and the GeGLU unit act(input) ⊙ gate by the uniform rule
// with GELU's ratio detached (shim-blocks.h). ModernBERT has no biases:
// Σ_i U[d,i] = e_d holds as is.
#include "shim-modernbert.h"

#include "shim-blocks.h"

#include <cmath>
#include <limits>

namespace lk {

namespace {

class Loader : public WeightLoader {
public:
  Loader (Weights &w, torch::Device device)
    : WeightLoader (w, "embeddings.tok_embeddings.weight", device, "not a ModernBERT checkpoint?") {}

  ModernBert::Lin lin (const std::string &name, int64_t out, int64_t in, bool bias)
  {
    ModernBert::Lin l { get (name + ".weight", { out, in }), torch::Tensor () };
    if (bias)
      l.b = get (name + ".bias", { out });
    return l;
  }

  ModernBert::Ln ln (const std::string &name, int64_t h, bool bias, double eps)
  {
    ModernBert::Ln n { get (name + ".weight", { h }), torch::Tensor (), eps };
    if (bias)
      n.b = get (name + ".bias", { h });
    return n;
  }
};

void
check_params (const lk_shim_model_params &p)
{
  if (p.hidden_size <= 0 || p.num_layers <= 0 || p.num_heads <= 0 || p.intermediate_size <= 0 ||
      p.vocab_size <= 0 || p.max_position_embeddings <= 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: sizes must be positive");
  if (p.hidden_size % p.num_heads != 0 || (p.hidden_size / p.num_heads) % 2 != 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: hidden_size %d does not split into %d heads of an even width",
          p.hidden_size, p.num_heads);
  if (!(p.rope_theta > 0) || !(p.local_rope_theta > 0) || p.local_window < 0 || !p.sliding)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: ModernBERT needs both rotary bases, the window and the layer kinds");
  if (p.n_dense != 0)
    fail (LK_SHIM_ERROR_UNSUPPORTED, "Dense modules after ModernBERT are not supported");
  if (!p.weights_path)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: no weights file");
}

} // namespace

ModernBert::ModernBert (const lk_shim_model_params &p, torch::Device device)
  : hidden_ (p.hidden_size), heads_ (p.num_heads), dim_ (truncated_dim (p.hidden_size, p.truncate_dim)),
    max_pos_ (p.max_position_embeddings), window_ (p.local_window), keep_ (p.truncate_dim),
    global_theta_ (p.rope_theta), local_theta_ (p.local_rope_theta), act_ (p.hidden_act), pooling_ (p.pooling),
    normalize_ (p.normalize != 0), device_ (device)
{
  check_params (p);
  Weights w = load_weights (p.weights_path);
  Loader ld (w, device);
  int64_t h = hidden_, ff = p.intermediate_size;
  double eps = p.layer_norm_eps > 0 ? p.layer_norm_eps : 1e-5;
  bool nb = p.norm_bias != 0, ab = p.attention_bias != 0, mb = p.mlp_bias != 0;

  word_ = ld.get ("embeddings.tok_embeddings.weight", { p.vocab_size, h });
  emb_norm_ = ld.ln ("embeddings.norm", h, nb, eps);
  final_norm_ = ld.ln ("final_norm", h, nb, eps);
  for (int i = 0; i < p.num_layers; i++)
    {
      std::string l = "layers." + std::to_string (i) + ".";
      Block B;
      // Layer 0 takes the embeddings' norm as its own: no attention norm.
      if (i > 0)
        B.attn_norm = ld.ln (l + "attn_norm", h, nb, eps);
      B.mlp_norm = ld.ln (l + "mlp_norm", h, nb, eps);
      B.qkv = ld.lin (l + "attn.Wqkv", 3 * h, h, ab);
      B.o = ld.lin (l + "attn.Wo", h, h, ab);
      B.wi = ld.lin (l + "mlp.Wi", 2 * ff, h, mb);
      B.wo = ld.lin (l + "mlp.Wo", h, ff, mb);
      B.sliding = p.sliding[i] != 0;
      layers_.push_back (std::move (B));
    }
}

torch::Tensor
ModernBert::Ln::apply (const torch::Tensor &x, const Rules &r) const
{
  if (!w.defined ())
    return x;
  if (!r.lrp)
    return torch::layer_norm (x, { x.size (-1) }, w, b, eps);
  auto xc = x - x.mean (-1, true);
  auto y = xc / ((xc * xc).mean (-1, true) + eps).sqrt ().detach () * w;
  return b.defined () ? y + b : y;
}

torch::Tensor
ModernBert::embed (const torch::Tensor &ids) const
{
  if (ids.size (1) > max_pos_)
    fail (LK_SHIM_ERROR_INVALID, "%lld tokens exceed the model's %d positions", (long long) ids.size (1), max_pos_);
  if (ids.min ().item<int64_t> () < 0 || ids.max ().item<int64_t> () >= word_.size (0))
    fail (LK_SHIM_ERROR_INVALID, "a token id is outside the vocabulary of %lld", (long long) word_.size (0));
  return emb_norm_.apply (torch::embedding (word_, ids), Rules ());
}

torch::Tensor
ModernBert::run_layers (int from, int to, torch::Tensor x, const torch::Tensor &mask, const Rules &r,
                        const Run &run) const
{
  int64_t b = x.size (0), s = x.size (1), dh = hidden_ / heads_;
  float low = std::numeric_limits<float>::lowest ();
  auto f32 = torch::TensorOptions ().dtype (torch::kFloat32).device (device_);
  auto pad = ((1.0 - mask.to (torch::kFloat32)) * low).view ({ b, 1, 1, s });
  auto pos = torch::arange (s, f32);
  auto far = (pos.unsqueeze (0) - pos.unsqueeze (1)).abs () > (double) window_;
  auto local = torch::clamp_min (pad + torch::where (far, torch::full ({}, low, f32), torch::zeros ({}, f32)).view ({ 1, 1, s, s }), low);
  torch::Tensor gcos, gsin, lcos, lsin;
  rotary_tables (s, (int) dh, global_theta_, device_, gcos, gsin);
  rotary_tables (s, (int) dh, local_theta_, device_, lcos, lsin);
  for (int i = from; i < to; i++)
    {
      run.check_abort ();
      const Block &L = layers_.at (i);
      const torch::Tensor &cos = L.sliding ? lcos : gcos, &sin = L.sliding ? lsin : gsin;
      auto qkv = L.qkv (L.attn_norm.apply (x, r)).view ({ b, s, 3, heads_, dh });
      auto q = apply_rotary (qkv.select (2, 0).transpose (1, 2), cos, sin);
      auto k = apply_rotary (qkv.select (2, 1).transpose (1, 2), cos, sin);
      auto v = qkv.select (2, 2).transpose (1, 2);
      auto scores = torch::matmul (q, k.transpose (-1, -2)) / std::sqrt ((double) dh) + (L.sliding ? local : pad);
      auto probs = torch::softmax (scores, -1);
      if (r.lrp)
        probs = probs.detach ();
      x = x + L.o (torch::matmul (probs, v).transpose (1, 2).reshape ({ b, s, hidden_ }));
      auto gu = L.wi (L.mlp_norm.apply (x, r)).chunk (2, -1);
      x = x + L.wo (gated_product (gu[0], gu[1], act_, r));
    }
  return x;
}

torch::Tensor
ModernBert::head (const torch::Tensor &x, const torch::Tensor &mask, const Rules &r) const
{
  return truncate_dims (pool_tokens (final_norm_.apply (x, r), mask, pooling_), keep_);
}

torch::Tensor
ModernBert::forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const
{
  auto e = head (run_layers (0, num_layers (), embed (ids), mask, Rules (), run), mask, Rules ());
  if (normalize_)
    e = torch::nn::functional::normalize (e, torch::nn::functional::NormalizeFuncOptions ().p (2).dim (1));
  return e;
}

torch::Tensor
ModernBert::hidden_at (int layer, const TowerInput &in) const
{
  auto mask = torch::ones_like (in.ids);
  return run_layers (0, std::min (layer, num_layers ()), embed (in.ids), mask, Rules (), Run { nullptr });
}

torch::Tensor
ModernBert::from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r, const Run &run) const
{
  auto mask = torch::ones ({ xs.size (0), xs.size (1) }, torch::TensorOptions ().dtype (torch::kInt64).device (device_));
  return head (run_layers (layer, num_layers (), xs, mask, r, run), mask, r);
}

std::unique_ptr<Tower>
ModernBert::with_zero_biases () const
{
  auto z = std::make_unique<ModernBert> (*this);
  auto zero = [] (torch::Tensor &b) { if (b.defined ()) b = torch::zeros_like (b); };
  zero (z->emb_norm_.b);
  zero (z->final_norm_.b);
  for (Block &B : z->layers_)
    {
      for (Lin *l : { &B.qkv, &B.o, &B.wi, &B.wo })
        zero (l->b);
      zero (B.attn_norm.b);
      zero (B.mlp_norm.b);
    }
  return z;
}

} // namespace lk
