#!/usr/bin/env bash
# The whole tool against its engine: the convnet-s SimCLR step (batch 256)
# of ssl-pretrain on Fashion-MNIST from HDF5 (loading, augmentation and
# checkpointing included) against bench_engine's in-memory step, in f32
# and bf16 (where the CPU has bf16 kernels), ROUNDS rounds interleaved, and
# the fraction of ssl-pretrain's step time spent waiting for data.
#   BIN=build ROUNDS=3 STEPS=40 bash bench/trainer.sh
set -euo pipefail
BIN=$(cd "${BIN:-build}" && pwd)
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-40}
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx $FM/train-images-idx3-ubyte.gz $FM/train-labels-idx1-ubyte.gz -o "$W/train.h5" -q
precisions="f32"
"$BIN/bench_engine" convnet infer bf16 8 1 0 >/dev/null 2>&1 && precisions="f32 bf16"
for r in $(seq "$ROUNDS"); do
  for p in $precisions; do
    "$BIN/bench_engine" convnet simclr "$p" 256 10 3 |
      /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['img_per_s_median'])" >>"$W/engine.$p"
    rm -f "$W/log.jsonl"
    "$BIN/ssl-pretrain" "$W/train.h5" --precision "$p" --max-steps "$STEPS" --epochs 1 -o "$W/m.h5" -q \
      --log-json "$W/log.jsonl"
    # Steps after the first 5 (oneDNN primitive creation, first batches).
    /usr/bin/python3 - "$W/log.jsonl" "$W/tool.$p" "$W/wait.$p" <<'EOF'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])][5:]
open(sys.argv[2], "a").write(f"{statistics.median(r['images_per_s'] for r in rows):.1f}\n")
step = sum(256 / r["images_per_s"] for r in rows)
open(sys.argv[3], "a").write(f"{100 * sum(r['wait_s'] for r in rows) / step:.2f}\n")
EOF
  done
done
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); oneDNN ISA: $("$BIN/bench_engine" convnet infer f32 8 1 0 | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['isa'])")"
echo "convnet-s SimCLR step, batch 256, img/s: median (min-max) over $ROUNDS rounds"
printf '%-6s | %-22s | %-22s | %-10s | %s\n' prec "bench_engine (memory)" "ssl-pretrain (HDF5)" "tool/engine" "waiting for data, % of step"
for p in $precisions; do
  printf '%-6s | %-22s | %-22s | %-10s | %s\n' "$p" "$(stat "$W/engine.$p")" "$(stat "$W/tool.$p")" \
    "$(ratio "$W/tool.$p" "$W/engine.$p" 3)" "$(sort -g "$W/wait.$p" | awk '{v[NR]=$1} END {printf "%.2f (%.2f-%.2f)", v[int((NR+1)/2)], v[1], v[NR]}')"
done
