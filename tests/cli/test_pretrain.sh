#!/usr/bin/env bash
# ssl-pretrain, ssl-embed and ssl-finetune end to end on 120 images, resume,
# and bad input.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"

for m in simclr moco byol simsiam barlow vicreg rotation; do
  ok ssl-pretrain "$WORK/tr.h5" --method $m --batch 16 --epochs 1 -o "$WORK/$m.h5"
  check_eq "$m loss steps" "$(h5get "$WORK/$m.h5" 'len(f["train/loss"])')" "5"
done
check_eq "model format" "$(h5get "$WORK/simclr.h5" 'f.attrs["format"]')" "sslkit-model"
ssl-info "$WORK/simclr.h5" | grep -q "params/encoder.conv0.weight" || fail "ssl-info lists model parameters"

# Exact resume: 2 epochs in one go equal 1 step + the rest.
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --epochs 2 --seed 3 -o "$WORK/full.h5"
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --epochs 2 --seed 3 --max-steps 3 -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/tr.h5" --resume "$WORK/part.h5" -o "$WORK/rest.h5"
check_eq "resume reproduces the loss curve" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# Embeddings in three formats.
ok ssl-embed "$WORK/simclr.h5" "$WORK/tr.h5" -o "$WORK/etr.h5"
ok ssl-embed "$WORK/simclr.h5" "$WORK/te.h5" -o "$WORK/ete.h5"
NTR=$(h5get "$WORK/tr.h5" 'len(f["ids"])'); NTE=$(h5get "$WORK/te.h5" 'len(f["ids"])')
check_eq "embedding shape" "$(h5get "$WORK/etr.h5" 'f["embeddings"].shape')" "($NTR, 128)"
check_eq "ids carried" "$(h5get "$WORK/etr.h5" 'list(f["ids"][:]) == list(h5py.File("'"$WORK/tr.h5"'")["ids"][:])')" "True"
ok ssl-embed "$WORK/simclr.h5" "$WORK/te.h5" -o "$WORK/e.npy" --format npy --normalize --layer projector
check_eq "npy" "$(/usr/bin/python3 -c "import numpy as np; a=np.load('$WORK/e.npy'); print(a.shape, round(float((a*a).sum(1).mean()), 3))")" "($NTE, 128) 1.0"
ok ssl-embed "$WORK/simclr.h5" "$WORK/te.h5" -o "$WORK/e.csv" --format csv
check_eq "csv rows" "$(wc -l < "$WORK/e.csv")" "$((NTE + 1))"
ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o - | ssl-embed "$WORK/simclr.h5" - -o - > "$WORK/pipe.h5" || fail "embed pipe"
check_eq "pipe embeddings" "$(h5get "$WORK/pipe.h5" 'f["embeddings"].shape')" "(120, 128)"

# Evaluation, also straight from ssl-embed through a pipe.
ssl-embed "$WORK/simclr.h5" "$WORK/tr.h5" -o - -q | ssl-finetune - --eval "$WORK/ete.h5" --mode knn --k 5 > "$WORK/pipe.out" \
  || fail "ssl-embed | ssl-finetune"
grep -q '^accuracy' "$WORK/pipe.out" || fail "ssl-finetune from a pipe prints the accuracy"
ok ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --mode knn --k 20 --knn-temperature 0.07 --metrics "$WORK/m.json"
check_eq "metrics accuracy in [0,1]" "$(/usr/bin/python3 -c "import json; a=json.load(open('$WORK/m.json'))['accuracy']; print(0 <= a <= 1)")" "True"
ok ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --mode linear --epochs 5 --plot "$WORK/c.png"
ok ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --raw-pixels --mode knn --k 5
grep -q "raw pixels" "$WORK/ok.out" || fail "raw-pixel baseline output"

# Bad input.
expect_error 1 "nope.h5: No such file" "$WORK/x.h5" ssl-pretrain "$WORK/nope.h5" -o "$WORK/x.h5"
expect_error 2 "method" "$WORK/x.h5" ssl-pretrain "$WORK/tr.h5" --method dino -o "$WORK/x.h5"
expect_error 1 "fewer samples than one batch" "$WORK/x.h5" ssl-pretrain "$WORK/te.h5" --batch 64 -o "$WORK/x.h5"
expect_error 1 "not an sslkit model file" "$WORK/x.h5" ssl-embed "$WORK/tr.h5" "$WORK/te.h5" -o "$WORK/x.h5"
expect_error 1 "has no /embeddings" "" ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5"
finish
