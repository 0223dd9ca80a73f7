import sys, unicodedata
from tokenizers import normalizers, pre_tokenizers
clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
chin = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
pt = pre_tokenizers.BertPreTokenizer()
out = {k: [] for k in ['removed','space','ws','punct','chinese']}
lowmap = {}; stripmap = {}
for c in range(0x110000):
    if 0xD800 <= c <= 0xDFFF: continue
    ch = chr(c)
    r = clean.normalize_str(ch)
    if r == '': out['removed'].append(c)
    elif r == ' ' and ch != ' ': out['space'].append(c)
    elif r != ch: print('clean odd', hex(c), repr(r))
    p = pt.pre_tokenize_str('a' + ch + 'b')
    if len(p) == 2: out['ws'].append(c)
    elif len(p) == 3: out['punct'].append(c)
    elif len(p) != 1: print('pt odd', hex(c), p)
    if chin.normalize_str(ch) != ch: out['chinese'].append(c)
    l = lower.normalize_str(ch)
    if l != ch: lowmap[c] = l
    s = strip.normalize_str(ch)
    if s != ch: stripmap[c] = s
import json
json.dump({'classes': out, 'lower': lowmap, 'strip': stripmap}, open('classes.json','w'))
for k,v in out.items(): print(k, len(v))
print('lower', len(lowmap), 'strip', len(stripmap))
