// shim-clip.cpp — CLIP (Hugging Face CLIPModel): the text tower (causal
// mask, pre-LayerNorm layers, final LayerNorm, pooling at the end-of-text
// token, text projection) and the vision tower (patch embedding, class
// token, positions, pre-LayerNorm, the same layers, post-LayerNorm of the
// class token, visual projection).
#include "shim-clip.h"

#include <cmath>
#include <limits>

namespace lk {

namespace {

class ClipLoader : public WeightLoader {
public:
  ClipLoader (Weights &w, torch::Device device)
    : WeightLoader (w, "text_model.embeddings.token_embedding.weight", device, "not a CLIPModel checkpoint?") {}

  Clip::Lin lin (const std::string &name, int64_t out, int64_t in)
  {
    return { get (name + ".weight", { out, in }), get (name + ".bias", { out }) };
  }

  Clip::Ln ln (const std::string &name, int64_t h, double eps)
  {
    return { get (name + ".weight", { h }), get (name + ".bias", { h }), eps };
  }

  void tower (Clip::Transformer &t, const std::string &prefix, int layers, int64_t h, int64_t ff, double eps)
  {
    for (int i = 0; i < layers; i++)
      {
        std::string l = prefix + "encoder.layers." + std::to_string (i) + ".";
        Clip::Block B;
        B.ln1 = ln (l + "layer_norm1", h, eps);
        B.ln2 = ln (l + "layer_norm2", h, eps);
        B.q = lin (l + "self_attn.q_proj", h, h);
        B.k = lin (l + "self_attn.k_proj", h, h);
        B.v = lin (l + "self_attn.v_proj", h, h);
        B.o = lin (l + "self_attn.out_proj", h, h);
        B.fc1 = lin (l + "mlp.fc1", ff, h);
        B.fc2 = lin (l + "mlp.fc2", h, ff);
        t.layers.push_back (std::move (B));
      }
  }

};

void
check_clip_params (const lk_shim_model_params &p)
{
  if (p.hidden_size <= 0 || p.num_layers <= 0 || p.num_heads <= 0 || p.intermediate_size <= 0 ||
      p.vocab_size <= 0 || p.max_position_embeddings <= 0 || p.projection_dim <= 0)
    fail (LK_SHIM_ERROR_INVALID, "CLIP text parameters: sizes must be positive");
  if (p.hidden_size % p.num_heads != 0)
    fail (LK_SHIM_ERROR_INVALID, "CLIP text parameters: hidden_size %d is not a multiple of num_heads %d",
          p.hidden_size, p.num_heads);
  if (p.vision_hidden_size <= 0 || p.vision_num_layers <= 0 || p.vision_num_heads <= 0 ||
      p.vision_intermediate_size <= 0 || p.image_size <= 0 || p.patch_size <= 0)
    fail (LK_SHIM_ERROR_INVALID, "CLIP vision parameters: sizes must be positive");
  if (p.vision_hidden_size % p.vision_num_heads != 0)
    fail (LK_SHIM_ERROR_INVALID, "CLIP vision parameters: hidden_size %d is not a multiple of num_heads %d",
          p.vision_hidden_size, p.vision_num_heads);
  if (p.image_size % p.patch_size != 0)
    fail (LK_SHIM_ERROR_INVALID, "CLIP vision parameters: image_size %d is not a multiple of patch_size %d",
          p.image_size, p.patch_size);
  if (!p.weights_path)
    fail (LK_SHIM_ERROR_INVALID, "model parameters: no weights file");
}

torch::Tensor
act_apply (const torch::Tensor &x, lk_shim_activation a, bool lrp = false);

torch::Tensor
act_apply (const torch::Tensor &x, lk_shim_activation a, bool lrp)
{
  if (lrp && a != LK_SHIM_ACT_IDENTITY)
    return x * (act_apply (x, a) / (x + 1e-9)).detach ();
  switch (a)
    {
    case LK_SHIM_ACT_GELU: return torch::gelu (x);
    case LK_SHIM_ACT_GELU_TANH: return torch::gelu (x, "tanh");
    case LK_SHIM_ACT_QUICK_GELU: return x * torch::sigmoid (1.702 * x);
    case LK_SHIM_ACT_RELU: return torch::relu (x);
    case LK_SHIM_ACT_TANH: return torch::tanh (x);
    case LK_SHIM_ACT_IDENTITY: return x;
    default: fail (LK_SHIM_ERROR_UNSUPPORTED, "activation %d", (int) a);
    }
}

} // namespace

torch::Tensor
Clip::Ln::apply (const torch::Tensor &x, bool lrp) const
{
  if (!lrp)
    return (*this) (x);
  auto mu = x.mean (-1, true);
  auto xc = x - mu;
  auto sigma = ((xc * xc).mean (-1, true) + eps).sqrt ().detach ();
  return xc / sigma * w + b;
}

torch::Tensor
Clip::Transformer::run (torch::Tensor x, const torch::Tensor &bias, const Run &r, int from, int to, bool lrp) const
{
  int64_t b = x.size (0), s = x.size (1), dh = hidden / heads;
  double scale = 1.0 / std::sqrt ((double) dh);
  auto split = [&] (const torch::Tensor &t) { return t.view ({ b, s, heads, dh }).transpose (1, 2); };
  if (to < 0)
    to = (int) layers.size ();
  for (int i = from; i < to; i++)
    {
      const Block &L = layers[i];
      r.check_abort ();
      auto h = L.ln1.apply (x, lrp);
      auto q = split (L.q (h) * scale), k = split (L.k (h)), v = split (L.v (h));
      auto scores = torch::matmul (q, k.transpose (-1, -2));
      if (bias.defined ())
        scores = scores + bias;
      auto probs = torch::softmax (scores, -1);
      if (lrp)
        probs = probs.detach ();
      auto ctx = torch::matmul (probs, v).transpose (1, 2).reshape ({ b, s, hidden });
      x = x + L.o (ctx);
      x = x + L.fc2 (act_apply (L.fc1 (L.ln2.apply (x, lrp)), act, lrp));
    }
  return x;
}

Clip::Clip (const lk_shim_model_params &p, torch::Device device)
  : proj_dim_ (p.projection_dim), image_size_ (p.image_size), patch_size_ (p.patch_size),
    max_pos_ (p.max_position_embeddings), eos_id_ (p.eos_token_id), device_ (device)
{
  check_clip_params (p);
  Weights w = load_weights (p.weights_path);
  ClipLoader ld (w, device);
  int64_t th = p.hidden_size, vh = p.vision_hidden_size;
  double teps = p.layer_norm_eps > 0 ? p.layer_norm_eps : 1e-5;
  double veps = p.vision_layer_norm_eps > 0 ? p.vision_layer_norm_eps : 1e-5;

  text_.hidden = p.hidden_size;
  text_.heads = p.num_heads;
  text_.act = p.hidden_act;
  tok_emb_ = ld.get ("text_model.embeddings.token_embedding.weight", { p.vocab_size, th });
  text_pos_ = ld.get ("text_model.embeddings.position_embedding.weight", { p.max_position_embeddings, th });
  ld.tower (text_, "text_model.", p.num_layers, th, p.intermediate_size, teps);
  final_ln_ = ld.ln ("text_model.final_layer_norm", th, teps);
  text_proj_ = ld.get ("text_projection.weight", { p.projection_dim, th });

  int64_t grid = p.image_size / p.patch_size;
  vision_.hidden = p.vision_hidden_size;
  vision_.heads = p.vision_num_heads;
  vision_.act = p.vision_hidden_act;
  class_emb_ = ld.get ("vision_model.embeddings.class_embedding", { vh });
  patch_w_ = ld.get ("vision_model.embeddings.patch_embedding.weight", { vh, 3, p.patch_size, p.patch_size });
  vis_pos_ = ld.get ("vision_model.embeddings.position_embedding.weight", { grid * grid + 1, vh });
  pre_ln_ = ld.ln ("vision_model.pre_layrnorm", vh, veps);
  ld.tower (vision_, "vision_model.", p.vision_num_layers, vh, p.vision_intermediate_size, veps);
  post_ln_ = ld.ln ("vision_model.post_layernorm", vh, veps);
  vis_proj_ = ld.get ("visual_projection.weight", { p.projection_dim, vh });
}

// Causal mask plus padding, as transformers adds them (the most negative float).
torch::Tensor
Clip::text_bias (const torch::Tensor &mask) const
{
  int64_t b = mask.size (0), s = mask.size (1);
  float low = std::numeric_limits<float>::lowest ();
  auto opts = torch::TensorOptions ().dtype (torch::kFloat32).device (device_);
  auto causal = torch::triu (torch::full ({ s, s }, low, opts), 1).view ({ 1, 1, s, s });
  auto pad = ((1.0 - mask.to (torch::kFloat32)) * low).view ({ b, 1, 1, s });
  return torch::clamp_min (causal + pad, low);
}

// The final LayerNorm, then the end-of-text token: with the legacy
// eos_token_id 2, the largest id (as transformers does); otherwise the first
// eos_token_id; then the text projection.
torch::Tensor
Clip::text_pool (const torch::Tensor &x, const torch::Tensor &ids, const torch::Tensor &mask, bool lrp) const
{
  torch::Tensor where;
  if (eos_id_ == 2)
    where = (ids * mask).argmax (1);
  else
    where = ((ids == eos_id_).to (torch::kInt64) * mask).argmax (1);
  auto pooled = x.index ({ torch::arange (x.size (0), ids.options ()), where });
  return torch::matmul (final_ln_.apply (pooled, lrp), text_proj_.t ());
}

torch::Tensor
Clip::text_forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const
{
  int64_t s = ids.size (1);
  if (s > max_pos_)
    fail (LK_SHIM_ERROR_INVALID, "%lld tokens exceed the model's %d positions", (long long) s, max_pos_);
  if (ids.min ().item<int64_t> () < 0 || ids.max ().item<int64_t> () >= tok_emb_.size (0))
    fail (LK_SHIM_ERROR_INVALID, "a token id is outside the vocabulary of %lld", (long long) tok_emb_.size (0));
  auto x = torch::embedding (tok_emb_, ids) + text_pos_.narrow (0, 0, s).unsqueeze (0);
  x = text_.run (x, text_bias (mask), run);
  return text_pool (x, ids, mask, false);
}

torch::Tensor
Clip::text_hidden (const torch::Tensor &ids, int layer) const
{
  auto mask = torch::ones_like (ids);
  int64_t s = ids.size (1);
  if (s > max_pos_)
    fail (LK_SHIM_ERROR_INVALID, "%lld tokens exceed the model's %d positions", (long long) s, max_pos_);
  if (ids.min ().item<int64_t> () < 0 || ids.max ().item<int64_t> () >= tok_emb_.size (0))
    fail (LK_SHIM_ERROR_INVALID, "a token id is outside the vocabulary of %lld", (long long) tok_emb_.size (0));
  auto x = torch::embedding (tok_emb_, ids) + text_pos_.narrow (0, 0, s).unsqueeze (0);
  return text_.run (x, text_bias (mask), Run { nullptr }, 0, layer);
}

torch::Tensor
Clip::text_from (int layer, const torch::Tensor &x, const torch::Tensor &ids, bool lrp, const Run &run) const
{
  auto ids_b = ids.expand ({ x.size (0), ids.size (1) });
  auto mask = torch::ones_like (ids_b);
  auto h = text_.run (x, text_bias (mask), run, layer, -1, lrp);
  return text_pool (h, ids_b, mask, lrp);
}

torch::Tensor
Clip::image_hidden (const torch::Tensor &pixels, int layer) const
{
  int64_t b = pixels.size (0);
  auto patches = torch::conv2d (pixels, patch_w_, {}, patch_size_);  // [B, H, g, g]
  patches = patches.flatten (2).transpose (1, 2);                    // [B, g², H]
  auto cls = class_emb_.view ({ 1, 1, -1 }).expand ({ b, 1, class_emb_.size (0) });
  auto x = torch::cat ({ cls, patches }, 1) + vis_pos_.unsqueeze (0);
  return vision_.run (pre_ln_ (x), torch::Tensor (), Run { nullptr }, 0, layer);
}

torch::Tensor
Clip::image_from (int layer, const torch::Tensor &x, bool lrp, const Run &run) const
{
  auto h = vision_.run (x, torch::Tensor (), run, layer, -1, lrp);
  return torch::matmul (post_ln_.apply (h.select (1, 0), lrp), vis_proj_.t ());
}

torch::Tensor
Clip::image_forward (const torch::Tensor &pixels, const Run &run) const
{
  run.check_abort ();
  return image_from (0, image_hidden (pixels, 0), false, run);
}

std::unique_ptr<Clip>
Clip::with_zero_biases () const
{
  auto z = std::make_unique<Clip> (*this);
  auto zero = [] (torch::Tensor &b) { if (b.defined ()) b = torch::zeros_like (b); };
  for (Transformer *t : { &z->text_, &z->vision_ })
    for (Block &L : t->layers)
      {
        for (Lin *lin : { &L.q, &L.k, &L.v, &L.o, &L.fc1, &L.fc2 })
          zero (lin->b);
        zero (L.ln1.b);
        zero (L.ln2.b);
      }
  for (Ln *n : { &z->final_ln_, &z->pre_ln_, &z->post_ln_ })
    zero (n->b);
  return z;
}

torch::Tensor
ClipTextTower::hidden_at (int layer, const TowerInput &in) const
{
  return clip_->text_hidden (in.ids, layer);
}

torch::Tensor
ClipTextTower::from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                           const Run &run) const
{
  return clip_->text_from (layer, xs, in.ids, r.lrp, run);
}

std::unique_ptr<Tower>
ClipTextTower::with_zero_biases () const
{
  return std::make_unique<ClipTextTower> (clip_->with_zero_biases ());
}

torch::Tensor
ClipImageTower::hidden_at (int layer, const TowerInput &in) const
{
  return clip_->image_hidden (in.pixels, layer);
}

torch::Tensor
ClipImageTower::from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const
{
  return clip_->image_from (layer, xs, r.lrp, run);
}

std::unique_ptr<Tower>
ClipImageTower::with_zero_biases () const
{
  return std::make_unique<ClipImageTower> (clip_->with_zero_biases ());
}

} // namespace lk
