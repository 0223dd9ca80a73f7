#!/usr/bin/env python3
"""Integrated Jacobians through xplainsim 0.9.4 (the installed package), as an
oracle for Likeness's IJ (METHODS.md §1).

xplainsim is GPL-3.0: it is only imported and called here, never copied.
Its conventions, read from the installed package (xplain/attribution):

  * model: ModelFactory.build(name, layer_idx, N_steps) builds
    [ReferenceTransformer, Pooling(mean)]: the transformer and mean pooling
    over all tokens (specials included); no Normalize module, so the
    embedding is the one before Normalize;
  * reference: the ids [0] + [1]·(S−2) + [2], hard-coded (for MPNet's
    vocabulary that is <s> <pad>… </s>), run in the same batch with an
    all-ones attention mask; transformers derives MPNet/RoBERTa position ids
    from the input ids, so the <pad> tokens of the reference get the
    padding position (padding_idx = 1), not 2, 3, …;
  * layer: a forward pre-hook on encoder.layer[idx]: the attribution is at
    the input of layer idx;
  * grid: α = torch.arange(1, 0, −1/N) (float32; N values for N = 50:
    1, 0.98, …, 0.02, i.e. the right Riemann rule), the gradients of every
    node are summed and divided by N, the reference row excluded;
  * U[d, i] = Σ_h (x − r)[i, h] · J[d, i, h], A = U_aᵀ U_b; for cosine
    A is divided by ‖e_a‖‖e_b‖ (e at α = 1); the matrix keeps the special
    tokens (tokens "CLS" … "EOS" in its own token list).

Usage (inside .venv-oracle, HF_HUB_OFFLINE=1):
  ij_oracle.py goldens [--pairs 10] [--out tests/golden/explain/ij-xplainsim.json]
  ij_oracle.py compare [--golden FILE] [--cli build/app/cli/likeness-cli] [--limit K]
      runs our CLI with the matching options on the golden pairs and prints
      the matrix correlation and the ΣA difference per pair
  ij_oracle.py time [--threads 2] TEXT_A TEXT_B
      times xplainsim on one pair (prints JSON)
  --positions sequential (goldens, time): a diagnostic that gives the
      reference's <pad> tokens sequential positions instead of transformers'
      padding position
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MPNET = "sentence-transformers/all-mpnet-base-v2"
DEMO = ("The coffee is bad.", "This is not a good coffee.")
DEFAULT_OUT = os.path.join(REPO, "tests", "golden", "explain", "ij-xplainsim.json")


def find_stsb():
    for c in [os.environ.get("LIKENESS_DATA_DIR"), os.path.join(REPO, "shared", "data"),
              os.path.join(os.path.dirname(REPO), "shared", "data")]:
        if c and os.path.isfile(os.path.join(c, "stsb", "sts-test.csv")):
            return os.path.join(c, "stsb", "sts-test.csv")
    sys.exit("error: cannot find stsb/sts-test.csv (set LIKENESS_DATA_DIR to .../shared/data)")


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


def sequential_positions():
    """Diagnostic: positions 2, 3, … for every token, <pad> included."""
    import torch
    from transformers.models.mpnet import modeling_mpnet

    def positions(input_ids, padding_idx):
        s = input_ids.shape[1]
        return (torch.arange(s, device=input_ids.device) + padding_idx + 1).unsqueeze(0).expand_as(input_ids)

    modeling_mpnet.create_position_ids_from_input_ids = positions


def build(args):
    import torch
    torch.set_num_threads(args.threads)
    if args.positions == "sequential":
        sequential_positions()
    with contextlib.redirect_stdout(sys.stderr):  # xplainsim prints a notice about pyemd on import
        from xplain.attribution import ModelFactory
    model = ModelFactory.build(args.model, layer_idx=args.layer, N_steps=args.steps)
    model.eval()
    return model


def run_pair(model, a, b, measure):
    import torch
    t0 = time.perf_counter()
    A, ta, tb, score, ref_a_rb, ref_b_ra, ref_ref = model.explain_similarity(
        a, b, sim_measure="cosine" if measure == "cos" else "dot", return_lhs_terms=True,
        move_to_cpu=True, verbose=False)
    dt = time.perf_counter() - t0
    tok = model[0].tokenizer
    hf_a = tok.convert_ids_to_tokens(tok(a)["input_ids"])
    hf_b = tok.convert_ids_to_tokens(tok(b)["input_ids"])
    A = A.double()
    with torch.no_grad():
        n = len(model.intermediates[0])  # interpolation nodes + the reference row
    return {
        "a": a, "b": b, "tokens_a": hf_a, "tokens_b": hf_b,
        "xplainsim_tokens_a": ta, "xplainsim_tokens_b": tb,
        "similarity": score, "sum": float(A.sum()),
        "ref_a_rb": ref_a_rb, "ref_ra_b": ref_b_ra, "ref_ra_rb": ref_ref,
        "nodes": n - 1, "seconds": dt,
        "matrix": [[float("%.9g" % v) for v in row] for row in A.tolist()],
    }


def cmd_goldens(args):
    import torch
    import transformers
    import importlib.metadata as md
    pairs = [DEMO] + read_stsb(find_stsb(), args.pairs)
    out = {"generator": "tests/oracle/ij_oracle.py goldens",
           "reference_implementation": "xplainsim %s (ModelFactory.build, explain_similarity)" % md.version("xplainsim"),
           "model": args.model, "layer": args.layer, "steps": args.steps, "measure": args.measure,
           "positions": args.positions,
           "torch": torch.__version__, "transformers": transformers.__version__, "pairs": []}
    done = {}
    for path in ([args.out] if args.resume else []) + args.reuse:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = json.load(f)
            done.update({(p["a"], p["b"]): p for p in old["pairs"]})
    if args.subset:
        lo, hi = (int(v) for v in args.subset.split(":"))
        pairs = pairs[lo:hi]
    model = build(args) if any(p not in done for p in pairs) else None
    for a, b in pairs:
        p = done.get((a, b)) or run_pair(model, a, b, args.measure)
        out["pairs"].append(p)
        print(f"{a!r} / {b!r}: sim {p['similarity']:.6f} ΣA {p['sum']:.6f} nodes {p['nodes']} "
              f"{p['seconds']:.1f} s", file=sys.stderr, flush=True)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out + ".tmp", "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}", file=sys.stderr)


def corr(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / (sxx * syy) ** 0.5


def ours(cli, model, layer, steps, measure, a, b, extra=()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "out.json")
        cmd = [cli, "explain", "--method", "ij", "--model", model, "--layer", str(layer), "--steps", str(steps),
               "--quadrature", "riemann", "--measure", measure, *extra, "--json", path, a, b]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(path, encoding="utf-8") as f:
            return json.load(f)


def cmd_compare(args):
    with open(args.golden, encoding="utf-8") as f:
        g = json.load(f)
    worst_r, worst_s = 1.0, 0.0
    pairs = g["pairs"][: args.limit] if args.limit else g["pairs"]
    print(f"{'pair':>4} {'S_a':>3} {'S_b':>3} {'corr':>12} {'ΣA ours':>10} {'ΣA xplainsim':>12} {'|Δ ΣA|':>9} "
          f"{'sim Δ':>9} {'ours s':>7} {'ref s':>7}")
    for k, p in enumerate(pairs):
        o = ours(args.cli, g["model"], g["layer"], g["steps"], g["measure"], p["a"], p["b"])
        if o["tokens"]["a"] != p["tokens_a"] or o["tokens"]["b"] != p["tokens_b"]:
            print(f"pair {k}: tokens differ: {o['tokens']} vs {p['tokens_a']} {p['tokens_b']}")
            worst_r = -1
            continue
        x = [v for row in o["matrix"] for v in row]
        y = [v for row in p["matrix"] for v in row]
        r = corr(x, y)
        ds = abs(o["scores"]["sum"] - p["sum"])
        worst_r, worst_s = min(worst_r, r), max(worst_s, ds)
        print(f"{k:>4} {len(p['tokens_a']):>3} {len(p['tokens_b']):>3} {r:>12.9f} {o['scores']['sum']:>10.6f} "
              f"{p['sum']:>12.6f} {ds:>9.2e} {abs(o['scores']['similarity'] - p['similarity']):>9.2e} "
              f"{o['timings']['explain_seconds']:>7.1f} {p['seconds']:>7.1f}", flush=True)
    ok = worst_r >= 0.999 and worst_s <= 1e-4
    print(f"ij parity: {len(pairs)} pairs, min correlation {worst_r:.9f}, max |ΣA diff| {worst_s:.2e}: "
          f"{'PASS' if ok else 'FAIL'} (targets ≥ 0.999, ≤ 1e-4)")
    sys.exit(0 if ok else 1)


def cmd_time(args):
    import torch
    model = build(args)
    best = None
    for _ in range(args.repeat):
        p = run_pair(model, args.text_a, args.text_b, args.measure)
        best = p["seconds"] if best is None else min(best, p["seconds"])
    print(json.dumps({"procedure": "xplainsim explain_similarity (N+1-row interpolation batch, one backward "
                                   "pass per embedding dimension)", "threads": torch.get_num_threads(),
                      "model": args.model, "layer": args.layer, "steps": args.steps, "nodes": p["nodes"],
                      "tokens": [len(p["tokens_a"]), len(p["tokens_b"])], "seconds": best,
                      "sum": p["sum"], "similarity": p["similarity"]}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default=MPNET)
    common.add_argument("--layer", type=int, default=10)
    common.add_argument("--steps", type=int, default=50)
    common.add_argument("--measure", choices=["cos", "dot"], default="cos")
    common.add_argument("--threads", type=int, default=2)
    common.add_argument("--positions", choices=["transformers", "sequential"], default="transformers")
    g = sub.add_parser("goldens", parents=[common])
    g.add_argument("--pairs", type=int, default=10, help="STSb test pairs besides the demo pair")
    g.add_argument("--out", default=DEFAULT_OUT)
    g.add_argument("--resume", action="store_true", help="keep the pairs already in --out")
    g.add_argument("--reuse", action="append", default=[], help="take pairs already computed from this file")
    g.add_argument("--subset", help="A:B: only pairs A..B−1 of the list (the demo pair is 0), to split the work")
    c = sub.add_parser("compare")
    c.add_argument("--golden", default=DEFAULT_OUT)
    c.add_argument("--cli", default=os.path.join(REPO, "build", "app", "cli", "likeness-cli"))
    c.add_argument("--limit", type=int, default=0)
    t = sub.add_parser("time", parents=[common])
    t.add_argument("--repeat", type=int, default=1)
    t.add_argument("text_a")
    t.add_argument("text_b")
    args = ap.parse_args()
    {"goldens": cmd_goldens, "compare": cmd_compare, "time": cmd_time}[args.cmd](args)


if __name__ == "__main__":
    main()
