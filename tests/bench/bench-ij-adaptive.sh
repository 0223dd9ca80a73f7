# tests/bench/bench-ij-adaptive.sh — sourced by tests/bench/run for
# `run ij-adaptive`: IJ's adaptive rule against fixed Gauss–Legendre 12 on
# the same pairs, in the same run. Each model explains every pair with both
# rules through one `batch` process per rule (the model loaded once), the
# rules taking turns per model. Per pair: timings.explain_seconds (rule
# search included), the nodes, and scores.error.
#   BENCH_IJ_PAIRS   STSb test pairs from the first (default 50)
#   BENCH_IJ_LONG    1 (default): also the ~256 + 256-token pair of `run long`
#   BENCH_IJ_MODELS  space-separated (default all-MiniLM-L6-v2 all-mpnet-base-v2)

bench_ij_adaptive() {
  local data items m tag rule
  data=$(find_data)
  items=$OUTDIR/ij-adaptive-items.jsonl
  "$PY" - "$data/stsb/sts-test.csv" "${BENCH_IJ_PAIRS:-50}" > "$items" <<'PYEOF'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
for i, r in enumerate(rows[:int(sys.argv[2])]):
    print(json.dumps({"id": f"stsb-{i + 1}", "a": r[5], "b": r[6]}))
PYEOF
  if [ "${BENCH_IJ_LONG:-1}" = 1 ]; then
    long_pair
    "$PY" -c 'import json,sys; print(json.dumps({"id": "long", "a": open(sys.argv[1]).read(), "b": open(sys.argv[2]).read()}))' \
      "$OUTDIR/long-a.txt" "$OUTDIR/long-b.txt" >> "$items"
  fi
  for m in ${BENCH_IJ_MODELS:-$MINILM $MPNET}; do
    tag=${m##*/}
    for rule in gauss adaptive; do
      say "ij-adaptive: $m, $(wc -l <"$items") pairs, $rule"
      rm -f "$OUTDIR/ij-$tag-$rule.jsonl"
      if [ "$rule" = gauss ]; then
        "$CLI" batch --method ij --model "$m" --quadrature gauss --steps 12 --input "$items" \
          --output "$OUTDIR/ij-$tag-$rule.jsonl" 2>/dev/null
      else
        "$CLI" batch --method ij --model "$m" --quadrature adaptive --input "$items" \
          --output "$OUTDIR/ij-$tag-$rule.jsonl" 2>/dev/null
      fi
    done
  done
  "$PY" - "$OUTDIR" ${BENCH_IJ_MODELS:-$MINILM $MPNET} <<'PYEOF'
import json, sys
outdir, models = sys.argv[1], sys.argv[2:]
def load(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        if "error" in d and "scores" not in d:
            sys.exit(f"bench: {path}: item {d.get('id')}: {d['error']}")
        out[d["id"]] = (d["timings"]["explain_seconds"], d["method"]["params"]["steps"], d["scores"]["error"],
                        d["scores"].get("error_tolerance"), d["timings"].get("rule_search_seconds", 0))
    return out
t_g = t_a = 0
worst = 0
for m in models:
    tag = m.split("/")[-1]
    g, a = load(f"{outdir}/ij-{tag}-gauss.jsonl"), load(f"{outdir}/ij-{tag}-adaptive.jsonl")
    ids = [i for i in g if i in a]
    for part, sel in (("stsb", [i for i in ids if i != "long"]), ("long", [i for i in ids if i == "long"])):
        if not sel:
            continue
        tg = sum(g[i][0] for i in sel); ta = sum(a[i][0] for i in sel)
        w = max(a[i][2] / max(g[i][2], 1e-12) for i in sel)
        within = sum(a[i][2] <= a[i][3] for i in sel)
        print(f"{tag} {part} ({len(sel)} pairs): gauss 12 mean {tg / len(sel):.3f}s, worst error "
              f"{max(g[i][2] for i in sel):.3g}; adaptive mean {ta / len(sel):.3f}s "
              f"(rule search {sum(a[i][4] for i in sel) / len(sel):.3f}s), mean nodes "
              f"{sum(a[i][1] for i in sel) / len(sel):.2f}, worst error {max(a[i][2] for i in sel):.3g}, "
              f"within tolerance {within}/{len(sel)}; time ratio {tg / ta:.2f}, "
              f"worst adaptive/gauss error ratio {w:.2f}")
    t_g += sum(g[i][0] for i in ids); t_a += sum(a[i][0] for i in ids)
    worst = max(worst, max(a[i][2] / max(g[i][2], 1e-12) for i in ids))
# ratio: Gauss 12's mean time per pair over adaptive's (all pairs, all models);
# worst_error_ratio: the largest adaptive error / Gauss 12 error of one pair
# (≤ 1: never worse).
print(f"ij_adaptive ratio={t_g / t_a:.2f} worst_error_ratio={worst:.2f}")
PYEOF
}
