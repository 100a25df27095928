#!/usr/bin/env bash
# Masked language modelling through ssl-pretrain: text imported, pretrained
# with mlm on bert-tiny (masks on the fly, or from an ssl-mask file), exact
# resume, and a text file and an image file given to the other's encoder.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 -o "$WORK/t.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/img.h5"

ok ssl-pretrain "$WORK/t.h5" --method mlm --arch bert-tiny --batch 16 --epochs 20 --lr 2e-3 -o "$WORK/m.h5"
check_eq "method" "$(h5get "$WORK/m.h5" '__import__("json").loads(f["config"][0])["method"]')" "mlm"
check_eq "steps" "$(h5get "$WORK/m.h5" 'len(f["train/loss"])')" "100"
check_eq "the loss falls" "$(h5get "$WORK/m.h5" 'bool(np.mean(f["train/loss"][-10:]) < np.mean(f["train/loss"][:10]) - 0.5)')" "True"
ssl-info "$WORK/m.h5" | grep -Eq "^  encoder +bert-tiny$" || fail "ssl-info: encoder"

# Masks from an ssl-mask file are used as they are.
ok ssl-mask "$WORK/t.h5" --scheme mlm -o "$WORK/tm.h5"
ok ssl-pretrain "$WORK/tm.h5" --method mlm --arch bert-tiny --batch 16 --epochs 1 -o "$WORK/m2.h5"

# Exact resume, as for images.
ok ssl-pretrain "$WORK/t.h5" --method mlm --arch bert-tiny --batch 16 --epochs 2 --seed 4 -o "$WORK/full.h5"
ok ssl-pretrain "$WORK/t.h5" --method mlm --arch bert-tiny --batch 16 --epochs 2 --seed 4 --max-steps 3 -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/t.h5" --resume "$WORK/part.h5" -o "$WORK/rest.h5"
check_eq "text resume reproduces the loss curve" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# Sentence embeddings (mean over real tokens, or [CLS]) and the probes on them,
# through files and a pipe, and straight from the model file.
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 --split 0.3 \
   -o "$WORK/ttr.h5" --split-output "$WORK/tte.h5"
ok ssl-pretrain "$WORK/ttr.h5" --method mlm --arch bert-tiny --batch 16 --epochs 2 -o "$WORK/tm.h5"
ok ssl-embed "$WORK/tm.h5" "$WORK/ttr.h5" -o "$WORK/etr.h5"
ok ssl-embed "$WORK/tm.h5" "$WORK/tte.h5" -o "$WORK/ete.h5" --pool cls --normalize
check_eq "text embeddings" "$(h5get "$WORK/etr.h5" 'f["embeddings"].shape[1], f["embeddings"].attrs["layer"], f["labels"].attrs["class_names"].tolist()')" \
  "128 pool-mean ['proverbs', 'weather']"
check_eq "cls embeddings normalised" "$(h5get "$WORK/ete.h5" 'round(float((f["embeddings"][:] ** 2).sum(1).mean()), 3)')" "1.0"
ssl-embed "$WORK/tm.h5" "$WORK/ttr.h5" --pool cls --normalize -o - -q | ssl-finetune - --eval "$WORK/ete.h5" --mode knn --k 5 >"$WORK/knn.out" \
  || fail "text embeddings through a pipe into ssl-finetune"
grep -q '^accuracy' "$WORK/knn.out" || fail "text kNN accuracy"
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/tm.h5" --eval "$WORK/tte.h5" --mode linear --epochs 5
expect_error 2 "img.h5 is an image file; .*tm.h5 is a text model" "$WORK/x.h5" ssl-embed "$WORK/tm.h5" "$WORK/img.h5" -o "$WORK/x.h5"

# Each modality's encoders and methods only.
expect_error 2 "--arch bert-tiny is a text encoder; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --arch bert-tiny -o "$WORK/x.h5"
expect_error 2 "--arch convnet-s is an image encoder; .*t.h5 is a text file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --arch convnet-s -o "$WORK/x.h5"
expect_error 2 "--method simclr trains image or audio files; .*t.h5 is a text file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --method simclr -o "$WORK/x.h5"
expect_error 2 "--method mlm trains text files; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method mlm -o "$WORK/x.h5"
finish
