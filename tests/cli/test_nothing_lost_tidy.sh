#!/usr/bin/env bash
# Issue 24, defects 6 and 7 and the dead rng state: what a run writes is
# what the docs say it runs. Each block failed before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" -o "$WORK/g.h5"

# ---- 1. Warmup reaches --lr exactly at its last step (it ran at 0.671 x
# --lr there; the overshoot above --lr is lib/train/trainer_test's).
# 120 images at 10 a step: 12 steps an epoch, warmup 0.25 of it = 3 steps.
ok ssl-pretrain "$WORK/g.h5" --method simclr --batch 10 --epochs 1 --warmup 0.25 --lr 0.01 --max-steps 4 \
  --threads 1 -o "$WORK/w.h5"
check_eq "warmup lr per step: (k + 1) / 3 of --lr, then --lr" \
  "$(h5get "$WORK/w.h5" '[round(float(v) / 0.01, 4) for v in f["train/lr"][:4]]')" "[0.3333, 0.6667, 1.0, 1.0]"

finish
