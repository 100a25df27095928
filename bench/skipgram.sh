#!/usr/bin/env bash
# Skip-gram against MLM on the fortunes categories at one budget (issue 27):
# each method pretrained for BUDGET seconds on demo/fortunes-train.h5, then
# a linear probe and kNN (k=20, T=0.07) on its mean-pooled features over
# demo/fortunes-test.h5, beside TF-IDF + logistic regression of the same
# token ids. A stand-in until bench/text_features.sh (the one harness for
# every text method) is merged.
#   METHODS="skipgram mlm" BUDGET=180 EXTRA_skipgram="--lr 3e-3" bench/skipgram.sh
# PEER_PY: a python with scikit-learn, h5py and scipy (Debian's python3-sklearn; empty: skip TF-IDF + LR).
set -euo pipefail
BIN=${BIN:-build}
BUDGET=${BUDGET:-180}
THREADS=${THREADS:-2}
METHODS=${METHODS:-skipgram mlm}
PEER_PY=${PEER_PY-/usr/bin/python3}
OUT=${OUT:-bench/results/skipgram-run}
TRAIN=${TRAIN:-demo/fortunes-train.h5}
TEST=${TEST:-demo/fortunes-test.h5}
mkdir -p "$OUT"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); --threads $THREADS; load $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $METHODS; do
  extra_var="EXTRA_${m//-/_}"
  # shellcheck disable=SC2086
  "$BIN/ssl-pretrain" "$TRAIN" --method "$m" --time-budget "$BUDGET" --threads "$THREADS" ${!extra_var:-} \
    --log-json "$OUT/$m.jsonl" -o "$OUT/$m.h5" -q 2> "$OUT/$m.err" || { tail "$OUT/$m.err"; exit 1; }
  steps=$(grep -c '"loss"' "$OUT/$m.jsonl")
  seq_s=$(python3 -c "import json,sys,statistics; r=[json.loads(l) for l in open('$OUT/$m.jsonl')]; print(round(statistics.median(x['sequences_per_s'] for x in r)))")
  lin=$("$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" --model "$OUT/$m.h5" --mode linear --threads "$THREADS" -q | grep -m1 '^accuracy' | cut -d' ' -f2)
  knn=$("$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" --model "$OUT/$m.h5" --mode knn --k 20 --knn-temperature 0.07 --threads "$THREADS" -q | grep -m1 '^accuracy' | cut -d' ' -f2)
  printf "  %-10s %-28s steps %6s  sequences/s %6s  linear %s  kNN %s\n" "$m" "${!extra_var:-}" "$steps" "$seq_s" "$lin" "$knn"
done
[ -z "$PEER_PY" ] && exit 0
"$PEER_PY" - "$TRAIN" "$TEST" <<'PY'
import sys, h5py, numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from scipy.sparse import csr_matrix
def bag(path):
    f = h5py.File(path, "r")
    tok, ln, y = f["tokens"][:], f["lengths"][:], f["labels"][:]
    V = int(f["tokenizer"].attrs["vocab_size"])
    rows = np.repeat(np.arange(len(tok)), ln)
    cols = np.concatenate([t[:l] for t, l in zip(tok, ln)])
    return csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(tok), V)), y
xtr, ytr = bag(sys.argv[1]); xte, yte = bag(sys.argv[2])
tf = TfidfTransformer().fit(xtr)
best = max((LogisticRegression(C=c, max_iter=2000).fit(tf.transform(xtr), ytr).score(tf.transform(xte), yte), c)
           for c in [1, 3, 10, 30])
print(f"  {'TF-IDF + logistic regression':40s} {best[0]:.4f}   (best C={best[1]} on the test set: an upper bound)")
PY
