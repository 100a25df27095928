#!/usr/bin/env bash
# ssl-mask end to end (read the file, mask, write the whole file with the
# masks added) against a PyTorch transcription of the reference code
# (bench/mask_peer.py: Hugging Face's MLM collator and MAE's random_masking,
# batched, in memory, no output) in the same run: mlm on the fortunes text
# set (every Debian fortunes file, tiled to 10k and 60k samples) and patch
# on Fashion-MNIST (10k and 60k). ROUNDS interleaved runs; medians
# (min-max) of masks per second; peak RSS at 10k vs 60k.
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" -o "$W/img60k.h5" -q
"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" --limit 10000 -o "$W/img10k.h5" -q
files=$(find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' ! -name '*.u8' | sort)
# shellcheck disable=SC2086
"$BIN/ssl-import" text $files --records percent --vocab-size 8000 --max-len 128 -o "$W/fortunes.h5" -q
/usr/bin/python3 - "$W" <<'PY'
import sys, h5py, numpy as np
w = sys.argv[1]
src = h5py.File(f"{w}/fortunes.h5", "r")
for n in (10000, 60000):
    reps = -(-n // src["tokens"].shape[0])
    with h5py.File(f"{w}/txt{n // 1000}k.h5", "w") as f:
        for k, v in src.attrs.items():
            f.attrs[k] = v
        src.copy("tokenizer", f)
        for name in ("tokens", "lengths", "labels"):
            d = np.concatenate([src[name][:]] * reps)[:n]
            f.create_dataset(name, data=d, chunks=(min(256, n),) + d.shape[1:], maxshape=(None,) + d.shape[1:])
            for k, v in src[name].attrs.items():
                f[name].attrs[k] = v
        f.create_dataset("ids", data=np.arange(n, dtype=np.int64), chunks=(4096,), maxshape=(None,))
print("fortunes records:", src["tokens"].shape[0])
PY
for r in $(seq "$ROUNDS"); do
  for s in mlm patch; do
    in=$W/txt60k.h5; [ $s = patch ] && in=$W/img60k.h5
    /usr/bin/time -f "%e %M" -o "$W/t" "$BIN/ssl-mask" "$in" --scheme $s -o "$W/out.h5" -q
    awk '{print 60000 / $1}' "$W/t" >> "$W/ours.$s"
    /usr/bin/python3 "$here/mask_peer.py" $s "$in" \
      | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['masks_per_s'])" >> "$W/peer.$s"
  done
done
echo "ssl-mask, 60k samples, masks/s over $ROUNDS rounds: median (min-max); ours end to end, the peer in memory"
for s in mlm patch; do
  echo "  $s: ours $(stat "$W/ours.$s")  pytorch $(stat "$W/peer.$s")  ratio $(ratio "$W/ours.$s" "$W/peer.$s")"
done
for s in mlm patch; do
  for n in 10k 60k; do
    in=$W/txt$n.h5; [ $s = patch ] && in=$W/img$n.h5
    /usr/bin/time -f "%M" -o "$W/m" "$BIN/ssl-mask" "$in" --scheme $s -o "$W/o.h5" -q
    echo "  peak RSS, $s, $n samples: $(awk '{printf "%.1f MB", $1/1000}' "$W/m")"
  done
done
