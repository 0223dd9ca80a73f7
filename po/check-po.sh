#!/bin/sh
# check-po.sh PODIR LANG — the translation compiles with every check, covers
# every message of the sources listed in POTFILES.in, and has no fuzzy or
# untranslated entries.
set -eu
podir="$1"
lang="$2"
top="$podir/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

msgfmt --check --check-accelerators=_ -o /dev/null "$podir/$lang.po"

# POTFILES.in lists every file with a translatable string.
missing=0
for f in $(cd "$top" && grep -lE '(\b_|\bN_|\bC_|\bNC_|ngettext) ?\(\s*"' app/*.c core/*.c 2>/dev/null; \
           cd "$top" && grep -l 'translatable="yes"' app/*.ui app/gtk/*.ui 2>/dev/null); do
  if ! grep -qx "$f" "$podir/POTFILES.in"; then
    echo "po/POTFILES.in lacks $f" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1

# A fresh template from the sources, as meson's update-po would make it.
grep -v '^#' "$podir/POTFILES.in" | grep -v '^$' > "$tmp/files"
(cd "$top" && xgettext --from-code=UTF-8 --add-comments=Translators --keyword=_ --keyword=N_ \
   --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 \
   -f "$tmp/files" -o "$tmp/likeness.pot")
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$podir/$lang.po" "$tmp/likeness.pot"
stats="$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)"
echo "$lang: $stats"
case "$stats" in
  *untranslated*|*fuzzy*)
    echo "$lang.po is incomplete; run: meson compile -C BUILD likeness-update-po" >&2
    LC_ALL=C msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid' | head -20 >&2
    exit 1;;
esac
