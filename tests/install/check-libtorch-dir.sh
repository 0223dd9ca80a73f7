#!/bin/sh
# check-libtorch-dir.sh MESON SOURCE_ROOT WORK_DIR [LIBTORCH_PREFIX]
#
# The meson option -Dlibtorch_dir builds the shim against the libtorch in a
# given prefix (include/ and lib/, the layout of an unpacked libtorch).
# Configures a shim-only build with it, builds it, runs the shim's tests,
# and checks that the compiler and the loader really used that prefix.
#
# LIBTORCH_PREFIX: the prefix to use (the main build's -Dlibtorch_dir when
# it has one). Without it, a prefix is made in WORK_DIR out of symbolic
# links to the system libtorch (Debian's libtorch-dev: headers in
# /usr/include, libraries in /usr/lib/<triplet>), shaped like an unpacked
# libtorch. The build stays in WORK_DIR, so later runs only rebuild what
# changed. Exit 77 (skipped) when there is no libtorch to point at.
set -eu
meson="$1"
src="$2"
work="$3"
prefix="${4:-}"
build="$work/build"
mkdir -p "$work"

if [ -z "$prefix" ]; then
  multiarch="$(${CC:-cc} -print-multiarch 2>/dev/null || true)"
  libdir="/usr/lib/${multiarch:-x86_64-linux-gnu}"
  if [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ] || [ ! -e "$libdir/libtorch.so" ]; then
    echo "no system libtorch (libtorch-dev) to make a prefix of; skipped"
    exit 77
  fi
  prefix="$work/libtorch"
  rm -rf "$prefix"
  mkdir -p "$prefix/include" "$prefix/lib"
  for d in ATen c10 caffe2 torch; do
    [ -d "/usr/include/$d" ] && ln -s "/usr/include/$d" "$prefix/include/$d"
  done
  # The libraries under every name the linker and the loader look for
  # (libtorch.so and the SONAME libtorch.so.1.13), so nothing falls back
  # to the system folder.
  for f in "$libdir"/libtorch.so* "$libdir"/libtorch_cpu.so* "$libdir"/libtorch_cuda.so* \
           "$libdir"/libc10.so* "$libdir"/libc10_cuda.so*; do
    [ -e "$f" ] && ln -s "$f" "$prefix/lib/$(basename "$f")"
  done
fi
[ -d "$prefix/include" ] && [ -d "$prefix/lib" ] || { echo "$prefix has no include/ and lib/" >&2; exit 1; }

if [ -f "$build/build.ninja" ]; then
  "$meson" configure "$build" -Dlibtorch_dir="$prefix" >/dev/null
else
  rm -rf "$build"
  "$meson" setup "$build" "$src" -Dshim_only=true -Dlibtorch_dir="$prefix" -Dbuildtype=release \
    >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; echo "meson setup -Dlibtorch_dir=$prefix failed" >&2; exit 1; }
fi
echo "== meson setup -Dshim_only=true -Dlibtorch_dir=$prefix"
"$meson" introspect "$build" --buildoptions | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
assert opts["libtorch_dir"] == sys.argv[1], opts["libtorch_dir"]
assert opts["shim_only"] is True
' "$prefix"

echo "== build"
ninja -C "$build" -j "${LK_JOBS:-2}" >"$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; echo "the shim does not build against $prefix" >&2; exit 1; }

# The compiler took the headers from the prefix ...
if ! grep -q -- "-isystem $prefix/include " "$build/compile_commands.json"; then
  echo "the shim was not compiled with the headers of $prefix" >&2
  exit 1
fi
# ... and the test programs load libtorch from it (meson may write the
# run path relative to $ORIGIN, so compare the folders, not the strings).
want="$(cd "$prefix/lib" && pwd -P)"
for t in "$build"/shim/tests/test-shim-*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  loaded="$(ldd "$t" | awk '/libtorch_cpu\.so/ { print $3 }')"
  dir="$( [ -n "$loaded" ] && cd "$(dirname "$loaded")" 2>/dev/null && pwd -P || true)"
  if [ -z "$dir" ] || [ "$dir" != "$want" ]; then
    echo "$(basename "$t") loads libtorch_cpu from '${loaded:-nowhere}', not from $prefix/lib" >&2
    exit 1
  fi
  echo "$(basename "$t") loads $(basename "$loaded") from $prefix/lib"
done

echo "== the shim's tests"
"$meson" test -C "$build" --suite shim --no-rebuild --print-errorlogs
