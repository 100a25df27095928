#!/usr/bin/env bash
# ssl-embed end to end (read the model and the HDF5 images, run the encoder
# without a tape, write /embeddings) on 10k and 60k Fashion-MNIST images,
# against the engine's own inference throughput (bench_engine infer, the
# same encoder at batch 1024, on tensors already in memory) in the same
# run. ROUNDS interleaved runs; medians (min-max); peak RSS at 10k vs 60k.
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" -o "$W/fm60k.h5" -q
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" --limit 10000 -o "$W/fm10k.h5" -q
"$BIN/ssl-pretrain" "$W/fm10k.h5" --max-steps 2 --batch 64 -o "$W/m.h5" -q
for r in $(seq "$ROUNDS"); do
  for n in 10k 60k; do
    /usr/bin/time -f "%e %M" -o "$W/t$n" "$BIN/ssl-embed" "$W/m.h5" "$W/fm$n.h5" -o "$W/e$n.h5" -q
    awk -v n=${n%k}000 '{print n / $1}' "$W/t$n" >> "$W/ours.$n"
    awk '{print $2 / 1000}' "$W/t$n" >> "$W/rss.$n"
  done
  "$BIN/bench_engine" convnet infer f32 1024 2>/dev/null \
    | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['img_per_s_median'])" >> "$W/engine"
done
echo "ssl-embed convnet-s, images/s end to end over $ROUNDS rounds: median (min-max)"
for n in 10k 60k; do
  echo "  $n: ssl-embed $(stat "$W/ours.$n")  engine inference $(stat "$W/engine")  ratio $(ratio "$W/ours.$n" "$W/engine" 2)  peak RSS $(stat "$W/rss.$n") MB"
done
