#!/usr/bin/env python3
"""The core through GObject introspection: docs/examples/explain.py runs every
method (text pairs on the tiny BERT, image–caption pairs on the tiny CLIP),
its --json equals the CLI's numbers for the same request, and its SVG is the
one the CLI draws from that result.  Hermetic: tiny random models only.
Usage: test-python.py CLI SOURCE_ROOT (meson passes both, and the typelib
path).  Prints TAP."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

CLI, ROOT = sys.argv[1], sys.argv[2]
EXAMPLE = os.path.join(ROOT, "docs", "examples", "explain.py")
TINY_BERT = os.path.join(ROOT, "tests", "golden", "tiny", "bert")
TINY_CLIP = os.path.join(ROOT, "tests", "golden", "tiny", "clip")
PHOTO = os.path.join(ROOT, "data", "examples", "coffee.jpg")
A, B = "The coffee is bad.", "This is not a good coffee."
ENV = dict(os.environ, HF_HUB_OFFLINE="1", LIKENESS_THREADS="1")

work = tempfile.mkdtemp(prefix="lk-python-")
results = []


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def close(a, b, tol=1e-9):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
    return a == b


# An aspect layout beside a copy of the tiny BERT, so aspects has one too.
aspect_model = os.path.join(work, "bert-aspects")
shutil.copytree(TINY_BERT, aspect_model)
with open(os.path.join(aspect_model, "likeness_aspects.json"), "w") as f:
    json.dump({"format": "likeness.aspects/1", "n_aspects": 2, "aspect_dim": 8, "aspects": ["first", "second"]}, f)

cases = [
    ("ij", TINY_BERT, ["--param", "steps=4"], [A, B]),
    ("bilrp", TINY_BERT, [], [A, B]),
    ("hxp", TINY_BERT, [], [A, B]),
    ("align", TINY_BERT, [], [A, B]),
    ("distance", TINY_BERT, ["--param", "masks=40", "--param", "unit=word"], [A, B]),
    ("aspects", aspect_model, [], [A, B]),
    ("ij", TINY_CLIP, ["--param", "steps=2", "--image", PHOTO], ["a cup of coffee"]),
    ("bilrp", TINY_CLIP, ["--image", PHOTO], ["a cup of coffee"]),
    ("hxp", TINY_CLIP, ["--image", PHOTO], ["a cup of coffee"]),
    ("distance", TINY_CLIP, ["--param", "masks=20", "--image", PHOTO], ["a cup of coffee"]),
]

for i, (method, model, extra, inputs) in enumerate(cases):
    kind = "image" if "--image" in extra else "text"
    view = {"align": "alignment", "distance": "saliency", "aspects": "aspects"}.get(method,
                                                                                  "saliency" if kind == "image" else "heatmap")
    out = os.path.join(work, "%d.json" % i)
    svg = os.path.join(work, "%d.svg" % i)
    rc, so, se = run([sys.executable, EXAMPLE, "--model", model, "--method", method, "--json", out, "--svg", svg,
                      "--view", view] + extra + inputs)
    name = "%s on a %s pair" % (method, kind)
    check(name + ": runs", rc == 0, se.strip())
    if rc != 0:
        continue
    with open(out) as f:
        result = json.load(f)
    check(name + ": writes the schema", result.get("schema") == "likeness.explanation/1"
          and result["method"]["name"] == method, so)
    check(name + ": prints the similarity", "similarity=%.6f" % result["scores"]["similarity"] in so, so)
    if method in ("ij", "bilrp", "hxp", "align"):
        rows = len(result["tokens"]["a"])
        check(name + ": a matrix of the tokens", len(result["matrix"]) == rows and rows > 0)
    # the CLI draws the same figure from the same result
    cli_svg = os.path.join(work, "%d-cli.svg" % i)
    rc, _, se = run([CLI, "render", "--view", view, out, cli_svg])
    with open(svg, "rb") as f1, open(cli_svg, "rb") as f2:
        check(name + ": the SVG is the CLI's", rc == 0 and f1.read() == f2.read(), se.strip())

# Equal numbers: the same request through the CLI and through Python.
py_json, cli_json = os.path.join(work, "py.json"), os.path.join(work, "cli.json")
rc1, _, se1 = run([sys.executable, EXAMPLE, "--model", TINY_BERT, "--method", "bilrp", "--param", "layer=1",
                   "--json", py_json, A, B])
rc2, _, se2 = run([CLI, "explain", "--model", TINY_BERT, "--method", "bilrp", "--layer", "1", "--json", cli_json, A, B])
if rc1 == 0 and rc2 == 0:
    with open(py_json) as f:
        py = json.load(f)
    with open(cli_json) as f:
        cli = json.load(f)
    check("bilrp: Python and the CLI give equal matrices", close(py["matrix"], cli["matrix"]))
    check("bilrp: Python and the CLI give equal scores", close(py["scores"], cli["scores"]))
    check("bilrp: and record equal parameters", py["method"]["params"] == cli["method"]["params"])
else:
    check("bilrp: Python and the CLI both run", False, se1 + se2)

# A ranking contrast through the binding equals the CLI's, and closes.
py_c, cli_c = os.path.join(work, "py-c.json"), os.path.join(work, "cli-c.json")
D2 = "A woman is slicing an onion."
rc1, so1, se1 = run([sys.executable, EXAMPLE, "--model", TINY_BERT, "--method", "hxp", "--contrast", D2,
                     "--json", py_c, A, B])
rc2, _, se2 = run([CLI, "contrast", "--model", TINY_BERT, "--method", "hxp", "--json", cli_c, A, B, D2])
if rc1 == 0 and rc2 == 0:
    with open(py_c) as f:
        py = json.load(f)
    with open(cli_c) as f:
        cli = json.load(f)
    s = py["scores"]
    check("contrast: Python and the CLI give equal query saliencies", close(py["query_saliency"], cli["query_saliency"]))
    check("contrast: the query saliencies add up to sum_1 - sum_2",
          abs(sum(py["query_saliency"]) - (s["sum_1"] - s["sum_2"])) <= 1e-9 * max(1.0, abs(s["sum_1"])),
          str(s))
    check("contrast: one value per query token", len(py["query_saliency"]) == len(py["tokens"]["a"]))
else:
    check("contrast: Python and the CLI both run", False, se1 + se2)

# Refusals come from the core, with the parameter named.
rc, _, se = run([sys.executable, EXAMPLE, "--model", TINY_BERT, "--method", "bilrp", "--param", "p_keep=2", A, B])
check("an out-of-range value is refused, naming it", rc == 2 and "p_keep: 2 is out of range" in se, se)
rc, _, se = run([sys.executable, EXAMPLE, "--model", TINY_BERT, "--method", "ij", "--param", "masks=20", A, B])
check("a parameter of another method is refused", rc == 2 and "masks does not apply to method 'ij'" in se, se)
rc, _, se = run([sys.executable, EXAMPLE, "--model", TINY_BERT, "--method", "align", "--image", PHOTO, "a cup"])
check("align on an image is refused", rc == 2 and "no image–caption form" in se, se)

shutil.rmtree(work, ignore_errors=True)
print("1..%d" % len(results))
for n, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok and detail:
        for line in detail.splitlines()[-8:]:
            print("# " + line)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
