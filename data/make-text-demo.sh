#!/usr/bin/env bash
# Builds the demo text set from Debian's `fortunes` package into OUT_DIR:
#   fortunes-train.h5, fortunes-test.h5   one class per fortunes category,
#   10 % held out per class, tokenized with a SentencePiece model trained on
#   all of them (both files carry the same /tokenizer).
# Idempotent: nothing is done when both outputs exist. BIN is the folder of
# the built tools (default build/).
set -euo pipefail
OUT=${1:?usage: make-text-demo.sh OUT_DIR}
BIN=${BIN:-build}
FORTUNES=${FORTUNES:-/usr/share/games/fortunes}
if [ -e "$OUT/fortunes-train.h5" ] && [ -e "$OUT/fortunes-test.h5" ]; then exit 0; fi
# Categories different enough in subject to make a labeled downstream task.
files=()
for c in computers science literature love politics; do
  if [ -f "$FORTUNES/$c" ]; then files+=("$FORTUNES/$c"); else echo "make-text-demo: skipping missing $FORTUNES/$c" >&2; fi
done
if [ ${#files[@]} -lt 2 ]; then
  echo "make-text-demo: need at least two fortunes categories in $FORTUNES (apt-get install fortunes)" >&2
  exit 1
fi
mkdir -p "$OUT"
echo "== fortunes text (${#files[@]} categories)"
# Both outputs are written together, so a failure leaves neither.
"$BIN/ssl-import" text "${files[@]}" --records percent --vocab-size 8000 --max-len 128 --seed 0 \
  --split 0.1 --split-output "$OUT/fortunes-test.h5" -o "$OUT/fortunes-train.h5"
