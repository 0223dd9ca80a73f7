// shim-encoder.h — the transformer encoders (BERT, MPNet, XLM-R) as plain
// functions over tensors, split so that the explanation engine can start
// and stop at any layer and swap in the LRP rules.
#pragma once

#include "shim-tower.h"

#include <vector>

namespace lk {

struct Linear {
  torch::Tensor w, b;
  torch::Tensor operator() (const torch::Tensor &x) const { return torch::linear (x, w, b); }
};

struct Norm {
  torch::Tensor w, b;
  double eps = 1e-12;
  torch::Tensor apply (const torch::Tensor &x, const Rules &r) const;
};

struct Layer {
  Linear q, k, v, o, up, down;
  Norm attn_norm, out_norm;
};

struct DenseHead {
  Linear lin;
  lk_shim_activation act;
};

// An encoder is the one tower of its model (shim-tower.h); as a tower it
// attends to every position of its input (no padding).
class Encoder final : public Tower {
public:
  Encoder (const lk_shim_model_params &p, torch::Device device);

  const char *name () const override { return "this model"; }
  int num_layers () const override { return (int) layers_.size (); }
  int hidden () const override { return hidden_; }
  int heads () const override { return heads_; }
  int embedding_dim () const { return dim_; }
  bool normalize () const { return normalize_; }
  torch::Device device () const override { return device_; }

  // ids, mask: [B, S] int64 on the device. Returns the embedding layer's output.
  torch::Tensor embed_tokens (const torch::Tensor &ids, const torch::Tensor &mask) const;
  // The additive attention bias for this mask: padding (and MPNet's relative positions).
  torch::Tensor attention_bias (const torch::Tensor &mask) const;
  torch::Tensor layer (int i, const torch::Tensor &x, const torch::Tensor &bias, const Rules &r) const;
  // An elementwise activation (under the LRP rules: x times its detached ratio).
  torch::Tensor activation (const torch::Tensor &x, lk_shim_activation a, const Rules &r) const;
  // Pooling, then the Dense modules; before any Normalize module.
  torch::Tensor pool (const torch::Tensor &x, const torch::Tensor &mask) const;
  torch::Tensor head (const torch::Tensor &pooled, const Rules &r = Rules ()) const;

  // The hidden state entering layer `layer` (num_layers: the last output).
  torch::Tensor hidden_at (int layer, const torch::Tensor &ids, const torch::Tensor &mask) const;
  // From the input of layer `layer` to the embedding before Normalize;
  // `run`'s abort callback is asked before every layer.
  torch::Tensor from_layer (int layer, const torch::Tensor &x, const torch::Tensor &bias,
                            const torch::Tensor &mask, const Rules &r, const Run &run = Run { nullptr }) const;
  // The Jacobian-vector products of from_layer at one point x [1, S, H]
  // for n tangents that are zero but for one row each: tangent j is dv[j]
  // [H] at row rows[j] (int64). Returns [n, D] (before Normalize). The
  // point's activations are computed once and the tangents pushed through
  // the linearised layers (softmax, LayerNorm and activation derivatives;
  // under the LRP rules the detached factors give none), which is what
  // forward-mode AD computes, without redoing the point n times.
  torch::Tensor jvp_from_layer (int layer, const torch::Tensor &x, const torch::Tensor &rows, const torch::Tensor &dv,
                                const torch::Tensor &bias, const torch::Tensor &mask, const Rules &r,
                                const Run &run) const;
  // The same model with every bias (LayerNorm's included) set to zero.
  std::unique_ptr<Tower> with_zero_biases () const override;

  // The same three as a tower sees them (shim-tower.h): the engine's input
  // is one unpadded sequence, so its mask is all ones.
  torch::Tensor hidden_at (int layer, const TowerInput &in) const override;
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                            const Run &run) const override;
  torch::Tensor jvp_from_layer (int layer, const torch::Tensor &x, const torch::Tensor &rows, const torch::Tensor &dv,
                                const TowerInput &in, const Rules &r, const Run &run) const override;

  // The tensors of the last n layers and of the Dense modules, named as in
  // the checkpoint without its prefix (Dense module i: "dense.I.linear.…"),
  // for training (shim-train.cpp).
  std::vector<std::pair<std::string, torch::Tensor *>> tail_parameters (int n);

  // Token ids → sentence embeddings (the whole pipeline, Normalize included).
  torch::Tensor forward (const torch::Tensor &ids, const torch::Tensor &mask, const Run &run) const;

private:
  struct PointAttention {
    torch::Tensor q, k, v, probs, ctx;  // per head: [h, S, dh], [h, S, S], [h, S, dh]
    torch::Tensor a;                    // x + attention(x), [1, S, H]
  };
  struct FfnTangent {
    torch::Tensor th, tg, f;  // attention LayerNorm's tangent, the activation's, and f = down(g) + h at the point
  };
  PointAttention point_attention (const Layer &L, const torch::Tensor &x, const torch::Tensor &bias) const;
  FfnTangent ffn_tangent (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta, const Rules &r) const;
  void attention_jvp (const Layer &L, const torch::Tensor &x, const torch::Tensor &t, const torch::Tensor &bias,
                      const Rules &r, torch::Tensor &a, torch::Tensor &ta) const;
  void attention_jvp_rows (const Layer &L, const torch::Tensor &x, const torch::Tensor &rows,
                           const torch::Tensor &dv, const torch::Tensor &bias, const Rules &r, torch::Tensor &a,
                           torch::Tensor &ta) const;
  void ffn_jvp (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta, const Rules &r, torch::Tensor &x,
                torch::Tensor &t) const;
  torch::Tensor ffn_jvp_pooled (const Layer &L, const torch::Tensor &a, const torch::Tensor &ta,
                                const torch::Tensor &beta, const Rules &r, torch::Tensor &x) const;

  lk_shim_arch arch_;
  int hidden_, heads_, dim_, max_pos_, pad_id_, buckets_, keep_ = 0;  // keep_: truncate_dim, 0 for all
  lk_shim_activation act_;
  lk_shim_pooling pooling_;
  bool normalize_;
  torch::Device device_;
  torch::Tensor word_, pos_, type_, rel_bias_;
  Norm emb_norm_;
  std::vector<Layer> layers_;
  std::vector<DenseHead> dense_;
};

} // namespace lk
