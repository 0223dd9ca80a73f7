#!/usr/bin/env bash
# The project's test command (also what CI runs, through .ci/run):
#
#   tools/test.sh
#
# Idempotent and non-interactive. In order:
#   1. tools/setup.sh: Debian packages, the pinned models, a build in build/;
#   2. meson test -C build: every suite (the long fuzz runs are not in it):
#      core (hermetic: the tiny models of tests/golden/tiny, no real model,
#      no network), parity (the real models that step 1 put into the
#      Hugging Face cache, against the Python stack's goldens), shim, gui,
#      hostile, app, data, install and scale (tools/ray/ on a local Ray
#      cluster, pip-installed into build/tests/scale/ray-venv, and
#      tools/slurm/ on a private Slurm, each against one CLI run);
#   3. the core's, the parity and the shim's tests again under
#      AddressSanitizer and UndefinedBehaviorSanitizer, in build-asan/
#      (settings below);
#   4. a short libFuzzer run of every target (tests/fuzz/run-fuzz.sh 20),
#      in build-fuzz/, built with clang.
# Every step runs even when an earlier one failed; the script exits non-zero
# if any failed and ends with one line, "N passed, N failed", counting the
# meson tests of steps 2 and 3 and the fuzz targets of step 4 (a step that
# fails before running its tests, e.g. a build error, counts as one failure).
#
# The tests read ../shared/data (beside the checkout; tests/meson.build
# passes it as LK_SHARED_DATA).
#
# Sanitizers (step 3). build-asan is configured with meson's own
#   -Db_sanitize=address,undefined  instruments our code (core, shim, tests);
#                                   libtorch, OpenBLAS and GLib are not, and
#                                   need not be: ASan intercepts their malloc
#                                   and free all the same.
#   -Db_lundef=false                as meson advises with sanitizers: their
#                                   runtime supplies some symbols only when
#                                   the program runs.
# and the tests run, through the wrapper tests/sanitizers/run-test.sh, with
#   ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1:
#                detect_stack_use_after_return=1
#     leaks are checked (LeakSanitizer) as well as memory errors, static
#     initialisation order and use of stack memory after return.
#   LSAN_OPTIONS=suppressions=tests/sanitizers/lsan.supp:print_suppressions=0
#     the suppressions name only third-party code that leaks on purpose or
#     by a known bug (GLib's test harness g_set_user_dirs, libsoup 3.2's
#     server; see that file for why each is there). Our leaks are never
#     suppressed: a stack through lk_* code still fails.
#   The wrapper: GLib, GIO and libsoup have no frame pointers, so with ASan's
#     fast unwinder their leak stacks stop at g_malloc and no suppression can
#     match them; unwinding every malloc the slow way makes the libtorch and
#     tokenizer tests ~10x slower. So a test runs with the fast unwinder, and
#     only when its one report is a leak report, again with
#     fast_unwind_on_malloc=0; the second run decides.
#   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
#     UBSan (which only reports and goes on by default) fails the test at
#     its first report, with a stack.
#   G_SLICE=always-malloc, so that GLib's slice allocator hides no leak from
#   LSan (tests/meson.build already sets G_DEBUG=gc-friendly).
#   --timeout-multiplier 3: the instrumented tests run 2-3x slower.
# libtorch, OpenBLAS and libgomp needed no suppression and no option.
# The fuzzers (step 4) use the same lsan.supp and UBSAN_OPTIONS.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

passed=0
failed=0
failed_steps=()

# Adds the results of a `meson test` run to the counts: $1 is its log
# (meson-logs/testlog.json, or testlog-WRAPPER.json when run with --wrapper;
# one JSON object per test), $2 its exit status, $3 the step's name.
count_meson () {
  local log="$1" rc="$2" counts p f
  counts="$(python3 - "$log" <<'PY'
import json, sys
ok = bad = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r != "SKIP":
                bad += 1
except OSError:
    pass
print(ok, bad)
PY
)"
  read -r p f <<<"$counts"
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1   # meson failed before or outside the tests (build error, no tests)
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$rc" -eq 0 ] || failed_steps+=("$3")
}

if [ ! -d "$root/../shared/data" ]; then
  echo "test: $root/../shared/data is missing: the tests need the shared data" \
       "folder (models, datasets) beside the checkout" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

step () { echo; echo "==== test: $* ===="; }

# 1. Packages, models, build/.
step "setup"
if ! tools/setup.sh; then
  failed_steps+=("setup")
  failed=$((failed + 1))
fi

# 2. Every suite in build/.
step "meson test -C build"
rm -f build/meson-logs/testlog.json
meson test -C build --print-errorlogs --no-suite fuzz
count_meson build/meson-logs/testlog.json $? "tests"

# 3. The core, the parity tests and the shim under ASan + UBSan.
step "meson test -C build-asan (AddressSanitizer, UndefinedBehaviorSanitizer)"
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=false
fi
rm -f build-asan/meson-logs/testlog-run-test.sh.json
ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1" \
LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
G_SLICE=always-malloc \
  meson test -C build-asan --suite core --suite parity --suite shim --print-errorlogs --timeout-multiplier 3 \
    --wrapper "$root/tests/sanitizers/run-test.sh"
count_meson build-asan/meson-logs/testlog-run-test.sh.json $? "sanitizers"

# 4. A short fuzz run of every target.
step "fuzz (20 s per target)"
fuzz_out="$(mktemp)"
tests/fuzz/run-fuzz.sh 20 2>&1 | tee "$fuzz_out"
fuzz_rc=${PIPESTATUS[0]}
read -r fp ff < <(sed -n 's/^fuzz: Ok: \([0-9]*\) Fail: \([0-9]*\)$/\1 \2/p' "$fuzz_out" | tail -n 1)
rm -f "$fuzz_out"
fp=${fp:-0}; ff=${ff:-0}
if [ "$fuzz_rc" -ne 0 ] && [ "$ff" -eq 0 ]; then
  ff=1
fi
passed=$((passed + fp))
failed=$((failed + ff))
[ "$fuzz_rc" -eq 0 ] || failed_steps+=("fuzz")

echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "test: failed: ${failed_steps[*]}" >&2
fi
echo "$passed passed, $failed failed"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
