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

# POTFILES.in lists every file with a translatable string (its own test,
# po/check-potfiles.py, says which one is missing).
python3 "$podir/check-potfiles.py" "$top" >/dev/null

# A fresh template from the sources, as meson's update-po would make it.
grep -v '^#' "$podir/POTFILES.in" | grep -v '^$' > "$tmp/files"
(cd "$top" && xgettext --from-code=UTF-8 --add-comments=Translators --keyword=_ --keyword=N_ \
   --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 \
   -f "$tmp/files" -o "$tmp/likeness.pot")
# A format macro spliced into a translatable string (G_GUINT64_FORMAT,
# PRIu64 …) cuts the msgid at the macro, which then ends in a lone "%":
# nobody can translate that. Format the number into a string first.
cut="$(awk '
  /^#: / { where = $0 }
  /^msgid / { inid = 1; last = $0; next }
  inid && /^"/ { last = $0; next }
  inid { inid = 0; if (last ~ /[^%](%%)*%"$/ || last ~ /^msgid "(%%)*%"$/) print where ": " last }
' "$tmp/likeness.pot")"
if [ -n "$cut" ]; then
  echo "translatable strings cut at a format macro (format the number with g_strdup_printf first and use %s):" >&2
  echo "$cut" >&2
  exit 1
fi
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$podir/$lang.po" "$tmp/likeness.pot"
stats="$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)"
echo "$lang: $stats"
case "$stats" in
  *untranslated*|*fuzzy*)
    echo "$lang.po is incomplete; run: meson compile -C BUILD likeness-update-po" >&2
    LC_ALL=C msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid' | head -20 >&2
    exit 1;;
esac
