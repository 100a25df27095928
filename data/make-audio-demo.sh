#!/usr/bin/env bash
# Builds the spoken-digit demo set into OUT_DIR (default demo/) with espeak-ng:
#   digits-train.h5       4860 labelled clips (class folders 0-zero .. 9-nine,
#                         so the class index is the digit)
#   digits-test.h5        1200 labelled clips by voices never heard in training
#   digits-unlabelled.h5  5194 clips: 5184 of other English words and numbers
#                         by the training voices (pretraining without labels),
#                         and the 10 recorded utterances of pocketsphinx-testdata
# All 16 kHz, 1 s per clip (ssl-import audio --seconds 1.0).
#
# How, and why: the old set (5 accents x 4 variants x 2 speeds x 2 pitches,
# 20 % held out at random) put the same voices in train and test, and the
# baseline below scored 1.000 on it. Here a voice is an English accent of
# espeak-ng (the 8 below) with one of its voice variants (the 100 files in
# espeak-ng-data/voices/!v without a space in the name, plus the accent's
# default): 101 variants. The split is BY VARIANT: 20 variants, drawn once
# from a fixed seed, speak only the test set, in all accents. Each
# (variant, digit) is spoken by 6 of the 8 accents, each clip at its own
# speed (110-230 wpm) and pitch (10-90), and then `ssl-augment --apply` adds
# white noise at 0-30 dB SNR (over the clip's spoken part; the zero padding
# stays silent) and a gain of -10..+10 dB per clip, seeded.
#
# Not saturated: data/digits-baseline.py (per-band mean and std of a
# 40-band log-mel spectrogram, lib/data/log_mel.hpp's log_mel_stats in
# numpy, standardised, logistic regression with C=1) trained on
# digits-train.h5 scores 0.834 on digits-test.h5 (0.901 on its own training
# clips; 10 classes, chance 0.1).
#
# pocketsphinx-testdata's recordings run 1-7 s; ssl-import keeps the first
# second of each, so they are only a taste of real speech.
#
# The clips are drawn from a fixed seed and espeak-ng is deterministic, so
# the set is the same on every machine with the same espeak-ng (its variant
# list decides the split). Idempotent: existing outputs are kept. Atomic:
# clips are spoken into a scratch folder renamed into place when complete,
# and every .h5 is written by the tools' atomic outputs.
# BIN is the folder of the built tools (default build/).
set -euo pipefail
OUT=${1:-demo}
BIN=${BIN:-build}
IMPORT="$BIN/ssl-import" AUGMENT="$BIN/ssl-augment"
TRAIN="$OUT/digits-train.h5" TEST="$OUT/digits-test.h5" UNLAB="$OUT/digits-unlabelled.h5"
if [ -e "$TRAIN" ] && [ -e "$TEST" ] && [ -e "$UNLAB" ]; then
  echo "== spoken digits: $TRAIN, $TEST and $UNLAB exist, kept"
  exit 0
fi
command -v espeak-ng > /dev/null || { echo "make-audio-demo.sh: espeak-ng is not installed" >&2; exit 1; }
for t in "$IMPORT" "$AUGMENT"; do
  [ -x "$t" ] || { echo "make-audio-demo.sh: $t not found; build first or set BIN" >&2; exit 1; }
done
mkdir -p "$OUT"

ACCENTS="en-us en-gb en-gb-x-rp en-gb-scotland en-029 en-gb-x-gbclan en-gb-x-gbcwmd en-us-nyc"
DIGITS="zero one two three four five six seven eight nine"
# Words for the unlabelled set: numbers that are not digits, and a few
# commands, so pretraining hears the training voices without the labels.
WORDS="eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty
fifty sixty seventy eighty ninety hundred thousand million yes no up down left right on off stop go
forward backward"
HELD_OUT=20          # variants that speak only in the test set
ACCENTS_PER_WORD=6   # accents that speak each (variant, digit)
REAL=/usr/share/pocketsphinx/test/data   # pocketsphinx-testdata

CLIPS="$OUT/spoken-digits"
# The clips are made in a scratch folder and renamed into place when all
# are done, so an interrupted run never leaves a partial set that looks
# whole. A folder of the old layout (digit folders at the top, no "done") is
# replaced, and so are the .h5 files made from it.
fresh=0
if [ ! -e "$CLIPS/done" ]; then
  fresh=1  # new clips: every .h5 is made again from them
  tmp="$CLIPS.tmp-$$"
  rm -rf "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  # espeak-ng's variants, by file name; "Mr serious" has a space, which
  # espeak-ng's -v cannot take after a '+'.
  variants=$(ls "$(espeak-ng --version | sed -n 's/.*Data at: *//p')/voices/!v" | grep -v ' ' | sort)
  # One line per clip: voice, speed, pitch, word, output file. awk draws
  # the split, the accents and the speeds and pitches from a fixed seed.
  printf '%s\n' default $variants | awk -v accents="$ACCENTS" -v digits="$DIGITS" -v words="$WORDS" \
    -v held="$HELD_OUT" -v per="$ACCENTS_PER_WORD" -v dir="$tmp" '
    { v[NR] = $1 }
    # Park-Miller minimal standard generator, exact in awk doubles: the same
    # draws from mawk and gawk (whose rand() differ).
    function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    function clip(part, folder, variant, word, accent,   voice, s, p) {
      voice = variant == "default" ? accent : accent "+" variant
      s = 110 + int(rnd() * 121); p = 10 + int(rnd() * 81)
      printf "%s %d %d %s %s/%s/%s/%s-%s+%s-s%d-p%d.wav\n", voice, s, p, word, dir, part, folder, word, accent, variant, s, p
    }
    # pick[1..k]: k of the na accents, a fresh random draw each call.
    function draw(k,   i, j, t) {
      for (i = 1; i <= na; i++) pick[i] = i
      for (i = 1; i <= k; i++) { j = i + int(rnd() * (na - i + 1)); t = pick[i]; pick[i] = pick[j]; pick[j] = t }
    }
    END {
      seed = 42
      na = split(accents, A, " "); nd = split(digits, D, " "); nw = split(words, W, /[ \n]+/)
      n = NR
      # The held-out variants: the first `held` of a seeded shuffle.
      for (i = n; i > 1; i--) { j = 1 + int(rnd() * i); t = v[i]; v[i] = v[j]; v[j] = t }
      for (i = 1; i <= n; i++) {
        part = i <= held ? "test" : "train"
        for (d = 1; d <= nd; d++) {
          draw(per)
          for (k = 1; k <= per; k++) clip(part, (d - 1) "-" D[d], v[i], D[d], A[pick[k]])
        }
        if (part == "train")
          for (w = 1; w <= nw; w++) {
            draw(2)
            for (k = 1; k <= 2; k++) clip("words", "all", v[i], W[w], A[pick[k]])
          }
      }
    }' > "$tmp/jobs"
  n=$(wc -l < "$tmp/jobs")
  echo "== spoken digits: speaking $n clips with espeak-ng"
  cut -d' ' -f5 "$tmp/jobs" | sed 's|/[^/]*$||' | sort -u | xargs mkdir -p
  # Each clip takes espeak-ng about 10 ms; spread them over the cores.
  xargs -P "$(nproc)" -L 1 sh -c 'espeak-ng -v "$0" -s "$1" -p "$2" -w "$4" "$3"' < "$tmp/jobs"
  made=$(find "$tmp" -name '*.wav' | wc -l)
  [ "$made" -eq "$n" ] || { echo "make-audio-demo.sh: expected $n clips, espeak-ng made $made" >&2; exit 1; }
  if [ -d "$REAL" ]; then
    for f in "$REAL"/cards/*.wav "$REAL"/librivox/*.wav; do cp "$f" "$tmp/words/all/real-$(basename "$(dirname "$f")")-$(basename "$f")"; done
  else
    echo "make-audio-demo.sh: $REAL not found (pocketsphinx-testdata); the unlabelled set has espeak-ng clips only" >&2
  fi
  rm -f "$tmp/jobs"
  touch "$tmp/done"
  rm -rf "$CLIPS"
  mv "$tmp" "$CLIPS"
  trap - EXIT
fi

# Import, then noise and gain through ssl-augment --apply, in one pipe: the
# output appears only when both succeed. Each file has its own seed.
NOISE="noise(0,30,p=1) gain(-10,10,p=1)"
build() {  # OUTPUT FOLDER SEED
  [ -e "$1" ] && [ "$fresh" = 0 ] && return 0
  echo "== spoken digits: $1 from $2"
  "$IMPORT" audio "$2" --sample-rate 16000 --seconds 1.0 -o - -q |
    "$AUGMENT" - --recipe "$NOISE" --apply --seed "$3" -o "$1" -q
}
build "$TRAIN" "$CLIPS/train" 1
build "$TEST" "$CLIPS/test" 2
build "$UNLAB" "$CLIPS/words/all" 3
