#!/usr/bin/env bash
# Peak RSS (GNU time's %M) of ssl-cat and of the sharded batch tools as the
# data grows 1x, 10x, 100x (docs/scale-out.md, "Batch tools", has the table).
#   bench/shard_memory/run.sh [BUILD_DIR]   (default: build)
# ssl-cat joins 3 shards of the whole file. The --shard tools process one
# shard of a fixed 400 rows (image, text) or 33 (audio: ssl-embed) of a
# growing input (--shard 0/K, K = 3x): what they hold beyond their own batch
# work is what the whole input costs them.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$ROOT/build}" && pwd)
D=$ROOT/data
W=$(mktemp -d "${TMPDIR:-/tmp}/shard-memory.XXXXXX")
trap 'rm -rf "$W"' EXIT
GROW="/usr/bin/python3 $ROOT/bench/shard_memory/grow.py"
# peak CMD...: its peak RSS in MiB, one decimal.
peak() {
  /usr/bin/time -f %M -o "$W/peak" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  awk 'END { printf "%.1f", $1 / 1024 }' "$W/peak"
}

"$B/ssl-import" idx "$D/idx/fashion-120-images-idx3-ubyte.gz" "$D/idx/fashion-120-labels-idx1-ubyte.gz" -q -o "$W/image.h5"
"$B/ssl-import" text "$D/text/proverbs" "$D/text/weather" --seed 1 -q -o "$W/text.h5"
"$B/ssl-import" audio "$D/audio" -q -o "$W/audio.h5"
"$B/ssl-pretrain" "$W/image.h5" --threads 1 --max-steps 1 --batch 8 -q -o "$W/model.h5"

printf '| tool | data | rows 1x | 1x | 10x | 100x |\n| --- | --- | --- | --- | --- | --- |\n'
for spec in image:1200 text:1000 audio:100; do
  kind=${spec%:*} rows=${spec#*:} line=""
  for x in 1 10 100; do
    $GROW "$W/$kind.h5" $((x * rows)) "$W/$kind$x" 3
    line="$line | $(peak "$B/ssl-cat" "$W/$kind$x.2.h5" "$W/$kind$x.0.h5" "$W/$kind$x.1.h5" -o "$W/cat.h5") MiB"
    rm -f "$W/$kind$x".?.h5 "$W/cat.h5"
  done
  echo "| ssl-cat, 3 shards | $kind | $rows$line |"
done
# One growing input per modality, one shard of it.
for x in 1 10 100; do
  $GROW "$W/image.h5" $((1200 * x)) "$W/image-$x" 1
  $GROW "$W/text.h5" $((1200 * x)) "$W/text-$x" 1
  # The same rows as IDX files, for ssl-import.
  /usr/bin/python3 - "$W/image-$x.h5" "$W/idx-$x" <<'PY'
import struct, sys, h5py
f = h5py.File(sys.argv[1], "r")
n = len(f["ids"])
with open(sys.argv[2] + "-images", "wb") as out:
    out.write(struct.pack(">IIII", 0x803, n, 28, 28))
    for s in range(0, n, 8192): out.write(f["images"][s:s + 8192].tobytes())
with open(sys.argv[2] + "-labels", "wb") as out:
    out.write(struct.pack(">II", 0x801, n))
    out.write(f["labels"][()].astype("u1").tobytes())
PY
done
for tool in import-idx augment mask-image mask-text embed; do
  line=""
  for x in 1 10 100; do
    k=$((3 * x))
    case $tool in
      import-idx) cmd=("$B/ssl-import" idx "$W/idx-$x-images" "$W/idx-$x-labels");;
      augment) cmd=("$B/ssl-augment" "$W/image-$x.h5" --recipe simclr --seed 1);;
      mask-image) cmd=("$B/ssl-mask" "$W/image-$x.h5" --scheme patch --patch 4 --seed 1);;
      mask-text) cmd=("$B/ssl-mask" "$W/text-$x.h5" --scheme mlm --seed 1);;
      embed) cmd=("$B/ssl-embed" "$W/model.h5" "$W/image-$x.h5");;
    esac
    line="$line | $(peak "${cmd[@]}" --threads 1 --shard 0/$k -o "$W/out.h5") MiB"
  done
  echo "| ssl-$tool --shard 0/(3x) | 400 rows of 1200x | 1200$line |"
done
