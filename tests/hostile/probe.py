#!/usr/bin/env python3
"""End-to-end probe of likeness-cli with hostile inputs, as a user would meet them.

Each case builds its input at run time in a temporary folder, runs the CLI
under a time limit and checks what issue 12 asks of every input:
  - an answer: exit status 0, 1 or 2, never a signal (crash) and never the
    time limit (hang);
  - for a refused input, exit 1 and a message that names the input (the file,
    the field or the text) and says what was wrong (the case's keywords);
  - no invalid JSON on stdout (no NaN or Infinity) and no temporary file left
    beside an output.
The unit tests check each reader in detail; this checks the classes through
the program a user runs.  Usage: probe.py CLI SOURCE_ROOT (meson passes both).
Prints TAP.
"""

import json
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

CLI = sys.argv[1]
ROOT = sys.argv[2]
TINY = os.path.join(ROOT, "tests", "golden", "tiny")
PHOTO = os.path.join(ROOT, "data", "examples", "coffee.jpg")
TIME_LIMIT = 60

work = tempfile.mkdtemp(prefix="lk-probe-")
results = []


def run(args, timeout=TIME_LIMIT):
    """Runs the CLI; returns (rc, stdout, stderr), rc None on a time-out."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", LIKENESS_THREADS="1")
    try:
        p = subprocess.run([CLI] + args, capture_output=True, timeout=timeout,
                           env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def case(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


def refused(rc, out, err, *keywords):
    """A refusal: exit 1 and a message holding every keyword (case-insensitive)."""
    if rc is None:
        return "hung (killed after %d s)" % TIME_LIMIT
    if rc < 0:
        return "died of signal %s; stderr: %s" % (signal.Signals(-rc).name, err[-300:])
    if rc != 1:
        return "exit %d, expected 1; stderr: %s" % (rc, err[-300:])
    for k in keywords:
        if k.lower() not in err.lower():
            return "message lacks %r: %s" % (k, err.strip()[-400:])
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", err):
        return "message holds raw control bytes: %r" % err[-200:]
    return None


def valid_json_out(out):
    if re.search(r"\bnan\b|\binf\b|Infinity|NaN", out):
        return "stdout holds a non-finite number: %s" % out[:300]
    return None


def copy_model(name):
    dst = tempfile.mkdtemp(prefix=name + "-", dir=work)
    shutil.rmtree(dst)
    shutil.copytree(os.path.join(TINY, name), dst)
    return dst


def edit_config(model, **changes):
    path = os.path.join(model, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg.update(changes)
    with open(path, "w") as f:
        json.dump(cfg, f)


def deep(n):
    return "[" * n + "]" * n


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def leftovers(folder):
    return [f for f in os.listdir(folder) if ".tmp" in f or f.endswith(".partial")]


# ---- deep JSON ----

@case("config.json nested 100000 levels")
def _():
    m = copy_model("bert")
    with open(os.path.join(m, "config.json"), "w") as f:
        f.write('{"a": ' + deep(100000) + "}")
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "config.json", "nest")


@case("tokenizer.json nested 100000 levels")
def _():
    m = copy_model("bert")
    with open(os.path.join(m, "tokenizer.json"), "w") as f:
        f.write('{"model": {"vocab": ' + deep(100000) + "}}")
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "tokenizer.json", "nest")


@case("a result nested 100000 levels (render)")
def _():
    path = os.path.join(work, "deep-result.json")
    with open(path, "w") as f:
        f.write('{"schema": "likeness.explanation/1", "x": ' + deep(100000) + "}")
    rc, out, err = run(["render", path, os.path.join(work, "deep.svg")])
    return refused(rc, out, err, "deep-result.json", "nest")


@case("brackets inside a string are not nesting (a config that must load)")
def _():
    m = copy_model("bert")
    edit_config(m, _comment="[" * 100000 + "{" * 1000)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    if rc != 0:
        return "refused a valid config: exit %s: %s" % (rc, err[-300:])
    return valid_json_out(out)


# ---- images ----

def png(width, height, rows=b""):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(rows or b"\0" * 64)) + chunk(b"IEND", b""))


def explain_image(image, *extra):
    return run(["explain", "--method", "distance", "--model", os.path.join(TINY, "clip"),
                "--image", image, "--masks", "20"] + list(extra) + ["a cup of coffee"])


@case("a PNG that declares 30000 x 30000 pixels")
def _():
    path = os.path.join(work, "huge.png")
    with open(path, "wb") as f:
        f.write(png(30000, 30000))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rc, out, err = explain_image(path)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak > 2 * 1024 * 1024 and peak > before:
        return "peak RSS %.1f GiB decoding it" % (peak / 1048576)
    return refused(rc, out, err, "huge.png", "30000")


@case("a truncated JPEG: refused, or accepted with a warning kept in the result")
def _():
    path = os.path.join(work, "cut.jpg")
    with open(PHOTO, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 3])
    res = os.path.join(work, "cut.json")
    rc, out, err = explain_image(path, "--json", res)
    if rc == 1:
        return refused(rc, out, err, "cut.jpg")
    if rc != 0:
        return "exit %s: %s" % (rc, err[-300:])
    if "cut.jpg" not in err or "trunc" not in err.lower():
        return "accepted without a warning on stderr: %r" % err[-300:]
    with open(res) as f:
        text = f.read()
    if "trunc" not in text.lower():
        return "the warning is not kept in the result"
    return None


@case("a FIFO as --image")
def _():
    path = os.path.join(work, "pipe.png")
    os.mkfifo(path)
    rc, out, err = explain_image(path)
    return refused(rc, out, err, "pipe.png", "regular file")


@case("a directory as --image")
def _():
    path = os.path.join(work, "folder.jpg")
    os.mkdir(path)
    rc, out, err = explain_image(path)
    return refused(rc, out, err, "folder.jpg", "regular file")


@case("a character device as --image")
def _():
    rc, out, err = explain_image("/dev/zero")
    return refused(rc, out, err, "/dev/zero", "regular file")


@case("a text file named .png")
def _():
    path = os.path.join(work, "notes.png")
    with open(path, "w") as f:
        f.write("these are not pixels\n")
    rc, out, err = explain_image(path)
    return refused(rc, out, err, "notes.png")


@case("a symbolic link to a photo is read")
def _():
    path = os.path.join(work, "link.jpg")
    os.symlink(PHOTO, path)
    rc, out, err = explain_image(path)
    return None if rc == 0 else "exit %s: %s" % (rc, err[-300:])


@case("a FIFO as the image of a result (render)")
def _():
    res = os.path.join(work, "fifo-result.json")
    rc, out, err = explain_image(PHOTO, "--json", res)
    if rc != 0:
        return "could not make the result: %s" % err[-300:]
    pipe = os.path.join(work, "moved.jpg")
    os.mkfifo(pipe)
    with open(res) as f:
        doc = json.load(f)
    text = json.dumps(doc).replace(json.dumps(os.path.abspath(PHOTO))[1:-1], pipe)
    if pipe not in text:
        text = json.dumps(doc).replace(json.dumps(PHOTO)[1:-1], pipe)
    with open(res, "w") as f:
        f.write(text)
    rc, out, err = run(["render", "--view", "saliency", res, os.path.join(work, "fifo.png")])
    return refused(rc, out, err, "moved.jpg")


@case("the distance map of a 6000 x 4000 photo: a small result, drawn")
def _():
    from_pixbuf = os.path.join(work, "big.png")
    # A smooth 6000 x 4000 RGB gradient (24 MP), as PNG rows.
    w, h = 6000, 4000
    row = bytes((x * 255 // w) for x in range(w) for _ in range(3))
    rows = b"".join(b"\0" + row for _ in range(h))
    with open(from_pixbuf, "wb") as f:
        f.write(png(w, h, rows))
    res = os.path.join(work, "big.json")
    rc, out, err = explain_image(from_pixbuf, "--json", res)
    if rc != 0:
        return "exit %s: %s" % (rc, err[-300:])
    size = os.path.getsize(res)
    if size > 8 * 1024 * 1024:
        return "the result is %.0f MB" % (size / 1e6)
    fig = os.path.join(work, "big-saliency.png")
    rc, out, err = run(["render", "--view", "saliency", res, fig])
    if rc != 0:
        return "render: exit %s: %s" % (rc, err[-300:])
    return None


# ---- non-finite numbers ----

def poison(model, value):
    path = os.path.join(model, "model.safetensors")
    with open(path, "r+b") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        name, t = next((k, v) for k, v in sorted(header.items())
                       if k != "__metadata__" and v["dtype"] == "F32" and "embeddings" in k)
        begin = t["data_offsets"][0]
        f.seek(8 + n + begin)
        f.write(struct.pack("<f", value) * 64)


@case("a model with NaN weights")
def _():
    m = copy_model("bert")
    poison(m, float("nan"))
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return valid_json_out(out) or refused(rc, out, err, "finite")


@case("a model with Inf weights (explain --json)")
def _():
    m = copy_model("bert")
    poison(m, float("inf"))
    res = os.path.join(work, "inf.json")
    rc, out, err = run(["explain", "--method", "ij", "--steps", "4", "--model", m,
                        "--json", res, "a cat", "a dog"])
    if os.path.exists(res):
        return "a result was written"
    return valid_json_out(out) or refused(rc, out, err, "finite")


def good_result():
    res = os.path.join(work, "good.json")
    if not os.path.exists(res):
        rc, out, err = run(["explain", "--method", "bilrp", "--model", os.path.join(TINY, "bert"),
                            "--json", res, "a cat sat", "a dog sat"])
        assert rc == 0, err
    with open(res) as f:
        return f.read()


@case("a result with 1e999 (render)")
def _():
    text = re.sub(r'("similarity"\s*:\s*)[-0-9.eE+]+', r"\g<1>1e999", good_result(), count=1)
    path = os.path.join(work, "e999.json")
    with open(path, "w") as f:
        f.write(text)
    rc, out, err = run(["render", path, os.path.join(work, "e999.svg")])
    return refused(rc, out, err, "e999.json", "similarity", "finite")


@case("a result with 1e999 in a matrix cell (render)")
def _():
    doc = json.loads(good_result())
    blob = json.dumps(doc)
    m = re.search(r'"matrix"[^\[]*\[\s*(\[\s*)?(-?[0-9.eE+-]+)', blob)
    if not m:
        return "no matrix in the result to poison"
    text = blob[: m.start(2)] + "1e999" + blob[m.end(2):]
    path = os.path.join(work, "cell.json")
    with open(path, "w") as f:
        f.write(text)
    rc, out, err = run(["render", path, os.path.join(work, "cell.svg")])
    return refused(rc, out, err, "cell.json", "finite")


# ---- messages that name the field ----

@case("hidden_size 0")
def _():
    m = copy_model("bert")
    edit_config(m, hidden_size=0)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "hidden_size")


@case("num_attention_heads -3")
def _():
    m = copy_model("bert")
    edit_config(m, num_attention_heads=-3)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "num_attention_heads")


@case("hidden_size not a multiple of the heads")
def _():
    m = copy_model("bert")
    edit_config(m, num_attention_heads=5)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "num_attention_heads")


@case("pad_token_id beyond the vocabulary (XLM-R)")
def _():
    m = copy_model("xlmr")
    edit_config(m, pad_token_id=100000)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "pad_token_id")


@case("pad_token_id beyond the positions (XLM-R)")
def _():
    m = copy_model("xlmr")
    edit_config(m, pad_token_id=600)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "pad_token_id")


@case("pytorch_model.bin that is a plain pickle of protocol 4")
def _():
    import pickle
    m = copy_model("xlmr")
    with open(os.path.join(m, "pytorch_model.bin"), "wb") as f:
        pickle.dump({"weight": [1.0, 2.0]}, f, protocol=4)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "pytorch_model.bin")


@case("pytorch_model.bin whose stored entry declares more bytes than it holds")
def _():
    import zipfile
    m = copy_model("xlmr")
    path = os.path.join(m, "pytorch_model.bin")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    data = bytearray(read_bytes(path))
    # The central directory entry of the second record: its uncompressed size, 458776.
    cd = data.rfind(b"PK\x01\x02", 0, len(data))
    cd = data.find(b"PK\x01\x02")
    cd = data.find(b"PK\x01\x02", cd + 4)
    data[cd + 24:cd + 28] = struct.pack("<I", 458776)
    with open(path, "wb") as f:
        f.write(data)
    rc, out, err = run(["similarity", "--model", m, "a", "b"])
    return refused(rc, out, err, "pytorch_model.bin", names[1])


@case("a BMP whose header declares 2.7 GB")
def _():
    path = os.path.join(work, "header.bmp")
    with open(path, "wb") as f:
        f.write(b"BM6\x12\0\0\0\0\0\0\x36\0\0\0\x28\0\xe2\xa2" + b"\0" * 64)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rc, out, err = explain_image(path)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak > 2 * 1024 * 1024 and peak > before:
        return "peak RSS %.1f GiB" % (peak / 1048576)
    return refused(rc, out, err, "header.bmp")


@case("an older result schema")
def _():
    path = os.path.join(work, "old.json")
    with open(path, "w") as f:
        f.write(good_result().replace("likeness.explanation/1", "likeness.explanation/0"))
    rc, out, err = run(["render", path, os.path.join(work, "old.svg")])
    return refused(rc, out, err, "old.json", "older")


@case("a newer result schema")
def _():
    path = os.path.join(work, "new.json")
    with open(path, "w") as f:
        f.write(good_result().replace("likeness.explanation/1", "likeness.explanation/7"))
    rc, out, err = run(["render", path, os.path.join(work, "new.svg")])
    return refused(rc, out, err, "new.json", "newer")


@case("invalid UTF-8 in text B")
def _():
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    p = subprocess.run([CLI.encode(), b"similarity", b"--model", os.path.join(TINY, "bert").encode(),
                        b"fine", b"caf\xe9 au lait"], capture_output=True, timeout=TIME_LIMIT, env=env)
    return refused(p.returncode, "", p.stderr.decode("utf-8", "replace"), "text B")


@case("--json into a folder that does not exist")
def _():
    target = os.path.join(work, "no-such-folder", "r.json")
    rc, out, err = run(["explain", "--method", "align", "--model", os.path.join(TINY, "bert"),
                        "--json", target, "a cat", "a dog"])
    r = refused(rc, out, err, target)
    if r is None and ".tmp" in err:
        return "the message names the temporary file: %s" % err.strip()
    return r


@case("a PNG beyond cairo's size limit")
def _():
    words = " ".join("word%d" % i for i in range(120))
    res = os.path.join(work, "long.json")
    rc, out, err = run(["explain", "--method", "align", "--model", os.path.join(TINY, "bert"),
                        "--json", res, words, words])
    if rc != 0:
        return "could not make the result: %s" % err[-300:]
    out_png = os.path.join(work, "vast.png")
    rc, out, err = run(["render", "--scale", "16", res, out_png])
    r = refused(rc, out, err, "vast.png")
    if r is None and not re.search(r"--scale|svg", err, re.I):
        return "the message does not say what to do: %s" % err.strip()
    if r is None and not re.search(r"[0-9]+ *[x×] *[0-9]+", err):
        return "the message does not give the size: %s" % err.strip()
    if os.path.exists(out_png):
        return "a file was written"
    return r


# ---- provenance ----

@case("a result records its model's files, their SHA-256 and the runtime")
def _():
    import hashlib
    doc = json.loads(good_result())
    files = doc["model"].get("files") or {}
    bert = os.path.join(TINY, "bert")
    if "model.safetensors" not in files or "tokenizer.json" not in files:
        return "model.files lacks the weights or the tokenizer: %s" % sorted(files)
    for rel, sha in files.items():
        if hashlib.sha256(read_bytes(os.path.join(bert, rel))).hexdigest() != sha:
            return "%s: recorded %s is not its SHA-256" % (rel, sha)
    if doc["model"].get("weights_sha256") != files["model.safetensors"]:
        return "weights_sha256 is not model.safetensors's"
    if doc["model"].get("source") != "local folder":
        return "source: %r" % doc["model"].get("source")
    run_ = doc.get("runtime") or {}
    if not run_.get("libtorch") or not run_.get("likeness") or run_.get("threads", 0) < 1:
        return "runtime: %r" % run_
    return None


@case("render refuses a map over a photo that changed; --allow-changed-image warns")
def _():
    photo = os.path.join(work, "changing.jpg")
    shutil.copy(PHOTO, photo)
    res = os.path.join(work, "changing.json")
    rc, out, err = explain_image(photo, "--json", res)
    if rc != 0:
        return "could not make the result: %s" % err[-300:]
    with open(os.path.join(ROOT, "data", "examples", "chelsea.jpg"), "rb") as f:
        other = f.read()
    with open(photo, "wb") as f:
        f.write(other)
    fig = os.path.join(work, "changing.png")
    rc, out, err = run(["render", "--view", "saliency", res, fig])
    r = refused(rc, out, err, "changing.jpg", "SHA-256")
    if r:
        return r
    if os.path.exists(fig):
        return "a figure was written"
    rc, out, err = run(["render", "--view", "saliency", "--allow-changed-image", res, fig])
    if rc != 0 or "warning" not in err or not os.path.exists(fig):
        return "with --allow-changed-image: exit %s: %s" % (rc, err[-300:])
    return None


# ---- training output ----

@case("train-aspects leaves a user's OUT.partial alone")
def _():
    out_dir = os.path.join(work, "aspects-model")
    partial = out_dir + ".partial"
    os.mkdir(partial)
    keep = os.path.join(partial, "my-notes.txt")
    with open(keep, "w") as f:
        f.write("mine\n")
    pairs = os.path.join(work, "pairs.tsv")
    with open(pairs, "w") as f:
        f.write("text_a\ttext_b\tsame\n")
        for i in range(8):
            f.write("a cat %d\ta dog %d\t%d\n" % (i, i, i % 2))
    rc, out, err = run(["train-aspects", "--base", os.path.join(TINY, "bert"), "--pairs", pairs,
                        "--out", out_dir, "--epochs", "1", "--batch", "4", "--aspect-dim", "2"])
    if not os.path.exists(keep):
        return "the user's %s was deleted (exit %s)" % (partial, rc)
    shutil.rmtree(partial)   # the user's own: not a leftover for the last case
    if rc == 0:
        return None
    return refused(rc, out, err, ".partial")


@case("no temporary file is left beside any output")
def _():
    left = leftovers(work)
    return "left: %s" % left if left else None


def main():
    print("TAP version 13")
    print("1..%d" % len(results))
    failed = 0
    for i, (name, fn) in enumerate(results, 1):
        try:
            why = fn()
        except Exception as e:  # a probe's own failure is a failure too
            why = "probe error: %r" % e
        if why:
            failed += 1
            print("not ok %d - %s" % (i, name))
            print("# " + why.replace("\n", "\n# "))
        else:
            print("ok %d - %s" % (i, name))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
