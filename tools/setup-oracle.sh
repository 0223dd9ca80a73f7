#!/bin/sh
# Create .venv-oracle/: the Python reference stack (sentence-transformers,
# transformers, tokenizers, and the reference explainers xplainsim and
# distance_explainer) that regenerates tests/golden/ and serves as an oracle.
#
# torch is Debian's python3-torch 1.13.1, seen through --system-site-packages:
# it is the same libtorch 1.13.1 that Likeness links against, and it costs
# ~0.3 GB where the registry's torch wheels bring ~5 GB of CUDA libraries.
# Everything else is pinned in tests/oracle/requirements.txt and installed
# with --no-deps, so the set is exactly that list.
#
# Usage: tools/setup-oracle.sh [--force]
#   LIKENESS_ORACLE_VENV   where to create it (default: <repo>/.venv-oracle)
# Safe to run again: an up-to-date venv is left alone.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV=${LIKENESS_ORACLE_VENV:-$ROOT/.venv-oracle}
REQ=$ROOT/tests/oracle/requirements.txt
PY=/usr/bin/python3
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

say() { printf 'setup-oracle: %s\n' "$*"; }
die() { printf 'setup-oracle: error: %s\n' "$*" >&2; exit 1; }

# 1. Debian's torch and venv.
# (Found by metadata, not imported: importing torch takes seconds.)
probe='import importlib.util as u, importlib.metadata as m
assert u.find_spec("torch") and u.find_spec("ensurepip")
print(m.version("torch"))'
if ! "$PY" -c "$probe" >/dev/null 2>&1; then
  pkgs="python3-torch python3-venv python3-pip"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkgs with apt-get"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >/dev/null
  else
    die "needs Debian packages: sudo apt-get install $pkgs"
  fi
fi
TORCH=$("$PY" -c "$probe") || die "cannot find Debian's torch"
case "$TORCH" in
  1.13.*) ;;
  *) die "expected Debian's torch 1.13 at $PY, found $TORCH" ;;
esac

# 2. Up to date already?
STAMP_WANT=$( (cat "$REQ"; "$PY" -V; echo "torch $TORCH") | sha256sum | cut -c1-64)
if [ "$FORCE" = 0 ] && [ -f "$VENV/.likeness-stamp" ] \
   && [ "$(cat "$VENV/.likeness-stamp")" = "$STAMP_WANT" ] \
   && [ -x "$VENV/bin/python" ]; then
  say "$VENV is up to date (torch $TORCH)"
  exit 0
fi

# 3. Build the venv; the stamp, written last, marks it complete.
trap 'rm -rf "$VENV"' EXIT INT TERM
rm -rf "$VENV"
say "creating $VENV (torch $TORCH from Debian, the rest from tests/oracle/requirements.txt)"
"$PY" -m venv --system-site-packages "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --use-pep517 -r "$REQ"

# 4. Smoke test: the stack imports, with Debian's torch.
"$VENV/bin/python" - <<'EOF'
import numpy, scipy, torch, transformers, tokenizers, sentencepiece, sentence_transformers
import safetensors, huggingface_hub
import xplain.attribution, distance_explainer, bert_score
assert torch.__file__.startswith("/usr/lib/python3/"), torch.__file__
print("setup-oracle: torch %s, transformers %s, sentence-transformers %s, tokenizers %s, numpy %s"
      % (torch.__version__, transformers.__version__, sentence_transformers.__version__,
         tokenizers.__version__, numpy.__version__))
EOF
trap - EXIT INT TERM
echo "$STAMP_WANT" > "$VENV/.likeness-stamp"
say "ready: $VENV"
