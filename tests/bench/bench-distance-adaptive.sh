# bench-distance-adaptive.sh — sourced by tests/bench/run for
# `run distance-adaptive`: masking that stops once the map is stable against
# distance_explainer's 1000 masks (bench-distance-adaptive.py says how),
# on the same CLIP folder as `run distance` (clip_model_dir, BENCH_CLIP_MODEL).

bench_distance_adaptive() {
  local data model
  . "$HERE/bench-distance.sh"
  data=$(find_data)
  model=$(clip_model_dir)
  "$PY" "$HERE/bench-distance-adaptive.py" "$CLI" "$model" "$data" "$OUTDIR" "$THREADS"
}
