#!/usr/bin/env bash
# BERT in and out (issue 25): ssl-import text --tokenizer vocab.txt tokenizes
# with WordPiece as BertTokenizer does, ssl-import model takes the committed
# BERT fixtures (tests/interop/make_bert_fixtures.py: BertForMaskedLM,
# BertModel, BertForPreTraining with old key spellings), and every tool that
# takes --model uses them; ssl-export --to hf gives the checkpoint back.
# Equivalence with transformers' outputs: lib/apps/import_hf_bert_test.cpp;
# WordPiece ids on fortunes and Unicode: lib/data/wordpiece_test.cpp.
. "$TESTS/cli/lib.sh"
FIX="$TESTS/interop/fixtures/bert"
ok ssl-import model "$FIX/mlm" -o "$WORK/mlm.h5"
ok ssl-import model "$FIX/model" -o "$WORK/model.h5"
ssl-import model "$FIX/pretraining" -o "$WORK/pre.h5" 2>"$WORK/pre.err" || fail "importing BertForPreTraining"
grep -q "warning: .*cls.seq_relationship (the next-sentence head of BertForPreTraining) is not imported" "$WORK/pre.err" ||
  fail "the NSP head is dropped without a word: $(cat "$WORK/pre.err")"
config() { /usr/bin/python3 -c "import h5py, json; c = json.loads(h5py.File('$1')['config'][0]); print($2)"; }
check_eq "imported shape" "$(config "$WORK/model.h5" 'c["method"], c["encoder"]["norm"], c["encoder"]["token_types"], c["encoder"]["pooler"], c["max_len"]')" \
  "mlm post 2 True 33"
check_eq "tokenizer kind" "$(h5get "$WORK/mlm.h5" 'bytes(f["tokenizer"][:41]).decode()')" '{"kind":"wordpiece","do_lower_case":true,'

# The fixture's three lines through ssl-import text give BertTokenizer's ids
# (recorded by the generator in reference.safetensors).
printf '%s\n' "A kettle watched by three cooks still boils at its own pace." \
  "The fox that owns a lamp still hunts in the dark!" "Bread shared at noon?" >"$WORK/lines.txt"
ok ssl-import text "$WORK/lines.txt" --tokenizer "$FIX/mlm/vocab.txt" --max-len 33 -o "$WORK/lines.h5"
/usr/bin/python3 - "$WORK/lines.h5" "$FIX/reference.safetensors" <<'PY' || fail "ids differ from BertTokenizer's"
import json, struct, sys, h5py, numpy as np
b = open(sys.argv[2], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
s, e = h["input_ids"]["data_offsets"]
want = np.frombuffer(b[8 + n + s:8 + n + e], "<i8").reshape(h["input_ids"]["shape"])
f = h5py.File(sys.argv[1], "r")
got, lengths = f["tokens"][:], f["lengths"][:]
assert f["tokenizer"].attrs["kind"] == "wordpiece", f["tokenizer"].attrs["kind"]
for r in range(3):
    L = lengths[r]
    assert list(got[r, :L]) == list(want[r, :L]), (r, list(got[r, :L]), list(want[r, :L]))
PY

# --pool pooler: BERT's pooler output, as transformers computes it.
ok ssl-embed "$WORK/model.h5" "$WORK/lines.h5" --pool pooler --precision f32 --threads 1 -o "$WORK/pooled.h5"
/usr/bin/python3 - "$WORK/pooled.h5" "$FIX/reference.safetensors" <<'PY' || fail "--pool pooler differs from pooler_output"
import json, struct, sys, h5py, numpy as np
b = open(sys.argv[2], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])["pooler_output"]
want = np.frombuffer(b[8 + n + h["data_offsets"][0]:8 + n + h["data_offsets"][1]], "<f4").reshape(h["shape"])
got = h5py.File(sys.argv[1], "r")["embeddings"][:]
assert np.abs(got - want).max() <= 1e-4 * max(1, np.abs(want).max()), np.abs(got - want).max()
PY
expect_error 2 "--pool pooler: .*mlm.h5 has no pooler" "$WORK/bad.h5" \
  ssl-embed "$WORK/mlm.h5" "$WORK/lines.h5" --pool pooler -o "$WORK/bad.h5"

# A user's labelled text, tokenized with the model's vocabulary.
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --tokenizer "$FIX/mlm/vocab.txt" --max-len 33 \
  --split 0.25 --split-output "$WORK/test.h5" -o "$WORK/train.h5"
ok ssl-finetune "$WORK/train.h5" --eval "$WORK/test.h5" --model "$WORK/model.h5" --epochs 2 --threads 1
ok ssl-finetune "$WORK/train.h5" --eval "$WORK/test.h5" --model "$WORK/pre.h5" --mode knn --k 3 --threads 1
ok ssl-finetune "$WORK/train.h5" --eval "$WORK/test.h5" --model "$WORK/mlm.h5" --mode full --epochs 1 --batch 8 \
  --threads 1 -o "$WORK/full.h5"
ok ssl-finetune "$WORK/train.h5" --eval "$WORK/test.h5" --model "$WORK/model.h5" --pool pooler --mode full --epochs 1 \
  --batch 8 --threads 1
ok ssl-embed "$WORK/model.h5" "$WORK/test.h5" --threads 1 -o "$WORK/e.h5"
check_eq "embedding shape" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape[1]')" "24"
ok ssl-pretrain "$WORK/train.h5" --resume "$WORK/mlm.h5" --max-steps 2 --batch 8 --threads 1 -o "$WORK/more.h5"
ok ssl-pretrain "$WORK/train.h5" --resume "$WORK/more.h5" --max-steps 4 --batch 8 --threads 1 -o "$WORK/more2.h5"
check_eq "steps after two resumes (2, then 4 more)" "$(h5get "$WORK/more2.h5" 'int(f["state/step"][0])')" "6"
ssl-info "$WORK/mlm.h5" --predict "the dog [MASK] it was rain" >"$WORK/fill.out" 2>&1 || fail "fill-mask: $(cat "$WORK/fill.out")"
grep -q '^\[MASK\] 1: "' "$WORK/fill.out" || fail "fill-mask printed: $(cat "$WORK/fill.out")"
# Whole-word masking knows WordPiece's words: a masked "##" piece's word start is masked too.
ok ssl-mask "$WORK/train.h5" --scheme mlm --whole-word --ratio 0.5 -o "$WORK/masked.h5"
/usr/bin/python3 - "$WORK/masked.h5" "$FIX/mlm/vocab.txt" <<'PY' || fail "whole-word masking split a WordPiece word"
import sys, h5py
pieces = open(sys.argv[2], encoding="utf-8").read().split("\n")
f = h5py.File(sys.argv[1], "r")
tokens, labels, checked = f["tokens"][:], f["mlm_labels"][:], 0
for t, l in zip(tokens, labels):
    for i in range(1, len(t)):
        if pieces[t[i]].startswith("##") and (l[i] != -100) != (l[i - 1] != -100):
            raise SystemExit(f"piece {pieces[t[i]]} masked {l[i] != -100}, the one before {l[i - 1] != -100}")
        checked += pieces[t[i]].startswith("##") and l[i] != -100
assert checked > 0, "no continuation piece was masked"
PY

# Out again: the same names, shapes and bytes as the checkpoint imported.
for kind in mlm model; do
  ok ssl-export "$WORK/$kind.h5" -o "$WORK/$kind-hf" --to hf
  /usr/bin/python3 - "$FIX/$kind/model.safetensors" "$WORK/$kind-hf/model.safetensors" <<'PY' || fail "$kind: export differs"
import json, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a.keys() ^ b.keys()))
for k in a:
    assert a[k] == b[k], k
PY
  cmp -s "$FIX/$kind/vocab.txt" "$WORK/$kind-hf/vocab.txt" || fail "$kind: vocab.txt differs"
done
# The other targets carry the WordPiece vocabulary as BertTokenizer reads it, not as a SentencePiece model.
for to in onnx safetensors; do
  ok ssl-export "$WORK/mlm.h5" -o "$WORK/mlm-$to" --to $to
  cmp -s "$FIX/mlm/vocab.txt" "$WORK/mlm-$to/vocab.txt" || fail "--to $to: vocab.txt differs from the checkpoint's"
  [ ! -e "$WORK/mlm-$to/tokenizer.model" ] || fail "--to $to wrote a WordPiece vocabulary as tokenizer.model"
  check_eq "--to $to tokenizer class" \
    "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/mlm-$to/tokenizer_config.json'))['tokenizer_class'])")" BertTokenizer
done
check_eq "classes" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/mlm-hf/config.json'))['architectures'][0], json.load(open('$WORK/model-hf/config.json'))['architectures'][0])")" \
  "BertForMaskedLM BertModel"

# Bad input: one line, exit 1, nothing written.
mkdir -p "$WORK/short" && cp "$FIX/mlm"/* "$WORK/short/" && sed -i '$d' "$WORK/short/vocab.txt"
expect_error 1 "short/vocab.txt: has 96 pieces, fewer than the 97 rows of the word embeddings" "$WORK/bad.h5" \
  ssl-import model "$WORK/short" -o "$WORK/bad.h5"
mkdir -p "$WORK/novocab" && cp "$FIX/model"/{config.json,model.safetensors} "$WORK/novocab/"
expect_error 1 "novocab: has no vocab.txt or tokenizer.json" "$WORK/bad.h5" ssl-import model "$WORK/novocab" -o "$WORK/bad.h5"
printf '[PAD]\n[UNK]\nthe\n' >"$WORK/nomask.txt"
expect_error 1 "nomask.txt: WordPiece vocabulary lacks the special pieces \[CLS\] \[SEP\] \[MASK\]" "$WORK/bad.h5" \
  ssl-import text "$WORK/lines.txt" --tokenizer "$WORK/nomask.txt" -o "$WORK/bad.h5"
printf '{"model": {"type": "BPE"}, "normalizer": null, "pre_tokenizer": {"type": "ByteLevel"}}' >"$WORK/bpe.json"
expect_error 1 "bpe.json: not a BERT WordPiece tokenizer \(model BPE" "$WORK/bad.h5" \
  ssl-import text "$WORK/lines.txt" --tokenizer "$WORK/bpe.json" -o "$WORK/bad.h5"
# Text tokenized by another tokenizer does not meet the model.
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 -o "$WORK/spm.h5"
expect_error 2 "was not tokenized with the tokenizer of" "" ssl-embed "$WORK/model.h5" "$WORK/spm.h5" -o "$WORK/bad.h5"
finish
