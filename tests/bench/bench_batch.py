#!/usr/bin/env python3
"""tests/bench/run batch: a batch audit against the reference procedure.

    bench_batch.py CLI DATA_DIR OUTDIR THREADS [N_PAIRS] [N_REF] [N_FLAT]

1. N_PAIRS (1000) query–passage pairs: the queries are STSb test sentences,
   each passage STSb sentences joined until it has about 150
   all-MiniLM-L6-v2 tokens. `likeness-cli batch --method bilrp` over them
   (wall clock, model loading included): items/s and peak RSS, with RSS
   sampled as the run goes (at 10 % and at the end: flat means no growth).
2. The reference procedure (tests/oracle/bilrp_oracle.py time: one backward
   pass per embedding dimension and text) on the first N_REF (10) pairs,
   model loading excluded, extrapolated to N_PAIRS: say so.
3. Memory over a long run: N_FLAT (10000) short STSb pairs with --method
   align (the batch path, the request, the result, its JSON line and the
   provenance per item, without the contribution engine's compute time):
   RSS after 1000 items and at the end.

4. The roofline of part 1: the GEMMs the engine ran (pair_flops: forward
   mode on both texts, or the shorter text's U projected through the
   longer text's backward passes; from the model's config.json and each
   line's token counts), over the seconds explain_seconds records, against the sgemm
   rate of this machine at the feed-forward's shape (torch.matmul, the
   same threads). A fraction near 1 means the method's arithmetic, not the
   code, sets the time.

The last line: batch items_per_s=X peak_rss_gib=Y ratio=Z
"""
import json
import os
import subprocess
import sys
import time

from transformers import AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops  # noqa: E402

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "oracle", "bilrp_oracle.py")


def sts_rows(data):
    rows = []
    with open(os.path.join(data, "stsb", "sts-test.csv"), encoding="utf-8") as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 7:
                rows.append((c[5], c[6]))
    return rows


def make_pairs(rows, n, tok, target=150):
    pairs = []
    for i in range(n):
        q = rows[i % len(rows)][0]
        parts, j = [], i
        while len(tok(" ".join(parts))["input_ids"]) < target:
            parts.append(rows[j % len(rows)][1])
            j += 1
        pairs.append({"id": f"p{i}", "a": q, "b": " ".join(parts)})
    return pairs


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class LineCounter:
    """Counts the lines of a growing file, reading only what is new (a
    whole re-read every 0.2 s of an 80 MB output would take a core from
    the run it measures)."""

    def __init__(self, path):
        self.path, self.offset, self.count = path, 0, 0

    def __call__(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return self.count
        self.offset += len(chunk)
        self.count += chunk.count(b"\n")
        return self.count


def lines_in(path):
    return LineCounter(path)()


def run_batch(cli, method, inp, out, n, marks):
    """Runs the batch; returns (seconds, peak RSS KiB, {mark: RSS KiB})."""
    if os.path.exists(out):
        os.unlink(out)
    t0 = time.perf_counter()
    p = subprocess.Popen([cli, "batch", "--method", method, "--model", MINILM, "--input", inp, "--output", out],
                         stderr=subprocess.DEVNULL)
    peak, at = 0, {}
    counter = LineCounter(out)
    while p.poll() is None:
        r = rss_kib(p.pid)
        peak = max(peak, r)
        done = counter()
        for m in marks:
            if m not in at and done >= m:
                at[m] = r
        time.sleep(0.2)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: likeness-cli batch failed ({p.returncode})")
    got = lines_in(out)
    if got != n:
        sys.exit(f"bench: {out} has {got} lines, expected {n}")
    with open(out, encoding="utf-8") as f:
        failed = sum(1 for line in f if '"error"' in line and '"schema"' not in line)
    if failed:
        sys.exit(f"bench: {failed} items failed")
    return dt, peak, at


def pair_flops(cfg, line):
    """The pair as the engine ran it (tests/bench/flops.py)."""
    return flops.bilrp_pair(cfg, len(line["tokens"]["a"]), len(line["tokens"]["b"]),
                            projected="contraction" in line["method"]["params"])


def roofline(out, threads):
    from huggingface_hub import snapshot_download
    cfg = json.load(open(os.path.join(snapshot_download(MINILM, local_files_only=True), "config.json")))
    total = seconds = 0.0
    s_b = []
    with open(out, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            total += pair_flops(cfg, r)
            seconds += r["timings"]["explain_seconds"]
            s_b.append(len(r["tokens"]["b"]))
    s = sorted(s_b)[len(s_b) // 2]
    rate = flops.sgemm_rate(threads, s * s, cfg["hidden_size"], cfg["intermediate_size"])
    print(f"roofline: {total / len(s_b) / 1e9:.1f} GFLOP a pair (counted as the engine ran it), "
          f"{total / seconds / 1e9:.0f} GFLOP/s over explain_seconds; sgemm {s * s}×{cfg['hidden_size']}"
          f"×{cfg['intermediate_size']} on {threads} threads: {rate / 1e9:.0f} GFLOP/s; "
          f"fraction {total / seconds / rate:.2f}; at that sgemm rate 1000 such pairs need at least "
          f"{total / len(s_b) * 1000 / rate:.0f}s")


def main():
    cli, data, outdir, threads = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    n_ref = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    n_flat = int(sys.argv[7]) if len(sys.argv) > 7 else 10000
    tok = AutoTokenizer.from_pretrained(MINILM)
    rows = sts_rows(data)
    pairs = make_pairs(rows, n, tok)
    lens = sorted(len(tok(p["b"])["input_ids"]) for p in pairs)
    inp = os.path.join(outdir, "batch-pairs.jsonl")
    write_jsonl(inp, pairs)
    print(f"batch: {n} pairs, passages of {lens[0]}–{lens[-1]} tokens (median {lens[len(lens) // 2]}), "
          f"{MINILM}, BiLRP, {threads} threads")

    dt, peak, at = run_batch(cli, "bilrp", inp, os.path.join(outdir, "batch-out.jsonl"), n, [n // 10, n])
    ours_per = dt / n
    print(f"likeness: batch --method bilrp: {dt:.1f}s for {n} items ({n / dt:.2f} items/s, model load included), "
          f"peak RSS {peak / 2**20:.3f} GiB; RSS at {n // 10} items {at.get(n // 10, 0) / 2**20:.3f} GiB, "
          f"at {n} {at.get(n, peak) / 2**20:.3f} GiB")
    # The goal is for 1000 pairs; a smaller run (BENCH_BATCH_PAIRS) is
    # extrapolated at its own rate, and says so.
    t1000 = dt if n == 1000 else dt / n * 1000
    print(f"1000 pairs: {t1000:.0f}s{'' if n == 1000 else ' (extrapolated from ' + str(n) + ')'}; "
          f"goal ≤ 600 s: {'met' if t1000 <= 600 else 'NOT met'}")
    roofline(os.path.join(outdir, "batch-out.jsonl"), threads)

    ref = 0.0
    for p in pairs[:n_ref]:
        out = subprocess.run([sys.executable, ORACLE, "time", "--model", MINILM, "--threads", threads,
                              p["a"], p["b"]], check=True, capture_output=True, text=True).stdout
        ref += json.loads(out.strip().splitlines()[-1])["seconds"]
    ref_per = ref / n_ref
    print(f"reference: tests/oracle/bilrp_oracle.py time (per-dimension reverse mode) on the first {n_ref} pairs: "
          f"{ref:.1f}s, {ref_per:.2f}s per pair, model loading excluded; extrapolated to {n} pairs: "
          f"{ref_per * n:.0f}s (an extrapolation, not a run)")

    flat_in = os.path.join(outdir, "batch-flat.jsonl")
    write_jsonl(flat_in, [{"id": f"f{i}", "a": rows[i % len(rows)][0], "b": rows[i % len(rows)][1]}
                          for i in range(n_flat)])
    fdt, fpeak, fat = run_batch(cli, "align", flat_in, os.path.join(outdir, "batch-flat-out.jsonl"), n_flat,
                                [1000, n_flat])
    r1, r2 = fat.get(1000, 0), fat.get(n_flat, fpeak)
    print(f"memory: batch --method align over {n_flat} short pairs: {fdt:.0f}s, RSS at 1000 items "
          f"{r1 / 2**20:.3f} GiB, at {n_flat} {r2 / 2**20:.3f} GiB (growth {(r2 - r1) / 1024:.1f} MiB), "
          f"peak {fpeak / 2**20:.3f} GiB")
    print(f"batch items_per_s={n / dt:.3f} peak_rss_gib={peak / 2**20:.3f} ratio={ref_per / ours_per:.2f}")


if __name__ == "__main__":
    main()
