#!/usr/bin/env python3
"""Compile and link a C program against the core library of an existing meson
build, with exactly the flags meson uses for tests/test-model (read from the
build's compile_commands.json and build.ninja).

    build-c.py BUILD_DIR SOURCE.c OUTPUT
"""
import json
import os
import shlex
import subprocess
import sys


def main():
    build, src, out = (os.path.abspath(a) for a in sys.argv[1:4])
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        entry = next(e for e in json.load(f) if e["file"].endswith("tests/test-model.c"))
    argv = entry.get("arguments") or shlex.split(entry["command"])
    cc, flags, skip = argv[0], [], False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c", "-MQ", "-MF"):
            skip = True
            continue
        if a in ("-MD",) or a.endswith("test-model.c") or a.startswith("-Itests/test-model.p"):
            continue
        flags.append(a)
    link = None
    with open(os.path.join(build, "build.ninja"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("build tests/test-model: "):
            for l in lines[i + 1:i + 6]:
                if l.strip().startswith("LINK_ARGS = "):
                    link = shlex.split(l.split("=", 1)[1])
            break
    if link is None:
        sys.exit("build-c.py: cannot find the link arguments of tests/test-model in build.ninja")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    obj = out + ".o"
    subprocess.run([cc, *flags, "-c", src, "-o", obj], cwd=entry["directory"], check=True)
    subprocess.run(["c++", "-o", out, obj, *link], cwd=build, check=True)


if __name__ == "__main__":
    main()
