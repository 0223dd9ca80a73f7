#!/usr/bin/env python3
"""A tiny cross-encoder and a tiny late-interaction model in the layouts
sentence-transformers 6 saves, and what that stack computes with them.

Runs in the second oracle venv (tools/setup-oracle-next.sh: transformers 5,
sentence-transformers 6):

    HF_HUB_OFFLINE=1 .venv-oracle-next/bin/python tests/oracle/kinds_oracle.py

Likeness explains bi-encoders and image–text models. A reranker
(CrossEncoder: a classifier over the joint input of a pair) or a ColBERT-style
model (MultiVectorEncoder: token embeddings scored by MaxSim) would otherwise
load as a bi-encoder of its encoder and be explained by a cosine it never
computes; these two folders let the tests check that both are told apart
(`likeness-cli models` names their kind) and refused by name. Their scores
are recorded too, for the towers that will explain them.

Both reuse the tiny BERT's tokenizer (tests/golden/tiny/bert), with an
encoder far smaller than its own (hidden size 8) so that each folder stays
near 1 MB; weights N(0, 0.2) as the other tiny models.

Writes:
  tests/golden/tiny/cross-encoder/      CrossEncoder over BertForSequenceClassification (one label)
  tests/golden/tiny/late-interaction/   MultiVectorEncoder over BertModel, its token Dense
  tests/golden/tiny/kinds.json          the scores of a few golden pairs under both
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens as mg  # noqa: E402
from decoder_oracle import randomise  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
TINY = os.path.join(ROOT, "tests", "golden", "tiny")
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]
PAIRS = [
    ("A man is playing a guitar.", "A man plays the guitar."),
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    ("The cat sits on the mat.", "Stock markets fell sharply on Monday."),
]


def bert_config(**extra):
    from transformers import BertConfig
    return BertConfig(vocab_size=30522, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=16, max_position_embeddings=512, initializer_range=0.2, **extra)


def tidy(out_dir, name):
    """Configs made reproducible: a fixed name, no library versions; no
    model card (it names the saving machine's versions and dates)."""
    card = os.path.join(out_dir, "README.md")
    if os.path.exists(card):
        os.remove(card)
    for fname in ("config.json", "config_sentence_transformers.json"):
        path = os.path.join(out_dir, fname)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            c = json.load(f)
        c.pop("transformers_version", None)
        if fname == "config.json":
            c["_name_or_path"] = f"likeness-tiny-{name}"
        else:
            c["__version__"] = {"sentence_transformers": "6.3.0"}
        with open(path, "w") as f:
            f.write(json.dumps(c, indent=2, sort_keys=True) + "\n")


def with_tokenizer(model, work):
    model.save_pretrained(work, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(TINY, "bert", name), os.path.join(work, name))
    return work


def cross_encoder(work):
    import torch
    from transformers import BertForSequenceClassification
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    base = BertForSequenceClassification(bert_config(num_labels=1))
    randomise(base, 1)
    model = CrossEncoder(with_tokenizer(base, os.path.join(work, "ce")), device="cpu")
    out = os.path.join(TINY, "cross-encoder")
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True)
    tidy(out, "cross-encoder")
    back = CrossEncoder(out, device="cpu")
    return {"logits": mg.f32_list(back.predict(PAIRS, activation_fn=torch.nn.Identity(), convert_to_numpy=True))}


def late_interaction(work):
    import torch
    from transformers import BertModel
    from sentence_transformers import MultiVectorEncoder

    torch.manual_seed(0)
    base = BertModel(bert_config())
    randomise(base, 2)
    model = MultiVectorEncoder(with_tokenizer(base, os.path.join(work, "mv")), device="cpu")
    randomise(model, 3)
    out = os.path.join(TINY, "late-interaction")
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, safe_serialization=True)
    tidy(out, "late-interaction")
    back = MultiVectorEncoder(out, device="cpu")
    q = back.encode_query([a for a, _ in PAIRS])
    d = back.encode_document([b for _, b in PAIRS])
    scores = [float(back.similarity([q[i]], [d[i]])[0][0]) for i in range(len(PAIRS))]
    return {"maxsim": scores, "modules": [type(m).__name__ for m in back]}


def main():
    import sentence_transformers
    import transformers

    with tempfile.TemporaryDirectory() as work:
        golden = {
            "versions": {"sentence_transformers": sentence_transformers.__version__,
                         "transformers": transformers.__version__},
            "pairs": [list(p) for p in PAIRS],
            "cross_encoder": cross_encoder(work),
            "late_interaction": late_interaction(work),
        }
    data = mg.json_bytes(golden)
    mg.write_bytes(os.path.join(TINY, "kinds.json"), data)
    for name in ("cross-encoder", "late-interaction"):
        for root, _, files in os.walk(os.path.join(TINY, name)):
            for f in sorted(files):
                print("kinds_oracle:", os.path.relpath(os.path.join(root, f), ROOT),
                      os.path.getsize(os.path.join(root, f)))


if __name__ == "__main__":
    main()
