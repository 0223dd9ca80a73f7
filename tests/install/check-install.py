#!/usr/bin/env python3
"""check-install.py MESON BUILD_ROOT VERSION APP_ID PREFIX BINDIR DATADIR LOCALEDIR MANDIR LINGUAS

`meson install` into a temporary DESTDIR gives a working app and CLI: every
file a desktop needs is where it belongs, the installed `likeness-cli
--version` and `likeness --help` run, and each translation lies in the
LOCALEDIR the installed app binds its text domain to, and the example
photos lie in DATADIR/likeness/examples and the aspect heads in
DATADIR/likeness/aspect-heads, where the installed app and CLI look.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from report import report

# The example photos of image–caption mode (data/examples).
EXAMPLE_PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg")
# The aspect heads shipped for the default models (data/aspect-heads).
ASPECT_HEADS = ("sentence-transformers--all-MiniLM-L6-v2.safetensors",
                "sentence-transformers--all-mpnet-base-v2.safetensors")


def main(argv):
    if len(argv) != 11:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    meson, build, version, app_id, prefix, bindir, datadir, localedir, mandir, linguas = argv[1:]

    def under(*parts):
        # prefix-relative option values, as meson gives them, or absolute ones
        p = os.path.join(prefix, *parts)
        return os.path.normpath(p)

    dest = tempfile.mkdtemp(prefix="likeness-install-")
    problems = []
    try:
        r = subprocess.run([meson, "install", "-C", build, "--destdir", dest, "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout, file=sys.stderr)
            print(f"meson install failed with status {r.returncode}", file=sys.stderr)
            return 1

        def installed(path):
            return dest + path

        with open(linguas, encoding="utf-8") as f:
            langs = [w for line in f for w in line.split("#", 1)[0].split()]
        expected = [
            under(bindir, "likeness"),
            under(bindir, "likeness-cli"),
            under(datadir, "applications", app_id + ".desktop"),
            under(datadir, "metainfo", app_id + ".metainfo.xml"),
            under(datadir, "glib-2.0", "schemas", app_id + ".gschema.xml"),
            under(datadir, "icons", "hicolor", "scalable", "apps", app_id + ".svg"),
            under(datadir, "icons", "hicolor", "symbolic", "apps", app_id + "-symbolic.svg"),
            under(datadir, "mime", "packages", app_id + ".xml"),
            under(mandir, "man1", "likeness-cli.1"),
        ] + [under(localedir, lang, "LC_MESSAGES", "likeness.mo") for lang in langs] \
          + [under(datadir, "likeness", "examples", name) for name in EXAMPLE_PHOTOS] \
          + [under(datadir, "likeness", "aspect-heads", name) for name in ASPECT_HEADS]
        for p in expected:
            if not os.path.isfile(installed(p)):
                problems.append(f"not installed: {p}")
        for exe in ("likeness", "likeness-cli"):
            p = installed(under(bindir, exe))
            if os.path.isfile(p) and not os.access(p, os.X_OK):
                problems.append(f"not executable: {p}")

        # The installed app looks for its catalogs where they were installed.
        app = installed(under(bindir, "likeness"))
        if os.path.isfile(app):
            with open(app, "rb") as f:
                binary = f.read()
            if (under(localedir).encode() + b"\0") not in binary:
                problems.append(f"the installed likeness does not bind its text domain to {under(localedir)}")
            # ... and for its example photos where they were installed.
            if (under(datadir, "likeness").encode() + b"\0") not in binary:
                problems.append(f"the installed likeness does not look for its example photos in {under(datadir, 'likeness')}")
        # The CLI (the core) looks for the shipped aspect heads there too.
        cli = installed(under(bindir, "likeness-cli"))
        if os.path.isfile(cli):
            with open(cli, "rb") as f:
                if (under(datadir, "likeness").encode() + b"\0") not in f.read():
                    problems.append(f"the installed likeness-cli does not look for aspect heads in {under(datadir, 'likeness')}")

        env = dict(os.environ, DISPLAY="", WAYLAND_DISPLAY="", GSETTINGS_BACKEND="memory",
                   LC_ALL="C.UTF-8", LANGUAGE="")
        env.pop("GSETTINGS_SCHEMA_DIR", None)
        runs = [
            ([installed(under(bindir, "likeness-cli")), "--version"], f"likeness-cli {version} (libtorch "),
            ([installed(under(bindir, "likeness-cli")), "--help"], "Usage: likeness-cli COMMAND"),
            ([installed(under(bindir, "likeness")), "--help"], "See why an embedding model finds two texts alike."),
            ([installed(under(bindir, "likeness")), "--version"], f"likeness {version}\n"),
        ]
        for cmd, want in runs:
            if not os.path.isfile(cmd[0]):
                continue
            r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120, cwd=dest)
            shown = " ".join([os.path.basename(cmd[0])] + cmd[1:])
            if r.returncode != 0:
                problems.append(f"installed `{shown}` exited with {r.returncode}: {r.stderr.strip()}")
            elif want not in r.stdout:
                problems.append(f"installed `{shown}` printed {r.stdout[:200]!r}, expected {want!r}")
            else:
                print(f"installed `{shown}`: {r.stdout.splitlines()[0]}")
    finally:
        shutil.rmtree(dest, ignore_errors=True)

    return report(problems, f"meson install: {len(expected)} files in place, app and CLI run")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
