#!/usr/bin/env bash
# The batch sources make each batch inline, when the trainer asks (the
# loader thread and its HDF5 lock were deleted, issue 24): a resumed run
# must still draw exactly the batches an uninterrupted one draws, for the
# sources no other script resumes (MAE's per-epoch patch masks, audio clips
# and their views), across an epoch boundary; and ssl-pretrain still
# reports the share of the run spent making batches.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/img.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/au.h5"

# same_losses NAME FILE ARGS...: 1 step, then --resume to the end, equals one run.
same_losses() {
  local name=$1 file=$2; shift 2
  ok ssl-pretrain "$file" "$@" --threads 1 --seed 3 --precision f32 -o "$WORK/$name-full.h5"
  ok ssl-pretrain "$file" "$@" --threads 1 --seed 3 --precision f32 --max-steps 1 -o "$WORK/$name-part.h5"
  # --precision again is allowed (a resumed run keeps the checkpoint's anyway).
  ok ssl-pretrain "$file" --resume "$WORK/$name-part.h5" --threads 1 --precision f32 -o "$WORK/$name-rest.h5"
  check_eq "$name: resume reproduces the loss curve" \
    "$(h5get "$WORK/$name-full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/$name-rest.h5"'")["train/loss"][:]) and len(f["train/loss"]) > 1')" "True"
}
# 120 images in batches of 40: 3 steps an epoch, so 2 epochs cross one boundary.
same_losses mae "$WORK/img.h5" --method mae --arch vit-tiny --batch 40 --epochs 2
# 6 half-second clips in batches of 2: 3 steps an epoch, 3 epochs.
same_losses audio-views "$WORK/au.h5" --method simclr --arch w2v-tiny --batch 2 --epochs 3

# The summary names the time spent making batches (TimedSteps::busy_seconds).
ok ssl-pretrain "$WORK/img.h5" --batch 16 --max-steps 2 --threads 1 --progress -o "$WORK/m.h5"
grep -Eq "2 steps in [0-9]+ s; [0-9]+ % of it making batches" "$WORK/ok.err" ||
  fail "summary line: $(cat "$WORK/ok.err")"

finish
