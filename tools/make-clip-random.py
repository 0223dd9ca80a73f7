#!/usr/bin/env python3
"""Build a CLIP model folder with random weights in the real CLIPModel layout.

No package on the registry carries real CLIP weights, so Likeness tests its
CLIP path on random weights laid out exactly as Hugging Face's CLIPModel
(openai/clip-vit-base-patch32 and its siblings) stores them, with the real
CLIP vocabulary. The folder's id says what it is: it is never put under
the openai id.

    tools/make-clip-random.py --bpe bpe_simple_vocab_16e6.txt.gz --out DIR [--tokenizer-only]

--bpe is CLIP's merge list as OpenAI published it (bpe_simple_vocab_16e6.txt.gz,
pinned in tools/models.lock, fetched by tools/fetch-models.py). From it this
writes what the Hugging Face tokenizer files are made of: vocab.json (256 byte
symbols, the same with "</w>", the 48,894 merges joined, then
<|startoftext|> and <|endoftext|>: 49,408 ids), merges.txt and tokenizer.json
(the pipeline transformers' CLIPTokenizerFast converter writes), plus
tokenizer_config.json and special_tokens_map.json; then config.json and
preprocessor_config.json of clip-vit-base-patch32 and model.safetensors:
weights drawn with a fixed seed as transformers' CLIPModel initialises them
(std 0.02 scaled per layer, LayerNorm 1 and 0, biases 0). The same
arguments give the same bytes. Needs only Python 3 and numpy.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import tempfile

N_MERGES = 48894  # 49408 − 2 × 256 − 2
CLIP_REGEX = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"

VIT_B_32 = {
    "projection_dim": 512, "logit_scale_init_value": 2.6592,
    "text": {"vocab_size": 49408, "hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12,
             "num_attention_heads": 8, "max_position_embeddings": 77},
    "vision": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
               "num_attention_heads": 12, "image_size": 224, "patch_size": 32},
}


def byte_symbols():
    """GPT-2's byte → printable character table, as CLIP uses it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def read_merges(path, limit=N_MERGES):
    with gzip.open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    merges = lines[1:N_MERGES + 1]
    if len(merges) != N_MERGES or any(len(m.split(" ")) != 2 for m in merges):
        raise SystemExit(f"error: {path}: expected {N_MERGES} merge lines 'a b' after the first line")
    return merges[:limit]


def write_atomic(path, data):
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path, obj):
    write_atomic(path, (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def write_tokenizer(out, merges, max_length=77):
    syms = byte_symbols()
    vocab = syms + [s + "</w>" for s in syms] + ["".join(m.split(" ")) for m in merges] + [BOS, EOS]
    ids = {v: i for i, v in enumerate(vocab)}
    if len(ids) != len(vocab):
        raise SystemExit("error: the merges give duplicate tokens")
    bos, eos = ids[BOS], ids[EOS]
    write_json(os.path.join(out, "vocab.json"), ids)
    write_atomic(os.path.join(out, "merges.txt"), ("#version: 0.2\n" + "\n".join(merges) + "\n").encode("utf-8"))
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": True, "special": True} for i, c in ((bos, BOS), (eos, EOS))]
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_REGEX}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": [EOS, eos], "cls": [BOS, bos],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": EOS, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "vocab": ids, "merges": merges},
    }
    write_json(os.path.join(out, "tokenizer.json"), tok)
    special = {"content": None, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    write_json(os.path.join(out, "special_tokens_map.json"), {
        "bos_token": dict(special, content=BOS), "eos_token": dict(special, content=EOS),
        "pad_token": EOS, "unk_token": dict(special, content=EOS)})
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS, "errors": "replace",
        "clean_up_tokenization_spaces": False, "model_max_length": max_length, "tokenizer_class": "CLIPTokenizer"})
    return len(vocab)


def write_configs(out, c, vocab_size):
    t, v = c["text"], c["vision"]
    common = {"hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "initializer_range": 0.02,
              "initializer_factor": 1.0, "attention_dropout": 0.0, "dropout": 0.0}
    text = dict(common, **t)
    text.update(vocab_size=vocab_size, projection_dim=c["projection_dim"],
                bos_token_id=0, eos_token_id=2, pad_token_id=1, model_type="clip_text_model")
    vision = dict(common, **v, num_channels=3, projection_dim=c["projection_dim"], model_type="clip_vision_model")
    write_json(os.path.join(out, "config.json"), {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": c["projection_dim"],
        "logit_scale_init_value": c["logit_scale_init_value"], "initializer_factor": 1.0,
        "text_config": text, "vision_config": vision, "torch_dtype": "float32",
        "_comment": "random weights in the layout of openai/clip-vit-base-patch32 (tools/make-clip-random.py); not a trained model"})
    s = v["image_size"]
    write_json(os.path.join(out, "preprocessor_config.json"), {
        "crop_size": {"height": s, "width": s}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
        "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
        "size": {"shortest_edge": s}, "processor_class": "CLIPProcessor"})


def random_weights(c, vocab_size, seed=0):
    """Named float32 arrays, initialised as CLIPPreTrainedModel._init_weights does."""
    import numpy as np
    rng = np.random.default_rng(seed)
    out = {}

    def normal(name, shape, std):
        out[name] = (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    def const(name, shape, value):
        out[name] = np.full(shape, value, dtype=np.float32)

    def tower(prefix, h, ff, layers):
        in_std = h ** -0.5 * (2 * layers) ** -0.5
        for i in range(layers):
            l = f"{prefix}encoder.layers.{i}."
            for p in ("q_proj", "k_proj", "v_proj", "out_proj"):
                normal(l + f"self_attn.{p}.weight", (h, h), h ** -0.5 if p == "out_proj" else in_std)
                const(l + f"self_attn.{p}.bias", (h,), 0.0)
            normal(l + "mlp.fc1.weight", (ff, h), (2 * h) ** -0.5)
            const(l + "mlp.fc1.bias", (ff,), 0.0)
            normal(l + "mlp.fc2.weight", (h, ff), in_std)
            const(l + "mlp.fc2.bias", (h,), 0.0)
            for n in ("layer_norm1", "layer_norm2"):
                const(l + n + ".weight", (h,), 1.0)
                const(l + n + ".bias", (h,), 0.0)

    t, v, d = c["text"], c["vision"], c["projection_dim"]
    th, vh = t["hidden_size"], v["hidden_size"]
    normal("text_model.embeddings.token_embedding.weight", (vocab_size, th), 0.02)
    normal("text_model.embeddings.position_embedding.weight", (t["max_position_embeddings"], th), 0.02)
    tower("text_model.", th, t["intermediate_size"], t["num_hidden_layers"])
    const("text_model.final_layer_norm.weight", (th,), 1.0)
    const("text_model.final_layer_norm.bias", (th,), 0.0)
    grid = v["image_size"] // v["patch_size"]
    normal("vision_model.embeddings.class_embedding", (vh,), vh ** -0.5)
    normal("vision_model.embeddings.patch_embedding.weight", (vh, 3, v["patch_size"], v["patch_size"]), 0.02)
    normal("vision_model.embeddings.position_embedding.weight", (grid * grid + 1, vh), 0.02)
    for n in ("pre_layrnorm", "post_layernorm"):
        const(f"vision_model.{n}.weight", (vh,), 1.0)
        const(f"vision_model.{n}.bias", (vh,), 0.0)
    tower("vision_model.", vh, v["intermediate_size"], v["num_hidden_layers"])
    normal("text_projection.weight", (d, th), th ** -0.5)
    normal("visual_projection.weight", (d, vh), vh ** -0.5)
    const("logit_scale", (), c["logit_scale_init_value"])
    return out


def write_safetensors(path, tensors):
    header, offset = {}, 0
    names = sorted(tensors)
    for n in names:
        a = tensors[n]
        header[n] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for n in names:
                f.write(tensors[n].astype("<f4", copy=False).tobytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bpe", required=True, help="bpe_simple_vocab_16e6.txt.gz")
    ap.add_argument("--out", required=True, help="the model folder to write")
    ap.add_argument("--tokenizer-only", action="store_true", help="write the tokenizer files only")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    merges = read_merges(a.bpe)
    n = write_tokenizer(a.out, merges)
    if a.tokenizer_only:
        return
    write_configs(a.out, VIT_B_32, n)
    write_safetensors(os.path.join(a.out, "model.safetensors"), random_weights(VIT_B_32, n, a.seed))


if __name__ == "__main__":
    sys.exit(main())
