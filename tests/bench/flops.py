"""The arithmetic the methods need, counted from the architecture and the
lengths, for the roofline lines of tests/bench/run batch and roofline.

Only the matrix products are counted (the GEMMs and batched products that
shim/shim-encoder.cpp and shim/shim-clip.cpp run, two FLOPs a
multiply-add); softmax, LayerNorm, the activations and the copies are not
arithmetic a BLAS could do faster, so they are where the time beyond the
count goes (the profile of `run roofline` says how much).

cfg is a BERT/MPNet-style config.json: hidden_size, intermediate_size,
num_attention_heads, num_hidden_layers.
"""


def _dims(cfg):
    return (cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"],
            cfg["num_hidden_layers"])


def layer_forward(h, f, s):
    """One plain pass of s tokens through one layer: Q, K, V, O and the
    feed-forward's two projections, QKᵀ and PV."""
    return 2 * s * (4 * h * h + 2 * h * f) + 4 * s * s * h


def forward(cfg, s, layers=None):
    """A plain pass over s tokens through `layers` layers (all by default);
    a backward pass to the input costs as much again (no weight gradients)."""
    h, f, _, n = _dims(cfg)
    return (n if layers is None else layers) * layer_forward(h, f, s)


def jvp_text(cfg, s, first_layer=0, lrp=True, tangents=None, passes=1, pooled=True):
    """Forward mode on one text of s tokens from layer `first_layer`: one
    tangent per token (`tangents`, default s), zero but for its row where
    it enters (attention_jvp_rows), dense after that layer (attention_jvp,
    ffn_jvp); with mean pooling the last feed-forward pools before its down
    projection (ffn_jvp_pooled). Under the LRP rules (BiLRP, H×P) the
    softmax is detached, so only the V path has a tangent; IJ's plain graph
    also pushes the Q and K tangents through the softmax. `passes` batches
    of tangents each recompute the point's own forward pass."""
    h, f, heads, n_layers = _dims(cfg)
    dh = h // heads
    t = s if tangents is None else tangents
    layers = n_layers - first_layer
    if lrp:
        first = 2 * h * h + 2 * h * h + 2 * s * heads * h
        attention = 2 * s * h * h + 2 * s * s * h + 2 * s * h * h
        point_extra = 0
    else:
        # q, k, v rows; the rank-2 softmax terms as two [S, 2h] × [2h, H]
        # products and one [S, h] × [h, H]; the tq row; W_o on it
        first = 6 * h * h + 2 * s * h + 4 * s * heads * h + 2 * s * heads * h + 4 * s * h + 2 * h * h
        # q, k, v and o; P·tv, P·tk, (P ⊙ q tkᵀ) as qtk and its product with v; M_i tq_i
        attention = 8 * s * h * h + 8 * s * s * h + 2 * s * h * dh
        # M = P (v ⊗ k) at the point, and W_o on v and ctx for the first layer
        point_extra = (layers - 1) * 2 * s * s * h * dh + 4 * s * h * h
    ffn, ffn_pooled = 4 * s * h * f, (2 * s * h * f + 2 * f * h) if pooled else 4 * s * h * f
    per_tangent = first + (layers - 1) * attention + (layers - 1) * ffn + ffn_pooled
    return t * per_tangent + passes * (forward(cfg, s, layers) + point_extra)


def bilrp_pair(cfg, sa, sb, projected=False):
    """BiLRP (and H×P) of a pair: forward mode on both texts, or (when
    method.params.contraction says so) forward mode on the shorter and one
    pass plus one backward pass per shorter-text token on the longer."""
    if projected:
        short, long_ = min(sa, sb), max(sa, sb)
        return jvp_text(cfg, short) + (1 + short) * forward(cfg, long_)
    return jvp_text(cfg, sa) + jvp_text(cfg, sb)


def ij_pair(cfg, sa, sb, nodes, layer):
    """IJ of a pair in forward mode: at each of `nodes` path points, one
    JVP per token of each text from layer `layer`, on the plain graph."""
    return nodes * (jvp_text(cfg, sa, first_layer=layer, lrp=False) +
                    jvp_text(cfg, sb, first_layer=layer, lrp=False))


def vit_image(vcfg, projection_dim):
    """One image through a CLIP vision tower: the patch embedding (a
    convolution: a GEMM of patches × (3·p²) × hidden), the layers over
    patches + 1 tokens, and the projection of the pooled token."""
    h, f, _, n = _dims(vcfg)
    p = vcfg["patch_size"]
    patches = (vcfg["image_size"] // p) ** 2
    return 2 * patches * 3 * p * p * h + n * layer_forward(h, f, patches + 1) + 2 * h * projection_dim


def distance_image(clip_cfg, masks):
    """Distance masking: every masked image through the vision tower, and
    the unmasked image once (the caption's single pass is negligible)."""
    v = clip_cfg["vision_config"]
    return (masks + 1) * vit_image(v, clip_cfg.get("projection_dim", 512))


def sgemm_rate(threads, m, k, n, repeats=5):
    """FLOP/s of libtorch's matmul (the same libtorch 1.13 and OpenBLAS as
    the shim) for [m, k] × [k, n] in float32 on `threads` threads: the
    best of `repeats` after two warm-ups (on a shared machine the best is
    the one least disturbed)."""
    import time
    import torch
    torch.set_num_threads(int(threads))
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(2):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * m * k * n / best
