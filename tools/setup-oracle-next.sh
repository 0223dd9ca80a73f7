#!/bin/sh
# Create .venv-oracle-next/: the second Python reference stack (torch 2.9,
# transformers 5, sentence-transformers 6), for the tiny Qwen3 and Qwen2
# models and their goldens (tests/oracle/decoder_oracle.py). The first stack,
# tools/setup-oracle.sh, stays on Debian's torch 1.13, the libtorch Likeness
# links against; this one cannot, because the architectures it makes are
# newer than what transformers supports on torch 1.13.
#
# Usage: tools/setup-oracle-next.sh [--force]
#   LIKENESS_ORACLE_NEXT_VENV   where to create it (default: <repo>/.venv-oracle-next)
# Safe to run again: an up-to-date venv is left alone. Needs about 7 GB.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV=${LIKENESS_ORACLE_NEXT_VENV:-$ROOT/.venv-oracle-next}
REQ=$ROOT/tests/oracle/requirements-next.txt
PY=/usr/bin/python3
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

say() { printf 'setup-oracle-next: %s\n' "$*"; }
die() { printf 'setup-oracle-next: error: %s\n' "$*" >&2; exit 1; }

"$PY" -c 'import ensurepip' 2>/dev/null || die "needs Debian packages: sudo apt-get install python3-venv python3-pip"

STAMP_WANT=$( (cat "$REQ"; "$PY" -V) | sha256sum | cut -c1-64)
if [ "$FORCE" = 0 ] && [ -f "$VENV/.likeness-stamp" ] \
   && [ "$(cat "$VENV/.likeness-stamp")" = "$STAMP_WANT" ] \
   && [ -x "$VENV/bin/python" ]; then
  say "$VENV is up to date"
  exit 0
fi

trap 'rm -rf "$VENV"' EXIT INT TERM
rm -rf "$VENV"
say "creating $VENV from tests/oracle/requirements-next.txt"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$REQ"

"$VENV/bin/python" - <<'PYEOF'
import torch, transformers, tokenizers, sentence_transformers
from transformers import Qwen3Model, Qwen2Model
print("setup-oracle-next: torch %s, transformers %s, sentence-transformers %s, tokenizers %s"
      % (torch.__version__, transformers.__version__, sentence_transformers.__version__, tokenizers.__version__))
PYEOF
trap - EXIT INT TERM
echo "$STAMP_WANT" > "$VENV/.likeness-stamp"
say "ready: $VENV"
