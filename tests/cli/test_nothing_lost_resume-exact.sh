#!/usr/bin/env bash
# A run is data: a resumed run is the run it continues. wav2vec's randomness
# and Gumbel temperature survive a resume, the precision a run resolved to
# is kept by its resume, and inputs given as pipes are read as '-' is.
. "$TESTS/cli/lib.sh"
# Temp files (spools of piped inputs) here, so none left behind is seen.
mkdir "$WORK/tmp" && export TMPDIR="$WORK/tmp"
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

# ---- 3. Inputs given as pipes (bash's <(command), a FIFO) are read as '-' is:
# spooled once into a temp file (HDF5 seeks; a model is opened more than
# once). Was "/dev/fd/63: empty file, not HDF5" (a size check before open).
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
ok ssl-embed "$WORK/m.h5" "$WORK/tr.h5" --threads 1 -o "$WORK/e.h5"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" --threads 1 -o "$WORK/ete.h5"
ok ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --k 5
want=$(head -1 "$WORK/ok.out")
ok ssl-finetune "$WORK/e.h5" --eval <(cat "$WORK/ete.h5") --mode knn --k 5
check_eq "ssl-finetune --eval <(...)" "$(head -1 "$WORK/ok.out")" "$want"
ok ssl-finetune <(cat "$WORK/e.h5") --eval <(cat "$WORK/ete.h5") --mode knn --k 5
check_eq "ssl-finetune <(...) --eval <(...)" "$(head -1 "$WORK/ok.out")" "$want"
ok ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --model <(cat "$WORK/m.h5") --mode knn --k 5 --threads 1
check_eq "ssl-finetune --model <(...)" "$(head -1 "$WORK/ok.out" | cut -d' ' -f1-2)" "$(echo "$want" | cut -d' ' -f1-2)"
# A model read twice (config, weights) and hashed: the embeddings of a pipe are the file's.
ok ssl-embed <(cat "$WORK/m.h5") <(cat "$WORK/te.h5") --threads 1 -o "$WORK/ep.h5"
check_eq "ssl-embed <(model) <(data)" "$(h5get "$WORK/ep.h5" 'bool((f["embeddings"][:] == h5py.File("'"$WORK/ete.h5"'")["embeddings"][:]).all()) and f["embeddings"].attrs["model_sha256"] == h5py.File("'"$WORK/ete.h5"'")["embeddings"].attrs["model_sha256"]')" "True"
ok ssl-pretrain <(cat "$WORK/tr.h5") --resume <(cat "$WORK/m.h5") --max-steps 1 --threads 1 -o "$WORK/m2.h5"
check_eq "ssl-pretrain <(data) --resume <(model)" "$(h5get "$WORK/m2.h5" 'int(f["state/step"][0])')" "2"
ok ssl-info <(cat "$WORK/m.h5"); grep -q "^model:" "$WORK/ok.out" || fail "ssl-info <(model): $(cat "$WORK/ok.out")"
ok ssl-info <(cat "$WORK/full.json"); grep -q "steps 1-6" "$WORK/ok.out" || fail "ssl-info <(log): $(cat "$WORK/ok.out")"
ok ssl-import idx <(zcat "$IDX") <(cat "$LBL") -o "$WORK/piped.h5"
check_eq "ssl-import idx <(...)" "$(h5get "$WORK/piped.h5" 'f["images"].shape[0], int(f["labels"][:].sum())')" \
  "$(h5get "$WORK/tr.h5" '120, int(f["labels"][:].sum()) + int(h5py.File("'"$WORK/te.h5"'")["labels"][:].sum())')"
# A FIFO named on the command line, and no spool left behind.
mkfifo "$WORK/fifo.h5"
timeout 20 cat "$WORK/ete.h5" >"$WORK/fifo.h5" &
ok ssl-finetune "$WORK/e.h5" --eval "$WORK/fifo.h5" --mode knn --k 5
wait
check_eq "ssl-finetune --eval FIFO" "$(head -1 "$WORK/ok.out")" "$want"
[ -z "$(ls "$TMPDIR")" ] || fail "temp files left in TMPDIR: $(ls "$TMPDIR")"

finish
