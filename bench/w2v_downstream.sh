#!/usr/bin/env bash
# Issue 14's figures on the spoken digits (test voices never heard in
# training): wav2vec 2.0 pretraining of w2v-mini for PRETRAIN seconds (loss,
# code perplexity and contrastive accuracy over training, throughput in
# seconds of audio per second, peak RSS) on the training clips (labels
# unused), then on frozen features the linear probe and kNN; beside it the
# log-mel baseline (mean and std of 40 log-mel bands, the same probe), also
# at 10 % and 1 % of the labels; the wav2vec model fine-tuned for FT seconds
# (when FT > 0), and the same encoder trained from scratch on the labels for
# PRETRAIN + FT seconds (or PRETRAIN + the probe's seconds when FT is 0):
# the same total time. Optional: the simclr baseline method for the same
# PRETRAIN (SIMCLR=1).
#   bench/w2v_downstream.sh OUT
# With FT > 0, also at 10 % and 1 % of the labels: the wav2vec model
# fine-tuned for FT seconds against w2v-mini from scratch on the same labels
# for SCRATCH_FRACTION seconds (default PRETRAIN + FT, the same total time).
# Env: BIN (build), DEMO (demo), TRAIN ($DEMO/digits-train.h5), TEST
# ($DEMO/digits-test.h5), PRETRAIN (1200), FT (0), SIMCLR (0), SCRATCH_FRACTION,
# FULL_SCRATCH (1; 0 skips the scratch run on every label), MONITOR (0: N logs
# the kNN monitor on TEST every N steps, for the curve).
set -euo pipefail
OUT=$1
BIN=${BIN:-build} DEMO=${DEMO:-demo} PRETRAIN=${PRETRAIN:-1200} FT=${FT:-0} SIMCLR=${SIMCLR:-0}
SCRATCH_FRACTION=${SCRATCH_FRACTION:-$((PRETRAIN + FT))} FULL_SCRATCH=${FULL_SCRATCH:-1} MONITOR=${MONITOR:-0}
TRAIN=${TRAIN:-$DEMO/digits-train.h5} TEST=${TEST:-$DEMO/digits-test.h5}
mkdir -p "$OUT"
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores"
echo "train: $TRAIN ($("$BIN/ssl-info" "$TRAIN" | sed -n 2p)); test: $TEST"
t0=$(date +%s)
mon=()
[ "$MONITOR" -gt 0 ] && mon=(--monitor "$TEST" --monitor-every "$MONITOR")
/usr/bin/time -v "$BIN/ssl-pretrain" "$TRAIN" --time-budget "$PRETRAIN" --log-json "$OUT/pretrain.jsonl" \
  "${mon[@]}" -o "$OUT/w2v.h5" -q 2> "$OUT/pretrain.time"
grep -E "Maximum resident" "$OUT/pretrain.time"
"$BIN/ssl-info" "$OUT/w2v.h5" | sed -n '2,12p'
curve() {
/usr/bin/python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
keys = [k for k in ("loss", "code_perplexity", "prob_perplexity", "accuracy", "distractors", "temperature") if k in rows[0]]
print("step seconds " + " ".join(keys) + "   (means of 50 steps around each point)")
n = len(rows)
for s in sorted({0, 100, 250, 500, 1000, 2000, 3000, n // 2, n - 1}):
    if s < n:
        w = rows[max(0, s - 25):s + 25]
        print(f"  {rows[s]['step']:5d} {rows[s]['seconds']:7.0f} " + " ".join(f"{sum(r[k] for r in w) / len(w):.4g}" for k in keys))
rate = sorted(r["audio_seconds_per_s"] for r in rows)[n // 2]
print(f"{n} steps; seconds of audio per second over the run (median of steps): {rate:.1f}")
PY
}
curve "$OUT/pretrain.jsonl"
"$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --eval "$TEST" --mode linear --metrics "$OUT/linear.json" -q > /dev/null
probe_s=$(( $(date +%s) - t0 - PRETRAIN ))
"$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --eval "$TEST" --mode knn --metrics "$OUT/knn.json" -q > /dev/null
"$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --eval "$TEST" --mode knn --k 20 --knn-temperature 0.07 \
  --metrics "$OUT/knn20.json" -q > /dev/null
"$BIN/ssl-finetune" "$TRAIN" --log-mel --eval "$TEST" --mode linear --metrics "$OUT/logmel-linear.json" -q > /dev/null
"$BIN/ssl-finetune" "$TRAIN" --log-mel --eval "$TEST" --mode knn --metrics "$OUT/logmel-knn.json" -q > /dev/null
for f in 0.1 0.01; do
  "$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --eval "$TEST" --mode linear --label-fraction $f \
    --metrics "$OUT/linear-$f.json" -q > /dev/null
  "$BIN/ssl-finetune" "$TRAIN" --log-mel --eval "$TEST" --mode linear --label-fraction $f \
    --metrics "$OUT/logmel-linear-$f.json" -q > /dev/null
done
SCRATCH=$((PRETRAIN + (FT > 0 ? FT : probe_s)))
[ "$FULL_SCRATCH" = 1 ] && "$BIN/ssl-finetune" "$TRAIN" --arch w2v-mini --mode full --eval "$TEST" \
  --time-budget "$SCRATCH" --metrics "$OUT/scratch.json" -q > /dev/null
if [ "$FT" -gt 0 ]; then
  "$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --mode full --eval "$TEST" --time-budget "$FT" \
    --metrics "$OUT/full.json" -q > /dev/null
  for f in 0.1 0.01; do
    "$BIN/ssl-finetune" "$TRAIN" --model "$OUT/w2v.h5" --mode full --eval "$TEST" --time-budget "$FT" \
      --label-fraction $f --metrics "$OUT/full-$f.json" -q > /dev/null
    "$BIN/ssl-finetune" "$TRAIN" --arch w2v-mini --mode full --eval "$TEST" --time-budget "$SCRATCH_FRACTION" \
      --label-fraction $f --metrics "$OUT/scratch-$f.json" -q > /dev/null
  done
fi
if [ "$SIMCLR" = 1 ]; then
  "$BIN/ssl-pretrain" "$TRAIN" --method simclr --arch w2v-mini --time-budget "$PRETRAIN" --log-json "$OUT/simclr.jsonl" \
    -o "$OUT/simclr.h5" -q
  curve "$OUT/simclr.jsonl"
  "$BIN/ssl-finetune" "$TRAIN" --model "$OUT/simclr.h5" --eval "$TEST" --mode linear --metrics "$OUT/simclr-linear.json" -q > /dev/null
  "$BIN/ssl-finetune" "$TRAIN" --model "$OUT/simclr.h5" --eval "$TEST" --mode knn --metrics "$OUT/simclr-knn.json" -q > /dev/null
fi
steps() { /usr/bin/python3 -c "import json; s=json.load(open('$1'))['selected']; print(s['steps'], 'steps in', round(s['seconds']), 's')"; }
echo "test accuracy (10 classes, voices never heard in training):"
echo "  wav2vec $PRETRAIN s, linear probe        $(acc "$OUT/linear.json")"
echo "  wav2vec $PRETRAIN s, kNN k=200 T=0.1     $(acc "$OUT/knn.json")"
echo "  wav2vec $PRETRAIN s, kNN k=20 T=0.07     $(acc "$OUT/knn20.json")"
echo "  log-mel mean+std, linear probe      $(acc "$OUT/logmel-linear.json")"
for f in 0.1 0.01; do
  echo "  labels $f: linear probe wav2vec $(acc "$OUT/linear-$f.json"), log-mel $(acc "$OUT/logmel-linear-$f.json")"
done
echo "  log-mel mean+std, kNN k=200 T=0.1   $(acc "$OUT/logmel-knn.json")"
[ "$FULL_SCRATCH" = 1 ] &&
  echo "  w2v-mini from scratch on the labels, $SCRATCH s   $(acc "$OUT/scratch.json") ($(steps "$OUT/scratch.json"))"
if [ "$FT" -gt 0 ]; then
  echo "  wav2vec + full fine-tuning $FT s    $(acc "$OUT/full.json") ($(steps "$OUT/full.json"))"
  for f in 0.1 0.01; do
    echo "  labels $f: wav2vec + full fine-tuning $FT s $(acc "$OUT/full-$f.json") ($(steps "$OUT/full-$f.json"));" \
      "w2v-mini from scratch $SCRATCH_FRACTION s $(acc "$OUT/scratch-$f.json") ($(steps "$OUT/scratch-$f.json"))"
  done
fi
if [ "$SIMCLR" = 1 ]; then
  echo "  simclr $PRETRAIN s, linear probe         $(acc "$OUT/simclr-linear.json")"
  echo "  simclr $PRETRAIN s, kNN k=200 T=0.1      $(acc "$OUT/simclr-knn.json")"
fi
