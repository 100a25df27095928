#!/usr/bin/env bash
# Masked language modelling on the fortunes demo against Hugging Face
# transformers (bench/mlm_peer.py: BertForMaskedLM, same shape, same data,
# DataCollatorForLanguageModeling), on one machine in one run.
#   throughput: bench_engine bert-mini mlm vs mlm_peer.py throughput, f32 and
#               bf16, ROUNDS interleaved rounds, medians and ratios.
#   pretrain:   ssl-pretrain for BUDGET seconds (precision auto), then the peer
#               for the same budget; both scored every 100 steps on the same
#               masked positions of the held-out 10 % (ssl-mask of
#               demo/fortunes-test.h5), beside the unigram baseline.
#   downstream: the 5 fortunes categories from the pretrained model: linear
#               probe and kNN on mean-pooled sentence embeddings, full
#               fine-tuning for FT seconds; the same bert-mini from scratch on
#               the labels for BUDGET + FT seconds; a bag-of-words (TF-IDF of
#               the same token ids) logistic regression as the baseline.
# PEER_PY: a python with torch, transformers, h5py and scikit-learn (a venv outside the repo).
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
BUDGET=${BUDGET:-1200}
FT=${FT:-300}
PHASES=${PHASES:-throughput pretrain}
PEER_PY=${PEER_PY:-python3}
OUT=${OUT:-bench/results/mlm-run}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
TRAIN=demo/fortunes-train.h5
TEST=demo/fortunes-test.h5
[ -f "$TRAIN" ] || { echo "mlm.sh: $TRAIN missing: run 'make run' first" >&2; exit 1; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores"
echo "peer: $("$PEER_PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"

if [[ " $PHASES " == *" throughput "* ]]; then
  : > "$OUT/throughput.jsonl"
  for r in $(seq "$ROUNDS"); do
    for p in f32 bf16; do
      "$BIN/bench_engine" bert-mini mlm "$p" 64 8 3 | sed "s/^{/{\"who\": \"sslkit\", /" >> "$OUT/throughput.jsonl"
      pp=$([ "$p" = f32 ] && echo fp32 || echo bf16)
      "$PEER_PY" "$HERE/mlm_peer.py" throughput --precision "$pp" --iters 8 --warmup-iters 3 2> /dev/null |
        sed "s/^{/{\"who\": \"peer\", \"prec\": \"$p\", /" >> "$OUT/throughput.jsonl"
    done
  done
  python3 - "$OUT/throughput.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("bert-mini MLM step, batch 64 x 128 tokens: tokens/s, median over rounds (min-max), peak RSS MiB")
for p in ["f32", "bf16"]:
    ours = [r["tokens_per_s_median"] for r in rows if r["who"] == "sslkit" and r["prec"] == p]
    peer = [r["tokens_per_s_median"] for r in rows if r["who"] == "peer" and r["prec"] == p]
    rss_o = max(r["peak_rss_mib"] for r in rows if r["who"] == "sslkit" and r["prec"] == p)
    rss_p = max(r["peak_rss_mib"] for r in rows if r["who"] == "peer" and r["prec"] == p)
    mo, mp = statistics.median(ours), statistics.median(peer)
    print(f"  {p:5s} sslkit {mo:8.0f} ({min(ours):.0f}-{max(ours):.0f}) rss {rss_o:6.0f} | "
          f"transformers {mp:8.0f} ({min(peer):.0f}-{max(peer):.0f}) rss {rss_p:6.0f} | ratio {mo / mp:.2f}")
PY
fi

if [[ " $PHASES " == *" pretrain "* ]]; then
  "$BIN/ssl-mask" "$TEST" --scheme mlm --seed 1 -o "$OUT/test-masked.h5" -q
  /usr/bin/time -f "peak RSS %M KiB, wall %e s" "$BIN/ssl-pretrain" "$TRAIN" --eval "$OUT/test-masked.h5" \
    --time-budget "$BUDGET" --log-json "$OUT/ours.jsonl" -o "$OUT/mlm.h5" --progress 2> "$OUT/ours.err" || {
    tail "$OUT/ours.err"; exit 1; }
  grep -E "held out|peak RSS|steps in" "$OUT/ours.err"
  /usr/bin/time -f "peak RSS %M KiB, wall %e s" "$PEER_PY" "$HERE/mlm_peer.py" train "$TRAIN" \
    --eval "$OUT/test-masked.h5" --budget-s "$BUDGET" > "$OUT/peer.jsonl" 2> "$OUT/peer.err" || {
    tail "$OUT/peer.err"; exit 1; }
  tail -1 "$OUT/peer.err"
  python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
ours = [json.loads(l) for l in open(f"{out}/ours.jsonl")]
peer = [json.loads(l) for l in open(f"{out}/peer.jsonl")]
print("held-out masked-token accuracy / perplexity (same masked positions), by steps done:")
oe = [r for r in ours if "eval_accuracy" in r]
pe = [r for r in peer if "eval_accuracy" in r]
for name, ev in [("sslkit", oe), ("transformers", pe)]:
    curve = ", ".join(f"{r['step'] + 1}: {r['eval_accuracy']:.3f}/{r['eval_perplexity']:.0f}" for r in ev[:: max(1, len(ev) // 8)])
    print(f"  {name}: {curve}")
    print(f"  {name} final: accuracy {ev[-1]['eval_accuracy']:.4f}, perplexity {ev[-1]['eval_perplexity']:.1f}")
steps_o = sum(1 for r in ours if "loss" in r)
done = [r for r in peer if r.get("done")][0]
print(f"steps in budget: sslkit {steps_o}, transformers {done['steps']} (ratio {steps_o / done['steps']:.2f}); "
      f"tokens/s transformers {done['tokens_per_s']:.0f}")
PY
fi

if [[ " $PHASES " == *" downstream "* ]]; then
  M=$OUT/mlm.h5
  run() {  # label, then ssl-finetune arguments
    local label=$1; shift
    local f; f=$OUT/$(echo "$label" | tr -c 'a-zA-Z0-9\n' '-')
    /usr/bin/time -f "%e s, peak RSS %M KiB" "$BIN/ssl-finetune" "$TRAIN" --eval "$TEST" "$@" -q \
      > "$f.out" 2> "$f.err" || { cat "$f.err"; exit 1; }
    printf "  %-34s %s   (%s)\n" "$label" "$(grep -m1 '^accuracy' "$f.out" | cut -d' ' -f2)" "$(tail -1 "$f.err")"
  }
  echo "fortunes categories (5 classes, $("$BIN/ssl-info" "$TEST" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])') test rows): accuracy"
  run "pretrained: linear probe" --model "$M" --mode linear
  run "pretrained: kNN k=20 T=0.07" --model "$M" --mode knn --k 20 --knn-temperature 0.07
  run "pretrained: full fine-tune ${FT}s" --model "$M" --mode full --time-budget "$FT"
  run "scratch bert-mini $((BUDGET + FT))s" --mode full --arch bert-mini --time-budget "$((BUDGET + FT))"
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
print(f"  {'bag of words (TF-IDF + logistic)':34s} {best[0]:.4f}   (best C={best[1]} on the test set: an upper bound)")
PY
fi
