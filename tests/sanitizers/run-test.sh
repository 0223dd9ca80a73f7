#!/usr/bin/env bash
# A `meson test --wrapper` for the sanitizer build (tools/test.sh):
#
#   meson test -C build-asan --wrapper tests/sanitizers/run-test.sh ...
#
# Runs the test with ASan's fast (frame-pointer) unwinder. GLib, GIO and
# libsoup are built without frame pointers, so the stack of a leak made
# inside them stops at g_malloc and the third-party suppressions in
# lsan.supp cannot match it. When a run's only sanitizer report is a leak
# report, the test runs again with the slow (DWARF) unwinder, whose whole
# stacks the suppressions can match; that second run decides. Unwinding
# every malloc that way makes the libtorch and tokenizer tests about ten
# times slower, hence the fast first run.
set -u

out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT

"$@" >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ] &&
   grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$err" &&
   ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$err"; then
  echo "run-test: leaks reported; running again with whole stacks for tests/sanitizers/lsan.supp" >&2
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" exec "$@"
fi
cat "$out"
cat "$err" >&2
exit "$rc"
