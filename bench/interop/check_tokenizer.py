# Does transformers' AlbertTokenizer over the spiece.model ssl-export writes give ssl-import's ids?
# Usage: check_tokenizer.py EXPORT_DIR TEXT.h5 FILES... (TEXT.h5: ssl-import text FILES --records percent, no
# --shuffle, no --split, so rows follow the records). Records are read as ssl-import text reads them.
import sys, h5py, numpy as np
from transformers import AlbertTokenizer
files = sys.argv[3:]
recs = []
for p in files:
    lines = open(p, encoding="utf-8", errors="strict").read().split("\n")
    if lines and lines[-1] == "": lines = lines[:-1]
    cur = ""
    def end():
        global cur
        r = cur.rstrip(" \t\n\r\v\f")
        if r: recs.append(r)
        cur = ""
    for l in lines:
        if l.endswith("\r"): l = l[:-1]
        if l == "%": end(); continue
        if cur == "" and l.strip(" \t\n\r\v\f") == "": continue
        if cur: cur += "\n"
        cur += l
    end()
f = h5py.File(sys.argv[2])
tok, lens = f["tokens"][:], f["lengths"][:]
assert len(recs) == len(tok), (len(recs), len(tok))
t = AlbertTokenizer.from_pretrained(sys.argv[1])
print(type(t).__name__)
same = 0; diffs = []
maxlen = tok.shape[1]
for i, r in enumerate(recs):
    ids = t(r, truncation=True, max_length=maxlen)["input_ids"]
    ref = list(tok[i, :lens[i]])
    if ids == ref: same += 1
    else: diffs.append((i, r[:80]))
print(f"{same}/{len(recs)} records give identical ids")
for i, r in diffs[:8]: print("differs:", i, repr(r))
