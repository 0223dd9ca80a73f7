#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: set everything up, then open
# Likeness with a sample pair explained; without a display, write that
# explanation as an SVG figure (likeness-sample.svg) and its JSON instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
a="The coffee is bad."
b="This is not a good coffee."
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/app/likeness ]; then
  exec build/app/likeness --sample
fi
build/app/cli/likeness-cli explain --method bilrp --json likeness-sample.json --svg likeness-sample.svg "$a" "$b"
echo "run: wrote $(pwd)/likeness-sample.svg and likeness-sample.json"
