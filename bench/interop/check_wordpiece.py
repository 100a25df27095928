# Does ssl-import text --tokenizer vocab.txt give transformers' BertTokenizer ids on a whole corpus?
# Usage: check_wordpiece.py VOCAB_DIR TEXT.h5 FILES... (TEXT.h5: ssl-import text FILES --records percent
# --tokenizer VOCAB_DIR/vocab.txt --max-len 512, no --shuffle, no --split, so rows follow the records).
# Measured 2026-12-05 on the 60 first files of /usr/share/games/fortunes (2.6 MB, 15217 records) with
# tests/interop/fixtures/wordpiece/vocab.txt: 15217 of 15217 identical ([CLS] + ids cut to 510 + [SEP]).
import sys, h5py
from transformers import BertTokenizer
recs = []
for p in sys.argv[3:]:
    cur = []
    for line in open(p, encoding="utf-8", errors="replace").read().split("\n"):
        if line.strip() == "%":
            if "\n".join(cur).strip(): recs.append("\n".join(cur))
            cur = []
        else:
            cur.append(line)
    if "\n".join(cur).strip(): recs.append("\n".join(cur))
f = h5py.File(sys.argv[2], "r")
T, L = f["tokens"][:], f["lengths"][:]
assert len(recs) == len(L), (len(recs), len(L))
tok = BertTokenizer.from_pretrained(sys.argv[1])
same, diffs = 0, []
for i, r in enumerate(recs):
    want = [tok.cls_token_id] + tok(r, add_special_tokens=False)["input_ids"][:f["tokens"].attrs["max_len"] - 2] + [tok.sep_token_id]
    got = list(T[i, :L[i]])
    if got == want: same += 1
    elif len(diffs) < 5: diffs.append((i, r[:60]))
print(f"{same} of {len(recs)} records identical to BertTokenizer's ids")
for d in diffs: print("differs:", d)
sys.exit(0 if same == len(recs) else 1)
