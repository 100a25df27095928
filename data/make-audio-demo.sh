#!/usr/bin/env bash
# Builds the spoken-digit demo set into OUT_DIR (default demo/) with espeak-ng:
#   spoken-digits/<N-digit>/<voice>-s<speed>-p<pitch>.wav   800 clips, 22050 Hz mono
#     (folders 0-zero .. 9-nine, so the class index is the digit)
#   digits-train.h5, digits-test.h5   16 kHz, 1 s per clip, 20 % held out per class
# The digits zero..nine in 5 English accents x 4 voice variants x 2 speeds x
# 2 pitches. espeak-ng is deterministic, so the set is the same on every
# machine with the same espeak-ng. Idempotent: existing outputs are kept.
# BIN is the folder of the built tools (default build/).
set -euo pipefail
OUT=${1:-demo}
BIN=${BIN:-build}
IMPORT="$BIN/ssl-import"
if [ -e "$OUT/digits-train.h5" ] && [ -e "$OUT/digits-test.h5" ]; then
  echo "== spoken digits: $OUT/digits-train.h5 and $OUT/digits-test.h5 exist, kept"
  exit 0
fi
command -v espeak-ng > /dev/null || { echo "make-audio-demo.sh: espeak-ng is not installed" >&2; exit 1; }
[ -x "$IMPORT" ] || { echo "make-audio-demo.sh: $IMPORT not found; build first or set BIN" >&2; exit 1; }
mkdir -p "$OUT"

CLIPS="$OUT/spoken-digits"
# The clips are made in a scratch folder and renamed into place when all
# are done, so an interrupted run never leaves a partial set that looks whole.
if [ ! -d "$CLIPS" ]; then
  echo "== spoken digits: speaking 800 clips with espeak-ng"
  tmp="$CLIPS.tmp-$$"
  rm -rf "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  jobs_file="$tmp/jobs"
  mkdir -p "$tmp"
  digits="zero one two three four five six seven eight nine"
  i=0
  for word in $digits; do
    d="$i-$word"
    i=$((i + 1))
    mkdir -p "$tmp/$d"
    for accent in en-us en-gb en-gb-x-rp en-gb-scotland en-029; do
      # No variant (the accent's default male voice), two female, one male.
      for variant in "" +f3 +f5 +m3; do
        for speed in 140 190; do
          for pitch in 35 70; do
            # One line per clip: voice, speed, pitch, word, output file.
            echo "$accent$variant $speed $pitch $word $tmp/$d/$accent${variant:-+default}-s$speed-p$pitch.wav"
          done
        done
      done
    done
  done > "$jobs_file"
  # Each clip takes espeak-ng about 10 ms; spread them over the cores.
  xargs -P "$(nproc)" -L 1 sh -c 'espeak-ng -v "$0" -s "$1" -p "$2" -w "$4" "$3"' < "$jobs_file"
  rm -f "$jobs_file"
  n=$(find "$tmp" -name '*.wav' | wc -l)
  [ "$n" -eq 800 ] || { echo "make-audio-demo.sh: expected 800 clips, espeak-ng made $n" >&2; exit 1; }
  mv "$tmp" "$CLIPS"
  trap - EXIT
fi

echo "== spoken digits: importing $CLIPS"
"$IMPORT" audio "$CLIPS" --sample-rate 16000 --seconds 1.0 --split 0.2 \
  --split-output "$OUT/digits-test.h5" -o "$OUT/digits-train.h5"
