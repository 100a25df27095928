#!/usr/bin/env bash
# A run is data: a resumed run is the run it continues. wav2vec's randomness
# and Gumbel temperature survive a resume, the precision a run resolved to
# is kept by its resume, and inputs given as pipes are read as '-' is.
. "$TESTS/cli/lib.sh"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/au.h5"

# losses FILE: "step loss" of each training line of a --log-json file.
losses() {
  /usr/bin/python3 -c "
import json, sys
for l in open('$1'):
    d = json.loads(l)
    if 'loss' in d: print(d['step'], repr(d['loss']), repr(d.get('temperature')))"
}

# ---- 1. ssl-pretrain --method wav2vec --resume is exact: 6 clips in batches of 2,
# 2 epochs (6 steps), stopped after 2 and resumed; steps 2..5 give the
# uninterrupted run's losses (the distractors and Gumbel noise were drawn
# from a generator the checkpoint lost, the temperature restarted at 2).
W2V="--method wav2vec --arch w2v-tiny --batch 2 --epochs 2 --threads 1 --seed 3 --precision f32"
ok ssl-pretrain "$WORK/au.h5" $W2V --log-json "$WORK/full.json" -o "$WORK/full.h5"
ok ssl-pretrain "$WORK/au.h5" $W2V --max-steps 2 --log-json "$WORK/part.json" -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/au.h5" --resume "$WORK/part.h5" --threads 1 --precision f32 --log-json "$WORK/part.json" \
  -o "$WORK/rest.h5"
check_eq "wav2vec: 6 steps logged" "$(losses "$WORK/full.json" | wc -l)" "6"
check_eq "wav2vec: resume reproduces the losses and temperatures" "$(losses "$WORK/part.json")" "$(losses "$WORK/full.json")"
check_eq "wav2vec: resume reproduces train/loss" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# ---- 2. The precision a run resolved to is part of it: resumed without
# --precision, the f32 run above stays f32 (was `auto` again: bf16 on a
# machine with bf16 kernels, another run); given again, it is the user's.
ok ssl-pretrain "$WORK/au.h5" --resume "$WORK/part.h5" --threads 1 --log-json "$WORK/kept.json" -o "$WORK/kept.h5"
check_eq "precision kept by --resume" "$(h5get "$WORK/kept.h5" '__import__("json").loads(f["config"][0])["precision"]')" "f32"
check_eq "f32 kept: the uninterrupted run's losses" "$(losses "$WORK/kept.json")" "$(losses "$WORK/full.json" | tail -n +3)"
if grep -Eqw "avx512_bf16|amx_bf16" /proc/cpuinfo; then
  ok ssl-pretrain "$WORK/au.h5" --resume "$WORK/part.h5" --threads 1 --precision bf16 --max-steps 1 -o "$WORK/b.h5"
  check_eq "--precision given again wins" "$(h5get "$WORK/b.h5" '__import__("json").loads(f["config"][0])["precision"]')" "bf16"
else
  echo "skipped: --precision bf16 on resume (no bf16 kernels here)"
fi
ssl-pretrain --help | grep -q -- "--resume keeps the precision the run resolved to" || fail "--help: --precision on --resume"

finish
