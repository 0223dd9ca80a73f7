#!/usr/bin/env python3
"""The reference side of `tests/bench/run embed`: sentence-transformers
encode(batch_size=32) on CPU, model loading excluded.

    bench_embed.py sentences MODEL SENTENCES.txt [--repeats 3] [--threads 2]
    bench_embed.py extract STS.csv OUT.txt      (unique sentences, columns 6 and 7)
"""
import argparse
import json
import time


def extract(args):
    seen, out = set(), []
    with open(args.csv, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")[:7]
            if len(cols) < 7:
                continue
            for s in cols[5:7]:
                if s and s not in seen:
                    seen.add(s)
                    out.append(s)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(s.replace("\n", " ") for s in out) + "\n")


def bench(args):
    import torch
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer
    with open(args.sentences, encoding="utf-8") as f:
        sents = [l.rstrip("\n") for l in f if l.strip()]
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(sents[:32], batch_size=32)
    best = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        model.encode(sents, batch_size=32)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print(json.dumps({"side": "sentence-transformers", "model": args.model, "sentences": len(sents),
                      "repeats": args.repeats, "seconds": round(best, 4), "per_second": round(len(sents) / best, 2),
                      "threads": torch.get_num_threads()}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("extract")
    e.add_argument("csv")
    e.add_argument("out")
    b = sub.add_parser("sentences")
    b.add_argument("model")
    b.add_argument("sentences")
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    extract(args) if args.cmd == "extract" else bench(args)


if __name__ == "__main__":
    main()
