// shim-decoder.cpp — the Qwen2/Qwen3 decoder as an embedder (as
// transformers' Qwen3Model, eager attention, then the sentence-transformers
// pooling and Normalize).
//
// The LRP graph (METHODS.md §5, AttnLRP's rules) keeps the forward values
// and changes what is differentiated:
//  - RMSNorm: the root mean square is detached (as LayerNorm's σ);
//  - attention: the probabilities are detached, so RoPE and the q/k norms,
//    which only shape the scores, carry no relevance; grouped-query heads
//    change nothing;
//  - SwiGLU down(silu(g) ⊙ u): SiLU is g times its detached ratio σ(g) (the
//    GELU rule), and the product splits its relevance half and half between
//    its two factors (the uniform rule), so the block stays linear in the
//    layer's input: with no biases, Σ_i U[d,i] = e_d holds as is.
#include "shim-decoder.h"

#include "shim-blocks.h"

#include <cmath>
#include <limits>

namespace lk {

namespace {

class Loader : public WeightLoader {
public:
  Loader (Weights &w, torch::Device device)
    : WeightLoader (w, "embed_tokens.weight", device, "not a Qwen2/Qwen3 checkpoint?") {}

  Decoder::Proj proj (const std::string &name, int64_t out, int64_t in, bool bias)
  {
    Decoder::Proj p { get (name + ".weight", { out, in }), torch::Tensor () };
    if (bias)
      p.b = get (name + ".bias", { out });
    return p;
  }
};

void
check_params (const lk_shim_model_params &p)
{
  if (p.hidden_size <= 0 || p.num_layers <= 0 || p.num_heads <= 0 || p.intermediate_size <= 0 ||
      p.vocab_size <= 0 || p.max_position_embeddings <= 0 || p.num_kv_heads <= 0 || p.head_dim <= 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: sizes must be positive");
  if (p.num_heads % p.num_kv_heads != 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: num_attention_heads %d is not a multiple of "
          "num_key_value_heads %d", p.num_heads, p.num_kv_heads);
  if (p.head_dim % 2 != 0)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: head_dim %d is odd (rotary positions rotate pairs)", p.head_dim);
  if (!(p.rope_theta > 0))
    fail (LK_SHIM_ERROR_INVALID, "model parameters: rope_theta must be positive");
  if (p.n_dense != 0)
    fail (LK_SHIM_ERROR_UNSUPPORTED, "Dense modules after a decoder are not supported");
  if (!p.weights_path)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: no weights file");
}

} // namespace

Decoder::Decoder (const lk_shim_model_params &p, torch::Device device)
  : hidden_ (p.hidden_size), heads_ (p.num_heads), kv_heads_ (p.num_kv_heads), head_dim_ (p.head_dim),
    dim_ (truncated_dim (p.hidden_size, p.truncate_dim)), max_pos_ (p.max_position_embeddings), keep_ (p.truncate_dim),
    eps_ (p.layer_norm_eps > 0 ? p.layer_norm_eps : 1e-6), theta_ (p.rope_theta), pooling_ (p.pooling),
    normalize_ (p.normalize != 0), device_ (device)
{
  check_params (p);
  Weights w = load_weights (p.weights_path);
  Loader ld (w, device);
  int64_t h = hidden_, ff = p.intermediate_size, qd = (int64_t) heads_ * head_dim_, kd = (int64_t) kv_heads_ * head_dim_;
  bool qkv_bias = p.attention_bias != 0;

  word_ = ld.get ("embed_tokens.weight", { p.vocab_size, h });
  final_norm_ = ld.get ("norm.weight", { h });
  for (int i = 0; i < p.num_layers; i++)
    {
      std::string l = "layers." + std::to_string (i) + ".";
      Block L;
      L.in_norm = ld.get (l + "input_layernorm.weight", { h });
      L.post_norm = ld.get (l + "post_attention_layernorm.weight", { h });
      L.q = ld.proj (l + "self_attn.q_proj", qd, h, qkv_bias);
      L.k = ld.proj (l + "self_attn.k_proj", kd, h, qkv_bias);
      L.v = ld.proj (l + "self_attn.v_proj", kd, h, qkv_bias);
      L.o = ld.proj (l + "self_attn.o_proj", h, qd, false);
      if (p.qk_norm)
        {
          L.q_norm = ld.get (l + "self_attn.q_norm.weight", { head_dim_ });
          L.k_norm = ld.get (l + "self_attn.k_norm.weight", { head_dim_ });
        }
      L.gate = ld.proj (l + "mlp.gate_proj", ff, h, false);
      L.up = ld.proj (l + "mlp.up_proj", ff, h, false);
      L.down = ld.proj (l + "mlp.down_proj", h, ff, false);
      layers_.push_back (std::move (L));
    }
}

torch::Tensor
Decoder::embed (const torch::Tensor &ids) const
{
  if (ids.size (1) > max_pos_)
    fail (LK_SHIM_ERROR_INVALID, "%lld tokens exceed the model's %d positions", (long long) ids.size (1), max_pos_);
  if (ids.min ().item<int64_t> () < 0 || ids.max ().item<int64_t> () >= word_.size (0))
    fail (LK_SHIM_ERROR_INVALID, "a token id is outside the vocabulary of %lld", (long long) word_.size (0));
  return torch::embedding (word_, ids);
}

torch::Tensor
Decoder::rms (const torch::Tensor &x, const torch::Tensor &w, const Rules &r) const
{
  auto inv = torch::rsqrt ((x * x).mean (-1, true) + eps_);
  if (r.lrp)
    inv = inv.detach ();
  return x * inv * w;
}

// Causal, and padded keys (on the right) masked too, with the most
// negative float as transformers does: [B, 1, S, S].
torch::Tensor
Decoder::bias (const torch::Tensor &mask) const
{
  int64_t s = mask.size (1);
  float low = std::numeric_limits<float>::lowest ();
  auto opts = torch::TensorOptions ().dtype (torch::kFloat32).device (device_);
  auto causal = torch::triu (torch::full ({ s, s }, low, opts), 1);
  auto pad = (1.0 - mask.to (torch::kFloat32)) * low;
  return torch::clamp_min (causal.view ({ 1, 1, s, s }) + pad.view ({ mask.size (0), 1, 1, s }), low);
}

void
Decoder::rotary (int64_t s, torch::Tensor &cos, torch::Tensor &sin) const
{
  rotary_tables (s, head_dim_, theta_, device_, cos, sin);
}

torch::Tensor
Decoder::layer (const Block &L, const torch::Tensor &x, const torch::Tensor &bias, const torch::Tensor &cos,
                const torch::Tensor &sin, const Rules &r) const
{
  int64_t b = x.size (0), s = x.size (1), group = heads_ / kv_heads_;
  auto h = rms (x, L.in_norm, r);
  auto heads_of = [&] (const torch::Tensor &t, int n) { return t.view ({ b, s, n, head_dim_ }); };
  auto q = heads_of (L.q (h), heads_), k = heads_of (L.k (h), kv_heads_);
  auto v = heads_of (L.v (h), kv_heads_).transpose (1, 2);
  if (L.q_norm.defined ())
    {
      q = rms (q, L.q_norm, Rules ());
      k = rms (k, L.k_norm, Rules ());
    }
  q = apply_rotary (q.transpose (1, 2), cos, sin);
  k = apply_rotary (k.transpose (1, 2), cos, sin);
  if (group > 1)
    {
      k = k.repeat_interleave (group, 1);
      v = v.repeat_interleave (group, 1);
    }
  auto scores = torch::matmul (q, k.transpose (-1, -2)) / std::sqrt ((double) head_dim_) + bias;
  auto probs = torch::softmax (scores, -1);
  if (r.lrp)
    probs = probs.detach ();
  auto ctx = torch::matmul (probs, v).transpose (1, 2).reshape ({ b, s, heads_ * head_dim_ });
  auto a = x + L.o (ctx);

  auto h2 = rms (a, L.post_norm, r);
  return a + L.down (gated_product (L.gate (h2), L.up (h2), LK_SHIM_ACT_SILU, r));
}

torch::Tensor
Decoder::run_layers (int from, torch::Tensor x, const torch::Tensor &mask, const Rules &r, const Run &run) const
{
  torch::Tensor cos, sin;
  rotary (x.size (1), cos, sin);
  auto b = bias (mask);
  for (int i = from; i < num_layers (); i++)
    {
      run.check_abort ();
      x = layer (layers_.at (i), x, b, cos, sin, r);
    }
  return x;
}

torch::Tensor
Decoder::pool (const torch::Tensor &x, const torch::Tensor &mask) const
{
  return pool_tokens (x, mask, pooling_);
}

torch::Tensor
Decoder::forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const
{
  auto x = run_layers (0, embed (ids), mask, Rules (), run);
  auto e = truncate_dims (pool (rms (x, final_norm_, Rules ()), mask), keep_);
  if (normalize_)
    e = torch::nn::functional::normalize (e, torch::nn::functional::NormalizeFuncOptions ().p (2).dim (1));
  return e;
}

torch::Tensor
Decoder::hidden_at (int layer, const TowerInput &in) const
{
  auto mask = torch::ones_like (in.ids);
  torch::Tensor cos, sin;
  rotary (in.ids.size (1), cos, sin);
  auto b = bias (mask);
  auto x = embed (in.ids);
  for (int i = 0; i < layer && i < num_layers (); i++)
    x = this->layer (layers_.at (i), x, b, cos, sin, Rules ());
  return x;
}

torch::Tensor
Decoder::from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r, const Run &run) const
{
  auto mask = torch::ones ({ xs.size (0), xs.size (1) }, torch::TensorOptions ().dtype (torch::kInt64).device (device_));
  auto x = run_layers (layer, xs, mask, r, run);
  return truncate_dims (pool (rms (x, final_norm_, r), mask), keep_);
}

std::unique_ptr<Tower>
Decoder::with_zero_biases () const
{
  auto z = std::make_unique<Decoder> (*this);
  for (Block &L : z->layers_)
    for (Proj *p : { &L.q, &L.k, &L.v })
      if (p->b.defined ())
        p->b = torch::zeros_like (p->b);
  return z;
}

} // namespace lk
