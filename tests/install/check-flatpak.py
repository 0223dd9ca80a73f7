#!/usr/bin/env python3
"""check-flatpak.py MANIFEST APP_ID PROJECT_ROOT — the Flatpak manifest's structure.

flatpak-builder is not part of the test machines, so this checks what it
would need and what review on Flathub looks at: the app ID, a current GNOME
runtime, the command, a minimal sandbox (finish-args only from an allowed
set, nothing of the home folder but the Hugging Face cache), pinned sources
(every download with a SHA-256, every git source with a commit), libtorch
built as a module without Python or CUDA, and the app built from this tree
with its tests run.  Exit status 1 lists every problem found.
"""
import json
import os
import re
import sys

from report import report

# The sandbox: a GUI on Wayland or X11 with GPU access, the network for
# model downloads only, and the Hugging Face cache.
REQUIRED_FINISH_ARGS = {
    "--socket=wayland",
    "--socket=fallback-x11",
    "--share=ipc",
    "--device=dri",
}
ALLOWED_FINISH_ARGS = REQUIRED_FINISH_ARGS | {
    "--share=network",
    "--filesystem=xdg-cache/huggingface",
    "--filesystem=xdg-cache/huggingface:create",
    "--filesystem=~/.cache/huggingface",
    "--filesystem=~/.cache/huggingface:create",
}
RUNTIMES = {"org.gnome.Platform": "org.gnome.Sdk"}
MIN_GNOME = 47
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX40 = re.compile(r"^[0-9a-f]{40}$")


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    path, app_id, root = argv[1:]
    problems = []

    def bad(msg):
        problems.append(msg)

    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: cannot read the manifest: {e}", file=sys.stderr)
        return 1
    if not isinstance(m, dict):
        print(f"{path}: not a JSON object", file=sys.stderr)
        return 1

    # Identity, runtime, command.
    if m.get("app-id", m.get("id")) != app_id:
        bad(f"app-id is {m.get('app-id', m.get('id'))!r}, expected {app_id!r}")
    if os.path.basename(path) != app_id + ".json":
        bad(f"the manifest should be named {app_id}.json")
    runtime, sdk, version = m.get("runtime"), m.get("sdk"), m.get("runtime-version")
    if runtime not in RUNTIMES:
        bad(f"runtime {runtime!r} is not one of {sorted(RUNTIMES)}")
    elif sdk != RUNTIMES[runtime]:
        bad(f"sdk {sdk!r} does not match the runtime (expected {RUNTIMES[runtime]!r})")
    if not isinstance(version, str) or not re.fullmatch(r"\d+", version) or int(version) < MIN_GNOME:
        bad(f"runtime-version {version!r} is not a current GNOME release (>= {MIN_GNOME})")
    if m.get("command") != "likeness":
        bad(f"command is {m.get('command')!r}, expected 'likeness'")

    # The sandbox.
    finish = m.get("finish-args", [])
    if not isinstance(finish, list) or not all(isinstance(a, str) for a in finish):
        bad("finish-args must be a list of strings")
        finish = []
    if len(set(finish)) != len(finish):
        bad("finish-args has duplicates")
    for a in finish:
        if a not in ALLOWED_FINISH_ARGS:
            bad(f"finish-arg {a} is not allowed (allowed: {', '.join(sorted(ALLOWED_FINISH_ARGS))})")
        if re.match(r"--filesystem=(home|host|host-os|host-etc|~/?)(:.*)?$", a):
            bad(f"finish-arg {a} opens the home folder or the host")
    for a in sorted(REQUIRED_FINISH_ARGS - set(finish)):
        bad(f"finish-args lacks {a}")
    if not any("huggingface" in a for a in finish):
        bad("finish-args gives no access to the Hugging Face cache")

    # Modules and their sources.
    modules = m.get("modules")
    if not isinstance(modules, list) or not modules:
        bad("no modules")
        modules = []
    names = []
    for i, mod in enumerate(modules):
        if not isinstance(mod, dict):
            bad(f"module {i} is not an inline object (keep every module in this file)")
            continue
        name = mod.get("name")
        names.append(name)
        if not name:
            bad(f"module {i} has no name")
        sources = mod.get("sources")
        if not isinstance(sources, list) or not sources:
            bad(f"module {name}: no sources")
            continue
        for j, s in enumerate(sources):
            where = f"module {name}, source {j}"
            if not isinstance(s, dict):
                bad(f"{where}: not an object")
                continue
            kind = s.get("type")
            if kind in ("archive", "file"):
                url = s.get("url")
                if not isinstance(url, str) or not url.startswith("https://"):
                    bad(f"{where}: {kind} needs an https url (got {url!r})")
                if not HEX64.match(str(s.get("sha256", ""))):
                    bad(f"{where}: {kind} needs a sha256 of 64 hex digits (got {s.get('sha256')!r})")
            elif kind == "git":
                if not s.get("url"):
                    bad(f"{where}: git source without url")
                if not HEX40.match(str(s.get("commit", ""))):
                    bad(f"{where}: git source needs a commit of 40 hex digits")
            elif kind == "dir":
                d = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), str(s.get("path", ""))))
                if not os.path.isdir(d):
                    bad(f"{where}: dir {s.get('path')!r} does not exist")
            elif kind == "patch":
                p = os.path.join(os.path.dirname(os.path.abspath(path)), str(s.get("path", "")))
                if not os.path.isfile(p):
                    bad(f"{where}: patch {s.get('path')!r} does not exist")
            else:
                bad(f"{where}: source type {kind!r} is not checked here; use archive, file, git, dir or patch")
    if len(set(names)) != len(names):
        bad("module names are not unique")

    # libtorch, built from source without Python or CUDA.
    torch = [mod for mod in modules if isinstance(mod, dict) and mod.get("name") == "libtorch"]
    if not torch:
        bad("no libtorch module")
    else:
        opts = torch[0].get("config-opts", [])
        for o in ("-DBUILD_PYTHON=OFF", "-DUSE_CUDA=OFF"):
            if o not in opts:
                bad(f"libtorch: config-opts lacks {o}")
        if torch[0].get("buildsystem") not in ("cmake", "cmake-ninja"):
            bad("libtorch: buildsystem must be cmake or cmake-ninja")

    # The app: last, built from this tree with meson, tests run.
    app = modules[-1] if modules and isinstance(modules[-1], dict) else {}
    if app.get("name") != "likeness":
        bad("the last module must be the app, 'likeness'")
    if app.get("buildsystem") != "meson":
        bad("the app module must use the meson buildsystem")
    if app.get("run-tests") is not True:
        bad("the app module must have \"run-tests\": true")
    srcs = app.get("sources") or [{}]
    if len(srcs) != 1 or srcs[0].get("type") != "dir":
        bad("the app module must have exactly one source, of type dir")
    else:
        d = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), str(srcs[0].get("path", ""))))
        if os.path.realpath(d) != os.path.realpath(root):
            bad(f"the app's dir source {srcs[0].get('path')!r} is not the project root")
    if torch and "-Dlibtorch_dir=/app" not in app.get("config-opts", []):
        bad("the app module must build against the libtorch module: -Dlibtorch_dir=/app")

    name = os.path.basename(path)
    return report(problems, f"{name}: {len(modules)} modules, finish-args {' '.join(finish)}: OK", f"{name}: ")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
