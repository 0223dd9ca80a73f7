#!/usr/bin/env bash
# Builds the shim and runs its own tests with nothing but a C/C++ compiler
# and a libtorch — for a GPU machine that has PyTorch but no meson:
#
#   shim/build-standalone.sh [LIBTORCH_PREFIX] [OUT_DIR]
#
# LIBTORCH_PREFIX holds include/ and lib/ (an unpacked libtorch, or
# `python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'`);
# default: the system libtorch (Debian's libtorch-dev). The tests print
# whether CUDA was found and, when it was, compare CUDA with the CPU.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:-}"
out="${2:-$here/../build-shim-standalone}"
mkdir -p "$out"
if [ -n "$prefix" ]; then
  inc=(-isystem "$prefix/include" -isystem "$prefix/include/torch/csrc/api/include")
  libs=(-L"$prefix/lib" -Wl,-rpath,"$prefix/lib")
else
  inc=(-isystem /usr/include/torch/csrc/api/include)
  libs=()
fi
cuda=()
if ls "${prefix:-/usr/lib/x86_64-linux-gnu}"/lib*/libtorch_cuda.so "${prefix:-/nonexistent}"/lib/libtorch_cuda.so >/dev/null 2>&1; then
  cuda=(-ltorch_cuda)
fi
# The ABI flag must match the libtorch: PyTorch's wheels before 2.7 use the old ABI.
abi=1
if [ -n "$prefix" ] && [ -f "$prefix/share/cmake/Torch/TorchConfig.cmake" ] \
   && grep -q "_GLIBCXX_USE_CXX11_ABI=0" "$prefix/share/cmake/Torch/TorchConfig.cmake"; then
  abi=0
fi
cxx="${CXX:-c++}"
cc="${CC:-cc}"
objs=()
for src in "$here"/shim-*.cpp; do
  obj="$out/$(basename "${src%.cpp}").o"
  echo "compiling $(basename "$src")"
  "$cxx" -std=c++17 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=$abi "${inc[@]}" -c "$src" -o "$obj" &
  objs+=("$obj")
done
wait
rc=0
for t in safetensors encoder engine head; do
  "$cc" -O2 -I"$here" -I"$here/tests" -c "$here/tests/test-$t.c" -o "$out/test-$t.o"
  "$cxx" -o "$out/test-shim-$t" "$out/test-$t.o" "${objs[@]}" "${libs[@]}" \
    -Wl,--no-as-needed "${cuda[@]}" -ltorch -ltorch_cpu -lc10 -lpthread -lm
  echo "== test-shim-$t"
  "$out/test-shim-$t" || rc=1
done
"$cxx" -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI=$abi "${inc[@]}" -I"$here" -o "$out/test-shim-tower" \
  "$here/tests/test-tower.cpp" "${objs[@]}" "${libs[@]}" -Wl,--no-as-needed "${cuda[@]}" -ltorch -ltorch_cpu -lc10 -lpthread -lm
echo "== test-shim-tower"
LK_SRCDIR="$here/.." "$out/test-shim-tower" || rc=1
exit $rc
