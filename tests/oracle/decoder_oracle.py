#!/usr/bin/env python3
"""Tiny decoder-only embedders in the Qwen3 and Qwen2 layouts, and their goldens.

Runs in the second oracle venv (tools/setup-oracle.sh --next: transformers 5,
sentence-transformers 6, torch 2.9; Qwen3 needs transformers >= 4.51, which
needs torch >= 2.4, which Debian 12 lacks):

    HF_HUB_OFFLINE=1 .venv-oracle-next/bin/python tests/oracle/decoder_oracle.py

No Qwen tokenizer or weights can be had here, so this builds them in the real
layout: a byte-level BPE trained on the golden text sets with Qwen2's
pre-tokenizer (its Split regex, then ByteLevel without its own regex), NFC,
the ByteLevel decoder, Qwen's special tokens and, as Qwen3-Embedding's
tokenizer does, a post-processor that ends every text with <|endoftext|>
(the token the last-token pooling reads). The weights are transformers'
Qwen3Model / Qwen2Model with every parameter N(0, 0.2) and every RMSNorm
weight 1 + N(0, 0.2), saved by sentence-transformers with last-token pooling,
Normalize and Qwen3-Embedding's query prompt.

Writes:
  tests/golden/tiny/{qwen3,qwen2}/                 the models
  tests/golden/tiny/{qwen3,qwen2}-embeddings.json  ids and embeddings (batch 1),
                                                   with and without the prompt
  tests/golden/tokenizers/qwen-<set>.jsonl.gz      the tokenizer on the text sets
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens as mg  # noqa: E402

QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QUERY_PROMPT = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
STD = 0.2


def build_tokenizer(sets, out_dir):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = []
    for key in ("stsb-test", "stsb-dev", "sick-test", "biosses"):
        corpus += [t for t in sets[key] if t.strip()]
    tok = Tokenizer(models.BPE(byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    tok.add_special_tokens(SPECIALS)
    eot = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(
        single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
        special_tokens=[("<|endoftext|>", eot)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   padding_side="left", model_max_length=512)
    fast.save_pretrained(out_dir)
    return tok.get_vocab_size(), eot


def randomise(module, seed):
    import torch
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32) * STD
            p.copy_(1.0 + noise if name.endswith("norm.weight") else noise)


def build(arch, hf, vocab, eot, seed):
    from transformers import Qwen2Config, Qwen2Model, Qwen3Config, Qwen3Model
    common = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, max_position_embeddings=512, rms_norm_eps=1e-6,
                  tie_word_embeddings=False, pad_token_id=eot, eos_token_id=eot, bos_token_id=None,
                  attn_implementation="eager")
    if arch == "qwen3":
        # head_dim 16 beside hidden 32 and 4 heads, as Qwen3 states it apart
        # from hidden / heads; 2 key/value heads for 4 query heads (GQA).
        cfg = Qwen3Config(num_key_value_heads=2, head_dim=16, rope_theta=1000000.0, **common)
        model = Qwen3Model(cfg)
    else:
        cfg = Qwen2Config(num_key_value_heads=4, rope_theta=10000.0, **common)
        model = Qwen2Model(cfg)
    randomise(model, seed)
    model.eval()
    model.save_pretrained(hf, safe_serialization=True)


def save_model(st, out_dir, name):
    """Saves a SentenceTransformer with its configs made reproducible (a
    fixed name, no transformers version, sentence-transformers' version
    pinned) and loads it back as a user would."""
    from sentence_transformers import SentenceTransformer
    st.save(out_dir, create_model_card=False, safe_serialization=True)
    for fname in ("config.json", "config_sentence_transformers.json"):
        path = os.path.join(out_dir, fname)
        with open(path) as f:
            c = json.load(f)
        if fname == "config.json":
            c["_name_or_path"] = f"likeness-tiny-{name}"
            c.pop("transformers_version", None)
        else:
            c["__version__"] = {"sentence_transformers": "6.3.0"}
        with open(path, "w") as f:
            f.write(json.dumps(c, indent=2, sort_keys=True) + "\n")
    model = SentenceTransformer(out_dir, device="cpu")
    model.eval()
    return model


def golden_rows(model, texts, query_prompt):
    """Each text's ids and embedding (batch 1), and with the query prompt
    (encode(prompt_name="query")) where the text is not blank."""
    rows = []
    for text in texts:
        ids = model.tokenize([text])["input_ids"][0].tolist()
        emb = model.encode([text], batch_size=1, convert_to_numpy=True)[0]
        row = {"text": text, "ids": ids, "embedding": mg.f32_list(emb)}
        if text.strip():
            row["query_ids"] = model.tokenize([query_prompt + text])["input_ids"][0].tolist()
            q = model.encode([text], prompt_name="query", batch_size=1, convert_to_numpy=True)[0]
            row["query_embedding"] = mg.f32_list(q)
        rows.append(row)
    return rows


def truncated_block(out_dir, texts):
    """Matryoshka: sentence-transformers' truncate_dim=16 on the first two texts."""
    from sentence_transformers import SentenceTransformer
    short = SentenceTransformer(out_dir, device="cpu", truncate_dim=16)
    return {"dim": 16, "embeddings": [mg.f32_list(short.encode([t], batch_size=1, convert_to_numpy=True)[0])
                                      for t in texts[:2]],
            "note": "SentenceTransformer(truncate_dim=16).encode of items 0 and 1"}


def main():
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer, models

    torch.manual_seed(0)
    torch.set_num_threads(2)
    data = mg.find_data_dir()
    sets, sts_test = mg.datasets(data)
    print("versions: " + ", ".join(f"{k} {v}" for k, v in mg.versions().items()))
    texts = mg.tiny_texts(sts_test, sets["hostile"])

    for arch, seed in (("qwen3", 1101), ("qwen2", 1102)):
        stage = tempfile.mkdtemp(prefix=f"tiny-{arch}-")
        try:
            hf = os.path.join(stage, "hf")
            os.makedirs(hf)
            vocab, eot = build_tokenizer(sets, hf)
            build(arch, hf, vocab, eot, seed)
            word = models.Transformer(hf, max_seq_length=128)
            st = SentenceTransformer(modules=[word, models.Pooling(32, pooling_mode="lasttoken"), models.Normalize()],
                                     device="cpu", prompts={"query": QUERY_PROMPT, "document": ""})
            out_dir = os.path.join(stage, "out")
            model = save_model(st, out_dir, arch)
            rows = golden_rows(model, texts, QUERY_PROMPT)
            dst = os.path.join(mg.GOLDEN, "tiny", arch)
            changed = mg.sync_dir(out_dir, dst)
            print(f"  {'wrote' if changed else 'same':5} {mg.rel(dst)}/ ({mg.dir_size(dst):,} B)")
            doc = {
                "model_dir": mg.rel(dst), "arch": arch,
                "pipeline": [type(m).__name__ for m in model],
                "pooling": model[1].pooling_mode,
                "max_seq_length": model.max_seq_length,
                "dim": int(model.get_sentence_embedding_dimension()),
                "batch_size": 1,
                "prompts": {"query": QUERY_PROMPT, "document": ""},
                "note": "ids are what the model sees (the post-processor ends each text with <|endoftext|>); "
                        "query_*: encode(prompt_name='query'), the prompt prepended to the text",
                "generator": mg.versions(),
                "truncate_dim": truncated_block(out_dir, texts),
                "items": rows,
            }
            out = os.path.join(mg.GOLDEN, "tiny", f"{arch}-embeddings.json")
            mg.report(mg.write_bytes(out, mg.json_bytes(doc)), out)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    mg.tokenizer_goldens({"qwen": os.path.join(mg.GOLDEN, "tiny", "qwen3", "tokenizer.json")}, sets)


if __name__ == "__main__":
    main()
