#!/usr/bin/env bash
# Does bf16 cost accuracy? The same SimCLR run (ssl-pretrain defaults,
# convnet-s, Fashion-MNIST train, BUDGET seconds) in f32 and in bf16, with
# two seeds each, then the linear probe and kNN (k=200, T=0.1) on the test
# set. Sequential, so each run has both cores.
# With EPOCHS=N both run the same N epochs instead (equal steps, the same
# schedule by steps): what bf16 costs per step rather than per second.
#   BIN=build BUDGET=300 SEEDS="0 1" bash bench/precision.sh
#   BIN=build EPOCHS=4 SEEDS=0 bash bench/precision.sh
set -euo pipefail
BIN=$(cd "${BIN:-build}" && pwd)
BUDGET=${BUDGET:-300}
SEEDS=${SEEDS:-"0 1"}
EPOCHS=${EPOCHS:-0}
run_length=(--time-budget "$BUDGET")
[ "$EPOCHS" -gt 0 ] && run_length=(--epochs "$EPOCHS")
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx $FM/train-images-idx3-ubyte.gz $FM/train-labels-idx1-ubyte.gz -o "$W/train.h5" -q
"$BIN/ssl-import" idx $FM/t10k-images-idx3-ubyte.gz $FM/t10k-labels-idx1-ubyte.gz -o "$W/test.h5" -q
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); SimCLR defaults, convnet-s, ${run_length[*]} each"
printf '%-6s %5s %7s %9s %8s %8s\n' prec seed steps img_per_s linear knn
for seed in $SEEDS; do
  for p in f32 bf16; do
    rm -f "$W/log.jsonl"
    "$BIN/ssl-pretrain" "$W/train.h5" --precision "$p" --seed "$seed" "${run_length[@]}" -o "$W/m.h5" \
      --log-json "$W/log.jsonl" -q
    probe_model "$W/m.h5" "$W/train.h5" "$W/test.h5" "$W/m"
    steps=$(wc -l <"$W/log.jsonl")
        secs=$(/usr/bin/python3 -c "import json; print(json.loads(open('$W/log.jsonl').readlines()[-1])['seconds'])")
    printf '%-6s %5s %7s %9.0f %8s %8s\n' "$p" "$seed" "$steps" "$(awk "BEGIN{print $steps * 256 / $secs}")" \
      "$(acc "$W/m-linear.json")" "$(acc "$W/m-knn.json")"
  done
done
