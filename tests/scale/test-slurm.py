#!/usr/bin/env python3
"""tools/slurm/submit.sh on a real one-node Slurm cluster on this machine:
an array of 3 shards (likeness-array.sbatch) and the dependent merge write
ALL.jsonl, every item once, equal to a single `likeness-cli batch` run; a
requeued task continues its file (--resume).

Usage: test-slurm.py CLI SOURCE_ROOT (meson passes them; LK_SHARED_DATA
names the shared data).

The cluster is private to the test: munged with a key made for it, then
slurmctld and slurmd in the foreground, all with their files, sockets and
logs in a temporary folder, on free ports, the controller and the node at
127.0.0.1 (Slurm 22.05 still listens on every interface; munge
authenticates every message, with a key only this run has). It needs
Debian's slurmctld, slurmd, slurm-client and munge (tools/setup.sh installs
them) and runs its daemons as the user running the test (root in CI: then
jobs run as root, as they would for that user anyway). Without them the
test fails, saying so. At the end, also on failure or SIGTERM, the daemons
are stopped by their process ids and nothing of this run is left.
Prints TAP.
"""

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scale_common as sc  # noqa: E402

N_SHARDS = 3
N_PAIRS = 20
OPTIONS = ["--method", "bilrp", "--layer", "1"]
DAEMONS = ["munged", "mungekey", "slurmctld", "slurmd"]
CLIENTS = ["sbatch", "squeue", "scontrol", "sinfo"]


def which(name):
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.conf = os.path.join(tmp, "slurm.conf")
        self.sock = os.path.join(tmp, "munge", "sock")

    def spawn(self, name, cmd):
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append((name, p))
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def start(self):
        """None, or what went wrong."""
        t = self.tmp
        user = pwd.getpwuid(os.getuid()).pw_name
        host = socket.gethostname().split(".")[0]
        os.makedirs(os.path.join(t, "munge"), mode=0o700)
        for d in ("state", "spool"):
            os.makedirs(os.path.join(t, d))
        key = os.path.join(t, "munge", "munge.key")
        rc, so, se, _ = sc.run([which("mungekey"), "--create", "--keyfile=" + key], timeout=60)
        if rc != 0:
            return "mungekey failed: " + se + so
        # --force: the folder is private to this run, not munge's usual /run/munge.
        self.spawn("munged", [which("munged"), "--foreground", "--force", "--socket=" + self.sock,
                              "--key-file=" + key, "--pid-file=" + os.path.join(t, "munge", "pid"),
                              "--seed-file=" + os.path.join(t, "munge", "seed"),
                              "--log-file=" + os.path.join(t, "munge", "log")])
        if not self.wait(lambda: os.path.exists(self.sock), 30):
            return "munged did not start:\n" + self.log("munged")
        with open(self.conf, "w") as f:
            f.write("\n".join([
                "ClusterName=likeness-test",
                "SlurmctldHost=%s(127.0.0.1)" % host,
                "SlurmctldPort=%d" % free_port(),
                "SlurmdPort=%d" % free_port(),
                "SlurmUser=%s" % user,
                "SlurmdUser=%s" % user,
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "AuthInfo=socket=%s" % self.sock,
                "StateSaveLocation=%s/state" % t,
                "SlurmdSpoolDir=%s/spool" % t,
                "SlurmctldPidFile=%s/slurmctld.pid" % t,
                "SlurmdPidFile=%s/slurmd.pid" % t,
                "SlurmctldLogFile=%s/slurmctld.log" % t,
                "SlurmdLogFile=%s/slurmd.log" % t,
                # No cgroups: a container or a CI runner may not delegate them.
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_CPU",
                "MpiDefault=none",
                "ReturnToService=2",
                "JobCompType=jobcomp/none",
                "AccountingStorageType=accounting_storage/none",
                "JobAcctGatherType=jobacct_gather/none",
                "NodeName=%s NodeAddr=127.0.0.1 CPUs=%d State=UNKNOWN" % (host, os.cpu_count()),
                "PartitionName=test Nodes=%s Default=YES MaxTime=INFINITE State=UP" % host,
            ]) + "\n")
        self.spawn("slurmctld", [which("slurmctld"), "-D", "-f", self.conf])
        self.spawn("slurmd", [which("slurmd"), "-D", "-f", self.conf])
        env = self.env()

        def idle():
            rc, so, _, _ = sc.run([which("sinfo"), "-h", "-o", "%T"], env=env, timeout=30)
            return rc == 0 and so.strip() == "idle"
        if not self.wait(idle, 90):
            return "the node did not come up idle:\n%s\n%s\n%s" % (self.log("slurmctld"), self.log("slurmd"),
                                                                   sc.run([which("sinfo")], env=env)[1])
        return None

    def env(self, **more):
        return dict(os.environ, SLURM_CONF=self.conf, HF_HUB_OFFLINE="1", **more)

    def wait(self, cond, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if cond():
                return True
            if any(p.poll() is not None for _, p in self.procs):
                return False
            time.sleep(0.5)
        return False

    def job_states(self, job):
        """{job id: JobState} of a job or of every task of an array."""
        rc, so, _, _ = sc.run([which("scontrol"), "show", "job", "-o", str(job)], env=self.env(), timeout=30)
        states = {}
        for line in so.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            jid = fields.get("JobId", "?")
            if "ArrayTaskId" in fields:
                jid = "%s_%s" % (fields.get("ArrayJobId"), fields["ArrayTaskId"])
            states[jid] = fields.get("JobState", "?")
        return states

    def wait_job(self, job, seconds):
        """The final states of the job's tasks, or None at the time-out."""
        final = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
                 "DEADLINE", "PREEMPTED"}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = self.job_states(job)
            if states and all(s in final for s in states.values()):
                return states
            time.sleep(1)
        return None

    def stop(self):
        """Every daemon by its process id, and what slurmd started for
        this run (the job steps carry SLURM_CONF=this run's)."""
        marker = ("SLURM_CONF=" + self.conf).encode()
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for _, p in reversed(self.procs):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        left = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    with open("/proc/%s/environ" % pid, "rb") as f:
                        if marker in f.read().split(b"\0"):
                            os.kill(int(pid), signal.SIGKILL)
                            left.append(int(pid))
                except OSError:
                    pass
        return left


def main():
    cli, root = sys.argv[1:3]
    cli = os.path.abspath(cli)
    tap = sc.Tap()
    submit = os.path.join(root, "tools", "slurm", "submit.sh")
    sbatch_script = os.path.join(root, "tools", "slurm", "likeness-array.sbatch")
    missing = [n for n in DAEMONS + CLIENTS if which(n) is None]
    if not tap.check("Slurm and munge are installed (slurmctld, slurmd, slurm-client, munge: tools/setup.sh)",
                     not missing, "missing: %s" % ", ".join(missing)):
        return tap.finish()

    def on_term(*_):
        raise SystemExit("terminated")
    signal.signal(signal.SIGTERM, on_term)

    work = tempfile.mkdtemp(prefix="lk-slurm-test-")
    tmp = tempfile.mkdtemp(prefix="lk-slurm-", dir="/tmp")   # short: munge's socket lives there
    cluster = Cluster(tmp)
    try:
        items = os.path.join(work, "items.jsonl")
        n = sc.make_items(items, N_PAIRS)
        outdir = os.path.join(work, "out")
        env = cluster.env(LIKENESS_CLI=cli, LIKENESS_THREADS="1")

        # Refusals before anything is submitted.
        rc, _, se, _ = sc.run([submit, "-n", "3", os.path.join(work, "missing.jsonl"), outdir], env=env)
        tap.check("submit.sh refuses a missing input, naming it", rc == 1 and "missing.jsonl is not a readable" in se,
                  se)
        rc, _, se, _ = sc.run([submit, "-n", "3", items, outdir, "--shard", "0/2"], env=env)
        tap.check("submit.sh refuses --shard (the array sets it)", rc == 2 and "--shard is set by the array" in se, se)
        rc, _, se, _ = sc.run([submit, "-n", "x", items, outdir], env=env)
        tap.check("submit.sh refuses a bad -n", rc == 2 and "-n must be a number" in se, se)
        rc, _, se, _ = sc.run(["bash", sbatch_script, items, outdir], env=env)
        tap.check("the sbatch script outside an array says how to submit it",
                  rc == 2 and "not a task of an array job" in se, se)
        rc, _, se, _ = sc.run(["bash", sbatch_script, items, outdir],
                              env=dict(env, SLURM_ARRAY_TASK_ID="1", SLURM_ARRAY_TASK_COUNT="2",
                                       SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_MAX="2"))
        tap.check("the sbatch script refuses an array that is not 0-(N-1)", rc == 2 and "--array=0-1" in se, se)

        why = cluster.start()
        if not tap.check("a private one-node Slurm cluster starts (munged, slurmctld, slurmd)", why is None, why):
            return tap.finish()

        start = time.monotonic()
        rc, so, se, _ = sc.run([submit, "-n", str(N_SHARDS), items, outdir] + OPTIONS, env=env)
        jobs = dict(line.split("=", 1) for line in so.splitlines() if "=" in line)
        if not tap.check("submit.sh submits the array and the merge", rc == 0 and "array_job" in jobs
                         and "merge_job" in jobs, se + so):
            return tap.finish()
        array_states = cluster.wait_job(jobs["array_job"], 600)
        merge_states = cluster.wait_job(jobs["merge_job"], 120)
        t_slurm = time.monotonic() - start
        tap.check("the %d array tasks complete" % N_SHARDS,
                  array_states is not None and len(array_states) == N_SHARDS
                  and set(array_states.values()) == {"COMPLETED"},
                  "%s\n%s" % (array_states, cluster.log("slurmctld")))
        tap.check("the merge ran after them and completed", merge_states is not None
                  and list(merge_states.values()) == ["COMPLETED"], str(merge_states))
        merge_log = "".join(open(os.path.join(outdir, f)).read() for f in os.listdir(outdir) if "merge" in f)
        tap.check("the merge reports lines=%d, failed=1, files=%d" % (n, N_SHARDS),
                  "lines=%d\nfailed=1\nfiles=%d\n" % (n, N_SHARDS) in merge_log, merge_log)

        # Each shard holds its own items (the hash rule, computed here), every item once.
        seen, wrong = [], []
        for i in range(N_SHARDS):
            path = os.path.join(outdir, "OUT-%d.jsonl" % i)
            lines = sc.read_lines(path) if os.path.exists(path) else []
            seen += [o["id"] for o in lines]
            wrong += ["%s in OUT-%d" % (o["id"], i) for o in lines if sc.shard_of(o["id"], N_SHARDS) != i]
        input_ids = [str(o.get("id", k + 1)) for k, o in enumerate(sc.read_lines(items))]
        tap.check("each OUT-I.jsonl holds exactly the ids of shard I (sha256 rule)", not wrong, ", ".join(wrong))
        tap.check("every item is in exactly one shard", sorted(seen) == sorted(input_ids),
                  "%s vs %s" % (sorted(seen), sorted(input_ids)))
        tap.check("no shard is empty (the split is real)",
                  all(os.path.getsize(os.path.join(outdir, "OUT-%d.jsonl" % i)) > 0 for i in range(N_SHARDS)))

        single = os.path.join(work, "single.jsonl")
        rc, _, se, t_single = sc.run([cli, "batch", "--input", items, "--output", single] + OPTIONS, env=env)
        tap.check("a single likeness-cli batch run", rc == 0, se)
        all_path = os.path.join(outdir, "ALL.jsonl")
        merged = sc.read_lines(all_path) if os.path.exists(all_path) else []
        problems, counts = sc.compare_runs(sc.read_lines(single) if rc == 0 else [], merged)
        tap.check("ALL.jsonl equals the single run: the same %d ids in input order, keys, numbers within %g"
                  % (n, sc.TOLERANCE), merged and not problems, "\n".join(problems[:12]))
        tap.note("%d of %d numbers bit-identical" % (counts["identical"], counts["numbers"]))

        # A requeued task: OUT-1 cut as a kill would leave it (a whole line,
        # then part of one), then `scontrol requeue` of that task.
        out1 = os.path.join(outdir, "OUT-1.jsonl")
        with open(out1) as f:
            before = f.readlines()
        if tap.check("shard 1 has at least 2 lines to cut", len(before) >= 2):
            with open(out1, "w") as f:
                f.write(before[0] + before[1][:len(before[1]) // 2])
            task = "%s_1" % jobs["array_job"]
            rc, so, se, _ = sc.run([which("scontrol"), "requeue", task], env=env)
            tap.check("scontrol requeue %s" % task, rc == 0, se + so)
            # Slurm holds a requeued job back for about two minutes (its
            # begin time); make it eligible now, then it runs again.
            rc, so, se, _ = sc.run([which("scontrol"), "update", "JobId=" + task, "StartTime=now"], env=env)
            tap.check("scontrol update %s StartTime=now" % task, rc == 0, se + so)
            states = cluster.wait_job(task, 300)
            tap.check("the requeued task completes", states is not None and list(states.values()) == ["COMPLETED"],
                      "%s\n%s" % (states, cluster.log("slurmctld")))
            after = sc.read_lines(out1)
            problems, _ = sc.compare_runs([json.loads(line) for line in before], after)
            tap.check("it resumed: OUT-1 has its %d lines again, the first kept as it was, none twice"
                      % len(before), not problems and after[0] == json.loads(before[0]), "\n".join(problems[:12]))

        tap.note("sharding over %d array tasks (1 CPU, 1 thread each) of a 1-node Slurm on %d cores: %.2f items/s "
                 "from submit to merged (scheduling included); one process: %.2f items/s"
                 % (N_SHARDS, os.cpu_count(), n / t_slurm, n / t_single))
        tap.note("ignored members: " + "; ".join("%s (%s)" % kv for kv in sc.IGNORED.items()))
    except Exception:  # noqa: BLE001 — reported as a failed check, and the daemons still stopped
        tap.check("the test runs to its end", False, traceback.format_exc())
    finally:
        left = cluster.stop()
        tap.check("the daemons stop and no process of this run is left", not left, "killed: %s" % left)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: test-slurm.py CLI SOURCE_ROOT")
    sys.exit(main())
