#!/usr/bin/env bash
# ssl-augment against torchvision (../shared/peer/augment_peer.py): the
# SimCLR recipe (strength 0.5), 2 views, on 10,000 Fashion-MNIST images and
# 10,000 random 32x32 RGB images, 2 cores. Ours is timed end to end (read
# the HDF5 input, augment, write the HDF5 output); the peer only augments in
# memory. ROUNDS interleaved runs; medians (min-max). Then peak RSS on 10k vs 60k.
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
PEER=${PEER:-$(cd "$(dirname "$0")/../.." && pwd)/shared/peer}
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" -o "$W/fm60k.h5" -q
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" --limit 10000 -o "$W/fm10k.h5" -q
/usr/bin/python3 - "$W/rgb10k.h5" <<'PY'
import sys, h5py, numpy as np
x = np.random.default_rng(0).integers(0, 256, (10000, 32, 32, 3), dtype=np.uint8)  # the peer's rgb32 set
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["format"] = "sslkit"; f.attrs["format_version"] = 1; f.attrs["modality"] = "image"
    f.create_dataset("images", data=x, chunks=(5, 32, 32, 3))
PY
for r in $(seq "$ROUNDS"); do
  for kind in fmnist rgb32; do
    in=$W/fm10k.h5; [ $kind = rgb32 ] && in=$W/rgb10k.h5
    /usr/bin/time -f "%e %M" -o "$W/t" "$BIN/ssl-augment" "$in" --recipe simclr --strength 0.5 -o "$W/out.h5" -q
    awk '{print 10000 / $1}' "$W/t" >> "$W/ours.$kind"
    /usr/bin/python3 "$PEER/augment_peer.py" $kind --n 10000 --strength 0.5 \
      | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print([v for k,v in j.items() if 'per_s' in k][0])" >> "$W/peer.$kind"
  done
done
echo "ssl-augment simclr (strength 0.5), 2 views, images/s over $ROUNDS rounds: median (min-max)"
for kind in fmnist rgb32; do
  echo "  $kind: ours $(stat "$W/ours.$kind")  torchvision $(stat "$W/peer.$kind")  ratio $(ratio "$W/ours.$kind" "$W/peer.$kind")   (target >= 5)"
done
for n in 10k 60k; do
  /usr/bin/time -f "%M" -o "$W/m" "$BIN/ssl-augment" "$W/fm$n.h5" --recipe simclr -o "$W/o$n.h5" -q
  echo "  peak RSS, $n Fashion-MNIST images: $(awk '{printf "%.1f MB", $1/1000}' "$W/m")"
done
