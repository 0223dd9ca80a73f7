// shim-modernbert.h — ModernBERT encoders (Hugging Face ModernBertModel):
// rotary positions with one base for the global layers and another for
// the sliding-window ones, a fused QKV projection, a GeGLU feed-forward,
// LayerNorms without biases and no first attention norm. One tower, which
// the engine's default forward mode (libtorch's forward AD) linearises.
#pragma once

#include "shim-tower.h"

#include <vector>

namespace lk {

class ModernBert final : public Tower {
public:
  ModernBert (const lk_shim_model_params &p, torch::Device device);

  const char *name () const override { return "this model"; }
  int num_layers () const override { return (int) layers_.size (); }
  int hidden () const override { return hidden_; }
  int heads () const override { return heads_; }
  int embedding_dim () const { return dim_; }
  torch::Device device () const override { return device_; }

  // ids, mask: [B, S] int64; padding on the right, masked out of attention.
  torch::Tensor forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const;
  torch::Tensor hidden_at (int layer, const TowerInput &in) const override;
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const override;
  std::unique_ptr<Tower> with_zero_biases () const override;

  struct Lin {
    torch::Tensor w, b;
    torch::Tensor operator() (const torch::Tensor &x) const { return torch::linear (x, w, b); }
  };
  struct Ln {
    torch::Tensor w, b;  // b undefined without norm_bias; w undefined: the identity (layer 0's attention norm)
    double eps;
    torch::Tensor apply (const torch::Tensor &x, const Rules &r) const;
  };
  struct Block {
    Ln attn_norm, mlp_norm;
    Lin qkv, o, wi, wo;
    bool sliding;
  };

private:
  torch::Tensor embed (const torch::Tensor &ids) const;
  torch::Tensor run_layers (int from, int to, torch::Tensor x, const torch::Tensor &mask, const Rules &r,
                            const Run &run) const;
  torch::Tensor head (const torch::Tensor &x, const torch::Tensor &mask, const Rules &r) const;

  int hidden_, heads_, dim_, max_pos_, window_, keep_;
  double global_theta_, local_theta_;
  lk_shim_activation act_;
  lk_shim_pooling pooling_;
  bool normalize_;
  torch::Device device_;
  torch::Tensor word_;
  Ln emb_norm_, final_norm_;
  std::vector<Block> layers_;
};

} // namespace lk
