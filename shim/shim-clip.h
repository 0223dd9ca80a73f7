// shim-clip.h — CLIP's two towers (Hugging Face CLIPModel layout): a causal
// text transformer pooled at the end-of-text token and a ViT, each with its
// projection into the shared embedding space.
#pragma once

#include "shim-tower.h"

#include <vector>

namespace lk {

class Clip {
public:
  Clip (const lk_shim_model_params &p, torch::Device device);

  int embedding_dim () const { return proj_dim_; }
  int image_size () const { return image_size_; }
  torch::Device device () const { return device_; }

  // ids, mask: [B, S] int64 on the device → [B, projection_dim].
  torch::Tensor text_forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const;
  // pixels: [B, 3, image_size, image_size] float32 on the device → [B, projection_dim].
  torch::Tensor image_forward (const torch::Tensor &pixels, const Run &run) const;

  // For the contribution engine (ClipTextTower, ClipImageTower): the hidden
  // state [1, S, H] entering layer `layer` of a tower, and from there (a
  // batch of such states) to the projected embedding [B, D], on the plain or
  // the LRP graph (softmax, LayerNorm's σ and the activation's ratio detached).
  int num_layers (bool vision) const { return (int) (vision ? vision_ : text_).layers.size (); }
  int64_t num_patches () const { return (int64_t) (image_size_ / patch_size_) * (image_size_ / patch_size_); }
  int hidden (bool vision) const { return (vision ? vision_ : text_).hidden; }
  int heads (bool vision) const { return (vision ? vision_ : text_).heads; }
  torch::Tensor text_hidden (const torch::Tensor &ids, int layer) const;
  torch::Tensor text_from (int layer, const torch::Tensor &x, const torch::Tensor &ids, bool lrp, const Run &run) const;
  torch::Tensor image_hidden (const torch::Tensor &pixels, int layer) const;
  torch::Tensor image_from (int layer, const torch::Tensor &x, bool lrp, const Run &run) const;
  // The same model with every bias (LayerNorms' included) set to zero.
  std::unique_ptr<Clip> with_zero_biases () const;

  struct Ln {
    torch::Tensor w, b;
    double eps;
    torch::Tensor operator() (const torch::Tensor &x) const { return torch::layer_norm (x, { x.size (-1) }, w, b, eps); }
    torch::Tensor apply (const torch::Tensor &x, bool lrp) const;
  };
  struct Lin {
    torch::Tensor w, b;
    torch::Tensor operator() (const torch::Tensor &x) const { return torch::linear (x, w, b); }
  };
  struct Block {
    Ln ln1, ln2;
    Lin q, k, v, o, fc1, fc2;
  };
  struct Transformer {
    int hidden = 0, heads = 0;
    lk_shim_activation act = LK_SHIM_ACT_QUICK_GELU;
    std::vector<Block> layers;
    torch::Tensor run (torch::Tensor x, const torch::Tensor &bias, const Run &run,
                       int from = 0, int to = -1, bool lrp = false) const;
  };

private:
  torch::Tensor text_bias (const torch::Tensor &mask) const;
  torch::Tensor text_pool (const torch::Tensor &x, const torch::Tensor &ids, const torch::Tensor &mask, bool lrp) const;

  int proj_dim_, image_size_, patch_size_, max_pos_, eos_id_;
  torch::Device device_;
  Transformer text_, vision_;
  torch::Tensor tok_emb_, text_pos_, text_proj_;
  Ln final_ln_;
  torch::Tensor patch_w_, class_emb_, vis_pos_, vis_proj_;
  Ln pre_ln_, post_ln_;
};

// CLIP's two towers as the contribution engine sees them: views of one
// Clip, which they share with the model (and a zero-bias copy with its own).
class ClipTextTower final : public Tower {
public:
  explicit ClipTextTower (std::shared_ptr<const Clip> clip) : clip_ (std::move (clip)) {}

  const char *name () const override { return "the text tower"; }
  int num_layers () const override { return clip_->num_layers (false); }
  int hidden () const override { return clip_->hidden (false); }
  int heads () const override { return clip_->heads (false); }
  torch::Device device () const override { return clip_->device (); }
  torch::Tensor hidden_at (int layer, const TowerInput &in) const override;
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const override;
  std::unique_ptr<Tower> with_zero_biases () const override;

private:
  std::shared_ptr<const Clip> clip_;
};

// Its tokens are the class token, then the patches row by row.
class ClipImageTower final : public Tower {
public:
  explicit ClipImageTower (std::shared_ptr<const Clip> clip) : clip_ (std::move (clip)) {}

  const char *name () const override { return "the vision tower"; }
  int num_layers () const override { return clip_->num_layers (true); }
  int hidden () const override { return clip_->hidden (true); }
  int heads () const override { return clip_->heads (true); }
  torch::Device device () const override { return clip_->device (); }
  int image_size () const override { return clip_->image_size (); }
  int64_t image_tokens () const override { return clip_->num_patches () + 1; }
  torch::Tensor hidden_at (int layer, const TowerInput &in) const override;
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const override;
  std::unique_ptr<Tower> with_zero_biases () const override;

private:
  std::shared_ptr<const Clip> clip_;
};

} // namespace lk
