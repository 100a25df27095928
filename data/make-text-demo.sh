#!/usr/bin/env bash
# Builds the demo text set from Debian's `fortunes` package into OUT_DIR:
#   fortunes-train.h5, fortunes-test.h5   one class per fortunes category,
#   10 % held out per class, tokenized with a SentencePiece model trained on
#   all of them (both files carry the same /tokenizer);
#   text-corpus/   an unlabelled English corpus from Debian packages (about
#                  40 MiB of text: every fortunes category, dict-gcide,
#                  dict-foldoc, dict-jargon, dict-devil) as gzipped
#                  %-record files, none of fortunes-test.h5's rows in it
#                  (data/make-text-corpus.py checks; docs/text.md says why);
#   corpus.h5      that corpus imported unlabelled (ssl-import text
#                  --unlabelled), with its own SentencePiece vocabulary;
#   fortunes-corpus-train.h5, fortunes-corpus-test.h5   the labelled task
#                  again, the same rows and split, with corpus.h5's tokenizer,
#                  for a model pretrained on the corpus.
# Idempotent: each output is made only when missing, and appears whole or
# not at all. BIN is the folder of the built tools (default build/).
set -euo pipefail
OUT=${1:?usage: make-text-demo.sh OUT_DIR}
BIN=${BIN:-build}
FORTUNES=${FORTUNES:-/usr/share/games/fortunes}
HERE=$(cd "$(dirname "$0")" && pwd)
DICTD=${DICTD:-/usr/share/dictd}
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
if [ ! -e "$OUT/fortunes-train.h5" ] || [ ! -e "$OUT/fortunes-test.h5" ]; then
  echo "== fortunes text (${#files[@]} categories)"
  # Both outputs are written together, so a failure leaves neither.
  "$BIN/ssl-import" text "${files[@]}" --records percent --vocab-size 8000 --max-len 128 --seed 0 \
    --split 0.1 --split-output "$OUT/fortunes-test.h5" -o "$OUT/fortunes-train.h5"
fi

# The unlabelled corpus: written into a temporary directory and renamed
# when whole, so an interrupted run leaves nothing half-made.
if [ ! -d "$OUT/text-corpus" ]; then
  echo "== unlabelled text corpus (fortunes, dict-gcide, dict-foldoc, dict-jargon, dict-devil)"
  rm -rf "$OUT/.text-corpus.tmp"
  categories=(); for f in "${files[@]}"; do categories+=("$(basename "$f")"); done
  /usr/bin/python3 "$HERE/make-text-corpus.py" "$OUT/.text-corpus.tmp" "$OUT/fortunes-test.h5" "$FORTUNES" "$DICTD" \
    "${categories[@]}"
  mv "$OUT/.text-corpus.tmp" "$OUT/text-corpus"
fi
if [ ! -e "$OUT/corpus.h5" ]; then
  echo "== corpus.h5 (ssl-import text --unlabelled; a few minutes)"
  "$BIN/ssl-import" text --unlabelled "$OUT/text-corpus" --vocab-size 8000 --max-len 128 --seed 0 --compress \
    -o "$OUT/corpus.h5"
fi
if [ ! -e "$OUT/fortunes-corpus-train.h5" ] || [ ! -e "$OUT/fortunes-corpus-test.h5" ]; then
  echo "== fortunes text with the corpus's tokenizer"
  # The same files, seed and split as fortunes-*.h5: the same rows held out.
  "$BIN/ssl-import" text "${files[@]}" --records percent --tokenizer "$OUT/corpus.h5" --max-len 128 --seed 0 \
    --split 0.1 --split-output "$OUT/fortunes-corpus-test.h5" -o "$OUT/fortunes-corpus-train.h5"
  /usr/bin/python3 - "$OUT" <<'PY'
import sys, h5py
out = sys.argv[1]
for part in ("train", "test"):
    a, b = h5py.File(f"{out}/fortunes-{part}.h5", "r"), h5py.File(f"{out}/fortunes-corpus-{part}.h5", "r")
    if list(a["ids"][:]) != list(b["ids"][:]):
        sys.exit(f"make-text-demo: fortunes-corpus-{part}.h5 holds other rows than fortunes-{part}.h5")
PY
fi
