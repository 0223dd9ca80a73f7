#!/usr/bin/env python3
"""check-potfiles.py SOURCE_ROOT — po/POTFILES.in lists exactly the files
with translatable strings.

A file is translatable when it holds a gettext call with a string literal
(_(), N_(), C_(), NC_(), Q_(), ngettext and the g_d*gettext family, the
string possibly on the next line), a GtkBuilder property with
translatable="yes", or is a desktop file, AppStream metainfo or GSettings
schema with a summary or description. Every such file under app/, core/,
data/ and shim/ must be listed, and every listed file must exist.
"""
import os
import re
import sys

SOURCE_DIRS = ("app", "core", "data", "shim")
C_SUFFIXES = (".c", ".h", ".cpp", ".cc", ".hh")
GETTEXT_CALL = re.compile(
    r"(?<![\w.>])(?:_|N_|C_|NC_|Q_|ngettext|dngettext|g_dngettext|dgettext|g_dgettext|g_dpgettext2|dpgettext2)"
    r"\s*\(\s*(?:[A-Za-z_]\w*\s*,\s*)?\"")
C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def translatable(path):
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    if name.endswith(C_SUFFIXES):
        return GETTEXT_CALL.search(C_COMMENT.sub(" ", text)) is not None
    if name.endswith(".ui"):
        return re.search(r"translatable\s*=\s*[\"'](yes|true|1)[\"']", text) is not None
    if name.endswith((".desktop.in", ".metainfo.xml.in", ".appdata.xml.in")):
        return True
    if name.endswith(".gschema.xml"):
        return re.search(r"<(summary|description)\b", text) is not None
    return False


def main(argv):
    if len(argv) != 2:
        print("usage: check-potfiles.py SOURCE_ROOT", file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    potfiles = os.path.join(root, "po", "POTFILES.in")
    with open(potfiles, encoding="utf-8") as f:
        listed = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]

    found = set()
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                if translatable(p):
                    found.add(os.path.relpath(p, root))

    rc = 0
    for f in sorted(found - set(listed)):
        print(f"po/POTFILES.in lacks {f}, which has translatable strings", file=sys.stderr)
        rc = 1
    for f in listed:
        if not os.path.isfile(os.path.join(root, f)):
            print(f"po/POTFILES.in lists {f}, which does not exist", file=sys.stderr)
            rc = 1
    if len(set(listed)) != len(listed):
        print("po/POTFILES.in lists a file twice", file=sys.stderr)
        rc = 1
    if rc == 0:
        print(f"po/POTFILES.in: {len(listed)} files, every file with translatable strings is listed")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
