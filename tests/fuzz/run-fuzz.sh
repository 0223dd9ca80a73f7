#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz-*.c*) with clang in
# build-fuzz/ and runs each on its corpus for SECONDS (default 600).
# Exits non-zero when a target fails to build or finds a crash, leak,
# timeout or sanitizer report; the input that did it is kept as
# build-fuzz/tests/fuzz/crash-NAME-*.
#
#   tests/fuzz/run-fuzz.sh [SECONDS]
#
# Environment: LK_FUZZ_BUILD (build folder, default build-fuzz),
# LK_FUZZ_TARGETS (space-separated names, default every fuzz-*.c* here).
# New inputs go to build-fuzz/tests/fuzz/corpus-NAME/, never to the seed
# corpus in tests/fuzz/corpus/NAME/; copy good ones there by hand
# (after `fuzz-NAME -merge=1 tests/fuzz/corpus/NAME build-fuzz/.../corpus-NAME`).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-600}"
build="${LK_FUZZ_BUILD:-build-fuzz}"
src="$PWD/tests/fuzz"

if [ -z "${LK_FUZZ_TARGETS:-}" ]; then
  LK_FUZZ_TARGETS=""
  for f in "$src"/fuzz-*.c "$src"/fuzz-*.cpp; do
    [ -e "$f" ] || continue
    n="$(basename "$f")"; n="${n#fuzz-}"; n="${n%.c*}"
    LK_FUZZ_TARGETS+="$n "
  done
fi

# A clang build of the whole project, but only the fuzz targets are built.
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Dbuildtype=debugoptimized
elif ! meson introspect "$build" --buildoptions | grep -q '"name": "fuzzing", "value": true'; then
  meson configure "$build" -Dfuzzing=true
fi

# fuzz-*.c* files are looked for when meson configures: a new one needs a
# reconfigure before ninja knows its target.
for name in $LK_FUZZ_TARGETS; do
  if ! ninja -C "$build" -t query "tests/fuzz/fuzz-$name" >/dev/null 2>&1; then
    meson setup --reconfigure "$build"
    break
  fi
done

passed=0
failed=0
for name in $LK_FUZZ_TARGETS; do
  exe="$build/tests/fuzz/fuzz-$name"
  if ! ninja -C "$build" "tests/fuzz/fuzz-$name"; then
    echo "fuzz: $name: FAILED to build" >&2
    failed=$((failed + 1))
    continue
  fi
  work="$build/tests/fuzz/corpus-$name"
  mkdir -p "$work"
  args=("$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$build/tests/fuzz/crash-$name-")
  [ -f "$src/$name.dict" ] && args+=(-dict="$src/$name.dict")
  [ -d "$src/corpus/$name" ] && args+=("$src/corpus/$name")
  log="$build/tests/fuzz/fuzz-$name.log"
  echo "fuzz: $name: running for ${seconds}s (log: $log)"
  supp="$PWD/tests/sanitizers/lsan.supp"
  if [ -f "$src/$name.lsan.supp" ]; then
    supp="$build/tests/fuzz/$name.lsan.supp"
    cat "$PWD/tests/sanitizers/lsan.supp" "$src/$name.lsan.supp" >"$supp"
  fi
  # As in meson.build: an allocation above 1 GiB fails instead of growing the RSS.
  if ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:max_allocation_size_mb=1024}" \
     LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
     UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
     G_DEBUG=gc-friendly \
     LK_SHARED_DATA="${LK_SHARED_DATA:-$PWD/../shared/data}" \
     "$exe" "${args[@]}" >"$log" 2>&1; then
    stats="$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$log" | tr '\n' ' ')"
    cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9/]+[a-zA-Z]*' "$log" | tail -1 || true)"
    echo "fuzz: $name: ok; $cov; $stats"
    passed=$((passed + 1))
  else
    echo "fuzz: $name: FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    failed=$((failed + 1))
  fi
done

echo "fuzz: Ok: $passed Fail: $failed"
[ "$failed" -eq 0 ]
