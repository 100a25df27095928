#!/usr/bin/env bash
# The demo pipeline on the datasets make-demo-datasets.sh built in OUT:
# look at the data, pretrain DEMO_METHOD (SimCLR) on Fashion-MNIST without
# labels for DEMO_BUDGET seconds with the kNN monitor watching, embed, and
# set a linear probe and three kNN rules on the features beside the same on
# raw pixels, in one table; draw the training curves against the raw-pixel
# kNN figures and the probe's confusion matrix. Then BERT-style masked
# language modelling on the fortunes text for DEMO_TEXT_BUDGET seconds,
# scored on the held-out fortunes, asked to fill a [MASK], and probed on the
# categories.
set -euo pipefail
OUT=${1:-demo}
BIN=${BIN:-build}
BUDGET=${DEMO_BUDGET:-600}
TEXT_BUDGET=${DEMO_TEXT_BUDGET:-180}
# What is pretrained: ssl-pretrain's defaults (EMP-SSL on convnet-m, 16
# crops of 14 x 14 per image: the best of the 5-minute screens in
# docs/methods.md) unless DEMO_METHOD, DEMO_ARCH or DEMO_RECIPE say
# otherwise (empty: the method's own).
METHOD=${DEMO_METHOD:-emp}
ARCH=${DEMO_ARCH:-}
RECIPE=${DEMO_RECIPE:-}
for f in "$OUT"/*-train.h5; do
  echo "== $f"
  "$BIN/ssl-info" "$f" | sed -n '1,2p'
done
"$BIN/ssl-info" "$OUT/fashion-train.h5" --preview "$OUT/fashion-train.png" > /dev/null
[ -e "$OUT/digits-train.h5" ] && "$BIN/ssl-info" "$OUT/digits-train.h5" --preview "$OUT/digits-train.png" > /dev/null
[ -e "$OUT/fortunes-train.h5" ] && "$BIN/ssl-info" "$OUT/fortunes-train.h5" --preview - --preview-count 3 | sed -n '/^samples:/,/^history:/p'

recipe_args=()
[ -n "$RECIPE" ] && recipe_args=(--recipe "$RECIPE")
[ -n "$ARCH" ] && recipe_args+=(--arch "$ARCH")
echo "== pretraining $METHOD (${ARCH:-its default encoder}) on Fashion-MNIST without labels for ${BUDGET} s, kNN on the test set watching"
# --log-json appends: a new run starts a new log, or its curves would mix with the last one's.
rm -f "$OUT/$METHOD-log.jsonl"
"$BIN/ssl-pretrain" "$OUT/fashion-train.h5" --method "$METHOD" --time-budget "$BUDGET" \
  "${recipe_args[@]}" --monitor "$OUT/fashion-test.h5" --monitor-every 200 -o "$OUT/$METHOD.h5" --log-json "$OUT/$METHOD-log.jsonl"
ARCH=$("$BIN/ssl-info" "$OUT/$METHOD.h5" | awk '$1 == "encoder" {print $2; exit}')
# What the method saw: four views of eight test images, made with the
# recipe (and crop size) the model file says it trained with.
cfg() { /usr/bin/python3 -c "import h5py, json; print(json.loads(h5py.File('$OUT/$METHOD.h5', 'r')['config'][0]).get('$1', '$2'))"; }
"$BIN/ssl-augment" "$OUT/fashion-test.h5" --recipe "$(cfg recipe simclr)" --strength "$(cfg strength 0.5)" --views 4 \
  --size "$(cfg view_size 0)" -o "$OUT/views.h5" --preview "$OUT/$METHOD-views.png" --preview-count 8 -q
"$BIN/ssl-embed" "$OUT/$METHOD.h5" "$OUT/fashion-train.h5" -o "$OUT/emb-train.h5"
"$BIN/ssl-embed" "$OUT/$METHOD.h5" "$OUT/fashion-test.h5" -o "$OUT/emb-test.h5"
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
# Four ways to score features, each on the SSL features (emb) and on raw
# pixels in [0, 1] (raw): the linear probe, kNN as SSL papers report it
# (cosine, k=200 T=0.1 as InstDisc and the monitor; k=20 T=0.07 as DINO),
# and scikit-learn's plain kNN (k=5, Euclidean), the usual pixel baseline.
KNN200=(--mode knn --k 200 --knn-temperature 0.1)
KNN20=(--mode knn --k 20 --knn-temperature 0.07)
KNN5=(--mode knn --k 5 --knn-metric euclidean)
emb=("$OUT/emb-train.h5" --eval "$OUT/emb-test.h5")
raw=("$OUT/fashion-train.h5" --eval "$OUT/fashion-test.h5" --raw-pixels)
"$BIN/ssl-finetune" "${emb[@]}" --mode linear --metrics "$OUT/linear.json" --plot "$OUT/confusion.png" \
  --title "$METHOD ($ARCH, $BUDGET s) features, linear probe" -q > /dev/null
"$BIN/ssl-finetune" "${emb[@]}" "${KNN200[@]}" --metrics "$OUT/knn.json" -q > /dev/null
"$BIN/ssl-finetune" "${emb[@]}" "${KNN20[@]}" --metrics "$OUT/knn20.json" -q > /dev/null
"$BIN/ssl-finetune" "${emb[@]}" "${KNN5[@]}" --metrics "$OUT/knn5.json" -q > /dev/null
# 30 epochs: the raw-pixel probe has 784 features and 60000 rows; the kNN ones are a matmul each.
"$BIN/ssl-finetune" "${raw[@]}" --mode linear --epochs 30 --metrics "$OUT/linear-raw.json" -q > /dev/null
"$BIN/ssl-finetune" "${raw[@]}" "${KNN200[@]}" --metrics "$OUT/knn-raw.json" -q > /dev/null
"$BIN/ssl-finetune" "${raw[@]}" "${KNN20[@]}" --metrics "$OUT/knn20-raw.json" -q > /dev/null
"$BIN/ssl-finetune" "${raw[@]}" "${KNN5[@]}" --metrics "$OUT/knn5-raw.json" -q > /dev/null
# The monitor's kNN against the same rules on raw pixels with a bank of the
# monitor's size (10,000 training rows, a stratified draw here, a seeded one
# there): kNN scores rise with the bank, so the table's 60,000-row figures
# would sit above a curve that is in fact above the pixels.
BANK=$(/usr/bin/python3 -c "import h5py; n = len(h5py.File('$OUT/fashion-train.h5', 'r')['labels']); print(min(1.0, 10000 / n))")
"$BIN/ssl-finetune" "${raw[@]}" "${KNN200[@]}" --label-fraction "$BANK" --metrics "$OUT/knn-raw-bank.json" -q > /dev/null
"$BIN/ssl-finetune" "${raw[@]}" "${KNN20[@]}" --label-fraction "$BANK" --metrics "$OUT/knn20-raw-bank.json" -q > /dev/null
"$BIN/ssl-info" "$OUT/$METHOD-log.jsonl" --preview "$OUT/curves.png" \
  --reference "raw pixels (10,000-row bank), kNN k=200 T=0.1=$(acc "$OUT/knn-raw-bank.json")" \
  --reference "raw pixels (10,000-row bank), kNN k=20 T=0.07=$(acc "$OUT/knn20-raw-bank.json")" > /dev/null
echo
echo "What self-supervision bought (Fashion-MNIST test accuracy, 10 classes):"
row() { printf '  %-30s %12s %16s %16s %17s\n' "$@"; }
row "" "linear probe" "kNN k=200 T=0.1" "kNN k=20 T=0.07" "kNN k=5 Euclid."
row "raw pixels" "$(acc "$OUT/linear-raw.json")" "$(acc "$OUT/knn-raw.json")" "$(acc "$OUT/knn20-raw.json")" \
  "$(acc "$OUT/knn5-raw.json")"
row "$METHOD ($ARCH, $BUDGET s)" "$(acc "$OUT/linear.json")" "$(acc "$OUT/knn.json")" "$(acc "$OUT/knn20.json")" \
  "$(acc "$OUT/knn5.json")"
echo "pictures: $OUT/fashion-train.png $OUT/$METHOD-views.png $OUT/curves.png $OUT/confusion.png"

[ -e "$OUT/fortunes-train.h5" ] || exit 0
echo
echo "== masked language modelling (bert-mini) on fortunes for ${TEXT_BUDGET} s, scored on the held-out fortunes"
"$BIN/ssl-mask" "$OUT/fortunes-test.h5" --scheme mlm --seed 1 -o "$OUT/fortunes-test-masked.h5" -q
"$BIN/ssl-pretrain" "$OUT/fortunes-train.h5" --time-budget "$TEXT_BUDGET" --eval "$OUT/fortunes-test-masked.h5" \
  -o "$OUT/mlm.h5" --log-json "$OUT/mlm-log.jsonl"
"$BIN/ssl-info" "$OUT/mlm.h5" | sed -n '/^model:/,/^format:/p' | grep -E "method|encoder|steps|held out"
echo "fill the mask: \"the [MASK] of the computer\""
"$BIN/ssl-info" "$OUT/mlm.h5" --predict "the [MASK] of the computer" --top 5 | sed 's/^/  /'
"$BIN/ssl-finetune" "$OUT/fortunes-train.h5" --model "$OUT/mlm.h5" --eval "$OUT/fortunes-test.h5" --mode linear \
  --metrics "$OUT/text-linear.json" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/fortunes-train.h5" --model "$OUT/mlm.h5" --eval "$OUT/fortunes-test.h5" --mode knn --k 20 \
  --knn-temperature 0.07 --metrics "$OUT/text-knn.json" -q > /dev/null
echo "Fortunes categories from sentence embeddings (test accuracy, 5 classes):"
printf '  %-28s %s\n' "linear probe, MLM" "$(acc "$OUT/text-linear.json")"
printf '  %-28s %s\n' "kNN (k=20, T=0.07), MLM" "$(acc "$OUT/text-knn.json")"
