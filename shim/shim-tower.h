// shim-tower.h — what the contribution engine (shim-engine.cpp) asks of a
// model: one tower, seen as the hidden state entering a layer and the
// forward from there to the embedding. A text encoder is one tower; CLIP
// has two. An architecture becomes explainable by IJ, BiLRP and H×P by
// implementing this interface; the engine does not change.
#pragma once

#include "shim-private.h"

namespace lk {

// Which forward graph is built. The LRP graph has the same forward values,
// but treats softmax probabilities, LayerNorm's σ and the activation ratio
// as constants when differentiated (METHODS.md §2).
struct Rules {
  bool lrp = false;
};

// One input of a tower, on the tower's device: token ids [1, S] (int64) for
// a tower that takes text, pixels [1, 3, side, side] (float32) for one that
// takes images. A tower reads the member it takes.
struct TowerInput {
  torch::Tensor ids;
  torch::Tensor pixels;
};

class Tower {
public:
  virtual ~Tower () = default;

  // For messages: "this model", "the text tower", "the vision tower".
  virtual const char *name () const = 0;
  virtual int num_layers () const = 0;
  virtual int hidden () const = 0;
  // The query heads: each keeps an S × S score and probability matrix per
  // sequence, which is what the engine sizes its batches by. With
  // grouped-query attention the key/value heads are fewer, but the S × S
  // tensors still come per query head, so this is the query count.
  virtual int heads () const = 0;
  virtual torch::Device device () const = 0;

  // 0 for a tower that takes token ids; else the side of the square image
  // it takes, and the tokens S it makes of one image.
  virtual int image_size () const { return 0; }
  virtual int64_t image_tokens () const { return 0; }
  // Whether the path of IJ may start at reference ids (a text's
  // <s> <pad>… </s>). A tower that takes none starts at the zero hidden
  // state: an image has no neutral token to replace its patches with.
  virtual bool takes_reference_ids () const { return image_size () == 0; }

  // The hidden state [1, S, H] entering layer `layer` (num_layers: the last
  // layer's output), on the plain graph, with the input's validity checked.
  virtual torch::Tensor hidden_at (int layer, const TowerInput &in) const = 0;
  // From the input of layer `layer`, for B hidden states xs [B, S, H] of
  // the same input `in` (whose ids place the pooling and masks), to the
  // embedding before any Normalize module, [B, D]; `run`'s abort callback
  // is asked before every layer.
  virtual torch::Tensor from_layer (int layer, const torch::Tensor &xs, const TowerInput &in, const Rules &r,
                                    const Run &run) const = 0;
  // The Jacobian-vector products of from_layer at one point x [1, S, H] for
  // n tangents that are zero but for one row each: tangent j is dv[j] [H]
  // at row rows[j] (int64). Returns [n, D]. This default runs libtorch's
  // forward-mode AD on n copies of the point, which any from_layer built
  // from differentiable ops supports; a tower with a linearisation of its
  // own that shares the point between tangents overrides it (Encoder).
  virtual torch::Tensor jvp_from_layer (int layer, const torch::Tensor &x, const torch::Tensor &rows,
                                        const torch::Tensor &dv, const TowerInput &in, const Rules &r,
                                        const Run &run) const;
  // IJ's path derivatives: ∂e/∂α at B points xs [B, S, H] of the path
  // x(α) = r + αΔ, the tangent Δ [S, H] on every token at once. Returns
  // [B, D]: what U's columns add up to at each node, at one JVP a node
  // instead of one a token. The default runs libtorch's forward-mode AD
  // through from_layer on the plain graph.
  virtual torch::Tensor path_derivatives (int layer, const torch::Tensor &xs, const torch::Tensor &delta,
                                          const TowerInput &in, const Run &run) const;
  // The same tower with every bias (LayerNorms' included) set to zero, for
  // BiLRP's conservation check (zero_biases).
  virtual std::unique_ptr<Tower> with_zero_biases () const = 0;
};

// sentence-transformers' Pooling over token states x [B, S, H] with their
// mask [B, S] (int64, padding on the right): [B, H]. Every text tower pools
// through this one function.
torch::Tensor pool_tokens (const torch::Tensor &x, const torch::Tensor &mask, lk_shim_pooling mode);

// Matryoshka truncation (sentence-transformers' truncate_dim): the first
// @keep dimensions of embeddings e [B, D], or e itself when keep is 0.
// Truncating before Normalize gives the cosine of truncating after it.
inline torch::Tensor
truncate_dims (const torch::Tensor &e, int keep)
{
  return keep > 0 && keep < e.size (-1) ? e.narrow (-1, 0, keep) : e;
}
// The dimension a text tower keeps of its @full (checked: 0 < keep ≤ full).
int truncated_dim (int full, int keep);

// The engine's passes (shim-engine.cpp) for S tokens of tower t: tangents
// per forward-mode pass, sequences per reverse-mode pass; max_batch > 0
// overrides. They are sized by the tower's hidden width and query heads.
int64_t tangents_per_pass (const Tower &t, int64_t s, int max_batch);
int64_t sequences_per_pass (const Tower &t, int64_t s, int max_batch);

} // namespace lk
