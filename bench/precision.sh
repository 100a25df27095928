#!/usr/bin/env bash
# Does bf16 cost accuracy? The same SimCLR run (ssl-pretrain defaults,
# convnet-s, Fashion-MNIST train, BUDGET seconds) in f32 and in bf16, with
# two seeds each, then the linear probe and kNN (k=200, T=0.1) on the test
# set. Sequential, so each run has both cores.
#   BIN=build BUDGET=300 SEEDS="0 1" bash bench/precision.sh
set -euo pipefail
BIN=$(cd "${BIN:-build}" && pwd)
BUDGET=${BUDGET:-300}
SEEDS=${SEEDS:-"0 1"}
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx $FM/train-images-idx3-ubyte.gz $FM/train-labels-idx1-ubyte.gz -o "$W/train.h5" -q
"$BIN/ssl-import" idx $FM/t10k-images-idx3-ubyte.gz $FM/t10k-labels-idx1-ubyte.gz -o "$W/test.h5" -q
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); SimCLR defaults, convnet-s, ${BUDGET} s each"
printf '%-6s %5s %7s %9s %8s %8s\n' prec seed steps img_per_s linear knn
for seed in $SEEDS; do
  for p in f32 bf16; do
    rm -f "$W/log.jsonl"
    "$BIN/ssl-pretrain" "$W/train.h5" --precision "$p" --seed "$seed" --time-budget "$BUDGET" -o "$W/m.h5" \
      --log-json "$W/log.jsonl" -q
    "$BIN/ssl-embed" "$W/m.h5" "$W/train.h5" -o "$W/etr.h5" -q
    "$BIN/ssl-embed" "$W/m.h5" "$W/test.h5" -o "$W/ete.h5" -q
    "$BIN/ssl-finetune" "$W/etr.h5" --eval "$W/ete.h5" --mode linear --metrics "$W/lin.json" -q >/dev/null
    "$BIN/ssl-finetune" "$W/etr.h5" --eval "$W/ete.h5" --mode knn --metrics "$W/knn.json" -q >/dev/null
    steps=$(wc -l <"$W/log.jsonl")
    printf '%-6s %5s %7s %9.0f %8s %8s\n' "$p" "$seed" "$steps" "$(awk "BEGIN{print $steps * 256 / $BUDGET}")" \
      "$(acc "$W/lin.json")" "$(acc "$W/knn.json")"
  done
done
