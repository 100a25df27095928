#!/usr/bin/env bash
# Time-boxed pretraining on Fashion-MNIST, then the frozen-encoder linear
# probe and kNN (k=200, T=0.1) on the test set, per method; with PEER=1 the
# PyTorch peer (../shared/peer/simclr_peer.py + probe_peer.py) runs the same
# SimCLR budget right after, on the same machine. Runs are sequential so
# each has both cores.
#   bench/pretrain_eval.sh OUT BUDGET_S METHOD...   (e.g. demo-out 1200 simclr)
# Env: BIN (build), DEMO (demo: fashion-train.h5 / fashion-test.h5 from
# data/make-demo-datasets.sh), PEER (0), RECIPE (the peer's augmentation:
# crop 0.2-1, flip, brightness/contrast 0.4 with p=0.8).
set -euo pipefail
OUT=$1 BUDGET=$2; shift 2
BIN=${BIN:-build} DEMO=${DEMO:-demo} PEER=${PEER:-0}
RECIPE=${RECIPE:-"crop(0.2,1) flip(0.5) jitter(0.4,0.4,0,0,p=0.8)"}
PEER_DIR=${PEER_DIR:-$(dirname "$0")/../../shared/peer}
mkdir -p "$OUT"
. "$(dirname "$0")/lib.sh"
printf '%-10s %8s %8s %10s %8s %8s %9s\n' method budget_s steps img_per_s linear knn rss_mib
for m in "$@"; do
  r=()
  [ "$m" = rotation ] || r=(--recipe "$RECIPE")
  rm -f "$OUT/$m.jsonl"
  /usr/bin/time -f '%M' -o "$OUT/$m.rss" "$BIN/ssl-pretrain" "$DEMO/fashion-train.h5" --method "$m" --arch convnet-s \
    --time-budget "$BUDGET" "${r[@]}" -o "$OUT/$m.h5" --log-json "$OUT/$m.jsonl" -q
  probe_model "$OUT/$m.h5" "$DEMO/fashion-train.h5" "$DEMO/fashion-test.h5" "$OUT/$m"
  steps=$(wc -l < "$OUT/$m.jsonl")
  printf '%-10s %8s %8s %10.1f %8s %8s %9d\n' "$m" "$BUDGET" "$steps" "$(awk "BEGIN{print $steps * 256 / $BUDGET}")" \
    "$(acc "$OUT/$m-linear.json")" "$(acc "$OUT/$m-knn.json")" "$(( $(cat "$OUT/$m.rss") / 1024 ))"
done
if [ "$PEER" = 1 ]; then
  (cd "$PEER_DIR" && /usr/bin/time -f '%M' -o "$OLDPWD/$OUT/peer.rss" /usr/bin/python3 simclr_peer.py \
     --budget-s "$BUDGET" --threads 2 --out "$OLDPWD/$OUT/peer.pt" > "$OLDPWD/$OUT/peer.jsonl")
  (cd "$PEER_DIR" && /usr/bin/python3 probe_peer.py "$OLDPWD/$OUT/peer.pt" > "$OLDPWD/$OUT/peer-probe.json")
  /usr/bin/python3 - "$OUT" "$BUDGET" <<'PY'
import json, sys
out, budget = sys.argv[1], sys.argv[2]
p = json.load(open(f"{out}/peer-probe.json"))
s = p["train_summary"]
rss = int(open(f"{out}/peer.rss").read()) // 1024
print("%-10s %8s %8d %10.1f %8.4f %8.4f %9d" % ("peer", budget, s["steps"], s["img_per_s"], p["linear_probe_acc"], p["knn_cos_k200_acc"], rss))
PY
fi
