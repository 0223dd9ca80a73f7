#!/usr/bin/env python3
"""BiLRP on a decoder embedder at real size: Qwen3-Embedding-0.6B's layout
(28 layers, hidden 1024, 16 query / 8 key-value heads of 128, SwiGLU 3072,
vocabulary 151,669) with random weights, since no registry here carries the
trained ones. Time and peak memory of `likeness-cli explain --method bilrp`
on a 64-token text against a 256-token one, beside the estimate from the
FLOPs the engine's passes need and this machine's sgemm rate.

    tests/bench/run decoder

The last line:  decoder bilrp_seconds=S estimate_seconds=E peak_rss_gib=G
The weights are made once, with numpy alone, into build-bench/qwen3-0.6b-random
(2.4 GB; the tokenizer is the tiny Qwen3's: its ids are valid in the large
vocabulary, and only the token count matters here).
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build-bench")
MODEL = os.path.join(OUT, "qwen3-0.6b-random")
TINY = os.path.join(ROOT, "tests", "golden", "tiny", "qwen3")
CFG = dict(vocab_size=151669, hidden_size=1024, num_hidden_layers=28, num_attention_heads=16,
           num_key_value_heads=8, head_dim=128, intermediate_size=3072, max_position_embeddings=32768,
           rms_norm_eps=1e-6, rope_theta=1000000.0, hidden_act="silu", model_type="qwen3",
           attention_bias=False, tie_word_embeddings=True, use_sliding_window=False,
           architectures=["Qwen3Model"], pad_token_id=3000, eos_token_id=3000)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def make_model():
    import numpy as np
    from safetensors.numpy import save_file

    stamp = os.path.join(MODEL, ".complete")
    if os.path.exists(stamp):
        return
    shutil.rmtree(MODEL, ignore_errors=True)
    os.makedirs(MODEL)
    c = CFG
    h, hd, ff = c["hidden_size"], c["head_dim"], c["intermediate_size"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    rng = np.random.default_rng(0)

    def w(*shape, std=0.02):
        return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

    t = {"embed_tokens.weight": w(c["vocab_size"], h), "norm.weight": np.ones(h, np.float32)}
    for i in range(c["num_hidden_layers"]):
        p = f"layers.{i}."
        t.update({
            p + "input_layernorm.weight": np.ones(h, np.float32),
            p + "post_attention_layernorm.weight": np.ones(h, np.float32),
            p + "self_attn.q_proj.weight": w(q, h), p + "self_attn.k_proj.weight": w(kv, h),
            p + "self_attn.v_proj.weight": w(kv, h), p + "self_attn.o_proj.weight": w(h, q),
            p + "self_attn.q_norm.weight": np.ones(hd, np.float32),
            p + "self_attn.k_norm.weight": np.ones(hd, np.float32),
            p + "mlp.gate_proj.weight": w(ff, h), p + "mlp.up_proj.weight": w(ff, h),
            p + "mlp.down_proj.weight": w(h, ff),
        })
    save_file(t, os.path.join(MODEL, "model.safetensors"))
    with open(os.path.join(MODEL, "config.json"), "w") as f:
        json.dump(CFG, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "modules.json", "config_sentence_transformers.json"):
        shutil.copy(os.path.join(TINY, name), MODEL)
    for sub in ("1_Pooling", "2_Normalize"):
        shutil.copytree(os.path.join(TINY, sub), os.path.join(MODEL, sub))
    with open(os.path.join(MODEL, "1_Pooling", "config.json"), "w") as f:
        json.dump({"embedding_dimension": h, "pooling_mode": "lasttoken", "include_prompt": True}, f)
    with open(os.path.join(MODEL, "tokenizer_config.json")) as f:
        tc = json.load(f)
    tc["model_max_length"] = 8192
    with open(os.path.join(MODEL, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f)
    open(stamp, "w").close()


def text_of(n_tokens, sentences):
    """The first STSb sentences, joined, cut to n_tokens tokens (with <|endoftext|>)."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(TINY, "tokenizer.json"))
    words = " ".join(sentences).split()
    lo, hi = 1, len(words)
    while lo < hi:  # the most words whose encoding stays within n_tokens
        mid = (lo + hi + 1) // 2
        if len(tok.encode(" ".join(words[:mid])).ids) <= n_tokens:
            lo = mid
        else:
            hi = mid - 1
    text = " ".join(words[:lo])
    return text, len(tok.encode(text).ids)


def sgemm_rate(threads):
    import numpy as np
    os.environ["OMP_NUM_THREADS"] = str(threads)
    a = np.random.default_rng(1).standard_normal((256, 1024), dtype=np.float32)
    b = np.random.default_rng(2).standard_normal((1024, 3072), dtype=np.float32)
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(10):
            a @ b
        best = min(best, time.perf_counter() - t)
    return 10 * 2 * 256 * 1024 * 3072 / best


def flops(s_rows, s_through):
    """One forward-mode pass of s_rows tangents through s_through tokens: the
    linear layers' 2·params FLOPs per token and tangent, and attention's
    4·S·d per head and token, for the point and each tangent; the JVP of a
    product costs about the forward twice."""
    c = CFG
    h, hd, ff = c["hidden_size"], c["head_dim"], c["intermediate_size"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    per_token = 2 * (h * q + 2 * h * kv + q * h + 3 * h * ff) + 4 * s_through * q
    return c["num_hidden_layers"] * per_token * s_through * (1 + 2 * s_rows)


def main():
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    cli = os.environ.get("LIKENESS_CLI", os.path.join(ROOT, "build", "app", "cli", "likeness-cli"))
    data = os.environ["BENCH_DATA"]
    log("making the random-weight Qwen3-0.6B layout (once) …")
    t0 = time.perf_counter()
    make_model()
    log(f"  model ready in {time.perf_counter() - t0:.1f}s: {MODEL}")
    import csv
    with open(os.path.join(data, "stsb", "sts-test.csv"), newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    sentences = [r[5] for r in rows if len(r) > 6]
    a, na = text_of(int(os.environ.get("BENCH_DECODER_A", "64")), sentences[:40])
    b, nb = text_of(int(os.environ.get("BENCH_DECODER_B", "256")), sentences[40:200])
    log(f"  texts: {na} and {nb} tokens")
    rate = sgemm_rate(threads)
    # auto mode: the short text's tangents through itself, then projected
    # through the long one (explain_projected): na tangents each time.
    est_flops = flops(na, na) + flops(na, nb)
    est = est_flops / rate
    log(f"  estimate: {est_flops / 1e12:.1f} TFLOP at this machine's sgemm {rate / 1e9:.0f} GFLOP/s → {est:.0f}s")
    out = os.path.join(OUT, "decoder-bilrp.json")
    env = dict(os.environ, LIKENESS_THREADS=str(threads), HF_HUB_OFFLINE="1", LIKENESS_DEVICE="cpu")
    t = time.perf_counter()
    subprocess.run([cli, "explain", "--method", "bilrp", "-m", MODEL, a, b, "--json", out, "--top", "0"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    with open(out) as f:
        x = json.load(f)
    secs = x["timings"]["explain_seconds"]
    log(f"  ours: {secs:.1f}s explaining ({wall:.1f}s with loading), peak RSS {rss:.2f} GiB, "
        f"conservation error_relative {x['scores'].get('error_relative')}")
    # A GPU: the same FLOPs at a sustained fraction of an H100's ~60 TFLOP/s
    # (FP32 on tensor cores, TF32 off) would take est_flops / 3e13 s.
    log(f"  a GPU at 30 TFLOP/s sustained would need ~{est_flops / 3e13:.1f}s and the weights (2.4 GB) "
        f"plus the passes' activations")
    print(f"decoder bilrp_seconds={secs:.1f} estimate_seconds={est:.0f} peak_rss_gib={rss:.2f} "
          f"tokens={na}+{nb}")


if __name__ == "__main__":
    main()
