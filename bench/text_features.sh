#!/usr/bin/env bash
# Text features, one harness for every text method: pretrain METHOD on
# PRETRAIN_FILE for BUDGET seconds, then on the labelled fortunes task
# (TRAIN/TEST) report side by side
#   - the frozen encoder's linear probe and kNN (k=20, T=0.07; k=200, T=0.1),
#   - the same encoder untrained (one step of the same method and options),
#   - TF-IDF of the same token ids + logistic regression, its C chosen by
#     5-fold cross-validation on TRAIN (never on TEST: bench/mlm.sh picks it
#     on the test set, an upper bound), and the same TF-IDF through our own
#     probes (ssl-finetune --bag-of-words),
# with the CPU and its ISA, wall times and peak RSS of each step.
#   bench/text_features.sh METHOD BUDGET PRETRAIN_FILE [ssl-pretrain options...]
#   bench/text_features.sh mlm 180 demo/fortunes-train.h5
#   TRAIN=demo/fortunes-corpus-train.h5 TEST=demo/fortunes-corpus-test.h5 \
#     bench/text_features.sh mlm 180 demo/corpus.h5
# The labelled files must carry PRETRAIN_FILE's tokenizer (data/make-text-demo.sh
# makes fortunes-corpus-*.h5 with the corpus's). Env: BIN (build), TRAIN, TEST
# (demo/fortunes-{train,test}.h5), SEED (0), THREADS (0 = every core),
# FT=SECONDS to add full fine-tuning at 1 %, 10 % and 100 % of the labels for
# FT seconds each, against the same encoder from scratch for BUDGET + FT
# seconds (the same total time; SCRATCH=SECONDS gives it less, to save the
# machine's time, and the report says so); PY (a python with scikit-learn, scipy and
# h5py: /usr/bin/python3 with python3-sklearn, else /work/venv/bin/python); OUT (bench/results): the report goes to
# OUT/text-features-METHOD-FILE-DATE.txt; KEEP=DIR keeps the pretrained model and its JSON log there
# (METHOD-FILE.h5, .jsonl), for curves. Pass --monitor TEST --monitor-bank TRAIN to log the kNN curve.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,25p "$0" >&2; exit 2; }
METHOD=$1 BUDGET=$2 PRE=$3
shift 3
BIN=${BIN:-build}
TRAIN=${TRAIN:-demo/fortunes-train.h5} TEST=${TEST:-demo/fortunes-test.h5}
SEED=${SEED:-0} THREADS=${THREADS:-0} FT=${FT:-} SCRATCH=${SCRATCH:-$((BUDGET + ${FT:-0}))}
# The first python with scikit-learn: Debian's (python3-sklearn, make bench-deps), else a venv's.
if [ -z "${PY:-}" ]; then
  for PY in /usr/bin/python3 /work/venv/bin/python python3; do "$PY" -c 'import sklearn, scipy, h5py' 2> /dev/null && break; done
fi
OUT=${OUT:-bench/results}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
for f in "$PRE" "$TRAIN" "$TEST"; do [ -f "$f" ] || { echo "text_features: $f missing (make run, data/make-text-demo.sh)" >&2; exit 1; }; done
/usr/bin/python3 - "$PRE" "$TRAIN" "$TEST" <<'PY' || exit 1
import sys, h5py
tok = [bytes(h5py.File(p, "r")["tokenizer"][:]) for p in sys.argv[1:]]
if tok[0] != tok[1] or tok[0] != tok[2]:
    sys.exit(f"text_features: {sys.argv[1]}, {sys.argv[2]} and {sys.argv[3]} do not share one tokenizer "
             "(import the labelled files with --tokenizer PRETRAIN_FILE)")
PY
mkdir -p "$OUT"
REPORT=$OUT/text-features-$METHOD-$(basename "$PRE" .h5)-$(date -u +%F).txt
exec > >(tee "$REPORT") 2>&1
common=(--seed "$SEED" --threads "$THREADS" -q)
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
# timed LABEL CMD...: runs CMD, keeps its wall time and peak RSS for the table.
timed() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" > "$W/out" 2> "$W/err" || { echo "failed: $*" >&2; tail -5 "$W/err" >&2; exit 1; }
  read -r secs kib < "$W/time"
  printf '%s\t%s\t%s\n' "$label" "$secs" "$((kib / 1024))" >> "$W/times.tsv"
}
: > "$W/times.tsv"

echo "text features: $METHOD for ${BUDGET}s on $PRE ($("$BIN/ssl-info" "$PRE" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["samples"], "rows")')) $*"
echo "labelled: $TRAIN / $TEST; seed $SEED, threads $THREADS; $(date -u '+%F %H:%M UTC'); sslkit $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "isa: $("$BIN/bench_engine" bert-mini infer f32 8 1 0 2> /dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["isa"])' 2> /dev/null || echo '?');" \
  "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|avx512f|avx512_bf16|amx_bf16' | tr '\n' ' ')"

timed "pretrain ${BUDGET}s" "$BIN/ssl-pretrain" "$PRE" --method "$METHOD" --time-budget "$BUDGET" \
  --log-json "$W/pre.jsonl" "${common[@]}" "$@" -o "$W/model.h5"
timed "untrained (1 step)" "$BIN/ssl-pretrain" "$PRE" --method "$METHOD" --max-steps 1 "${common[@]}" "$@" \
  -o "$W/untrained.h5"
steps=$(grep -c '"loss"' "$W/pre.jsonl" || true)
echo "pretraining: $steps steps in ${BUDGET}s; last logged: $(grep '"loss"' "$W/pre.jsonl" | tail -1 | cut -c1-200)"

# Frozen features: one embedding of each file per model, then the probes.
probe() {  # NAME MODEL
  timed "embed $1" "$BIN/ssl-embed" "$2" "$TRAIN" "${common[@]}" -o "$W/$1-tr.h5"
  "$BIN/ssl-embed" "$2" "$TEST" "${common[@]}" -o "$W/$1-te.h5"
  timed "linear $1" "$BIN/ssl-finetune" "$W/$1-tr.h5" --eval "$W/$1-te.h5" --mode linear --metrics "$W/$1-lin.json" "${common[@]}"
  "$BIN/ssl-finetune" "$W/$1-tr.h5" --eval "$W/$1-te.h5" --mode knn --k 20 --knn-temperature 0.07 --metrics "$W/$1-k20.json" "${common[@]}" > /dev/null
  "$BIN/ssl-finetune" "$W/$1-tr.h5" --eval "$W/$1-te.h5" --mode knn --k 200 --knn-temperature 0.1 --metrics "$W/$1-k200.json" "${common[@]}" > /dev/null
  printf '  %-28s %8s %12s %12s\n' "$3" "$(acc "$W/$1-lin.json")" "$(acc "$W/$1-k20.json")" "$(acc "$W/$1-k200.json")"
}
echo
echo "fortunes categories, $("$BIN/ssl-info" "$TEST" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])') test rows: accuracy"
printf '  %-28s %8s %12s %12s\n' "" linear "kNN 20/0.07" "kNN 200/0.1"
probe pre "$W/model.h5" "$METHOD ${BUDGET}s"
probe untrained "$W/untrained.h5" "$METHOD untrained (1 step)"
/usr/bin/time -f "%e %M" -o "$W/time" "$PY" - "$TRAIN" "$TEST" "$SEED" <<'PY'
import sys, h5py, numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
def bag(path):
    f = h5py.File(path, "r")
    tok, ln, y = f["tokens"][:], f["lengths"][:], f["labels"][:]
    V = int(f["tokenizer"].attrs["vocab_size"])
    rows = np.repeat(np.arange(len(tok)), ln)
    cols = np.concatenate([t[:l] for t, l in zip(tok, ln)])
    return csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(tok), V)), y
xtr, ytr = bag(sys.argv[1]); xte, yte = bag(sys.argv[2])
tf = TfidfTransformer().fit(xtr)
cv = StratifiedKFold(5, shuffle=True, random_state=int(sys.argv[3]))
grid = GridSearchCV(LogisticRegression(max_iter=3000), {"C": [0.3, 1, 3, 10, 30, 100]}, cv=cv).fit(tf.transform(xtr), ytr)
acc = grid.best_estimator_.score(tf.transform(xte), yte)
print(f"  {'TF-IDF + logistic regression':28s} {acc:8.4f}   (C={grid.best_params_['C']} by 5-fold CV on the train rows, "
      f"CV accuracy {grid.best_score_:.4f})")
PY
read -r secs kib < "$W/time"; printf 'tf-idf + LR\t%s\t%s\n' "$secs" "$((kib / 1024))" >> "$W/times.tsv"
# The same bag of words through our own probes (ssl-finetune --bag-of-words): the
# line make run prints, scored exactly as the encoder's features are.
timed "bag of words, linear" "$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" --bag-of-words --mode linear \
  --metrics "$W/bow-lin.json" "${common[@]}"
"$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" --bag-of-words --mode knn --k 20 --knn-temperature 0.07 \
  --metrics "$W/bow-k20.json" "${common[@]}" > /dev/null
"$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" --bag-of-words --mode knn --k 200 --knn-temperature 0.1 \
  --metrics "$W/bow-k200.json" "${common[@]}" > /dev/null
printf '  %-28s %8s %12s %12s\n' "bag of words (TF-IDF), ours" "$(acc "$W/bow-lin.json")" "$(acc "$W/bow-k20.json")" \
  "$(acc "$W/bow-k200.json")"

if [ -n "$FT" ]; then
  ARCH=$("$BIN/ssl-info" "$W/model.h5" | awk '$1 == "encoder" {print $2; exit}')
  echo
  if [ "$SCRATCH" -ge $((BUDGET + FT)) ]; then why="the pretraining's time too"; else why="less than the $((BUDGET + FT))s of pretraining + fine-tuning"; fi
  echo "full fine-tuning, ${FT}s per run, against $ARCH from scratch for ${SCRATCH}s ($why): test accuracy"
  printf '  %-8s %10s %10s\n' labels pretrained scratch
  for f in 0.01 0.1 1; do
    timed "full $f pretrained" "$BIN/ssl-finetune" "$TRAIN" --model "$W/model.h5" --mode full --eval "$TEST" \
      --label-fraction "$f" --time-budget "$FT" --metrics "$W/full-$f.json" "${common[@]}"
    timed "full $f scratch" "$BIN/ssl-finetune" "$TRAIN" --arch "$ARCH" --mode full --eval "$TEST" \
      --label-fraction "$f" --time-budget "$SCRATCH" --metrics "$W/scratch-$f.json" "${common[@]}"
    printf '  %-8s %10s %10s\n' "$f" "$(acc "$W/full-$f.json")" "$(acc "$W/scratch-$f.json")"
  done
fi
echo
echo "steps: wall seconds, peak RSS MiB"
awk -F'\t' '{printf "  %-28s %8s s %7s MiB\n", $1, $2, $3}' "$W/times.tsv"
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  cp "$W/model.h5" "$KEEP/$METHOD-$(basename "$PRE" .h5).h5"
  cp "$W/pre.jsonl" "$KEEP/$METHOD-$(basename "$PRE" .h5).jsonl"
fi
echo "report: $REPORT"
