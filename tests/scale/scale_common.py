"""What the scale-out tests (test-ray.py, test-slurm.py) share: the items
they run, the comparison of a distributed run's lines with a single
`likeness-cli batch` run's, and TAP output."""

import hashlib
import json
import os
import subprocess
import sys
import time

# The members a line may legitimately differ in between two runs of one
# request, and why; everything else must be equal (numbers within TOLERANCE).
IGNORED = {
    "created": "the time the line was made (ISO 8601)",
    "timings": "explain_seconds and perturbation_seconds: how long the computation took",
}
TOLERANCE = 1e-6   # absolute, on every number


def make_items(path, n_pairs):
    """n_pairs STS-b test pairs (the shared data set) as a JSON Lines batch
    input, with ids and meta (genre, score), then an item without an id (its
    id is its line number) and one without "b" (an error line): the lines a
    distributed run must reproduce include both kinds."""
    sts = os.path.join(os.environ["LK_SHARED_DATA"], "stsb", "sts-test.csv")
    with open(sts, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for i, row in enumerate(f):
            if i == n_pairs:
                break
            genre, _, _, _, score, a, b = row.rstrip("\n").split("\t")[:7]
            out.write(json.dumps({"id": "sts-test-%d" % (i + 1), "a": a, "b": b, "genre": genre,
                                  "score": float(score)}) + "\n")
        out.write(json.dumps({"a": "An item without an id.", "b": "Its id is its line number."}) + "\n")
        out.write(json.dumps({"id": "no-b", "a": "An item with one text only."}) + "\n")
    return n_pairs + 2


def shard_of(item_id, n):
    """docs/batch.md's rule, computed here independently of the core."""
    return int.from_bytes(hashlib.sha256(item_id.encode("utf-8")).digest()[:8], "big") % n


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def differences(a, b, path=""):
    """Where two JSON values differ (paths), numbers within TOLERANCE,
    skipping IGNORED at the top level; counts compared numbers."""
    found, counts = [], {"numbers": 0, "identical": 0}

    def walk(x, y, where, top):
        if isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys():
                found.append("%s: keys %s vs %s" % (where or "/", sorted(x), sorted(y)))
                return
            for k in x:
                if top and k in IGNORED:
                    if k == "timings" and (not isinstance(x[k], dict) or x[k].keys() != y[k].keys()):
                        found.append("%s/timings: keys differ" % where)
                    continue
                walk(x[k], y[k], where + "/" + k, False)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                found.append("%s: %d vs %d elements" % (where, len(x), len(y)))
                return
            for i, (p, q) in enumerate(zip(x, y)):
                walk(p, q, "%s[%d]" % (where, i), False)
        elif isinstance(x, bool) or isinstance(y, bool):
            if x is not y:
                found.append("%s: %r vs %r" % (where, x, y))
        elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
            counts["numbers"] += 1
            counts["identical"] += x == y
            if not abs(x - y) <= TOLERANCE:
                found.append("%s: %r vs %r" % (where, x, y))
        elif x != y:
            found.append("%s: %r vs %r" % (where, x, y))

    walk(a, b, path, True)
    return found, counts


def compare_runs(expected, got):
    """Item for item: the same ids in the same order, then differences()
    per line. Returns (problems, counts)."""
    problems, total = [], {"numbers": 0, "identical": 0}
    ids_e, ids_g = [o.get("id") for o in expected], [o.get("id") for o in got]
    if ids_e != ids_g:
        problems.append("ids differ: expected %s, got %s" % (ids_e, ids_g))
        return problems, total
    for e, g in zip(expected, got):
        found, counts = differences(e, g)
        problems += ["item %s %s" % (e.get("id"), d) for d in found]
        for k in total:
            total[k] += counts[k]
    return problems, total


def run(cmd, env=None, timeout=600):
    """(rc, stdout, stderr, seconds); rc None on a time-out."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or "", e.stderr or "", time.monotonic() - start
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


class Tap:
    def __init__(self):
        self.results = []
        self.notes = []

    def check(self, name, cond, detail=""):
        self.results.append((name, bool(cond), detail))
        return bool(cond)

    def note(self, text):
        self.notes.append(text)

    def finish(self):
        print("1..%d" % len(self.results))
        for n, (name, ok, detail) in enumerate(self.results, 1):
            print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
            if not ok and detail:
                for line in str(detail).strip().splitlines()[-12:]:
                    print("# " + line)
        for text in self.notes:
            for line in text.splitlines():
                print("# " + line)
        sys.stdout.flush()
        return 0 if self.results and all(ok for _, ok, _ in self.results) else 1
