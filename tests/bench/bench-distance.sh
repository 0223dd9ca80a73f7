# bench-distance.sh — sourced by tests/bench/run for `run distance`.
#
# 1000 masks (feature_res 8, p_keep 0.5, windows 10 %/10 %) on a 224 × 224
# photo with CLIP ViT-B/32 (BENCH_CLIP_MODEL, default the random-weight
# likeness-random/clip-vit-base-patch32-random from the Hugging Face cache),
# the same seed on both sides, so the same masks: our explain_seconds (masks,
# batched masked embedding, aggregation and split-half; loading excluded)
# against distance_explainer.explain_image_distance alone; peak RSS of both
# processes; and how far apart the two maps are.

clip_model_dir() {
  local hub snap
  if [ -n "${BENCH_CLIP_MODEL:-}" ]; then
    printf '%s\n' "$BENCH_CLIP_MODEL"
    return 0
  fi
  hub=${HF_HUB_CACHE:-${HF_HOME:-$HOME/.cache/huggingface}/hub}
  for snap in "$hub"/models--likeness-random--clip-vit-base-patch32-random/snapshots/*/; do
    if [ -f "$snap/config.json" ]; then
      printf '%s\n' "${snap%/}"
      return 0
    fi
  done
  die "no likeness-random/clip-vit-base-patch32-random in $hub (tools/fetch-models.py makes it) and no BENCH_CLIP_MODEL"
}

bench_distance() {
  local data model photo masks=${BENCH_DISTANCE_MASKS:-1000} ours ref caption="a bee sitting on a flower"
  data=$(find_data)
  model=$(clip_model_dir)
  photo=$OUTDIR/distance-bee-224.png
  "$PY" "$HERE/bench-distance.py" photo "$data/images/bee.jpg" "$photo"
  say "distance: $model, $masks masks on bee.jpg at 224 × 224, seed 1"
  ours=$("$PY" - "$CLI" "$model" "$photo" "$caption" "$masks" "$OUTDIR/distance-ours.json" <<'PYEOF'
import json, resource, subprocess, sys
cli, model, photo, caption, masks, out = sys.argv[1:]
subprocess.run([cli, "explain", "--method", "distance", "--model", model, "--image", photo, caption,
                "--masks", masks, "--seed", "1", "--json", out], check=True, stdout=subprocess.DEVNULL)
d = json.load(open(out))
print(json.dumps({"seconds": d["timings"]["explain_seconds"], "split_half": d["scores"]["split_half"],
                  "batch_size": d["method"]["params"]["batch_size"],
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20}))
PYEOF
)
  echo "likeness: $ours"
  ref=$("$PY" "$HERE/bench-distance.py" run "$model" "$photo" "$caption" --masks "$masks" --seed 1 \
          --threads "$THREADS" --map "$OUTDIR/distance-reference.npy" 2>/dev/null | tail -n 1)
  echo "reference: $ref"
  "$PY" - "$ours" "$ref" "$OUTDIR/distance-ours.json" "$OUTDIR/distance-reference.npy" <<'PYEOF'
import base64, json, sys
import numpy as np
o, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
m = json.load(open(sys.argv[3]))["saliency_map"]
ours = np.frombuffer(base64.b64decode(m["values_f32le"]), "<f4").reshape(m["height"], m["width"])
ref = np.load(sys.argv[4])
print(f"maps: largest difference {np.abs(ours - ref).max():.2g}, correlation {np.corrcoef(ours.ravel(), ref.ravel())[0, 1]:.6f}")
print(f"peak RSS: likeness {o['peak_rss_gib']:.2f} GiB (batch {o['batch_size']}), "
      f"distance_explainer {r['peak_rss_gib']:.2f} GiB (batch {r['batch_size']})")
print(f"distance ratio={r['seconds'] / o['seconds']:.2f} ours={o['seconds']:.2f}s reference={r['seconds']:.2f}s")
PYEOF
}
