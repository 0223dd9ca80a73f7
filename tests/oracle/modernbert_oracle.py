#!/usr/bin/env python3
"""A tiny ModernBERT embedder in the real layout, and its goldens.

Runs in the second oracle venv (tools/setup-oracle-next.sh: transformers 5,
sentence-transformers 6, torch 2.9; ModernBERT needs transformers >= 4.48,
which needs a newer torch than Debian 12's):

    HF_HUB_OFFLINE=1 .venv-oracle-next/bin/python tests/oracle/modernbert_oracle.py

No ModernBERT tokenizer or weights can be had here, so this builds them in
the real layout: ModernBERT's tokenizer is a byte-level BPE (ByteLevel
pre-tokenizer with its GPT-2 regex, no prefix space) whose post-processor
wraps a text as [CLS] … [SEP]; this one is trained on the golden text sets
with the same specials ([UNK] [CLS] [SEP] [PAD] [MASK], the mask token
stripping the space before it). The weights are transformers' ModernBertModel
with every parameter N(0, 0.2) and every LayerNorm weight 1 + N(0, 0.2);
three layers, the middle one sliding (global_attn_every_n_layers 2), and a
window of local_attention 6 (3 tokens each side) so that the window cuts
every golden text but the shortest. Saved by sentence-transformers with mean
pooling, Normalize and nomic's ModernBERT prompts ("search_query: " …).

Writes:
  tests/golden/tiny/modernbert/                 the model
  tests/golden/tiny/modernbert-embeddings.json  ids and embeddings (batch 1),
                                                with and without the prompt, and
                                                under weighted-mean pooling
  tests/golden/tokenizers/modernbert-<set>.jsonl.gz  the tokenizer on the text sets
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens as mg  # noqa: E402
from decoder_oracle import golden_rows, randomise, save_model, truncated_block  # noqa: E402

SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
PROMPTS = {"query": "search_query: ", "document": "search_document: "}
WINDOW = 6


def build_tokenizer(sets, out_dir):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = []
    for key in ("stsb-test", "stsb-dev", "sick-test", "biosses"):
        corpus += [t for t in sets[key] if t.strip()]
    tok = Tokenizer(models.BPE(byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    tok.add_special_tokens([AddedToken(s, lstrip=(s == "[MASK]"), normalized=False) for s in SPECIALS])
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                   pad_token="[PAD]", mask_token="[MASK]", model_max_length=512)
    fast.save_pretrained(out_dir)
    return tok.get_vocab_size(), {s: tok.token_to_id(s) for s in SPECIALS}


def build(hf, vocab, ids, seed):
    from transformers import ModernBertConfig, ModernBertModel
    cfg = ModernBertConfig(vocab_size=vocab, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                           num_attention_heads=4, max_position_embeddings=512, global_attn_every_n_layers=2,
                           local_attention=WINDOW, global_rope_theta=160000.0, local_rope_theta=10000.0,
                           pad_token_id=ids["[PAD]"], cls_token_id=ids["[CLS]"], sep_token_id=ids["[SEP]"],
                           bos_token_id=ids["[CLS]"], eos_token_id=ids["[SEP]"], attn_implementation="eager")
    model = ModernBertModel(cfg)
    randomise(model, seed)
    model.eval()
    model.save_pretrained(hf, safe_serialization=True)
    return cfg


def check_window(cfg):
    """The window as transformers applies it, measured rather than read from
    its source: a one-layer ModernBERT whose layer slides, and the tokens
    whose embeddings move each output (their gradient is non-zero). The
    shim lets a token see local_attention / 2 tokens on either side."""
    import copy
    import torch
    from transformers import ModernBertModel
    one = copy.deepcopy(cfg)
    one.num_hidden_layers = 1
    one.layer_types = ["sliding_attention"]
    model = ModernBertModel(one).eval()
    n = 12
    x = torch.randn(1, n, cfg.hidden_size, generator=torch.Generator().manual_seed(5), requires_grad=True)
    out = model(inputs_embeds=x).last_hidden_state
    reach = 0
    for i in range(n):
        g, = torch.autograd.grad(out[0, i].sum(), x, retain_graph=True)
        reach = max([reach] + [abs(i - j) for j in range(n) if g[0, j].abs().max() > 0])
    want = cfg.local_attention // 2
    if reach != want:
        raise SystemExit(f"a sliding layer reaches {reach} tokens; the shim assumes {want}")
    return reach


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

    stage = tempfile.mkdtemp(prefix="tiny-modernbert-")
    try:
        hf = os.path.join(stage, "hf")
        os.makedirs(hf)
        vocab, special = build_tokenizer(sets, hf)
        cfg = build(hf, vocab, special, 1201)
        word = models.Transformer(hf, max_seq_length=128)
        reach = check_window(cfg)
        layer = cfg.layer_types.index("sliding_attention")
        print(f"  layers {cfg.layer_types}: a sliding layer's token sees {reach} tokens on either side")
        st = SentenceTransformer(modules=[word, models.Pooling(32, pooling_mode="mean"), models.Normalize()],
                                 device="cpu", prompts=PROMPTS)
        out_dir = os.path.join(stage, "out")
        model = save_model(st, out_dir, "modernbert")
        rows = golden_rows(model, texts, PROMPTS["query"])
        # Weighted-mean pooling (SGPT's): the same transformer under
        # Pooling("weightedmean"), on the first four texts.
        weighted = SentenceTransformer(modules=[models.Transformer(out_dir, max_seq_length=128),
                                                models.Pooling(32, pooling_mode="weightedmean"), models.Normalize()],
                                       device="cpu")
        weighted_embs = [mg.f32_list(weighted.encode([t], batch_size=1, convert_to_numpy=True)[0]) for t in texts[:4]]
        dst = os.path.join(mg.GOLDEN, "tiny", "modernbert")
        changed = mg.sync_dir(out_dir, dst)
        print(f"  {'wrote' if changed else 'same':5} {mg.rel(dst)}/ ({mg.dir_size(dst):,} B)")
        doc = {
            "model_dir": mg.rel(dst), "arch": "modernbert",
            "pipeline": [type(m).__name__ for m in model],
            "pooling": model[1].pooling_mode,
            "max_seq_length": model.max_seq_length,
            "dim": int(model.get_sentence_embedding_dimension()),
            "batch_size": 1,
            "prompts": PROMPTS,
            "sliding_layer": layer, "window_reach": reach,
            "note": "ids are what the model sees ([CLS] text [SEP]); query_*: encode(prompt_name='query'); "
                    "window_reach: how far a sliding layer's token sees, measured by gradients",
            "generator": mg.versions(),
            "truncate_dim": truncated_block(out_dir, texts),
            "weightedmean": {"embeddings": weighted_embs,
                             "note": "Pooling(pooling_mode='weightedmean') + Normalize over the same transformer, "
                                     "items 0-3"},
            "items": rows,
        }
        out = os.path.join(mg.GOLDEN, "tiny", "modernbert-embeddings.json")
        mg.report(mg.write_bytes(out, mg.json_bytes(doc)), out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)

    mg.tokenizer_goldens({"modernbert": os.path.join(mg.GOLDEN, "tiny", "modernbert", "tokenizer.json")}, sets)


if __name__ == "__main__":
    main()
