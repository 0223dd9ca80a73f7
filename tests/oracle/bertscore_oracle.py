#!/usr/bin/env python3
"""BERTScore goldens from the bert-score package (0.3.13, pinned in
requirements.txt), run as an oracle: no code of it is copied into Likeness.

The golden pairs are those of the IJ parity golden
(tests/golden/explain/ij-xplainsim.json, a superset of the BiLRP golden's);
text A is the candidate, text B the reference, as `likeness-cli explain
--method align` reads them (precision over A's tokens, recall over B's).
bert-score runs on all-MiniLM-L6-v2 with idf off and no baseline rescale, at
the layer align uses by default (the last, 6) and at one earlier layer (4),
so that the parity test sees the layer parameter honoured.

bert-score gives [CLS] and [SEP] an idf weight of 0, so they are not averaged
over, but they stay in the max: a special token may be a content token's best
partner. Likeness's bertscore_precision/recall/f1 follow that;
precision/recall/f1 (content tokens only on both sides) do not.

Usage (inside .venv-oracle, offline):
  HF_HUB_OFFLINE=1 .venv-oracle/bin/python tests/oracle/bertscore_oracle.py \\
      [--out tests/golden/explain/bertscore.json]
"""

import argparse
import importlib.metadata
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PAIRS_FROM = os.path.join(REPO, "tests", "golden", "explain", "ij-xplainsim.json")
DEFAULT_OUT = os.path.join(REPO, "tests", "golden", "explain", "bertscore.json")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
LAYERS = (6, 4)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    import torch
    import transformers
    from bert_score import score
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    with open(PAIRS_FROM, encoding="utf-8") as f:
        pairs = [(p["a"], p["b"]) for p in json.load(f)["pairs"]]
    cands, refs = [a for a, _ in pairs], [b for _, b in pairs]
    # bert-score's own tokenizer choice (use_fast=False), for the record
    tok = AutoTokenizer.from_pretrained(MINILM, use_fast=False)
    out = {
        "generator": "tests/oracle/bertscore_oracle.py",
        "reference_implementation": "bert-score %s (bert_score.score: idf=False, rescale_with_baseline=False)"
                                    % importlib.metadata.version("bert-score"),
        "model": MINILM,
        "candidate": "a",
        "reference": "b",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "layers": [],
    }
    for layer in LAYERS:
        P, R, F = score(cands, refs, model_type=MINILM, num_layers=layer, idf=False,
                        rescale_with_baseline=False, batch_size=64, device="cpu")
        rows = []
        for k, (a, b) in enumerate(pairs):
            rows.append({"a": a, "b": b,
                         "tokens_a": tok.convert_ids_to_tokens(tok.encode(a.strip())),
                         "tokens_b": tok.convert_ids_to_tokens(tok.encode(b.strip())),
                         "precision": round(float(P[k]), 8), "recall": round(float(R[k]), 8),
                         "f1": round(float(F[k]), 8)})
        out["layers"].append({"layer": layer, "pairs": rows})
        print("layer %d: %s" % (layer, " ".join("%.4f" % float(f) for f in F)))
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print("wrote", os.path.relpath(args.out, REPO))


if __name__ == "__main__":
    main()
