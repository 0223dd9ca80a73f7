#!/usr/bin/env python3
"""core/'s folders are layers: every #include "lk-….h" of a file in core/X/
names a header of X itself or of a layer X's meson.build says it may use
(lk_Y_dep in its lk_X_deps), and those dependencies form no cycle. The build
enforces the same (a folder's include path holds only its own and its
dependencies' headers); this says which include broke it, and checks the
declared order too.  Usage: check-layers.py SOURCE_ROOT.  Prints TAP."""

import os
import re
import sys

core = os.path.join(sys.argv[1], "core")
layers = sorted(d for d in os.listdir(core) if os.path.isfile(os.path.join(core, d, "meson.build")))
deps, home = {}, {}
for l in layers:
    text = open(os.path.join(core, l, "meson.build")).read()
    m = re.search(r"lk_%s_deps = (.*)" % l, text)
    deps[l] = set(re.findall(r"lk_(\w+?)_dep\b", m.group(1))) if m else set()
    for f in os.listdir(os.path.join(core, l)):
        if f.endswith(".h"):
            home[f] = l

results = []
# a cycle among the declared dependencies
def reach(start):
    seen, todo = set(), list(deps[start])
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo += deps.get(d, ())
    return seen
for l in layers:
    results.append(("%s/ declares no cycle" % l, l not in reach(l), ""))
# every include within a layer or a declared (transitive) dependency
bad = []
for l in layers:
    allowed = {l} | reach(l)
    for f in sorted(os.listdir(os.path.join(core, l))):
        if not f.endswith((".c", ".h")):
            continue
        for n, line in enumerate(open(os.path.join(core, l, f)), 1):
            m = re.match(r'\s*#\s*include\s+"(lk-[^"]+\.h)"', line)
            if m and m.group(1) in home and home[m.group(1)] not in allowed:
                bad.append("core/%s/%s:%d includes %s of %s/, which %s/ may not use"
                           % (l, f, n, m.group(1), home[m.group(1)], l))
results.append(("no include reaches a layer above", not bad, "\n".join(bad)))
results.append(("there are layers", len(layers) >= 2, "found %s" % layers))

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        for d in detail.splitlines():
            print("# " + d)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
