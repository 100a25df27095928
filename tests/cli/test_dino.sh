#!/usr/bin/env bash
# ssl-pretrain --method dino (issue 27): multi-crop (full-size global views
# for teacher and student, small crops for the student), its diagnostics in
# the log, ssl-embed after, an exact --resume (the centre and the teacher's
# temperature are kept in the model file), and what it refuses.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
DINO="--method dino --arch convnet-s --views 2 --global-views 2 --batch 16 --prototypes 64 --threads 1 --precision f32"

# Training metrics FILE: "step loss teacher_entropy teacher_temperature" per line.
metrics() {
  /usr/bin/python3 -c "
import json
for l in open('$1'):
    d = json.loads(l)
    if 'loss' in d: print(d['step'], repr(d['loss']), repr(d.get('teacher_entropy')), repr(d.get('teacher_temperature')))"
}

# 90 training images in batches of 16: 5 steps an epoch, 2 global views of
# 28 x 28 and 2 crops of 14 x 14 each.
ok ssl-pretrain "$WORK/tr.h5" $DINO --epochs 2 --seed 3 --teacher-temp-warmup 0.5 -o "$WORK/full.h5" \
   --log-json "$WORK/full.jsonl"
check_eq "dino loss steps" "$(h5get "$WORK/full.h5" 'len(f["train/loss"])')" "10"
check_eq "dino config: views, global views, prototypes" \
  "$(h5get "$WORK/full.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("views", "global_views", "view_size", "prototypes")]')" \
  "[2, 2, 14, 64]"
# Entropy between 0 and log 64; the teacher's temperature from 0.04 up to
# 0.07 at half of the 10 steps, then flat.
check_eq "dino logs a teacher entropy in (0, log K]" \
  "$(metrics "$WORK/full.jsonl" | awk '$3 > 0 && $3 <= log(64) + 1e-6' | wc -l)" "10"
check_eq "dino teacher temperature warms up to 0.07" \
  "$(metrics "$WORK/full.jsonl" | awk '{printf "%.3f ", $4}')" "0.040 0.040 0.046 0.052 0.058 0.064 0.070 0.070 0.070 0.070 "
ok ssl-embed "$WORK/full.h5" "$WORK/te.h5" -o "$WORK/emb.h5"
check_eq "dino embeds the encoder's 128-d features" "$(h5get "$WORK/emb.h5" 'f["embeddings"].shape[1]')" "128"
ok ssl-embed "$WORK/full.h5" "$WORK/te.h5" --layer projector -o "$WORK/proj.h5"
check_eq "dino's projector: unit bottleneck vectors (128 = 1 x the features)" \
  "$(h5get "$WORK/proj.h5" 'f["embeddings"].shape[1], bool(np.allclose(np.linalg.norm(f["embeddings"][:], axis=1), 1, atol=1e-4))')" \
  "128 True"

# Exact resume: 3 steps, then the rest, give the uninterrupted run's losses,
# entropies and temperatures, and the same weights, teacher and centre.
ok ssl-pretrain "$WORK/tr.h5" $DINO --epochs 2 --seed 3 --teacher-temp-warmup 0.5 --max-steps 3 -o "$WORK/part.h5" \
   --log-json "$WORK/part.jsonl"
ok ssl-pretrain "$WORK/tr.h5" --resume "$WORK/part.h5" --threads 1 --precision f32 -o "$WORK/rest.h5" \
   --log-json "$WORK/part.jsonl"
check_eq "dino: resume reproduces the losses, entropies and temperatures" \
  "$(metrics "$WORK/part.jsonl")" "$(metrics "$WORK/full.jsonl")"
check_eq "dino: resume reproduces every parameter and buffer" "$(/usr/bin/python3 -c "
import h5py, numpy as np
a, b = h5py.File('$WORK/full.h5', 'r'), h5py.File('$WORK/rest.h5', 'r')
names = [g + '/' + k for g in ('params', 'buffers') for k in a[g]]
print(len(names) > 0 and 'buffers/center' in names and all(np.array_equal(a[n][()], b[n][()]) for n in names))")" "True"
check_eq "dino: the centre moved from 0" "$(h5get "$WORK/rest.h5" 'bool(np.abs(f["buffers/center"][:]).sum() > 0)')" "True"

# Without global views the teacher sees every view (DINO without multi-crop).
ok ssl-pretrain "$WORK/tr.h5" --method dino --arch convnet-s --views 2 --global-views 0 --batch 16 --prototypes 64 \
   --threads 1 --max-steps 2 -o "$WORK/two.h5"
check_eq "dino with two crops and no global view trains" "$(h5get "$WORK/two.h5" 'len(f["train/loss"])')" "2"

# Refused, one line each, nothing written.
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 --max-len 16 -o "$WORK/t.h5"
expect_error 2 "--method dino trains image files; .*t.h5 is a text file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --method dino -o "$WORK/x.h5"
expect_error 2 "--teacher-temp: must be a finite NUMBER > 0, not 0" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method dino --teacher-temp 0 -o "$WORK/x.h5"
expect_error 2 "--prototypes goes with --method dino; --method is emp" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method emp --prototypes 64 -o "$WORK/x.h5"
expect_error 2 "--teacher-momentum 0.9 differs from the checkpoint" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --resume "$WORK/part.h5" --teacher-momentum 0.9 -o "$WORK/x.h5"
finish
