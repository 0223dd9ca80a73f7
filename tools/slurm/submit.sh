#!/bin/bash
# submit.sh — a batch audit on Slurm: an array of N shards
# (likeness-array.sbatch) and a merge job that runs once every shard has
# succeeded (--dependency=afterok), checking that every item of INPUT has
# exactly one line.
#
#   tools/slurm/submit.sh [-n N] [-c CPUS] INPUT OUTDIR [likeness-cli batch options…]
#   e.g. tools/slurm/submit.sh -n 16 -c 4 pairs.jsonl runs/audit --method bilrp
#
# Writes OUTDIR/OUT-0.jsonl … OUT-(N−1).jsonl, then OUTDIR/ALL.jsonl (in
# INPUT's order), and Slurm's logs OUTDIR/slurm-*.out; prints the job ids as
# array_job=, merge_job=, output=. Other sbatch options come from sbatch's
# environment variables (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT,
# …), which apply to both jobs. The CLI is $LIKENESS_CLI, else likeness-cli
# on PATH.
set -euo pipefail

me=submit.sh
usage() {
  echo "usage: $me [-n SHARDS] [-c CPUS_PER_TASK] INPUT OUTDIR [likeness-cli batch options…]" >&2
  exit 2
}
n=4
cpus=
while [ $# -gt 0 ]; do
  case $1 in
    -n|--shards) [ $# -ge 2 ] || usage; n=$2; shift 2 ;;
    -c|--cpus-per-task) [ $# -ge 2 ] || usage; cpus=$2; shift 2 ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
case $n in ''|*[!0-9]*|0) echo "$me: -n must be a number of shards of at least 1, not '$n'" >&2; exit 2 ;; esac
if [ -n "$cpus" ]; then
  case $cpus in *[!0-9]*|0) echo "$me: -c must be a number of CPUs of at least 1, not '$cpus'" >&2; exit 2 ;; esac
fi
input=$1
outdir=$2
shift 2
for arg in "$@"; do
  case $arg in
    --input|--input=*|-i|--output|--output=*|-o|--shard|--shard=*|--resume|--queries*|--corpus*)
      echo "$me: $arg is set by the array (INPUT, OUTDIR/OUT-I.jsonl, --shard I/N, --resume); give the others only" >&2
      exit 2 ;;
  esac
done
if [ ! -f "$input" ] || [ ! -r "$input" ]; then
  echo "$me: $input is not a readable file (the batch input)" >&2
  exit 1
fi
cli=$(command -v "${LIKENESS_CLI:-likeness-cli}") || {
  echo "$me: ${LIKENESS_CLI:-likeness-cli} not found: install Likeness, or set LIKENESS_CLI to the likeness-cli to run" >&2
  exit 1
}
command -v sbatch >/dev/null || { echo "$me: sbatch not found: this needs a Slurm client" >&2; exit 1; }
mkdir -p "$outdir"
# Absolute paths: the jobs may start in another folder, on another node.
input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
outdir=$(cd "$outdir" && pwd)
for ((i = 0; i < n; i++)); do
  if [ -s "$outdir/OUT-$i.jsonl" ]; then
    echo "$me: $outdir/OUT-$i.jsonl already holds results: choose another OUTDIR" \
         "(a requeued task continues its file; a new run does not mix into an old one)" >&2
    exit 1
  fi
done
export LIKENESS_CLI=$cli

here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array="0-$((n - 1))" ${cpus:+--cpus-per-task="$cpus"} \
          --output="$outdir/slurm-%A_%a.out" "$here/likeness-array.sbatch" "$input" "$outdir" "$@")
array=${array%%;*}   # --parsable: JOBID[;CLUSTER]
outs=()
for ((i = 0; i < n; i++)); do
  outs+=("$outdir/OUT-$i.jsonl")
done
# The shards' files named one by one (not OUT-*.jsonl): a missing one is an
# error, not a smaller merge; --input: every item has exactly one line.
merge_cmd=$(printf '%q ' "$cli" batch-merge --input "$input" --output "$outdir/ALL.jsonl" "${outs[@]}")
merge=$(sbatch --parsable --job-name=likeness-merge --dependency="afterok:$array" --kill-on-invalid-dep=yes \
          --output="$outdir/slurm-%j-merge.out" --wrap="$merge_cmd")
merge=${merge%%;*}
echo "array_job=$array"
echo "merge_job=$merge"
echo "output=$outdir/ALL.jsonl"
