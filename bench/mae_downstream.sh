#!/usr/bin/env bash
# Issue 13's figures on Fashion-MNIST: MAE pretraining of vit-mini for
# PRETRAIN seconds (loss curve, reconstruction PNG, peak RSS), then at 100 %,
# 10 % and 1 % of the training labels (stratified): the linear probe (class
# token) and kNN on frozen features, full fine-tuning for FT seconds, and
# the same ViT trained from scratch on the same labels for PRETRAIN + FT
# seconds (the same total time). Test: the 10k test set.
#   bench/mae_downstream.sh OUT
# Env: BIN (build), DEMO (demo), PRETRAIN (1200), FT (300),
# SMALL_PARALLEL (1: the 10 % and 1 % scratch runs side by side, one thread
# each, to fit a session; 0: one after the other on every core).
set -euo pipefail
OUT=$1
BIN=${BIN:-build} DEMO=${DEMO:-demo} PRETRAIN=${PRETRAIN:-1200} FT=${FT:-300} SMALL_PARALLEL=${SMALL_PARALLEL:-1}
mkdir -p "$OUT"
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores"
/usr/bin/time -v "$BIN/ssl-pretrain" "$DEMO/fashion-train.h5" --method mae --time-budget "$PRETRAIN" \
  --recon "$OUT/recon.png" --recon-every 500 --log-json "$OUT/pretrain.jsonl" -o "$OUT/mae.h5" -q 2> "$OUT/pretrain.time"
grep -E "Maximum resident" "$OUT/pretrain.time"
"$BIN/ssl-info" "$OUT/mae.h5" | sed -n '2,12p'
/usr/bin/python3 - "$OUT/pretrain.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
print("reconstruction loss (norm-pix MSE, hidden patches), mean of 50 steps around each point: step seconds loss")
for s in sorted({0, 100, 250, 500, 1000, 2000, 3000, 4000, 5000, len(rows) - 1}):
    if s < len(rows):
        w = rows[max(0, s - 25):s + 25]
        print(f"  {rows[s]['step']:5d} {rows[s]['seconds']:7.0f} {sum(r['loss'] for r in w) / len(w):.4f}")
print(f"images/s over the run (median of steps): {sorted(r['images_per_s'] for r in rows)[len(rows) // 2]:.0f}")
PY
"$BIN/ssl-embed" "$OUT/mae.h5" "$DEMO/fashion-train.h5" -o "$OUT/etr.h5" -q
"$BIN/ssl-embed" "$OUT/mae.h5" "$DEMO/fashion-test.h5" -o "$OUT/ete.h5" -q
"$BIN/ssl-finetune" "$OUT/etr.h5" --eval "$OUT/ete.h5" --mode knn --metrics "$OUT/knn.json" -q > /dev/null
"$BIN/ssl-finetune" "$OUT/etr.h5" --eval "$OUT/ete.h5" --mode knn --k 20 --knn-temperature 0.07 --metrics "$OUT/knn20.json" -q > /dev/null
echo "kNN on class tokens: k=200 T=0.1 $(acc "$OUT/knn.json"); k=20 T=0.07 $(acc "$OUT/knn20.json")"
for f in 1 0.1 0.01; do
  "$BIN/ssl-finetune" "$OUT/etr.h5" --eval "$OUT/ete.h5" --mode linear --label-fraction $f --metrics "$OUT/lin-$f.json" -q > /dev/null
  "$BIN/ssl-finetune" "$DEMO/fashion-train.h5" --model "$OUT/mae.h5" --mode full --eval "$DEMO/fashion-test.h5" \
    --label-fraction $f --time-budget "$FT" --metrics "$OUT/full-$f.json" -q > /dev/null
done
scratch() {  # fraction threads
  "$BIN/ssl-finetune" "$DEMO/fashion-train.h5" --arch vit-mini --mode full --eval "$DEMO/fashion-test.h5" \
    --label-fraction "$1" --time-budget $((PRETRAIN + FT)) --threads "$2" --metrics "$OUT/scratch-$1.json" -q > /dev/null
}
scratch 1 0
if [ "$SMALL_PARALLEL" = 1 ]; then
  scratch 0.1 1 & scratch 0.01 1 & wait
else
  scratch 0.1 0; scratch 0.01 0
fi
steps() { /usr/bin/python3 -c "import json; s=json.load(open('$1'))['selected']; print(s['steps'], round(s['seconds']))"; }
printf '%-7s %8s %16s %22s\n' labels linear "full (${FT} s)" "scratch ($((PRETRAIN + FT)) s)"
for f in 1 0.1 0.01; do
  printf '%-7s %8s %16s %22s\n' "$f" "$(acc "$OUT/lin-$f.json")" "$(acc "$OUT/full-$f.json")" "$(acc "$OUT/scratch-$f.json")"
done
for f in 1 0.1 0.01; do echo "steps, seconds: full-$f $(steps "$OUT/full-$f.json"); scratch-$f $(steps "$OUT/scratch-$f.json")"; done
[ "$SMALL_PARALLEL" = 1 ] && echo "(scratch at 0.1 and 0.01 ran side by side, one thread each)"
