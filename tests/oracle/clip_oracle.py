#!/usr/bin/env python3
"""CLIP goldens: a tiny random-weight CLIPModel, its text and image
embeddings from transformers, CLIP tokenizer ids, and small test images.

Run inside .venv-oracle, offline, with CLIP's merge list (fetched and
checked by tools/fetch-models.py, or from the open-clip-torch 3.3.0 wheel):

    HF_HUB_OFFLINE=1 .venv-oracle/bin/python tests/oracle/clip_oracle.py --bpe bpe_simple_vocab_16e6.txt.gz

Writes:
  tests/golden/tiny/clip/                  the tiny model (CLIPModel layout, 2 + 2 layers,
                                           hidden 32, patch 8, image 32, the first 2,000 merges)
  tests/golden/tiny/clip/golden.txt        ids, text embeddings, processor pixels and image
                                           embeddings from transformers (plain numbers, for the shim test)
  tests/golden/tiny/clip-embeddings.json   the same for the core test, with the texts and images
  tests/golden/clip/*.png|jpg              64×48 test images: EXIF rotation, RGBA, grayscale,
                                           CMYK JPEG, 16-bit PNG, plain RGB
  tests/golden/tokenizers/clip-<set>.jsonl.gz   ids of the full CLIP vocabulary (when --full-tokenizer
                                           names the tokenizer.json of a folder made by tools/make-clip-random.py)

It checks on the way that transformers' slow CLIPTokenizer, CLIPTokenizerFast
converted from it and the tokenizer.json that tools/make-clip-random.py
writes give the same ids on every text (it stops otherwise).
"""

import argparse
import importlib.util
import json
import os
import struct
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_goldens as mg  # noqa: E402

spec = importlib.util.spec_from_file_location("make_clip_random", os.path.join(REPO, "tools", "make-clip-random.py"))
mcr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mcr)

TINY = os.path.join(mg.GOLDEN, "tiny", "clip")
IMAGES = os.path.join(mg.GOLDEN, "clip")
CAPTIONS = ["a bee sitting on a flower", "a bee", "an image of a bee", "a fly", "a flower",
            "a labradoodle", "a car", "a dog", "a bicycle"]
TINY_MERGES = 2000


def check_tokenizers(folder, texts):
    """Slow, fast-from-slow and our tokenizer.json agree; returns the tokenizers.Tokenizer."""
    from transformers import CLIPTokenizer, CLIPTokenizerFast
    from tokenizers import Tokenizer
    slow = CLIPTokenizer(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"))
    fast = CLIPTokenizerFast(vocab_file=os.path.join(folder, "vocab.json"),
                             merges_file=os.path.join(folder, "merges.txt"), from_slow=True)
    ours = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    ours.no_truncation()
    ours.no_padding()
    n_slow_diff = 0
    for t in texts:
        a = fast(t).input_ids
        c = ours.encode(t).ids
        if a != c:
            sys.exit(f"error: {folder}: tokenizer.json disagrees with CLIPTokenizerFast on {t!r}: {c} vs {a}")
        if slow(t).input_ids != a:
            n_slow_diff += 1
    print(f"  {folder}: tokenizer.json = CLIPTokenizerFast on {len(texts)} texts; "
          f"the slow CLIPTokenizer (no ftfy: BERT-style clean-up) differs on {n_slow_diff}")
    return ours


def png16(path, rgb16):
    """A 16-bit RGB PNG (PIL cannot write one)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\0" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return mg.write_bytes(path, data)


def make_images(data_dir):
    """Small test images from bee.jpg, one per input kind the loader must handle."""
    import io
    import numpy as np
    from PIL import Image
    src = Image.open(os.path.join(data_dir, "images", "bee.jpg")).convert("RGB").resize((64, 48), Image.BICUBIC)
    arr = np.asarray(src)
    out = {}

    def save(name, img, **kw):
        buf = io.BytesIO()
        img.save(buf, **kw)
        p = os.path.join(IMAGES, name)
        mg.write_bytes(p, buf.getvalue())
        out[name] = p

    save("rgb.png", src, format="PNG")
    save("rgb.jpg", src, format="JPEG", quality=90)
    # Stored rotated 90° clockwise, with orientation 6 saying "rotate back": it must look like rgb.jpg.
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif6.jpg", src.transpose(Image.Transpose.ROTATE_90), format="JPEG", quality=90, exif=exif.tobytes())
    alpha = np.dstack([arr, (np.arange(64)[None, :] * 4 * np.ones((48, 1))).astype(np.uint8)])
    save("rgba.png", Image.fromarray(alpha, "RGBA"), format="PNG")
    save("gray.png", src.convert("L"), format="PNG")
    save("gray.jpg", src.convert("L"), format="JPEG", quality=90)
    save("cmyk.jpg", src.convert("CMYK"), format="JPEG", quality=95)
    p = os.path.join(IMAGES, "rgb16.png")
    png16(p, arr.astype(np.uint16) * 257 + (np.arange(64)[None, :, None] % 7).astype(np.uint16))
    out["rgb16.png"] = p
    # a PNG named .jpg, as car2.png is a JPEG named .png
    save("png-named.jpg", src.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT), format="PNG")
    return out


def load_as_reference(path):
    """What transformers does with a file: PIL, EXIF transpose, convert to RGB."""
    from PIL import Image, ImageOps
    img = Image.open(path)
    img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def tiny_model():
    import torch
    from transformers import CLIPConfig, CLIPModel
    n_vocab = 512 + TINY_MERGES + 2
    cfg = CLIPConfig(
        text_config=dict(vocab_size=n_vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu",
                         layer_norm_eps=1e-5, bos_token_id=n_vocab - 2, eos_token_id=2, pad_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, hidden_act="quick_gelu", layer_norm_eps=1e-5),
        projection_dim=16)
    torch.manual_seed(0)
    model = CLIPModel(cfg).eval()
    mg.randomise(model, 1234)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpe", required=True)
    ap.add_argument("--full-tokenizer", help="a folder written by tools/make-clip-random.py (default: a temporary one)")
    a = ap.parse_args()
    import numpy as np
    import torch
    from transformers import CLIPImageProcessor

    data = mg.find_data_dir()
    sets, _ = mg.datasets(data)
    host = sets["hostile"] + ["<|startoftext|>a<|endoftext|>", "IT'S  the   Bee's knees!!  ", "ＦＵＬＬ　ｗｉｄｔｈ",
                              "naïve café", "e\u0301", "1234567", "don't", "\u00a0nbsp\u2003em", "🐝🌸", "中文字"]
    sets["hostile"] = host

    # Full vocabulary: ids of every set.
    tmp = None
    full = a.full_tokenizer
    if not full:
        tmp = tempfile.TemporaryDirectory()
        full = tmp.name
        mcr.write_tokenizer(full, mcr.read_merges(a.bpe))
    every = sorted({t for s in sets.values() for t in s} | set(CAPTIONS))
    check_tokenizers(full, every)
    mg.tokenizer_goldens({"clip": os.path.join(full, "tokenizer.json")}, sets)

    # The tiny model.
    os.makedirs(TINY, exist_ok=True)
    mcr.write_tokenizer(TINY, mcr.read_merges(a.bpe, TINY_MERGES))
    tok = check_tokenizers(TINY, every)
    model = tiny_model()
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d, safe_serialization=True)
        for n in ("config.json", "model.safetensors"):
            with open(os.path.join(d, n), "rb") as f:
                print(" ", mg.write_bytes(os.path.join(TINY, n), f.read()), n)
    proc = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    pc = proc.to_dict()
    pc.pop("_processor_class", None)
    mg.write_bytes(os.path.join(TINY, "preprocessor_config.json"), mg.json_bytes(pc))

    texts = CAPTIONS + ["The quick brown fox jumps over the lazy dog.", "IT'S  the   Bee's knees!!  "]
    ids = [tok.encode(t).ids for t in texts]
    images = make_images(data)
    names = sorted(images)
    pixels = np.stack([proc(load_as_reference(images[n]), return_tensors="np")["pixel_values"][0] for n in names])
    with torch.no_grad():
        emb_t = torch.cat([model.get_text_features(input_ids=torch.tensor([i])) for i in ids]).numpy()
        # a padded batch too: same rows
        emb_i = model.get_image_features(pixel_values=torch.from_numpy(pixels)).numpy()
    lines = [f"text {len(texts)} {emb_t.shape[1]}"]
    for i, e in zip(ids, emb_t):
        lines.append(" ".join(map(str, [len(i)] + i)))
        lines.append(" ".join(f"{x:.9g}" for x in e))
    lines.append(f"image {len(names)} 32 {emb_i.shape[1]}")
    for p, e in zip(pixels, emb_i):
        lines.append(" ".join(f"{x:.9g}" for x in p.ravel()))
        lines.append(" ".join(f"{x:.9g}" for x in e))
    mg.write_bytes(os.path.join(TINY, "golden.txt"), ("\n".join(lines) + "\n").encode())
    mg.write_bytes(os.path.join(mg.GOLDEN, "tiny", "clip-embeddings.json"), mg.json_bytes({
        "versions": mg.versions(),
        "texts": [{"text": t, "ids": i, "embedding": mg.f32_list(e)} for t, i, e in zip(texts, ids, emb_t)],
        "images": [{"file": n, "pixels": mg.f32_b64(p), "embedding": mg.f32_list(e)}
                   for n, p, e in zip(names, pixels, emb_i)],
    }))
    print("wrote the tiny CLIP goldens")


if __name__ == "__main__":
    main()
