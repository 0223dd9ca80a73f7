#!/usr/bin/env python3
"""tests/bench/run roofline: how close to this machine's matrix-multiply
rate each method runs.

    roofline.py CLI DATA_DIR OUTDIR THREADS

For BiLRP and IJ on all-mpnet-base-v2 (the 20-token STSb pair of `run
bilrp`, and a 64-token pair of STSb sentences joined) and for distance
masking on CLIP ViT-B/32 (BENCH_ROOFLINE_MASKS masks, default 1000, on
bee.jpg at 224 px, the weights of `run distance`):

1. the FLOPs the run needs, counted from config.json and the lengths
   (tests/bench/flops.py: the matrix products of the engine as it ran,
   forward or projected mode from method.params);
2. its time (timings.explain_seconds: model loading excluded);
3. the sgemm rate of this machine at the method's largest GEMM shape (the
   feed-forward's up projection over the rows one pass carries), with
   libtorch's matmul on the same threads, measured right after the run so
   that both see the same load;
4. the fraction (FLOPs / time) / rate, and where the rest of the time goes:
   a `perf record` profile of the run (cpu-clock samples), grouped into the
   BLAS kernels, the OpenMP runtime (waiting at barriers), libtorch's other
   kernels by name, the kernel and the rest; without perf (Debian's
   linux-perf) the profile is left out and the reason printed.

The last line: roofline bilrp=F.FF ij=F.FF distance=F.FF  (goal ≥ 0.7 for
BiLRP and distance masking).
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops  # noqa: E402

MPNET = "sentence-transformers/all-mpnet-base-v2"
PAIR20 = ("It depends on what you want to do next, and where you want to do it.",
          "In other words, it depends on where you go, when you do there and how.")


def snapshot(model):
    from huggingface_hub import snapshot_download
    if os.path.isdir(model):
        return model
    return snapshot_download(model, local_files_only=True)


def pair_of(data, tokens):
    """STSb test sentences joined until each side has `tokens` mpnet
    tokens (specials included), cut there."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(MPNET)
    a, b = [], []
    with open(os.path.join(data, "stsb", "sts-test.csv"), encoding="utf-8") as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 7:
                a.append(c[5])
                b.append(c[6])

    def cut(sents):
        ids = tok(" ".join(sents[:20]), add_special_tokens=False)["input_ids"][:tokens - 2]
        return tok.decode(ids)
    return cut(a), cut(b[20:])


def perf_available():
    if not shutil.which("perf"):
        return "perf is not installed (Debian's linux-perf)"
    r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o", "/dev/null", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "perf record cannot sample here: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    return None


def run(cli, args, out, perf_data):
    cmd = [cli, "explain", *args, "--json", out]
    if perf_data:
        cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-o", perf_data, "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        return json.load(f)


# libtorch kernels by what they do, for the profile's lines.
GROUPS = [
    ("BLAS (sgemm kernels and packing)", lambda dso, sym: "blas" in dso),
    ("OpenMP runtime (barriers, waiting)", lambda dso, sym: "gomp" in dso),
    ("copies and layout (copy_, contiguous, cat, index)",
     lambda dso, sym: re.search(r"copy|contiguous|cat_|index|permute|memcpy|memmove|memset|fill", sym)),
    ("softmax, norms, activations (exp, erf, tanh, layer_norm)",
     lambda dso, sym: re.search(r"softmax|norm|gelu|erf|exp|tanh|sigmoid|sqrt|rsqrt", sym, re.I)),
    ("elementwise and reductions (add, mul, sum)",
     lambda dso, sym: re.search(r"add|mul|sum|reduce|binary|unary|vectorized|Loop|loop", sym)),
    ("allocation (malloc, free, the kernel's page faults)",
     lambda dso, sym: re.search(r"malloc|free|alloc|page|clear_user|madvise", sym) or "kernel" in dso),
    # Debian's libtorch is stripped of its internal symbols
    ("libtorch, unnamed (Debian strips its symbols)", lambda dso, sym: "torch" in dso),
    ("loading and output (GLib, json-glib, the loader, libc)",
     lambda dso, sym: re.search(r"glib|gio|gobject|json|ld-linux|libc\.|pixbuf|png|jpeg", dso)),
]


def profile(perf_data):
    r = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "--sort", "dso,sym",
                        "--percent-limit", "0"], capture_output=True, text=True)
    shares = collections.OrderedDict((name, 0.0) for name, _ in GROUPS)
    shares["other"] = 0.0
    top = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2).lower(), m.group(3).strip()
        for name, test in GROUPS:
            if test(dso, sym):
                shares[name] += pct
                break
        else:
            shares["other"] += pct
        if "blas" not in dso and len(top) < 6:
            top.append(f"{pct:.1f}% {m.group(2)} {sym[:70]}")
    return shares, top


def report(name, need, seconds, rate, shape, perf_data, why_no_perf):
    frac = need / seconds / rate
    m, k, n = shape
    print(f"{name}: needs {need / 1e9:.1f} GFLOP, ran in {seconds:.2f}s = {need / seconds / 1e9:.0f} GFLOP/s; "
          f"sgemm {m}×{k}×{n}: {rate / 1e9:.0f} GFLOP/s; fraction {frac:.2f}")
    if perf_data:
        shares, top = profile(perf_data)
        print(f"  profile ({name}, share of the whole process's cpu-clock samples, loading included): " +
              ", ".join(f"{k} {v:.1f}%" for k, v in shares.items() if v >= 0.5))
        for t in top:
            print(f"    outside BLAS: {t}")
    else:
        print(f"  profile: left out ({why_no_perf})")
    return frac


def main():
    cli, data, outdir, threads = sys.argv[1:5]
    masks = int(os.environ.get("BENCH_ROOFLINE_MASKS", "1000"))
    clip = os.environ.get("BENCH_CLIP_MODEL", "likeness-random/clip-vit-base-patch32-random")
    why_no_perf = perf_available()
    perf = lambda tag: None if why_no_perf else os.path.join(outdir, f"roofline-{tag}.perf")  # noqa: E731
    cfg = json.load(open(os.path.join(snapshot(MPNET), "config.json")))
    h, f = cfg["hidden_size"], cfg["intermediate_size"]
    out = os.path.join(outdir, "roofline.json")
    pairs = {"20": PAIR20, "64": pair_of(data, 64)}
    fr = collections.defaultdict(list)

    for tag, (a, b) in pairs.items():
        for method in ("bilrp", "ij"):
            d = run(cli, ["--method", method, "--model", MPNET, a, b], out, perf(f"{method}{tag}"))
            sa, sb = len(d["tokens"]["a"]), len(d["tokens"]["b"])
            p = d["method"]["params"]
            if p.get("ad_mode") == "reverse" or (method == "ij" and "contraction" in p):
                print(f"{method} {tag}: ran in {p.get('ad_mode')} mode with {p.get('contraction')}: not counted")
                continue
            if method == "bilrp":
                need = flops.bilrp_pair(cfg, sa, sb, projected="contraction" in p)
            else:
                need = flops.ij_pair(cfg, sa, sb, p["steps"], p["layer"])
            # one pass carries min(s, 256) tangents of s rows each
            rows = max(min(s, 256) * s for s in (sa, sb))
            rate = flops.sgemm_rate(threads, rows, h, f)
            fr[method].append(report(f"{method} mpnet {sa}+{sb} tokens", need, d["timings"]["explain_seconds"],
                                     rate, (rows, h, f), perf(f"{method}{tag}"), why_no_perf))

    # the 224 px crop `run distance` uses
    photo = os.path.join(outdir, "roofline-bee-224.png")
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-distance.py"),
                    "photo", os.path.join(data, "images", "bee.jpg"), photo], check=True)
    d = run(cli, ["--method", "distance", "--model", clip, "--image", photo, "a bee sitting on a flower",
                  "--masks", str(masks), "--seed", "1"], out, perf("distance"))
    ccfg = json.load(open(os.path.join(snapshot(clip), "config.json")))
    v = ccfg["vision_config"]
    bs = d["method"]["params"]["batch_size"]
    rows = bs * ((v["image_size"] // v["patch_size"]) ** 2 + 1)
    rate = flops.sgemm_rate(threads, rows, v["hidden_size"], v["intermediate_size"])
    fr["distance"].append(report(f"distance ViT-B/32 {masks} masks (batch {bs})", flops.distance_image(ccfg, masks),
                                 d["timings"]["explain_seconds"], rate, (rows, v["hidden_size"],
                                                                         v["intermediate_size"]),
                                 perf("distance"), why_no_perf))

    worst = {k: min(v) for k, v in fr.items()}
    print("roofline " + " ".join(f"{k}={worst.get(k, float('nan')):.2f}" for k in ("bilrp", "ij", "distance")))


if __name__ == "__main__":
    main()
