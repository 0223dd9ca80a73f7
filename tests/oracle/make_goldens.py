#!/usr/bin/env python3
"""Regenerate the golden files under tests/golden/ from the Python reference stack.

Run inside .venv-oracle (tools/setup-oracle.sh) with the models seeded by
tools/fetch-models.py, offline:

    HF_HUB_OFFLINE=1 .venv-oracle/bin/python tests/oracle/make_goldens.py

What it writes (see tests/oracle/README.md for the formats):
  tests/golden/tokenizers/<tok>-<set>.jsonl.gz   tokenizer ids, offsets, special flags
  tests/golden/embeddings/<model>-stsb200.json    sentence-transformers embeddings
  tests/golden/embeddings/sts-spearman.json       STSb test Spearman/Pearson x100
  tests/golden/tiny/{bert,mpnet,xlmr}/            random-weight models in the real layouts
  tests/golden/tiny/<arch>-embeddings.json        their ids and embeddings

Every output is a pure function of the inputs and the pinned package versions:
run it twice and nothing changes.
"""

import argparse
import base64
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(REPO, "tests", "golden")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "sentence-transformers/all-mpnet-base-v2"


def find_data_dir():
    cands = [os.environ.get("LIKENESS_DATA_DIR"),
             os.path.join(REPO, "shared", "data"),
             os.path.join(os.path.dirname(REPO), "shared", "data")]
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "stsb", "sts-test.csv")):
            return c
    sys.exit("error: cannot find the shared data (set LIKENESS_DATA_DIR to .../shared/data)")


# --- datasets --------------------------------------------------------------

def unique(seq):
    seen, out = set(), []
    for s in seq:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def read_stsb(path):
    """(score, s1, s2) rows. Plain tab split, no CSV quoting; first 7 columns only."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) < 7:
                raise ValueError(f"{path}: short row {line!r}")
            rows.append((float(cols[4]), cols[5], cols[6]))
    return rows


def read_tsv(path, a, b):
    with open(path, encoding="utf-8", newline="") as f:
        lines = [l.rstrip("\r\n") for l in f if l.strip()]
    head = lines[0].split("\t")
    ia, ib = head.index(a), head.index(b)
    rows = [l.split("\t") for l in lines[1:]]
    return [(r[ia], r[ib]) for r in rows]


def pair_sides(pairs):
    return unique([s for p in pairs for s in p])


def long_text():
    """Exactly 10,000 code points of mixed, deterministic text."""
    parts = ["The quick brown fox jumps over the lazy dog.", "Naïve café résumé, déjà vu.",
             "Größe straße ÄÖÜ.", "数据科学与自然语言处理。", "こんにちは、世界！",
             "안녕하세요 세계.", "مرحبا بالعالم.", "שלום עולם.", "Emoji 👍🏽 and 👨\u200d👩\u200d👧.",
             "Numbers: 3.14159, 1,000,000 and 2024-01-01.", "Tabs\tand\u00a0spaces\u2003here."]
    out, i = [], 0
    while sum(len(p) + 1 for p in out) < 10000:
        out.append(parts[i % len(parts)])
        i += 1
    text = " ".join(out)[:10000]
    assert len(text) == 10000
    return text


def hostile():
    """Texts that break naive tokenizers. Written with escapes so that every code point is visible."""
    zalgo = "Z\u0351\u0358\u036b\u0353a\u0357\u0352\u0359l\u0367\u034a\u0323g\u0350\u0315\u0318o\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308"
    return [
        # combining marks, precomposed vs decomposed
        "e\u0301", "caf\u00e9 cafe\u0301", "Caf\u00e9 vs Cafe\u0301",
        "A\u030angstr\u00f6m \u00c5ngstro\u0308m \u212bngstr\u00f6m",
        "na\u00efve r\u00e9sum\u00e9 na\u0131\u0308ve",
        zalgo, "x" + "\u0301" * 30, " \u0301 leading combining mark",
        # case mapping and compatibility forms
        "\u0130stanbul ISTANBUL istanbul", "Stra\u00dfe STRASSE", "\u01c5 \u01c4 \u01c6",
        "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2",
        "\ufb01nance \ufb02ow \u2167 \u338f \u00bd \u00b2 \u2460", "\U0001d400\U0001d401\U0001d402 math bold",
        "\uff21\uff22\uff23\uff11\uff12\uff13 fullwidth", "\uff76\uff80\uff76\uff85 halfwidth katakana",
        # emoji
        "\U0001f44d", "thumbs \U0001f44d\U0001f3fd up", "family \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
        "flags \U0001f1e9\U0001f1ea\U0001f1ef\U0001f1f5 rainbow \U0001f3f3\ufe0f\u200d\U0001f308",
        "\u2764\ufe0f 1\ufe0f\u20e3 \U0001f9d1\U0001f3ff\u200d\U0001f4bb", "\U0001f600\U0001f603\U0001f604\U0001f601",
        # CJK
        "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u30ab\u30bf\u30ab\u30ca\u3001\u3072\u3089\u304c\u306a\u3002",
        "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.", "mixed English\u4e2d\u6587text",
        "\U00020000\U0002a6d6 CJK extension B",
        # right to left
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
        "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "The word \u05e9\u05dc\u05d5\u05dd means peace.",
        "\u202eright-to-left override\u202c and \u200fRLM\u200e",
        "\u0661\u0662\u0663 Arabic-Indic digits",
        # control characters
        "a\tb", "a\r\nb\rc\nd", "".join(chr(i) for i in range(0x20)) + "end",
        "x\x7fy", "next\u0085line", "nul\x00byte", "bell\x07 and escape\x1b[0m",
        # zero-width characters
        "zero\u200bwidth", "non\u200cjoiner\u200djoiner", "\ufeffbyte order mark", "word\u2060joiner",
        "\u200b\u200c\u200d\ufeff",
        # Unicode spaces
        "non\u00a0breaking\u00a0space", "en\u2002em\u2003thin\u2009hair\u200aideographic\u3000end",
        "narrow\u202fnbsp and ogham\u1680space", "line\u2028separator paragraph\u2029separator",
        # long words
        "a" * 150, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
        "https://example.invalid/" + "path/" * 30 + "?q=" + "x" * 40,
        "\u00e9" * 120, "\u4e2d" * 120,
        # lone punctuation
        ".", "!!!", "?", "...", "\u2014", "\u00bf\u00a1", "(", "\"", "'", "@#$%^&*()_+", "\u2026",
        # mixed case, numbers
        "ThIs Is MiXeD cAsE", "iPhone McDonald's O'Neill", "HELLO WORLD",
        "3.14159 1,000,000 2024-01-01 10:30pm $5.99 -42 1e-9", "0x1F 0b1010 007",
        # other oddities
        "\ufffd replacement \ue000 private use", "tab\t\tdouble", "  leading and trailing  ",
        "multiple     spaces", "``quotes'' and \u201csmart\u201d \u2018ones\u2019",
        "[CLS] [SEP] [MASK] <s> </s> <mask> <pad> [UNK] special strings",
        # a long text, empty and blank inputs
        long_text(), "", " ", "   ", "\t\n", "\u3000", "\u00a0",
    ]


def datasets(data):
    sts_test = read_stsb(os.path.join(data, "stsb", "sts-test.csv"))
    sts_dev = read_stsb(os.path.join(data, "stsb", "sts-dev.csv"))
    sick = read_tsv(os.path.join(data, "sick", "SICK_test_relatedness.tsv"), "sentence_A", "sentence_B")
    bio = read_tsv(os.path.join(data, "biosses", "biosses.tsv"), "sentence1", "sentence2")
    return {
        "stsb-test": pair_sides([(a, b) for _, a, b in sts_test]),
        "stsb-dev": pair_sides([(a, b) for _, a, b in sts_dev]),
        "sick-test": pair_sides(sick),
        "biosses": pair_sides(bio),
        "hostile": hostile(),
    }, sts_test


# --- output helpers --------------------------------------------------------

def write_bytes(path, data):
    """Write only when the content changes, atomically; return 'same' or 'wrote'."""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return "same"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return "wrote"


def json_bytes(obj):
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def f32_b64(array):
    import numpy as np
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def f32_list(vec):
    import numpy as np
    return [float(x) for x in np.asarray(vec, dtype=np.float32)]


def rel(path):
    return os.path.relpath(path, REPO)


def report(status, path, extra=""):
    print(f"  {status:5} {rel(path)} ({os.path.getsize(path):,} B){extra}")


def versions():
    import numpy, scipy, sentence_transformers, tokenizers, torch, transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "tokenizers": tokenizers.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__}


def snapshot_dir(repo_id):
    from huggingface_hub import snapshot_download
    return snapshot_download(repo_id, local_files_only=True)


# --- tokenizers ------------------------------------------------------------

def load_tokenizer(path):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok


def tokenizer_goldens(tok_paths, sets):
    print("tokenizers:")
    for name, path in tok_paths.items():
        tok = load_tokenizer(path)
        for set_name, texts in sets.items():
            lines = []
            encs = tok.encode_batch(texts, add_special_tokens=True)
            for text, enc in zip(texts, encs):
                lines.append(json.dumps({"text": text, "ids": enc.ids,
                                         "offsets": [list(o) for o in enc.offsets],
                                         "special": enc.special_tokens_mask},
                                        ensure_ascii=False, separators=(",", ":")))
            out = os.path.join(GOLDEN, "tokenizers", f"{name}-{set_name}.jsonl.gz")
            st = write_bytes(out, gzip_bytes(("\n".join(lines) + "\n").encode("utf-8")))
            ntok = sum(len(e.ids) for e in encs)
            report(st, out, f": {len(texts)} texts, {ntok} tokens")


# --- the XLM-R-layout tokenizer --------------------------------------------

def build_xlmr_tokenizer(sets):
    """Train a small SentencePiece Unigram model and convert it like XLM-R's.

    No XLM-R tokenizer can be had here, so this one has the same pipeline
    (Precompiled nmt_nfkc charsmap, Metaspace, Unigram with fairseq's id
    offset, <s> $A </s> post-processor) over a 4,000-piece vocabulary.
    """
    import sentencepiece as spm
    from transformers import XLMRobertaTokenizerFast

    corpus = []
    for key in ("stsb-test", "stsb-dev", "sick-test", "biosses", "hostile"):
        corpus += [t for t in sets[key] if t.strip() and len(t) < 2000]
    corpus = [t.replace("\n", " ").replace("\r", " ") for t in corpus]
    work = tempfile.mkdtemp(prefix="xlmr-spm-")
    try:
        txt = os.path.join(work, "corpus.txt")
        with open(txt, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus) + "\n")
        prefix = os.path.join(work, "sentencepiece.bpe")
        # The model file records the trainer's input and prefix paths: keep them relative.
        cwd = os.getcwd()
        os.chdir(work)
        try:
            spm.SentencePieceTrainer.train(
                input="corpus.txt", model_prefix="sentencepiece.bpe",
                model_type="unigram", vocab_size=4000,
                normalization_rule_name="nmt_nfkc", character_coverage=1.0,
                num_threads=1, shuffle_input_sentence=False, input_sentence_size=0,
                unk_id=0, bos_id=1, eos_id=2, pad_id=-1, seed_sentencepiece_size=100000,
                minloglevel=2)
        finally:
            os.chdir(cwd)
        fast = XLMRobertaTokenizerFast(vocab_file=prefix + ".model", model_max_length=512,
                                       from_slow=True)
        stage = os.path.join(work, "tok")
        fast.save_pretrained(stage)
        shutil.copyfile(prefix + ".model", os.path.join(stage, "sentencepiece.bpe.model"))
        files = {}
        for fn in sorted(os.listdir(stage)):
            with open(os.path.join(stage, fn), "rb") as f:
                files[fn] = f.read()
        return files
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- sentence-transformers embeddings --------------------------------------

def st_model(name_or_path):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(name_or_path, device="cpu")


def embedding_goldens(sts_test, revs):
    import numpy as np
    from scipy.stats import pearsonr, spearmanr

    print("embeddings:")
    first = unique([a for _, a, _ in sts_test])[:200]
    scores = np.array([s for s, _, _ in sts_test], dtype=np.float64)
    s1 = [a for _, a, _ in sts_test]
    s2 = [b for _, _, b in sts_test]
    spear = {"dataset": "stsb/sts-test.csv", "pairs": len(sts_test),
             "similarity": "cosine", "batch_size": 32, "generator": versions(), "models": {}}
    for key, repo_id in (("all-MiniLM-L6-v2", MINILM), ("all-mpnet-base-v2", MPNET)):
        model = st_model(repo_id)
        emb = model.encode(first, batch_size=32, convert_to_numpy=True).astype(np.float32)
        out = os.path.join(GOLDEN, "embeddings", f"{key}-stsb200.json")
        doc = {
            "model": repo_id, "revision": revs.get(repo_id),
            "pipeline": [type(m).__name__ for m in model],
            "max_seq_length": model.max_seq_length,
            "sentences_from": "stsb/sts-test.csv, sentence 1 column, first 200 unique, file order",
            "batch_size": 32, "count": len(first), "dim": int(emb.shape[1]),
            "dtype": "float32", "layout": "row-major count x dim, little-endian",
            "generator": versions(),
            "sentences": first,
            "embeddings_f32_le_base64": f32_b64(emb),
        }
        report(write_bytes(out, json_bytes(doc)), out)
        t = time.time()
        ea = model.encode(s1, batch_size=32, convert_to_numpy=True).astype(np.float64)
        eb = model.encode(s2, batch_size=32, convert_to_numpy=True).astype(np.float64)
        cos = (ea * eb).sum(1) / (np.linalg.norm(ea, axis=1) * np.linalg.norm(eb, axis=1))
        spear["models"][repo_id] = {
            "revision": revs.get(repo_id),
            "spearman_x100": round(float(spearmanr(cos, scores).correlation) * 100, 4),
            "pearson_x100": round(float(pearsonr(cos, scores)[0]) * 100, 4),
        }
        print(f"        {repo_id}: STSb test Spearman x100 {spear['models'][repo_id]['spearman_x100']}, "
              f"Pearson x100 {spear['models'][repo_id]['pearson_x100']} ({time.time() - t:.0f} s)")
    out = os.path.join(GOLDEN, "embeddings", "sts-spearman.json")
    report(write_bytes(out, json_bytes(spear)), out)


# --- tiny random-weight models ---------------------------------------------

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            hidden_act="gelu", initializer_range=0.2, hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1)
STD = 0.2


def randomise(module, seed):
    """Every parameter N(0, 0.2); LayerNorm weights 1 + N(0, 0.2). Biases too, so that they matter."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32) * STD
            if "LayerNorm.weight" in name or name.endswith("layer_norm.weight"):
                p.copy_(1.0 + noise)
            else:
                p.copy_(noise)


def copy_files(src_dir, names, dst_dir):
    for n in names:
        shutil.copyfile(os.path.join(src_dir, n), os.path.join(dst_dir, n))


def build_tiny(arch, stage, minilm_dir, mpnet_dir, xlmr_files):
    """Build one tiny sentence-transformers folder in stage/; return the model."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import (BertConfig, BertModel, MPNetConfig, MPNetModel,
                              XLMRobertaConfig, XLMRobertaModel)

    hf = os.path.join(stage, "hf")
    os.makedirs(hf)
    tok_files = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]
    if arch == "bert":
        cfg = BertConfig(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2,
                         layer_norm_eps=1e-12, pad_token_id=0, **TINY)
        model, seed, max_len = BertModel(cfg), 1001, 128
        copy_files(minilm_dir, tok_files, hf)
    elif arch == "mpnet":
        cfg = MPNetConfig(vocab_size=30527, max_position_embeddings=514, layer_norm_eps=1e-5,
                          relative_attention_num_buckets=32, pad_token_id=1, bos_token_id=0,
                          eos_token_id=2, **TINY)
        model, seed, max_len = MPNetModel(cfg), 1002, 128
        copy_files(mpnet_dir, tok_files, hf)
    else:
        vocab = len(json.loads(xlmr_files["tokenizer.json"])["model"]["vocab"])
        cfg = XLMRobertaConfig(vocab_size=vocab, max_position_embeddings=514, type_vocab_size=1,
                               layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                               eos_token_id=2, **TINY)
        model, seed, max_len = XLMRobertaModel(cfg), 1003, 128
        for fn, data in xlmr_files.items():
            with open(os.path.join(hf, fn), "wb") as f:
                f.write(data)
    randomise(model, seed)
    model.eval()
    model.save_pretrained(hf, safe_serialization=(arch != "xlmr"))

    word = models.Transformer(hf, max_seq_length=max_len)
    assert word.auto_model.config.vocab_size == len(word.tokenizer), (arch, len(word.tokenizer))
    if arch == "bert":
        mods = [word, models.Pooling(32, pooling_mode="mean"), models.Normalize()]
    elif arch == "mpnet":
        torch.manual_seed(seed + 10)
        dense = models.Dense(32, 24, bias=True, activation_function=torch.nn.Tanh())
        randomise(dense, seed + 10)
        mods = [word, models.Pooling(32, pooling_mode="cls"), dense, models.Normalize()]
    else:
        mods = [word, models.Pooling(32, pooling_mode="mean")]
    st = SentenceTransformer(modules=mods, device="cpu")
    return st


def tiny_texts(sts_test, host):
    sts = unique([a for _, a, _ in sts_test])[:7]
    pick = ["caf\u00e9 cafe\u0301", "thumbs \U0001f44d\U0001f3fd up",
            "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002",
            "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "zero\u200bwidth",
            "a\tb", "ThIs Is MiXeD cAsE", "3.14159 1,000,000 2024-01-01 10:30pm $5.99 -42 1e-9",
            "!!!", "", "   ", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3]
    assert all(p in host for p in pick)
    # One text longer than max_seq_length (128 tokens), to pin the truncation.
    long = " ".join(unique([a for _, a, _ in sts_test])[7:40])
    texts = sts + pick + [long]
    assert len(texts) == 20
    return texts


def tiny_goldens(sts_test, host, xlmr_files):
    import torch

    print("tiny models:")
    minilm_dir, mpnet_dir = snapshot_dir(MINILM), snapshot_dir(MPNET)
    texts = tiny_texts(sts_test, host)
    for arch in ("bert", "mpnet", "xlmr"):
        stage = tempfile.mkdtemp(prefix=f"tiny-{arch}-")
        try:
            st = build_tiny(arch, stage, minilm_dir, mpnet_dir, xlmr_files)
            out_dir = os.path.join(stage, "out")
            st.save(out_dir, create_model_card=False, safe_serialization=(arch != "xlmr"))
            # Keep the tokenizer files byte-for-byte as given (save_pretrained rewrites them).
            if arch in ("bert", "mpnet"):
                copy_files(minilm_dir if arch == "bert" else mpnet_dir,
                           ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                            "vocab.txt"], out_dir)
            else:
                for fn, data in xlmr_files.items():
                    with open(os.path.join(out_dir, fn), "wb") as f:
                        f.write(data)
            # The config records the temporary folder it was built in; give it a fixed name.
            cfg_path = os.path.join(out_dir, "config.json")
            with open(cfg_path) as f:
                c = json.load(f)
            c["_name_or_path"] = f"likeness-tiny-{arch}"
            with open(cfg_path, "w") as f:
                f.write(json.dumps(c, indent=2, sort_keys=True) + "\n")
            # Version stamps would make every re-run with other versions a diff; keep them fixed.
            cst = os.path.join(out_dir, "config_sentence_transformers.json")
            with open(cst) as f:
                c = json.load(f)
            c["__version__"] = {"sentence_transformers": "(see tests/oracle/requirements.txt)"}
            with open(cst, "w") as f:
                json.dump(c, f, indent=2)
            # Reload from disk: the golden is what a fresh load of the folder gives.
            model = st_model(out_dir)
            model.eval()
            rows = []
            for text in texts:
                feats = model.tokenize([text])
                ids = feats["input_ids"][0].tolist()
                with torch.no_grad():
                    emb = model.encode([text], batch_size=1, convert_to_numpy=True)[0]
                rows.append({"text": text, "ids": ids, "embedding": f32_list(emb)})
            dst = os.path.join(GOLDEN, "tiny", arch)
            changed = sync_dir(out_dir, dst)
            print(f"  {'wrote' if changed else 'same':5} {rel(dst)}/ ({dir_size(dst):,} B: "
                  f"{', '.join(sorted(list_files(dst)))})")
            doc = {
                "model_dir": rel(dst), "arch": arch,
                "pipeline": [type(m).__name__ for m in model],
                "pooling": model[1].get_pooling_mode_str(),
                "max_seq_length": model.max_seq_length,
                "dim": int(model.get_sentence_embedding_dimension()),
                "batch_size": 1,
                "note": "ids are what the model sees: specials added, truncated to max_seq_length",
                "generator": versions(),
                "items": rows,
            }
            out = os.path.join(GOLDEN, "tiny", f"{arch}-embeddings.json")
            report(write_bytes(out, json_bytes(doc)), out)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def list_files(root):
    out = []
    for d, _, fs in os.walk(root):
        for f in fs:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return out


def dir_size(root):
    return sum(os.path.getsize(os.path.join(root, f)) for f in list_files(root))


def sync_dir(src, dst):
    """Make dst hold exactly src's files; write only what differs."""
    changed = False
    want = set(list_files(src))
    if os.path.isdir(dst):
        for f in set(list_files(dst)) - want:
            os.unlink(os.path.join(dst, f))
            changed = True
    for f in sorted(want):
        with open(os.path.join(src, f), "rb") as fh:
            changed |= write_bytes(os.path.join(dst, f), fh.read()) == "wrote"
    return changed


# --- main ------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Regenerate tests/golden/.")
    ap.add_argument("--only", default="tokenizers,embeddings,tiny",
                    help="comma-separated parts to regenerate (default: %(default)s)")
    args = ap.parse_args()
    parts = set(args.only.split(","))

    if os.environ.get("HF_HUB_OFFLINE") != "1":
        print("note: HF_HUB_OFFLINE is not 1; setting it (models come from the local cache)")
        os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    data = find_data_dir()
    sets, sts_test = datasets(data)
    print(f"data: {data}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))

    revs = {}
    for repo_id in (MINILM, MPNET):
        snap = snapshot_dir(repo_id)
        revs[repo_id] = os.path.basename(snap.rstrip("/"))

    # The XLM-R-layout tokenizer is trained here and committed with the tiny xlmr model.
    xlmr_files = build_xlmr_tokenizer(sets)
    xlmr_dir = os.path.join(GOLDEN, "tiny", "xlmr")
    os.makedirs(xlmr_dir, exist_ok=True)
    for fn, blob in xlmr_files.items():
        write_bytes(os.path.join(xlmr_dir, fn), blob)

    if "tokenizers" in parts:
        tok_paths = {
            "minilm": os.path.join(data, "models", "all-MiniLM-L6-v2", "tokenizer.json"),
            "mpnet": os.path.join(snapshot_dir(MPNET), "tokenizer.json"),
            "xlmr": os.path.join(xlmr_dir, "tokenizer.json"),
        }
        tokenizer_goldens(tok_paths, sets)
    if "embeddings" in parts:
        embedding_goldens(sts_test, revs)
    if "tiny" in parts:
        tiny_goldens(sts_test, sets["hostile"], xlmr_files)

    total = dir_size(GOLDEN)
    print(f"tests/golden: {total:,} bytes in {len(list_files(GOLDEN))} files")


if __name__ == "__main__":
    main()
