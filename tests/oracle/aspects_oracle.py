#!/usr/bin/env python3
"""The Python side of the S3BERT aspect checks (docs/aspects.md).

    aspects_oracle.py golden --model M --n-aspects N --aspect-dim K OUT.json
        Embeds the golden pairs with sentence-transformers and writes, per
        pair, the overall cosine and each aspect's (and the residual's)
        cosine similarity and dot-product share, recomputed here from the
        embeddings (tests/golden/aspects/minilm-4x16.json; test-aspects
        compares lk_explain_aspects() against it).

    aspects_oracle.py load --cli LIKENESS_CLI MODEL_DIR
        Loads a folder written by `likeness-cli train-aspects` with
        sentence-transformers as a plain model and compares its embeddings
        with `likeness-cli embed --model MODEL_DIR` (cosine per text), and
        the aspect similarities of `likeness-cli explain --method aspects`
        with a recomputation from the sentence-transformers embeddings.

Run with HF_HUB_OFFLINE=1 in the oracle venv (.venv-oracle).
"""
import argparse
import json
import subprocess
import sys
import tempfile

import numpy as np
from sentence_transformers import SentenceTransformer

PAIRS = [
    ("The coffee is bad.", "This is not a good coffee."),
    ("A man is playing a guitar.", "A man is not playing a guitar."),
    ("Three boys are running on the beach.", "Two kids are running along the shore."),
    ("Barack Obama visited Paris in 2015.", "The president travelled to France."),
    ("Nobody is riding the horse.", "A woman is riding a brown horse."),
    ("The stock fell 5 percent on Monday.", "Shares dropped by 5% at the start of the week."),
]


def decompose(a, b, n, k):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    out = {"similarity": float(a @ b / norm), "aspects": []}
    bounds = [(i * k, (i + 1) * k) for i in range(n)] + [(n * k, len(a))]
    for lo, hi in bounds:
        x, y = a[lo:hi], b[lo:hi]
        out["aspects"].append({
            "similarity": float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y))),
            "share": float(x @ y / norm),
        })
    out["residual"] = out["aspects"].pop()
    out["sum_shares"] = sum(s["share"] for s in out["aspects"]) + out["residual"]["share"]
    return out


def golden(args):
    model = SentenceTransformer(args.model, device="cpu")
    texts = [t for p in PAIRS for t in p]
    emb = model.encode(texts, convert_to_numpy=True, batch_size=32)
    pairs = []
    for i, (a, b) in enumerate(PAIRS):
        d = decompose(emb[2 * i], emb[2 * i + 1], args.n_aspects, args.aspect_dim)
        d.update({"a": a, "b": b})
        pairs.append(d)
    out = {
        "model": args.model,
        "n_aspects": args.n_aspects,
        "aspect_dim": args.aspect_dim,
        "procedure": "sentence-transformers encode (float32), then numpy float64: cos of each sub-vector "
                     "[i*k, (i+1)*k) and of the residual [n*k, D); shares a_i.b_i / (|a||b|)",
        "pairs": pairs,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(pairs)} pairs; max |sum of shares - similarity| = "
          f"{max(abs(p['sum_shares'] - p['similarity']) for p in pairs):.2e}")


def load(args):
    model = SentenceTransformer(args.model_dir, device="cpu")
    names = [type(m).__name__ for m in model]
    texts = [t for p in PAIRS for t in p]
    ours = json.loads(subprocess.run([args.cli, "embed", "--format", "json", "--model", args.model_dir, *texts],
                                     check=True, stdout=subprocess.PIPE, text=True).stdout)
    ours = np.asarray(ours["embeddings"], dtype=np.float64)
    theirs = model.encode(texts, convert_to_numpy=True).astype(np.float64)
    cos = (ours * theirs).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    with open(f"{args.model_dir}/likeness_aspects.json", encoding="utf-8") as f:
        layout = json.load(f)
    n, k = layout["n_aspects"], layout["aspect_dim"]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (a, b) in enumerate(PAIRS):
            path = f"{tmp}/x.json"
            subprocess.run([args.cli, "explain", "--method", "aspects", "--model", args.model_dir, a, b,
                            "--json", path], check=True, stdout=subprocess.DEVNULL)
            with open(path, encoding="utf-8") as f:
                x = json.load(f)
            ref = decompose(theirs[2 * i], theirs[2 * i + 1], n, k)
            for got, want in zip(x["aspects"] + [x["residual"]], ref["aspects"] + [ref["residual"]]):
                worst = max(worst, abs(got["similarity"] - want["similarity"]), abs(got["share"] - want["share"]))
    print(json.dumps({
        "modules": names,
        "texts": len(texts),
        "min_cosine_likeness_vs_sentence_transformers": float(cos.min()),
        "max_abs_diff_aspect_similarity_or_share": worst,
    }, indent=1))
    if cos.min() < 0.9999:
        sys.exit("embeddings differ: min cosine %.6f < 0.9999" % cos.min())


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("golden")
    g.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    g.add_argument("--n-aspects", type=int, default=4)
    g.add_argument("--aspect-dim", type=int, default=16)
    g.add_argument("out")
    l = sub.add_parser("load")
    l.add_argument("--cli", required=True)
    l.add_argument("model_dir")
    args = ap.parse_args()
    golden(args) if args.cmd == "golden" else load(args)


if __name__ == "__main__":
    main()
