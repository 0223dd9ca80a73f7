// shim-decoder.h — decoder-only embedders in the Qwen2/Qwen3 layout
// (Qwen3-Embedding and the like): causal attention with rotary positions
// and grouped-query heads, RMSNorm, a SwiGLU feed-forward, pooled at the
// last token. One tower; the engine's default forward mode (libtorch's
// forward AD through from_layer) linearises it, so it needs no JVP code.
#pragma once

#include "shim-tower.h"

#include <vector>

namespace lk {

class Decoder final : public Tower {
public:
  Decoder (const lk_shim_model_params &p, torch::Device device);

  const char *name () const override { return "this model"; }
  int num_layers () const override { return (int) layers_.size (); }
  int hidden () const override { return hidden_; }
  int heads () const override { return heads_; }
  int embedding_dim () const { return dim_; }
  torch::Device device () const override { return device_; }

  // ids, mask: [B, S] int64 on the device; padding on the right (the
  // causal mask keeps it out of every real position, and rotary scores
  // depend only on relative positions, so left padding would give the
  // same values).
  torch::Tensor forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const;

  torch::Tensor hidden_at (int layer, const TowerInput &in) const override;
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const override;
  std::unique_ptr<Tower> with_zero_biases () const override;

  struct Proj {
    torch::Tensor w, b;  // b undefined without attention_bias
    torch::Tensor operator() (const torch::Tensor &x) const { return torch::linear (x, w, b); }
  };
  struct Block {
    torch::Tensor in_norm, post_norm, q_norm, k_norm;  // RMSNorm weights; q/k norms: Qwen3 only
    Proj q, k, v, o, gate, up, down;
  };

private:
  torch::Tensor embed (const torch::Tensor &ids) const;
  torch::Tensor rms (const torch::Tensor &x, const torch::Tensor &w, const Rules &r) const;
  torch::Tensor bias (const torch::Tensor &mask) const;
  torch::Tensor layer (const Block &L, const torch::Tensor &x, const torch::Tensor &bias,
                       const torch::Tensor &cos, const torch::Tensor &sin, const Rules &r) const;
  void rotary (int64_t s, torch::Tensor &cos, torch::Tensor &sin) const;
  torch::Tensor run_layers (int from, torch::Tensor x, const torch::Tensor &mask, const Rules &r,
                            const Run &run) const;
  torch::Tensor pool (const torch::Tensor &x, const torch::Tensor &mask) const;

  int hidden_, heads_, kv_heads_, head_dim_, dim_, max_pos_, keep_;  // keep_: truncate_dim, 0 for all
  double eps_, theta_;
  lk_shim_pooling pooling_;
  bool normalize_;
  torch::Device device_;
  torch::Tensor word_, final_norm_;
  std::vector<Block> layers_;
};

} // namespace lk
