#!/usr/bin/env python3
"""Explain a pair with Likeness from Python, through GObject introspection.

The same engine, request and result schema as `likeness-cli explain`:

    docs/examples/explain.py --method bilrp --json out.json "A text." "Another text."
    docs/examples/explain.py --method distance --param masks=200 --image photo.jpg "a caption"

Installed, it needs only Debian's python3-gi; from a build folder run it
through `meson devenv -C build python3 docs/examples/explain.py …`, which
sets GI_TYPELIB_PATH and LD_LIBRARY_PATH.  It prints the summary the CLI
prints (key=value), the strongest token pairs, and writes --json/--svg/
--png/--pdf as the CLI does.
"""

import argparse
import json
import sys

import gi

gi.require_version("Likeness", "1.0")
from gi.repository import GLib, Likeness  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2",
                   help="hub id or model folder (default all-MiniLM-L6-v2)")
    default = Likeness.method_to_string(Likeness.method_default())  # the registry's, as the CLI's and the app's
    p.add_argument("--method", default=default,
                   help="%s (default %s)" % (Likeness.method_names_joined(", "), default))
    p.add_argument("--image", help="explain this image and one caption instead of two texts")
    p.add_argument("--contrast", metavar="DOC_2",
                   help="a ranking contrast: why TEXT_B scores above DOC_2 for the query TEXT_A")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a method parameter, e.g. steps=20, quadrature=riemann, p_keep=0.3 (repeatable)")
    p.add_argument("--json", metavar="FILE", help="write the result (schema likeness.explanation/1)")
    for ext in ("svg", "png", "pdf"):
        p.add_argument("--" + ext, metavar="FILE", help="write the figure as " + ext.upper())
    p.add_argument("--view", help="heatmap, alignment, saliency, aspects or report (default: the method's)")
    p.add_argument("--top", type=int, default=5, help="token pairs to print (default 5)")
    p.add_argument("inputs", nargs="+", help="TEXT_A TEXT_B, or with --image the caption")
    return p.parse_args()


def fail(message):
    print("explain.py: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    args = parse_args()
    want = 1 if args.image else 2
    if len(args.inputs) != want:
        print("explain.py: expected %s" % ("one caption after --image" if args.image else "two texts"),
              file=sys.stderr)
        return 2
    ok, method = Likeness.method_from_string(args.method)
    if not ok:
        print("explain.py: unknown method '%s' (expected one of %s)"
              % (args.method, Likeness.method_names_joined(", ")), file=sys.stderr)
        return 2

    request = Likeness.ExplainRequest.new(method)
    if args.image:
        request.set_image(args.image, args.inputs[0])
    else:
        request.set_texts(args.inputs[0], args.inputs[1])
        request.set_contrast(args.contrast)
    try:
        for item in args.param:
            name, sep, value = item.partition("=")
            if not sep:
                raise GLib.Error("--param %s: expected NAME=VALUE" % item)
            request.set_string(name, value)
        request.check(None)
    except GLib.Error as e:
        print("explain.py: " + e.message, file=sys.stderr)
        return 2

    try:
        model = Likeness.Model.load(args.model, Likeness.ModelLoadFlags.ALLOW_DOWNLOAD, None, None, None)
        x = Likeness.explain(model, request, None, None)
    except GLib.Error as e:
        fail(e.message)

    # The numbers: the result as the CLI's --json writes it, and the matrix.
    result = json.loads(x.to_string())
    values, rows, cols = x.get_matrix_values()
    print("method=%s" % result["method"]["name"])
    if "similarity" in result["scores"]:
        print("similarity=%.6f" % result["scores"]["similarity"])
    for key, value in result["scores"].items():
        if key != "similarity" and isinstance(value, (int, float)):
            print("%s=%.6f" % (key, value))
    if rows and cols:
        tokens = result["tokens"]
        pairs = sorted(((values[i * cols + j], i, j) for i in range(rows) for j in range(cols)),
                       key=lambda t: -abs(t[0]))
        for v, i, j in pairs[:args.top]:
            print("pair %s × %s = %.6f" % (tokens["a"][i], tokens["b"][j], v))

    try:
        if args.json:
            x.save(args.json)
        view = None
        if args.contrast:
            view = Likeness.View.CONTRAST
        elif args.view:
            ok, view = Likeness.view_from_string(args.view)
            if not ok:
                return fail("--view must be heatmap, alignment, saliency, aspects or report")
        else:
            info = Likeness.method_info(method)
            ok, view = Likeness.view_from_string(info.views[0])
            if args.image and view == Likeness.View.HEATMAP:
                view = Likeness.View.SALIENCY
        for path in (args.svg, args.png, args.pdf):
            if path:
                Likeness.render_export_file(x, path, view)
    except GLib.Error as e:
        fail(e.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
