#!/usr/bin/env python3
"""Run a Likeness batch audit on a Ray cluster (Ray Data).

    python3 tools/ray/likeness_ray.py --address HEAD:6379 \\
        --input items.jsonl --output out.jsonl --method bilrp [--workers N] [--gpus]

The output is the file `likeness-cli batch --input items.jsonl --output
out.jsonl` writes with the same options: one line per item, in input order,
made by the same core functions (Likeness.BatchReader reads the items here,
in the driver; each Ray actor loads the model once and calls
Likeness.batch_explain_item).  The file is written whole, to a temporary
file in the output's folder that is renamed at the end, so an interrupted
run leaves nothing behind; there is no --resume (use `likeness-cli batch
--shard/--resume` for that, e.g. under Slurm: tools/slurm/).

Every node needs Likeness' typelib and library (an installed Likeness, or
GI_TYPELIB_PATH and LD_LIBRARY_PATH in the environment `ray start` ran in),
PyGObject, and the model (it is fetched from the hub into each node's
Hugging Face cache when missing, as the CLI does, unless HF_HUB_OFFLINE=1).
Exit status: 0 done, 1 failed (input, model, cluster), 2 bad command line.
"""

import argparse
import json
import logging
import math
import os
import socket
import sys
import tempfile
import time

PROG = "likeness_ray.py"
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"   # the CLI's CLI_DEFAULT_MODEL

# The method options of `likeness-cli batch`, in the order cli-request.c
# applies them (so the first bad one is the one the CLI names), each with
# the value that means "not given" there: the registry's default applies.
# The CLI's sentinels are kept as they are (--steps 0 and --seed 0 mean
# the default), so one command line means one request; as there, --masks
# without --stop-at means exactly that many masks (stop-at 0).
INT_OPTIONS = [("layer", -1), ("steps", 0)]
STRING_OPTIONS = ["quadrature", "measure", "ad-mode"]
FLAG_OPTIONS = ["zero-biases", "perturbation"]
SEED_OPTION = ("seed", 0)
DISTANCE_OPTIONS = [("masks", int, -1), ("feature-res", int, -1), ("batch-size", int, -1),
                    ("check-every", int, -1), ("p-keep", float, -1), ("stop-at", float, -1),
                    ("mask-side", str, None), ("unit", str, None), ("replace", str, None)]
WINDOW_OPTIONS = [("closest-window", "closest_min", "closest_max"),
                  ("farthest-window", "farthest_min", "farthest_max")]


class UsageError(Exception):
    """A bad command line: exit status 2."""


class LikenessError(Exception):
    """An input, model or cluster that does not work: exit status 1."""


def likeness():
    """The binding, imported where it runs (the driver and each actor):
    a module object cannot travel to a Ray worker."""
    import gi
    gi.require_version("Likeness", "1.0")
    from gi.repository import GLib, Likeness
    return GLib, Likeness


def build_request(options):
    """An ExplainRequest from the method options (a plain dict, so that the
    actors rebuild the very request the driver checked), set as
    cli_method_options_to_request() sets it."""
    GLib, Likeness = likeness()
    name = options.get("method") or Likeness.method_to_string(Likeness.method_default())  # the registry's, as the CLI's
    ok, method = Likeness.method_from_string(name)
    if not ok:
        raise UsageError("unknown method '%s' (expected one of %s)" % (name, Likeness.method_names_joined(", ")))
    r = Likeness.ExplainRequest.new(method)

    def put(option, value):
        try:
            r.set_string(option, value)
        except GLib.Error as e:
            # The CLI's wording: the option as typed, "--p-keep: 2 is out of range …"
            raise UsageError(("--" + e.message).replace("_", "-"))

    def number(value):
        # g_ascii_dtostr's shortest round trip is Python's repr.
        return repr(float(value)) if isinstance(value, float) else str(value)

    for option, unset in INT_OPTIONS:
        if options.get(option, unset) != unset:
            put(option, number(options[option]))
    for option in STRING_OPTIONS:
        if options.get(option) is not None:
            put(option, options[option])
    for option in FLAG_OPTIONS:
        if options.get(option):
            put(option, "true")
    if options.get(SEED_OPTION[0], SEED_OPTION[1]) != SEED_OPTION[1]:
        put(SEED_OPTION[0], number(options[SEED_OPTION[0]]))
    for option, _, unset in DISTANCE_OPTIONS:
        if options.get(option, unset) != unset:
            put(option, number(options[option]) if not isinstance(options[option], str) else options[option])
        elif option == "stop-at" and options.get("masks", -1) != -1:
            put(option, "0")
    for option, lo, hi in WINDOW_OPTIONS:
        text = options.get(option)
        if text is None:
            continue
        parts = text.split(":")
        good = len(parts) == 2 and parts[0] and parts[1]
        if good:
            try:
                r.set_string(lo, parts[0])
                r.set_string(hi, parts[1])
                good = r.get(Likeness.param_info_find(lo).param) < r.get(Likeness.param_info_find(hi).param)
            except GLib.Error:
                good = False
        if not good:
            raise UsageError("--%s must be LO:HI with 0 ≤ LO < HI ≤ 1, not '%s'" % (option, text))
    return r


def check_request(r):
    """What the request gets wrong whatever the item (a parameter the method
    does not take, distance windows that overlap), refused before the
    cluster is asked for anything.  The CLI finds these per item and writes
    each item's error line; a run where every line would be the same error
    is better refused.  Whether the method takes the item's form (two texts,
    an image) stays per item, as in the CLI."""
    GLib, Likeness = likeness()
    probe = r.copy()
    probe.set_texts("a", "b")
    try:
        probe.check(None)
    except GLib.Error as e:
        if not e.matches(Likeness.error_quark(), Likeness.Error.UNSUPPORTED):
            raise UsageError(e.message)


def check_output(output, input_path):
    """lk_batch_check_output()'s rules, and the CLI's refusal of an output
    that already holds results."""
    try:
        st = os.stat(output)
    except FileNotFoundError:
        folder = os.path.dirname(output) or "."
        if not os.path.isdir(folder):
            raise LikenessError("cannot write %s: the folder %s does not exist" % (output, folder))
        return
    import stat
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise LikenessError("%s is %s, not a file results can be written to" % (output, kind))
    try:
        if os.path.samefile(output, input_path):
            raise LikenessError("%s is both an input and the output: choose another output" % output)
    except FileNotFoundError:
        pass
    if st.st_size > 0:
        raise LikenessError("%s already holds results: choose another output (this driver writes the whole file "
                            "at once and has no --resume)" % output)


def read_items(path):
    """The items as likeness-cli batch reads them (lk_batch_read_items): the
    reader's JSON texts, and two items with one id an error."""
    GLib, Likeness = likeness()
    items, lines = [], {}
    try:
        reader = Likeness.BatchReader.new(path)
        while True:
            ok, item = reader.next()
            if not ok:
                break
            o = json.loads(item)
            if o["id"] in lines:
                raise LikenessError("%s: the id '%s' is on line %d and on line %d: ids must be unique (they decide "
                                    "shards, --resume and merges)" % (path, o["id"], lines[o["id"]], o["line"]))
            lines[o["id"]] = o["line"]
            items.append(item)
    except GLib.Error as e:
        raise LikenessError(e.message)
    return items


class Explainer:
    """One per Ray actor: the model is loaded once, then every batch of
    items goes through Likeness.batch_explain_item, the function the CLI's
    batch calls per item."""

    def __init__(self, options, threads, device):
        # Read by the core when the model loads (lk_model_options_init_from_env):
        # as many libtorch threads as CPUs Ray reserved for this actor.
        os.environ["LIKENESS_THREADS"] = str(threads)
        if device:
            os.environ["LIKENESS_DEVICE"] = device
        GLib, Likeness = likeness()
        self.Likeness = Likeness
        self.request = build_request(options)
        name = options.get("model") or DEFAULT_MODEL
        try:
            self.model = Likeness.Model.load(name, Likeness.ModelLoadFlags.ALLOW_DOWNLOAD, None, None, None)
        except GLib.Error as e:
            raise LikenessError("cannot load the model %s on %s: %s" % (name, socket.gethostname(), e.message))

    def __call__(self, batch):
        lines = []
        for item in batch["item"]:
            line = self.Likeness.batch_explain_item(self.model, self.request, str(item), None)
            if line is None:
                raise LikenessError("the item was cancelled")
            lines.append(line)
        return {"seq": batch["seq"], "line": lines}


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                epilog="Method options as for `likeness-cli batch`; see `likeness-cli batch --help`.")
    p.add_argument("--input", "-i", required=True, metavar="FILE",
                   help="items: JSON Lines {\"id\", \"a\", \"b\"} (or \"image\" and \"b\"), or TSV/CSV with those columns")
    p.add_argument("--output", "-o", required=True, metavar="OUT.jsonl", help="results, one JSON line per item")
    p.add_argument("--address", metavar="HOST:PORT",
                   help="the Ray cluster (default: RAY_ADDRESS, else a cluster started on this machine, else a new "
                        "local one)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="actors, each holding the model (default: the cluster's CPUs / --cpus-per-worker, or its "
                        "GPUs with --gpus)")
    p.add_argument("--cpus-per-worker", type=int, default=1, metavar="C",
                   help="CPUs Ray reserves per actor, and its libtorch threads (default 1)")
    p.add_argument("--gpus", action="store_true", help="one GPU per actor (num_gpus=1), the model on CUDA")
    p.add_argument("--items-per-call", type=int, default=4, metavar="K",
                   help="items per call of an actor (Ray Data's batch size; default 4)")
    m = p.add_argument_group("method options (as likeness-cli batch)")
    m.add_argument("--model", "-m", metavar="M", help="hub id or folder (default %s)" % DEFAULT_MODEL)
    m.add_argument("--method", metavar="METHOD", help="ij, bilrp, hxp, align, distance, aspects (default ij)")
    for option, unset in INT_OPTIONS + [SEED_OPTION]:
        m.add_argument("--" + option, type=int, default=unset, metavar="N")
    for option in STRING_OPTIONS:
        m.add_argument("--" + option, metavar="VALUE")
    for option in FLAG_OPTIONS:
        m.add_argument("--" + option, action="store_true")
    for option, kind, unset in DISTANCE_OPTIONS:
        m.add_argument("--" + option, type=kind, default=unset, metavar="V")
    for option, _, _ in WINDOW_OPTIONS:
        m.add_argument("--" + option, metavar="LO:HI")
    args = p.parse_args(argv)
    for name in ("workers", "cpus_per_worker", "items_per_call"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError("--%s must be at least 1, not %d" % (name.replace("_", "-"), value))
    return args


def method_options(args):
    """The method options as a plain dict for build_request and the actors."""
    keys = ["model", "method"] + [o for o, _ in INT_OPTIONS + [SEED_OPTION]] + STRING_OPTIONS + FLAG_OPTIONS + \
        [o for o, _, _ in DISTANCE_OPTIONS] + [o for o, _, _ in WINDOW_OPTIONS]
    return {k: getattr(args, k.replace("-", "_")) for k in keys}


def cause_message(e):
    """The message of the LikenessError an actor raised, out of what Ray
    wrapped it in (a RayTaskError, or an ActorDiedError that holds the
    actor's traceback as text only); None when there is none."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        for line in reversed(str(e).splitlines()):
            if line.startswith("LikenessError: "):
                return line[len("LikenessError: "):]
        if type(e).__name__ == "LikenessError":
            return str(e)
        e = getattr(e, "cause", None) or e.__cause__ or e.__context__
    return None


def probe_cluster(address):
    """A wrong address is refused at once: ray.init retries one for many
    minutes.  The address probed is the one Ray will use (it replaces a
    loopback address by this machine's unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0,
    see tests/scale/test-ray.py), found with Ray's own rule where this Ray
    version has it."""
    given = address
    try:
        from ray._private.services import canonicalize_bootstrap_address
        address = canonicalize_bootstrap_address(address)
    except Exception:  # noqa: BLE001 — a private helper: without it, probe what was given
        pass
    if address is None:
        return                      # no cluster named: ray.init starts a local one
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except (OSError, ValueError) as e:
        raise LikenessError("cannot reach the Ray cluster at %s%s: %s"
                            % (address, " (given as %s)" % given if given and given != address else "", e))


def run(args):
    options = method_options(args)
    request = build_request(options)
    check_request(request)
    check_output(args.output, args.input)
    items = read_items(args.input)       # a bad file costs no cluster
    if not items:
        return write_lines(iter(()), 0, args.output, 0)   # as the CLI: an empty file

    try:
        import ray
        import ray.data
    except ImportError as e:
        raise LikenessError("cannot import Ray (%s): install it with pip install 'ray[data]'" % e)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    # It logs the whole stack of an actor's failure before raising it; the
    # failure's own message is printed below (and any other error re-raised).
    logging.getLogger("ray.data.exceptions").setLevel(logging.CRITICAL)
    probe_cluster(args.address)
    try:
        ray.init(address=args.address, logging_level=logging.WARNING, log_to_driver=False)
    except Exception as e:  # noqa: BLE001 — Ray raises ConnectionError, RuntimeError, ValueError …
        raise LikenessError("cannot reach the Ray cluster%s: %s"
                            % (" at " + args.address if args.address else "", e))
    try:
        resources = ray.cluster_resources()
        if args.gpus and resources.get("GPU", 0) < 1:
            raise LikenessError("--gpus: the Ray cluster has no GPU (its resources: %s)"
                                % ", ".join("%s=%g" % kv for kv in sorted(resources.items())
                                            if kv[0] in ("CPU", "GPU")))
        workers = args.workers or max(1, int(resources.get("GPU", 0)) if args.gpus
                                      else int(resources.get("CPU", 1) // args.cpus_per_worker))
        workers = max(1, min(workers, len(items)))
        need, kind = (workers, "GPU") if args.gpus else (workers * args.cpus_per_worker, "CPU")
        if need > resources.get(kind, 0):
            # Not refused: an autoscaling cluster adds the nodes once asked.
            print("%s: warning: %d workers need %d %ss and the cluster has %g now: the run waits until it has "
                  "them" % (PROG, workers, need, kind, resources.get(kind, 0)), file=sys.stderr)
        ctx = ray.data.DataContext.get_current()
        # Lines in input order, as the CLI writes them; checked below too.
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        per_call = args.items_per_call
        ds = ray.data.from_items([{"seq": i, "item": s} for i, s in enumerate(items)],
                                 override_num_blocks=max(1, math.ceil(len(items) / per_call)))
        ds = ds.map_batches(Explainer, batch_size=per_call, batch_format="numpy", concurrency=workers,
                            num_cpus=args.cpus_per_worker, num_gpus=1 if args.gpus else 0,
                            fn_constructor_kwargs={"options": options, "threads": args.cpus_per_worker,
                                                   "device": "cuda" if args.gpus else None})
        return write_lines(ds.iter_rows(), len(items), args.output, workers)
    except LikenessError:
        raise
    except Exception as e:  # noqa: BLE001 — what an actor raised reaches us wrapped by Ray
        message = cause_message(e)
        if message is None:
            raise
        raise LikenessError(message)
    finally:
        ray.shutdown()


def write_lines(rows, total, output, workers):
    """The rows' lines into @output, whole or not at all: a temporary file
    beside it, renamed once every line is there and on disk."""
    folder = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(output) + ".", suffix=".part")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)   # the mode the CLI's open(…, 0666) gives
    start = time.monotonic()
    last = (0.0, 0)
    failed = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            n = 0
            for row in rows:
                if int(row["seq"]) != n:
                    raise LikenessError("Ray Data returned item %d where item %d was due: not writing the lines out "
                                        "of order" % (int(row["seq"]), n))
                line = str(row["line"])
                failed += "error" in json.loads(line)
                f.write(line + "\n")
                n += 1
                seconds = time.monotonic() - start
                pct = 100 * n // total
                if n == total or pct >= last[1] + 10 or seconds - last[0] >= 30:
                    print("%s: %d/%d items (%d%%), %d failed, %.2f items/s" % (PROG, n, total, pct, failed,
                                                                                n / seconds if seconds else 0),
                          file=sys.stderr, flush=True)
                    last = (seconds, pct - pct % 10)
            if n != total:
                raise LikenessError("Ray Data returned %d of the %d items" % (n, total))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise
    seconds = time.monotonic() - start
    print("lines=%d\nfailed=%d\nworkers=%d\nseconds=%.3f\nitems_per_s=%.3f"
          % (total, failed, workers, seconds, total / seconds if seconds else 0))
    return 0


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    try:
        return run(args)
    except UsageError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    except LikenessError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("%s: interrupted; %s was not written" % (PROG, args.output), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
