#!/usr/bin/env python3
"""An independent BiLRP reference (METHODS.md §2) on the Hugging Face model.

This project's own Python implementation of the rules, written from
METHODS.md (no code from any reference implementation): the transformers
model (BertModel for MiniLM, MPNetModel for mpnet) runs with

  * attention: the softmax probabilities detached (eager attention, eval mode);
  * every LayerNorm inside the layers: y = (x − μ)/(σ + ε)·w + b with σ the
    biased standard deviation detached (μ not detached);
  * the activation: x · stopgrad(act(x)/(x + 1e-9));
  * linear layers, residuals and mean pooling unchanged;

relevance is read at the output of the embedding layer (after its LayerNorm),
and U is built the way the reference procedure of the paper does it: one
backward pass per embedding dimension d (D passes),

    U[d, i] = Σ_h x[i, h] · ∂̃e_d/∂x[i, h],    R = U_aᵀ U_b / (‖e_a‖ ‖e_b‖)

with e the mean-pooled embedding before the Normalize module. --zero-biases
sets every bias (linear and LayerNorm, the embedding LayerNorm's included)
to zero, where Σ_ij R = cos(e_a, e_b) exactly.

Usage (inside .venv-oracle, offline):
  bilrp_oracle.py goldens [--out tests/golden/explain/bilrp-python.json]
      writes the goldens for a few STSb test pairs on all-MiniLM-L6-v2
  bilrp_oracle.py time --model M --threads 2 TEXT_A TEXT_B
      times the per-dimension procedure on one pair (prints JSON)
  bilrp_oracle.py pair --model M [--zero-biases] TEXT_A TEXT_B
      prints the matrix and scores of one pair (JSON)
"""

import argparse
import contextlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "sentence-transformers/all-mpnet-base-v2"

# The golden pairs: the first rows of the STSb test split plus the demo pair.
GOLDEN_PAIRS = 4


class LrpLayerNorm(nn.Module):
    """LayerNorm with the biased standard deviation detached; ε is added to σ."""

    def __init__(self, ln):
        super().__init__()
        self.weight, self.bias, self.eps = ln.weight, ln.bias, ln.eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        sigma = xc.pow(2).mean(-1, keepdim=True).sqrt().detach()
        return xc / (sigma + self.eps) * self.weight + self.bias


class LrpActivation(nn.Module):
    """x · stopgrad(act(x)/(x + 1e-9)): the forward value is act(x)."""

    def __init__(self, act):
        super().__init__()
        self.act = act

    def forward(self, x):
        return x * (self.act(x) / (x + 1e-9)).detach()


@contextlib.contextmanager
def detached_softmax(enabled=True):
    """Within the block, torch.nn.functional.softmax returns detached probabilities
    (the attention modules of BERT and MPNet call it; nothing else in their
    forward does)."""
    if not enabled:
        yield
        return
    orig = torch.nn.functional.softmax

    def softmax(*args, **kwargs):
        return orig(*args, **kwargs).detach()

    torch.nn.functional.softmax = softmax
    try:
        yield
    finally:
        torch.nn.functional.softmax = orig


def load(model_name, lrp=True, zero_biases=False):
    """The bare encoder with the LRP rules patched in (lrp=False: plain graph)."""
    tok = AutoTokenizer.from_pretrained(model_name)
    model = AutoModel.from_pretrained(model_name, attn_implementation="eager")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    if zero_biases:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith(".bias"):
                    p.zero_()
    if lrp:
        for layer in model.encoder.layer:
            for parent in list(layer.modules()):
                for cname, child in list(parent.named_children()):
                    if isinstance(child, nn.LayerNorm):
                        setattr(parent, cname, LrpLayerNorm(child))
            layer.intermediate.intermediate_act_fn = LrpActivation(layer.intermediate.intermediate_act_fn)
    model.likeness_lrp = lrp
    return tok, model


def contributions(tok, model, text):
    """U (D × S) by one backward pass per dimension, e (D), tokens."""
    enc = tok(text, return_tensors="pt")
    captured = {}

    def leaf_hook(module, inputs, output):
        x = output.detach().requires_grad_(True)
        captured["x"] = x
        return x

    h = model.embeddings.register_forward_hook(leaf_hook)
    try:
        with torch.enable_grad(), detached_softmax(model.likeness_lrp):
            out = model(**enc)
            e = out.last_hidden_state[0].mean(0)  # mean pooling over all tokens (no padding)
            x = captured["x"]
            D = e.shape[0]
            U = torch.empty(D, x.shape[1])
            for d in range(D):
                (g,) = torch.autograd.grad(e[d], x, retain_graph=d < D - 1)
                U[d] = (x[0] * g[0]).sum(-1)
    finally:
        h.remove()
    tokens = tok.convert_ids_to_tokens(enc["input_ids"][0])
    return U.detach(), e.detach(), tokens


def explain(tok, model, a, b, measure="cos"):
    Ua, ea, ta = contributions(tok, model, a)
    Ub, eb, tb = contributions(tok, model, b)
    R = Ua.t() @ Ub
    sim = float(ea @ eb)
    if measure == "cos":
        n = float(ea.norm() * eb.norm())
        R = R / n
        sim /= n
    return {"tokens_a": ta, "tokens_b": tb, "matrix": R.double().tolist(),
            "sum": float(R.double().sum()), "similarity": sim}


def read_stsb(path, limit):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7:
                rows.append((cols[5], cols[6]))
            if len(rows) >= limit:
                break
    return rows


def find_stsb():
    for c in [os.environ.get("LIKENESS_DATA_DIR"), os.path.join(REPO, "shared", "data"),
              os.path.join(os.path.dirname(REPO), "shared", "data")]:
        if c and os.path.isfile(os.path.join(c, "stsb", "sts-test.csv")):
            return os.path.join(c, "stsb", "sts-test.csv")
    sys.exit("error: cannot find stsb/sts-test.csv (set LIKENESS_DATA_DIR to .../shared/data)")


def cmd_goldens(args):
    pairs = [("The coffee is bad.", "This is not a good coffee.")] + read_stsb(find_stsb(), GOLDEN_PAIRS - 1)
    tok, plain = load(args.model, lrp=True)
    _, zero = load(args.model, lrp=True, zero_biases=True)
    out = {"generator": "tests/oracle/bilrp_oracle.py goldens",
           "method": "BiLRP (METHODS.md §2), per-dimension reverse mode, relevance at the embedding output, "
                     "mean pooling, cosine (R divided by |e_a||e_b|, embeddings before Normalize)",
           "model": args.model, "torch": torch.__version__, "transformers": transformers.__version__,
           "pairs": []}
    for a, b in pairs:
        r = explain(tok, plain, a, b)
        z = explain(tok, zero, a, b)
        assert r["tokens_a"] == z["tokens_a"]
        out["pairs"].append({
            "a": a, "b": b, "tokens_a": r["tokens_a"], "tokens_b": r["tokens_b"],
            "similarity": r["similarity"], "sum": r["sum"],
            "matrix": [[round(v, 9) for v in row] for row in r["matrix"]],
            "zero_biases": {"similarity": z["similarity"], "sum": z["sum"],
                            "matrix": [[round(v, 9) for v in row] for row in z["matrix"]]},
        })
        print(f"{a!r} / {b!r}: sim {r['similarity']:.6f} ΣR {r['sum']:.6f}; zero biases: "
              f"sim {z['similarity']:.6f} ΣR {z['sum']:.6f} (rel. gap {abs(z['sum'] - z['similarity']) / abs(z['similarity']):.2e})",
              file=sys.stderr)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


def cmd_time(args):
    torch.set_num_threads(args.threads)
    tok, model = load(args.model, lrp=True)
    best = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = explain(tok, model, args.text_a, args.text_b)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print(json.dumps({"procedure": "per-dimension reverse mode (one backward pass per embedding dimension "
                                   "and text, as xai_similarity_transformers does)",
                      "model": args.model, "threads": torch.get_num_threads(),
                      "tokens": [len(r["tokens_a"]), len(r["tokens_b"])],
                      "seconds": best, "sum": r["sum"], "similarity": r["similarity"]}))


def cmd_pair(args):
    tok, model = load(args.model, lrp=not args.plain, zero_biases=args.zero_biases)
    print(json.dumps(explain(tok, model, args.text_a, args.text_b, args.measure)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("goldens")
    g.add_argument("--model", default=MINILM)
    g.add_argument("--out", default=os.path.join(REPO, "tests", "golden", "explain", "bilrp-python.json"))
    t = sub.add_parser("time")
    t.add_argument("--model", default=MPNET)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--repeat", type=int, default=1)
    t.add_argument("text_a")
    t.add_argument("text_b")
    p = sub.add_parser("pair")
    p.add_argument("--model", default=MINILM)
    p.add_argument("--zero-biases", action="store_true")
    p.add_argument("--plain", action="store_true", help="no LRP rules: gradient × input (H×P)")
    p.add_argument("--measure", choices=["cos", "dot"], default="cos")
    p.add_argument("text_a")
    p.add_argument("text_b")
    args = ap.parse_args()
    {"goldens": cmd_goldens, "time": cmd_time, "pair": cmd_pair}[args.cmd](args)


if __name__ == "__main__":
    main()
