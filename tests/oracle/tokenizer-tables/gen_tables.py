# Derives the character classes of the Hugging Face BertNormalizer / BertPreTokenizer
# from the behaviour of the `tokenizers` package (classes.py writes classes.json).
import json
D = json.load(open('classes.json'))
C = D['classes']
def ranges(xs):
    r = []
    for x in sorted(xs):
        if r and r[-1][1] == x - 1: r[-1][1] = x
        else: r.append([x, x])
    return r
def emit_ranges(name, xs, comment):
    rs = ranges(xs)
    out = ['/* %s */' % comment, 'static const LkRange %s[] = {' % name]
    line = ' '
    for a, b in rs:
        item = ' { 0x%X, 0x%X },' % (a, b)
        if len(line) + len(item) > 78: out.append(line); line = ' '
        line += item
    out.append(line); out.append('};')
    return '\n'.join(out)
low = {int(k): v for k, v in D['lower'].items()}
items = sorted((k, ord(v) - k) for k, v in low.items() if len(v) == 1)
runs = []
for k, d in items:
    if runs:
        f, l, s, dd = runs[-1]
        if dd == d and ((s == 0 and k - l in (1, 2)) or (s and k - l == s)):
            runs[-1] = (f, k, k - l, d); continue
    runs.append((k, k, 0, d))
st = {int(k): v for k, v in D['strip'].items()}
marks = [k for k, v in st.items() if v == '']
parts = [
 emit_ranges('removed_ranges', C['removed'], 'Dropped by clean_text: NUL, U+FFFD and the control, format and private-use characters the Rust tables know.'),
 emit_ranges('punct_ranges', C['punct'], 'Isolated by BertPreTokenizer: ASCII punctuation and symbols, and Unicode P* characters.'),
 emit_ranges('mark_ranges', marks, 'Removed by strip_accents after canonical decomposition (nonspacing marks).'),
]
out = ['/* Lowercase mappings as runs: first, last, step, delta (U+0130 maps to two characters). */',
       'static const LkCaseRun lower_runs[] = {']
line = ' '
for f, l, s, d in runs:
    item = ' { 0x%X, 0x%X, %d, %d },' % (f, l, s if s else 1, d)
    if len(line) + len(item) > 78: out.append(line); line = ' '
    line += item
out.append(line); out.append('};')
parts.append('\n'.join(out))
open('tables.inc', 'w').write('\n\n'.join(parts) + '\n')
print(len(runs))
