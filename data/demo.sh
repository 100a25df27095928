#!/usr/bin/env bash
# The demo pipeline on the datasets make-demo-datasets.sh built in OUT.
set -euo pipefail
OUT=${1:-demo}
BIN=${BIN:-build}
for f in "$OUT"/*.h5; do
  echo "== $f"
  "$BIN/ssl-info" "$f"
done
"$BIN/ssl-info" "$OUT/fashion-train.h5" --preview "$OUT/fashion-train.png" > /dev/null
[ -e "$OUT/digits-train.h5" ] && "$BIN/ssl-info" "$OUT/digits-train.h5" --preview "$OUT/digits-train.png" > /dev/null
[ -e "$OUT/fortunes-train.h5" ] && "$BIN/ssl-info" "$OUT/fortunes-train.h5" --preview - --preview-count 3 | sed -n '/^samples:/,/^history:/p'
echo "previews: $OUT/fashion-train.png $OUT/digits-train.png"
