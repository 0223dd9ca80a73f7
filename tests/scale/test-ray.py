#!/usr/bin/env python3
"""tools/ray/likeness_ray.py on a real two-node Ray cluster on this machine
writes the lines `likeness-cli batch` writes, item for item.

Usage: test-ray.py CLI SOURCE_ROOT VENV (meson passes them; GI_TYPELIB_PATH
and LD_LIBRARY_PATH name the build's core, LK_SHARED_DATA the shared data).

- VENV: a virtual environment made with --system-site-packages (so that
  PyGObject, python3-gi, is seen) holding tests/scale/ray-requirements.txt
  (ray[data] and its dependencies, pinned); made once, reused while the
  requirements file is unchanged. When pip cannot install them the test
  fails, saying why.
- The cluster: a head node and one worker node, one CPU each, started with
  Ray's own ray.cluster_utils.Cluster rather than `ray start`: Ray replaces
  a loopback address given to `ray start` by the machine's address, so
  that its servers listen on every interface, and it aborts a `ray start`
  of a second node when told to stay on loopback
  (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0). With Cluster and that variable,
  both nodes' servers listen on 127.0.0.1 only. Ray's files stay in a
  private RAY_TMPDIR. Every Ray process lives in the process group of the
  one process that holds the cluster; at the end, also on failure or
  SIGTERM, the test shuts the cluster down, then kills that group (not
  `ray stop`, which would stop every Ray cluster of this machine).
- The runs: the items (STS-b pairs, an item without an id, one without
  "b") through IJ with --steps/--layer and through distance with
  --masks/--unit/--p-keep/--seed, once by likeness-cli batch and once by
  the Ray driver (2 actors, one per node); the lines must be equal but for
  scale_common.IGNORED. Then the driver's refusals (a missing input, an
  unknown method, a bad value, a parameter the method does not take, an
  output holding results, duplicate ids, a model the nodes do not have, an
  unreachable cluster, --gpus without a GPU): exit status, a message
  naming the thing, and no output or temporary file left.
Prints TAP, and items/s of both: on a 2-core machine Ray's 2 actors show
its overhead (start, model loads, scheduling), not a speed-up.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scale_common as sc  # noqa: E402

REQUIREMENTS = os.path.join(HERE, "ray-requirements.txt")
N_PAIRS = 20
CLUSTER_TIMEOUT = 180


def requirements_text():
    with open(REQUIREMENTS, encoding="utf-8") as f:
        return f.read()


def pinned_ray():
    for line in requirements_text().splitlines():
        if line.startswith("ray[data]=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit("%s pins no ray[data]==VERSION" % REQUIREMENTS)


def ensure_venv(venv):
    """(python, None) or (None, why pip could not install the requirements)."""
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".likeness-requirements")
    want = requirements_text()
    try:
        with open(stamp, encoding="utf-8") as f:
            if f.read() == want and os.path.exists(python):
                return python, None
    except FileNotFoundError:
        pass
    shutil.rmtree(venv, ignore_errors=True)
    # The system's Python: it has PyGObject (python3-gi), the venv sees it.
    rc, out, err, _ = sc.run([sys.executable, "-m", "venv", "--system-site-packages", venv], timeout=300)
    if rc != 0:
        return None, "python3 -m venv %s failed (is python3-venv installed?):\n%s" % (venv, err or out)
    rc, out, err, _ = sc.run([python, "-m", "pip", "install", "--disable-pip-version-check", "--only-binary",
                              ":all:", "-r", REQUIREMENTS], timeout=1200)
    if rc != 0:
        return None, "pip could not install %s into %s (rc %s):\n%s" % (REQUIREMENTS, venv, rc, (err or out)[-3000:])
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(want)
    return python, None


def bootstrap():
    """Run by the system's Python: make the venv, then go on in it."""
    cli, root, venv = sys.argv[1:4]
    python, why = ensure_venv(venv)
    if python is None:
        tap = sc.Tap()
        tap.check("pip installs ray[data]==%s (tests/scale/ray-requirements.txt)" % pinned_ray(), False, why)
        sys.exit(tap.finish())
    os.execv(python, [python, os.path.abspath(__file__), "--in-venv", cli, root, venv])


# ---- the cluster, held by a process of its own ----

def host_cluster(address_file):
    """Starts the head and one worker node and holds them until SIGTERM."""
    from ray.cluster_utils import Cluster

    store = 150 * 1024 * 1024    # the object store of each node: small, the lines are small
    cluster = Cluster(initialize_head=True, connect=False,
                      head_node_args={"num_cpus": 1, "include_dashboard": False, "object_store_memory": store})
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        cluster.add_node(num_cpus=1, object_store_memory=store)
        cluster.wait_for_nodes()
        with open(address_file + ".part", "w") as f:
            f.write(cluster.address)
        os.replace(address_file + ".part", address_file)
        while not stop:
            time.sleep(0.2)
    finally:
        cluster.shutdown()


def ray_env(tmp):
    env = dict(os.environ, RAY_TMPDIR=tmp, RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", LIKENESS_THREADS="1",
               # Keeps a loopback address loopback (see the docstring).
               RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    env.pop("RAY_ADDRESS", None)
    return env


def start_cluster(tmp, work):
    address_file = os.path.join(work, "ray-address")
    log = open(os.path.join(work, "cluster.log"), "w")
    # A session of its own: every Ray process it starts is in its group.
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--host-cluster", address_file],
                            env=ray_env(tmp), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + CLUSTER_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None and not os.path.exists(address_file):
        time.sleep(0.5)
    if os.path.exists(address_file):
        with open(address_file) as f:
            return proc, f.read().strip(), None
    with open(os.path.join(work, "cluster.log")) as f:
        return proc, None, "the cluster did not start within %d s:\n%s" % (CLUSTER_TIMEOUT, f.read()[-3000:])


def ours(tmp):
    """Processes that carry this run's RAY_TMPDIR: Ray's, whatever group."""
    marker = ("RAY_TMPDIR=" + tmp).encode()
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if marker in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def stop_cluster(proc, tmp):
    """Shut down (SIGTERM: the holder calls Cluster.shutdown), then kill what
    is left of its group and of this run's processes. True when none is left."""
    if proc is None:
        return True
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        for pid in ours(tmp):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(2)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    return not ours(tmp)


# ---- the test ----

def main_in_venv(cli, root):
    tap = sc.Tap()
    driver = os.path.join(root, "tools", "ray", "likeness_ray.py")
    work = tempfile.mkdtemp(prefix="lk-ray-test-")
    # Short: Ray's socket paths live under it (a socket path has 107 bytes).
    tmp = tempfile.mkdtemp(prefix="lk-ray-", dir="/tmp")
    items = os.path.join(work, "items.jsonl")
    n = sc.make_items(items, N_PAIRS)
    env = ray_env(tmp)
    proc = None

    def on_term(*_):
        raise SystemExit("terminated")
    signal.signal(signal.SIGTERM, on_term)

    import ray
    tap.note("ray %s (pinned in tests/scale/ray-requirements.txt), Python %s"
             % (ray.__version__, sys.version.split()[0]))
    tap.check("the venv has the pinned ray", ray.__version__ == pinned_ray(), ray.__version__)
    try:
        # The refusals that come before any cluster is reached.
        refusals(tap, cli, driver, items, work, env)

        proc, address, why = start_cluster(tmp, work)
        if not tap.check("a 2-node Ray cluster starts on 127.0.0.1", address is not None, why):
            return tap.finish()
        tap.check("its address is loopback", address.startswith("127.0.0.1:"), address)

        runs = [("ij", ["--method", "ij", "--steps", "6", "--layer", "4"]),
                ("distance", ["--method", "distance", "--masks", "64", "--unit", "word", "--p-keep", "0.6",
                              "--seed", "3"])]
        speed = []
        for name, options in runs:
            cli_out, ray_out = os.path.join(work, name + "-cli.jsonl"), os.path.join(work, name + "-ray.jsonl")
            rc, so, se, t_cli = sc.run([cli, "batch", "--input", items, "--output", cli_out] + options, env=env)
            if not tap.check("%s: likeness-cli batch runs" % name, rc == 0, se):
                continue
            rc, so, se, t_ray = sc.run([sys.executable, driver, "--address", address, "--input", items,
                                        "--output", ray_out, "--workers", "2"] + options, env=env)
            if not tap.check("%s: likeness_ray.py runs on the cluster" % name, rc == 0, se + so):
                continue
            summary = dict(line.split("=", 1) for line in so.splitlines() if "=" in line)
            tap.check("%s: it reports %d lines, 1 failed, 2 workers" % (name, n),
                      summary.get("lines") == str(n) and summary.get("failed") == "1"
                      and summary.get("workers") == "2", so)
            expected, got = sc.read_lines(cli_out), sc.read_lines(ray_out)
            problems, counts = sc.compare_runs(expected, got)
            tap.check("%s: the same %d ids in the same order, the same keys, every number within %g"
                      % (name, n, sc.TOLERANCE), not problems and len(got) == n, "\n".join(problems[:12]))
            tap.check("%s: the error lines are equal too (no id, no \"b\")" % name,
                      [o for o in got if "error" in o] == [o for o in expected if "error" in o]
                      and sum("error" in o for o in got) == 1)
            tap.check("%s: the method's parameters reached the actors" % name,
                      all(o["method"]["params"] == e["method"]["params"] for o, e in zip(got, expected)
                          if "error" not in o)
                      and got[0]["method"]["params"].get("steps" if name == "ij" else "n_masks") ==
                      (6 if name == "ij" else 64))
            tap.check("%s: no temporary file is left beside the output" % name,
                      sorted(f for f in os.listdir(work) if f.endswith(".part")) == [])
            tap.note("%s: %d of %d numbers bit-identical" % (name, counts["identical"], counts["numbers"]))
            speed.append((name, n / t_cli, n / t_ray, summary.get("items_per_s")))

        cluster_refusals(tap, driver, items, work, env, address)

        tap.note("ignored members: " + "; ".join("%s (%s)" % kv for kv in sc.IGNORED.items()))
        tap.note("items/s, wall clock of the whole command (model loads included), %d items:" % n)
        for name, single, distributed, inner in speed:
            tap.note("  %-8s likeness-cli batch (1 process, 1 thread): %6.2f   Ray (2 nodes, 2 actors, 1 thread "
                     "each): %6.2f   (the driver's own items_per_s, from the dataset's start, actor starts and "
                     "model loads included: %s)" % (name, single, distributed, inner))
        tap.note("on %d cores the Ray figure shows Ray's overhead (cluster connection, actors, a model load per "
                 "actor), not a speed-up; on a real cluster each node adds its cores" % os.cpu_count())
    except Exception:  # noqa: BLE001 — reported as a failed check, and the cluster still stopped
        tap.check("the test runs to its end", False, traceback.format_exc())
    finally:
        left = stop_cluster(proc, tmp)
        tap.check("no Ray process of this run is left", left, "left: %s" % ours(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


def refused(tap, name, result, rc_want, *words, output=None):
    rc, so, se, _ = result
    # A message, not a stack: the driver unwraps what Ray raised.
    ok = rc == rc_want and all(w in se for w in words) and "Traceback" not in se
    if output is not None:
        ok = ok and not os.path.exists(output)
    return tap.check(name, ok, "rc %s, stderr: %s" % (rc, se.strip()))


def refusals(tap, cli, driver, items, work, env):
    out = os.path.join(work, "refused.jsonl")
    base = [sys.executable, driver, "--address", "127.0.0.1:1", "--output", out]
    missing = os.path.join(work, "missing.jsonl")
    refused(tap, "a missing input: exit 1, naming it", sc.run(base + ["--input", missing], env=env), 1,
            missing, "No such file", output=out)
    refused(tap, "an unknown method: exit 2, listing the methods",
            sc.run(base + ["--input", items, "--method", "nope"], env=env), 2,
            "unknown method 'nope'", "bilrp", output=out)
    refused(tap, "an out-of-range value: exit 2, naming the option",
            sc.run(base + ["--input", items, "--method", "distance", "--p-keep", "2"], env=env), 2,
            "--p-keep: 2 is out of range", output=out)
    refused(tap, "a parameter the method does not take: exit 2, before any item",
            sc.run(base + ["--input", items, "--method", "ij", "--masks", "20"], env=env), 2,
            "masks does not apply to method 'ij'", output=out)
    refused(tap, "a bad window: exit 2",
            sc.run(base + ["--input", items, "--method", "distance", "--closest-window", "0.5:0.1"], env=env), 2,
            "--closest-window must be LO:HI", output=out)
    refused(tap, "an output in a missing folder: exit 1, naming the folder",
            sc.run(base[:-1] + [os.path.join(work, "nowhere", "o.jsonl"), "--input", items], env=env), 1,
            os.path.join(work, "nowhere"))
    with open(out, "w") as f:
        f.write("{\"id\": \"kept\"}\n")
    rc = sc.run(base + ["--input", items], env=env)
    with open(out) as f:
        kept = f.read() == "{\"id\": \"kept\"}\n"
    tap.check("an output that holds results: exit 1, the file untouched",
              rc[0] == 1 and "already holds results" in rc[2] and kept, rc[2])
    os.unlink(out)
    refused(tap, "the input as the output: exit 1",
            sc.run(base[:-1] + [items, "--input", items], env=env), 1, "both an input and the output")
    dup = os.path.join(work, "dup.jsonl")
    with open(dup, "w") as f:
        f.write('{"id": "x", "a": "1", "b": "2"}\n{"id": "x", "a": "3", "b": "4"}\n')
    r_ray = sc.run(base + ["--input", dup], env=env)
    r_cli = sc.run([cli, "batch", "--input", dup, "--output", out], env=env)
    sentence = "%s: the id 'x' is on line 1 and on line 2" % dup
    tap.check("duplicate ids: exit 1 with the CLI's message", r_ray[0] == 1 and r_cli[0] == 1 and
              sentence in r_ray[2] and sentence in r_cli[2] and not os.path.exists(out), r_ray[2] + r_cli[2])
    refused(tap, "an unreachable cluster: exit 1 at once, naming the address",
            sc.run(base + ["--input", items], env=env, timeout=60), 1, "cannot reach the Ray cluster at",
            "127.0.0.1:1", output=out)


def cluster_refusals(tap, driver, items, work, env, address):
    out = os.path.join(work, "refused.jsonl")
    base = [sys.executable, driver, "--address", address, "--input", items, "--output", out]
    bad = os.path.join(work, "no-such-model")
    refused(tap, "a model the nodes cannot load: exit 1, naming it, nothing written",
            sc.run(base + ["--model", bad, "--workers", "1"], env=env, timeout=300), 1,
            "cannot load the model " + bad, output=out)
    refused(tap, "--gpus on a cluster without a GPU: exit 1", sc.run(base + ["--gpus"], env=env), 1,
            "--gpus: the Ray cluster has no GPU", output=out)
    tap.check("no temporary file is left after the refusals",
              [f for f in os.listdir(work) if f.endswith(".part")] == [])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--host-cluster":
        host_cluster(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "--in-venv":
        sys.exit(main_in_venv(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4:
        bootstrap()
    else:
        sys.exit("usage: test-ray.py CLI SOURCE_ROOT VENV")
