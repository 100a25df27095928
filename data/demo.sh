#!/usr/bin/env bash
# The demo pipeline on the datasets make-demo-datasets.sh built in OUT:
# look at the data, pretrain DEMO_METHOD (SimCLR) on Fashion-MNIST without
# labels for DEMO_BUDGET seconds with the kNN monitor watching, embed, and
# set a linear probe and three kNN rules on the features beside the same on
# raw pixels, in one table; draw the training curves against the raw-pixel
# kNN figures and the probe's confusion matrix. Then text: the default text
# method (DEMO_TEXT_METHOD to choose another) on the unlabelled corpus for
# DEMO_TEXT_BUDGET seconds, probed on the fortunes categories beside the bag
# of words, with a one-line verdict on which wins.
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

[ -e "$OUT/corpus.h5" ] || exit 0
# Text: ssl-pretrain's default text method (the best of the 20-minute
# measurements in docs/methods.md) on the unlabelled corpus, the labelled
# fortunes categories (the corpus's tokenizer) watched by the kNN monitor,
# then its frozen features beside the bag of words (TF-IDF of the same token
# ids), each under the linear probe and kNN; the verdict says which wins.
TEXT_METHOD=${DEMO_TEXT_METHOD:-}
text_method=()
[ -n "$TEXT_METHOD" ] && text_method=(--method "$TEXT_METHOD")
LTR=$OUT/fortunes-corpus-train.h5 LTE=$OUT/fortunes-corpus-test.h5
echo
echo "== text: pretraining ${TEXT_METHOD:-the default text method} on the unlabelled corpus for ${TEXT_BUDGET} s, kNN on the fortunes categories watching"
rm -f "$OUT/text-log.jsonl"
"$BIN/ssl-pretrain" "$OUT/corpus.h5" "${text_method[@]}" --time-budget "$TEXT_BUDGET" --monitor "$LTE" \
  --monitor-bank "$LTR" --monitor-every 1000 -o "$OUT/text.h5" --log-json "$OUT/text-log.jsonl"
"$BIN/ssl-info" "$OUT/text.h5" | sed -n '/^model:/,/^format:/p' | grep -E "method|encoder|steps"
TEXT_METHOD=$("$BIN/ssl-info" "$OUT/text.h5" | awk '$1 == "method" {print $2; exit}')
tlab=("$LTR" --eval "$LTE")
"$BIN/ssl-finetune" "${tlab[@]}" --model "$OUT/text.h5" --mode linear --metrics "$OUT/text-linear.json" -q > /dev/null
"$BIN/ssl-finetune" "${tlab[@]}" --model "$OUT/text.h5" "${KNN20[@]}" --metrics "$OUT/text-knn20.json" -q > /dev/null
"$BIN/ssl-finetune" "${tlab[@]}" --bag-of-words --mode linear --metrics "$OUT/bow-linear.json" -q > /dev/null
"$BIN/ssl-finetune" "${tlab[@]}" --bag-of-words "${KNN20[@]}" --metrics "$OUT/bow-knn20.json" -q > /dev/null
"$BIN/ssl-info" "$OUT/text-log.jsonl" --preview "$OUT/text-curves.png" \
  --reference "bag of words (TF-IDF), kNN k=20 T=0.07=$(acc "$OUT/bow-knn20.json")" > /dev/null
echo
echo "Fortunes categories from frozen sentence features (test accuracy, 5 classes):"
trow() { printf '  %-34s %12s %16s\n' "$@"; }
trow "" "linear probe" "kNN k=20 T=0.07"
trow "bag of words (TF-IDF of the ids)" "$(acc "$OUT/bow-linear.json")" "$(acc "$OUT/bow-knn20.json")"
trow "$TEXT_METHOD (${TEXT_BUDGET} s on the corpus)" "$(acc "$OUT/text-linear.json")" "$(acc "$OUT/text-knn20.json")"
# The verdict compares each side's better probe (the bag of words is often
# better by kNN: 0.68 against 0.67 by our linear probe on the fortunes task).
/usr/bin/python3 - "$OUT" "$TEXT_METHOD" "$TEXT_BUDGET" <<'PY'
import json, sys
out, method, budget = sys.argv[1:]
a = lambda n: json.load(open(f"{out}/{n}.json"))["accuracy"]
feat = max(("linear probe", a("text-linear")), ("kNN", a("text-knn20")), key=lambda x: x[1])
bow = max(("linear probe", a("bow-linear")), ("kNN", a("bow-knn20")), key=lambda x: x[1])
if feat[1] > bow[1]:
    print(f"verdict: {method}'s features beat the bag of words ({feat[1]:.4f} by {feat[0]} against {bow[1]:.4f} by {bow[0]}).")
else:
    print(f"verdict: {method}'s features do NOT beat the bag of words after {budget} s ({feat[1]:.4f} by {feat[0]} "
          f"against {bow[1]:.4f} by {bow[0]}): for this task, use the bag of words (docs/methods.md has the "
          f"20-minute figures: there too the bag of words stays ahead).")
PY
echo "pictures: $OUT/text-curves.png"
