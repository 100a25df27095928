#!/usr/bin/env bash
# One modality interface after the import (issue 24): ssl-finetune --mode
# full takes or refuses --recipe, --pool and --layer-decay per modality
# (they were silently ignored for text and audio), ssl-embed --precision
# holds for text, and a model file whose encoder is unknown is an error
# naming it (it was taken for text). Each check failed before its fix.
. "$TESTS/cli/lib.sh"
T="--threads 1"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 200 --max-len 24 -o "$WORK/t.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5"
ok ssl-pretrain "$WORK/t.h5" --method mlm --arch bert-tiny --batch 8 --max-steps 1 $T -o "$WORK/tm.h5"
FT="--mode full --epochs 1 --batch 8 $T"
# bad ...: expect_error with no x.h5 left from an earlier case.
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }

# ---- --recipe, --layer-decay and --pool where they do not apply: exit 2 naming the option and why.
bad 2 "--recipe augments training images; .*t.h5 is a text file" "$WORK/x.h5" \
  ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --arch bert-tiny $FT --recipe "flip(0.5)" -o "$WORK/x.h5"
bad 2 "--layer-decay is MAE's layer-wise decay of a ViT; .*t.h5 is a text file" "$WORK/x.h5" \
  ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --model "$WORK/tm.h5" $FT --layer-decay 0.5 -o "$WORK/x.h5"
bad 2 "--recipe augments training images; .*a.h5 holds audio" "" \
  ssl-finetune "$WORK/a.h5" --eval "$WORK/a.h5" --arch w2v-tiny $FT --recipe "flip(0.5)"
bad 2 "--layer-decay is MAE's layer-wise decay of a ViT; .*a.h5 holds audio" "" \
  ssl-finetune "$WORK/a.h5" --eval "$WORK/a.h5" --arch w2v-tiny $FT --layer-decay 0.5
bad 2 "--pool cls: audio models pool by the mean" "" \
  ssl-finetune "$WORK/a.h5" --eval "$WORK/a.h5" --arch w2v-tiny $FT --pool cls
bad 2 "--arch chooses the encoder trained from scratch; .*tm.h5 brings its own" "" \
  ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --model "$WORK/tm.h5" --arch bert-mini $FT

# ---- --pool applies to text: the head trains and predicts on what it names.
ok ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --model "$WORK/tm.h5" $FT --metrics "$WORK/mean.json"
ok ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --model "$WORK/tm.h5" $FT --pool cls --metrics "$WORK/cls.json"
loss() { /usr/bin/python3 -c "import json; s = json.load(open('$1'))['selected']; print(s['pool'], s['final_loss'])"; }
mean=$(loss "$WORK/mean.json") cls=$(loss "$WORK/cls.json")
check_eq "default text pooling" "${mean%% *}" "mean"
check_eq "--pool cls recorded" "${cls%% *}" "cls"
[ "${mean#* }" != "${cls#* }" ] || fail "--pool cls trained the same loss as mean pooling (${cls#* }): ignored"

# ---- ssl-embed --precision holds for text (it embedded in f32 whatever was asked).
ok ssl-embed "$WORK/tm.h5" "$WORK/t.h5" --precision f32 -o "$WORK/e32.h5"
if ssl-embed "$WORK/tm.h5" "$WORK/t.h5" --precision bf16 -o "$WORK/e16.h5" 2>"$WORK/bf16.err"; then
  check_eq "text embeddings in bf16 differ from f32" \
    "$(/usr/bin/python3 -c "import h5py, numpy as np; a = h5py.File('$WORK/e32.h5')['embeddings'][:]; b = h5py.File('$WORK/e16.h5')['embeddings'][:]; print(bool(np.abs(a - b).max() > 0) and bool(np.allclose(a, b, atol=0.1)))")" "True"
else
  grep -q "bf16" "$WORK/bf16.err" || fail "ssl-embed --precision bf16: $(cat "$WORK/bf16.err")"
  echo "skipped: bf16 (this CPU has none)"
fi

# ---- A model whose encoder this sslkit does not know: an error naming the file, not "text".
cp "$WORK/tm.h5" "$WORK/odd.h5"
/usr/bin/python3 - "$WORK/odd.h5" <<'PY' || fail "could not rewrite the config of odd.h5"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    c = f["config"][0]
    c = c.decode() if isinstance(c, bytes) else c
    f["config"][0] = c.replace('"arch":"bert-tiny"', '"arch":"lstm-9"').encode()
    assert b"lstm-9" in (f["config"][0] if isinstance(f["config"][0], bytes) else f["config"][0].encode())
PY
bad 1 "odd.h5: has an encoder of arch 'lstm-9', which this sslkit does not know" "$WORK/x.h5" \
  ssl-embed "$WORK/odd.h5" "$WORK/t.h5" -o "$WORK/x.h5"
bad 1 "odd.h5: has an encoder of arch 'lstm-9'" "" \
  ssl-finetune "$WORK/t.h5" --eval "$WORK/t.h5" --model "$WORK/odd.h5" --mode knn --k 3
finish
