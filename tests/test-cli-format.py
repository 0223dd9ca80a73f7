#!/usr/bin/env python3
"""Every likeness-cli command with --format json prints one JSON document on
stdout that parses and says what the command did; --format text (the
default) prints key=value lines; a bad --format is a usage error. Progress
with a label, a rate and an ETA goes to stderr on a terminal (a pty here)
and nowhere else. Hermetic: the tiny models of tests/golden/tiny.

Usage: test-cli-format.py CLI SOURCE_ROOT (meson passes both; TAP out).
"""

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile

CLI, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
TINY = os.path.join(ROOT, "tests", "golden", "tiny")
BERT, CLIP = os.path.join(TINY, "bert"), os.path.join(TINY, "clip")
PHOTO = os.path.join(ROOT, "tests", "golden", "clip", "rgb.jpg")
DATA = os.environ.get("LK_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
STS = os.path.join(DATA, "stsb", "sts-test.csv")
PAIRS = os.path.join(ROOT, "tests", "golden", "aspects", "smoke-pairs.tsv")
A, B, D2 = "The coffee is bad.", "This is not a good coffee.", "A cat sleeps on the sofa."

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in str(detail).strip().splitlines()[-15:]:
            print("#   " + line)
    sys.stdout.flush()
    return ok


def run(args, timeout=300):
    p = subprocess.run([CLI] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def run_json(name, args, want):
    """Runs with --format json; checks exit 0, one document, and @want(doc)."""
    rc, out, err = run(args[:1] + ["--format", "json"] + args[1:])
    if not check(name + ": exits 0", rc == 0, err):
        return None
    try:
        doc = json.loads(out)
    except ValueError as e:
        check(name + ": stdout is one JSON document", False, "%s: %r" % (e, out[:300]))
        return None
    check(name + ": stdout is one JSON document", True)
    check(name + ": the document says what it did", want(doc), json.dumps(doc)[:400])
    return doc


def text_lines(args):
    rc, out, err = run(args)
    keys = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    return rc, out, keys, err


work = tempfile.mkdtemp(prefix="lk-cli-format-")
try:
    # similarity, embed
    run_json("similarity", ["similarity", "--model", BERT, A, B],
             lambda d: d["model"] == "bert" and -1 <= d["similarity"] <= 1)
    run_json("similarity --image", ["similarity", "--model", CLIP, "--image", PHOTO, "a photo"],
             lambda d: d["image"] == PHOTO and -1 <= d["similarity"] <= 1)
    run_json("embed", ["embed", "--model", BERT, A, B],
             lambda d: len(d["embeddings"]) == 2 and len(d["embeddings"][0]) == d["dim"])
    rc, out, keys, err = text_lines(["similarity", "--model", BERT, A, B])
    check("similarity: text is the default, key=value lines", rc == 0 and "similarity" in keys and
          not out.lstrip().startswith("{"), out)
    rc, out, keys, err = text_lines(["embed", "--model", BERT, A])
    vec = keys.get("embeddings", "").split(",")
    check("embed: text gives embeddings=v1,v2,… of dim values", rc == 0 and len(vec) == int(keys.get("dim", -1)), out)

    # explain, every method; its text form lists the top pairs
    explained = {}
    for method, extra in (("bilrp", []), ("ij", ["--steps", "4"]), ("hxp", []), ("align", []),
                          ("distance", ["--masks", "16"])):
        doc = run_json("explain --method " + method, ["explain", "--model", BERT, "--method", method] + extra + [A, B],
                       lambda d, m=method: d["schema"] == "likeness.explanation/1" and d["method"]["name"] == m
                       and "similarity" in d["scores"])
        explained[method] = doc
    run_json("explain --image", ["explain", "--model", CLIP, "--method", "hxp", "--image", PHOTO, "a photo"],
             lambda d: d["method"]["name"] == "hxp" and "image" in d)
    align = explained.get("align") or {"scores": {}}
    check("explain align: bertscore_precision, _recall, _f1 and the content variant",
          all(k in align["scores"] for k in ("bertscore_precision", "bertscore_recall", "bertscore_f1",
                                             "precision", "recall", "f1")), align["scores"])
    rc, out, keys, err = text_lines(["explain", "--model", BERT, "--method", "bilrp", "--top", "3", A, B])
    tops = [l for l in out.splitlines() if l.startswith("top_pair=")]
    check("explain text: --top 3 lists three pairs, strongest first",
          rc == 0 and len(tops) == 3 and tops[0].startswith("top_pair=1 a=") and "verdict" in keys, out)
    vals = [abs(float(l.rsplit("value=", 1)[1])) for l in tops]
    check("explain text: the pairs in order of |value|", vals == sorted(vals, reverse=True), tops)
    # --csv: the values the figure shows; the matrix's cells sum to the sum score
    csv_path, res_path = os.path.join(work, "values.csv"), os.path.join(work, "values.json")
    rc, out, err = run(["explain", "--model", BERT, "--method", "bilrp", "--csv", csv_path, "--json", res_path, A, B])
    if check("explain --csv: exits 0", rc == 0, err):
        import csv as csvmod
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csvmod.DictReader(f))
        res = json.load(open(res_path))
        check("explain --csv: one line a cell, summing to ΣR",
              len(rows) > 0 and list(rows[0]) == ["row", "col", "text_a", "text_b", "value"]
              and abs(sum(float(r["value"]) for r in rows) - res["scores"]["sum"]) < 1e-5, rows[:3])
    rc, out, err = run(["explain", "--model", BERT, "--csv", os.path.join(work, "x.svg"), A, B])
    check("explain --csv x.svg: a usage error, nothing written",
          rc == 2 and "--csv" in err and not os.path.exists(os.path.join(work, "x.svg")), err)
    rc, out, keys, err = text_lines(["explain", "--model", BERT, A, B])
    check("explain: the default method is the registry's (bilrp, the app's)", keys.get("method") == "bilrp", out)
    check("explain text: 10 top pairs by default",
          len([l for l in out.splitlines() if l.startswith("top_pair=")]) == 10, out)

    # explain --method aspects on an aspect space trained here (train-aspects)
    space = os.path.join(work, "space")
    doc = run_json("train-aspects", ["train-aspects", "--base", BERT, "--pairs", PAIRS, "--builtin-metrics",
                                     "--out", space, "--epochs", "1", "--batch", "8", "--max-pairs", "16",
                                     "--aspect-dim", "2", "--warmup", "1"],
                   lambda d: d["out"] == space and d["steps"] >= 1)
    if doc:
        run_json("explain --method aspects", ["explain", "--model", space, "--method", "aspects", A, B],
                 lambda d: d["method"]["name"] == "aspects" and len(d["aspects"]) >= 1)

    # contrast, render
    cdoc = run_json("contrast", ["contrast", "--model", BERT, "--method", "hxp", A, B, D2],
                    lambda d: "similarity_difference" in d["scores"] and "contrast" in d)
    result = os.path.join(work, "bilrp.json")
    with open(result, "w") as f:
        json.dump(explained.get("bilrp") or {}, f)
    svg = os.path.join(work, "bilrp.svg")
    run_json("render (from explain --format json)", ["render", "--describe", result, svg],
             lambda d: d["output"] == svg and d["view"] == "heatmap" and d["description"] and os.path.exists(svg))

    # eval-sts, eval-perturbation, models
    run_json("eval-sts", ["eval-sts", "--model", BERT, "--limit", "20", STS],
             lambda d: d["pairs"] == 20 and abs(d["spearman"]) <= 100 and "pearson" in d)
    rc, out, keys, err = text_lines(["eval-sts", "--model", BERT, "--limit", "20", STS])
    check("eval-sts text: the last line is spearman=", rc == 0 and out.strip().splitlines()[-1].startswith("spearman="),
          out)
    run_json("eval-perturbation", ["eval-perturbation", "--model", BERT, "--data", STS, "--limit", "2",
                                   "--method", "hxp", "--method", "align"],
             lambda d: d["pairs"] == 2 and [m["method"] for m in d["methods"]] == ["hxp", "align"]
             and all("area" in m and "random_area" in m for m in d["methods"]))
    run_json("models", ["models", "--folder", TINY],
             lambda d: "cache" in d and any(m["path"] == os.path.realpath(BERT) or m["id"] == "bert"
                                            for m in d["models"])
             and all(m["kind"] == {"cross-encoder": "cross-encoder", "late-interaction": "late-interaction"}.get(
                         m["id"], "image-text" if m["architecture"] == "clip" else "bi-encoder")
                     for m in d["models"] if m["architecture"])
             and {"image-text", "cross-encoder", "late-interaction"} <= {m["kind"] for m in d["models"]})

    # batch, batch-merge, aggregate
    items = os.path.join(work, "items.tsv")
    with open(items, "w") as f:
        f.write("id\ta\tb\n" + "".join("i%d\tthe %d-th text\tand another, %d\n" % (i, i, i) for i in range(4)))
    outs = []
    for s in range(2):
        o = os.path.join(work, "out-%d.jsonl" % s)
        outs.append(o)
        run_json("batch shard %d" % s, ["batch", "--model", BERT, "--method", "hxp", "--input", items,
                                        "--output", o, "--shard", "%d/2" % s],
                 lambda d, o=o: d["output"] == o and d["done"] == d["items"] and d["failed"] == 0)
    merged = os.path.join(work, "all.jsonl")
    run_json("batch-merge", ["batch-merge", "--input", items, "--output", merged] + outs,
             lambda d: d["lines"] == 4 and d["failed"] == 0 and d["files"] == 2)
    run_json("aggregate", ["aggregate", merged],
             lambda d: d.get("schema", "").startswith("likeness.aggregate/") and d["items"] == 4)

    # a bad --format is a usage error, before any model loads
    rc, out, err = run(["similarity", "--format", "xml", A, B])
    check("--format xml: exit 2 naming the choices", rc == 2 and "--format must be text or json" in err, err)

    # Progress: on a terminal (a pty as stderr), a labelled line with a rate
    # and an ETA; on a pipe, none.
    def under_pty(args):
        master, slave = pty.openpty()
        p = subprocess.Popen([CLI] + args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            r, _, _ = select.select([master], [], [], 120)
            if not r:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not data:
                break
            chunks.append(data)
        out = p.stdout.read()
        p.wait(timeout=120)
        os.close(master)
        return p.returncode, out.decode("utf-8", "replace"), b"".join(chunks).decode("utf-8", "replace")

    for name, args, label, unit in (
            ("eval-sts", ["eval-sts", "--model", BERT, "--limit", "200", STS], "eval-sts: embedding", "sentences/s"),
            ("explain", ["explain", "--model", BERT, "--method", "ij", "--steps", "8", A, B], "explain ij", "%/s"),
            ("eval-perturbation", ["eval-perturbation", "--model", BERT, "--data", STS, "--limit", "3",
                                   "--method", "hxp"], "eval-perturbation hxp", "pairs/s"),
            ("train-aspects", ["train-aspects", "--base", BERT, "--pairs", PAIRS, "--builtin-metrics",
                               "--out", os.path.join(work, "space-pty"), "--epochs", "1", "--batch", "8",
                               "--max-pairs", "16", "--aspect-dim", "2", "--warmup", "1"], "train-aspects epoch 1/1",
             "steps/s"),
            ("batch", ["batch", "--model", BERT, "--method", "hxp", "--input", items,
                       "--output", os.path.join(work, "pty.jsonl")], "batch", "items/s")):
        rc, out, err = under_pty(args)
        check("%s on a terminal: a labelled progress line with rate and ETA on stderr" % name,
              rc == 0 and label in err and unit in err and "ETA" in err and "100%" in err, repr(err[-600:]))
        check("%s on a terminal: stdout holds no progress" % name, "ETA" not in out and "\r" not in out, out[-300:])
    rc, out, err = run(["eval-sts", "--model", BERT, "--limit", "200", STS])
    check("eval-sts on a pipe: no progress line", rc == 0 and "ETA" not in err and "\r" not in err, err)
    rc, out, err = run(["explain", "--model", BERT, "--method", "ij", "--steps", "8", A, B])
    check("explain on a pipe: no progress line", rc == 0 and "ETA" not in err and "\r" not in err, err)
finally:
    shutil.rmtree(work, ignore_errors=True)

print("1..%d" % len(results))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
