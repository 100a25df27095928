#!/bin/bash
# Each method's loss over its first 20 steps, fixed seeds, f32, one thread:
# run once with the tools of the release before a change and once after,
# then `diff` the two outputs (issue 24: the redesign must not change them,
# except where a defect fix does on purpose).
# Usage: first-losses.sh BIN_DIR > losses.txt
set -euo pipefail
BIN=$1
DATA=$(cd "$(dirname "$0")/../../data" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
"$BIN/ssl-import" idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$W/img.h5" 2>/dev/null
"$BIN/ssl-import" text "$DATA/text/proverbs" --vocab-size 200 -o "$W/txt.h5" 2>/dev/null
"$BIN/ssl-import" audio "$DATA/audio" --seconds 0.5 -o "$W/au.h5" 2>/dev/null
run() {  # name file args...
  local name=$1 file=$2; shift 2
  "$BIN/ssl-pretrain" "$file" "$@" --max-steps 20 --epochs 100 --precision f32 --threads 1 --seed 7 \
    --log-json "$W/$name.jsonl" -o "$W/$name.h5" 2>/dev/null
  /usr/bin/python3 - "$name" "$W/$name.jsonl" <<'PY'
import json, sys
losses = [json.loads(l)["loss"] for l in open(sys.argv[2]) if '"loss"' in l]
print(sys.argv[1], len(losses), " ".join("%.9g" % v for v in losses))
PY
}
for m in simclr moco byol simsiam barlow vicreg rotation; do run "$m" "$W/img.h5" --method "$m" --batch 16; done
run emp "$W/img.h5" --method emp --batch 8 --views 4
run mae "$W/img.h5" --method mae --arch vit-tiny --batch 16
run mlm "$W/txt.h5" --batch 8
run wav2vec "$W/au.h5" --arch w2v-tiny --batch 4
run simclr-audio "$W/au.h5" --method simclr --arch w2v-tiny --batch 4
