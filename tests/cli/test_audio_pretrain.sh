#!/usr/bin/env bash
# Audio through the tools: ssl-import audio -> ssl-pretrain (wav2vec 2.0 on
# w2v-tiny, masks on the fly or from ssl-mask; the two-view simclr baseline)
# -> ssl-embed (the mean over real frames, or every frame) -> ssl-finetune
# (probe, kNN, full fine-tuning from the model and from scratch), through
# files and pipes, and the bad pairings refused with one line each.
. "$TESTS/cli/lib.sh"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/img.h5"
ok ssl-pretrain "$WORK/a.h5" --arch w2v-tiny --epochs 4 --batch 3 -o "$WORK/w.h5" --log-json "$WORK/log.jsonl"
check_eq "wav2vec on audio by default, fairseq's optimizer settings" \
  "$(h5get "$WORK/w.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("method", "arch", "lr", "weight_decay", "adam_beta2", "batch")]')" \
  "['wav2vec', 'w2v-tiny', 0.0005, 0.01, 0.98, 3]"
check_eq "steps" "$(h5get "$WORK/w.h5" 'len(f["train/loss"])')" "8"
check_eq "code perplexity over training, within [G, G*V]" \
  "$(h5get "$WORK/w.h5" 'bool(len(f["train/code_perplexity"]) == 8 and 2 <= min(f["train/code_perplexity"]) and max(f["train/code_perplexity"]) <= 128)')" "True"
grep -q '"code_perplexity"' "$WORK/log.jsonl" || fail "code perplexity in the JSON log"
grep -q '"audio_seconds_per_s"' "$WORK/log.jsonl" || fail "throughput in seconds of audio in the JSON log"
# Masks from ssl-mask on the encoder's grid (0.5 s: 24 frames of 320 samples, rounded down).
ok ssl-mask "$WORK/a.h5" --scheme span --span 3 -o "$WORK/am.h5"
ok ssl-pretrain "$WORK/am.h5" --arch w2v-tiny --epochs 1 --batch 3 -o "$WORK/wm.h5"
# The two-crop contrastive baseline on the same encoder.
ok ssl-pretrain "$WORK/a.h5" --method simclr --arch w2v-tiny --epochs 2 --batch 3 -o "$WORK/s.h5"
check_eq "simclr on audio: the audio recipe" "$(h5get "$WORK/s.h5" '__import__("json").loads(f["config"][0])["recipe"]')" "audio"

# Embeddings: the mean over real frames, or every frame with the real count.
ok ssl-embed "$WORK/w.h5" "$WORK/a.h5" -o "$WORK/e.h5"
check_eq "clip embeddings" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape')" "(6, 64)"
check_eq "pooling recorded" "$(h5get "$WORK/e.h5" 'f["embeddings"].attrs["layer"]')" "pool-mean"
ok ssl-embed "$WORK/w.h5" "$WORK/a.h5" --frames -o "$WORK/f.h5"
check_eq "frame embeddings" "$(h5get "$WORK/f.h5" 'f["embeddings"].shape')" "(6, 24, 64)"
# (length - 400) // 320 + 1 of the lengths 6162, 6599, 5466, 5172, 3397, 4338.
check_eq "real frames" "$(h5get "$WORK/f.h5" 'list(f["frames"][:])')" "[19, 20, 16, 15, 10, 13]"
check_eq "the clip embedding is the mean of its real frames" \
  "$(h5get "$WORK/f.h5" 'bool(np.allclose(f["embeddings"][4, :10].mean(0), h5py.File("'"$WORK/e.h5"'")["embeddings"][4], atol=1e-4))')" "True"
ssl-embed "$WORK/w.h5" - --format npy -o - < "$WORK/a.h5" > "$WORK/e.npy" || fail "pipe"
check_eq "npy through pipes" "$(/usr/bin/python3 -c "import numpy; print(numpy.load('$WORK/e.npy').shape)")" "(6, 64)"

# Downstream: probe, kNN and full fine-tuning, from the model and from scratch.
ok ssl-finetune "$WORK/a.h5" --model "$WORK/w.h5" --eval "$WORK/a.h5" --mode linear --metrics "$WORK/lin.json"
check_eq "probe report" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/lin.json'))['mode'])")" "linear"
ok ssl-finetune "$WORK/a.h5" --model "$WORK/w.h5" --eval "$WORK/a.h5" --mode knn --k 3
ok ssl-finetune "$WORK/a.h5" --model "$WORK/w.h5" --eval "$WORK/a.h5" --mode full --epochs 2 --batch 3 -o "$WORK/ft.h5" \
  --metrics "$WORK/ft.json"
check_eq "fine-tuned from the model" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/ft.json'))['selected']['init'])")" "$WORK/w.h5"
ok ssl-embed "$WORK/ft.h5" "$WORK/a.h5" -o "$WORK/eft.h5"
ok ssl-finetune "$WORK/a.h5" --arch w2v-tiny --eval "$WORK/a.h5" --mode full --time-budget 2 --batch 3
# The log-mel baseline: 40 bands' means and stds, the same probe.
ok ssl-finetune "$WORK/a.h5" --log-mel --eval "$WORK/a.h5" --mode linear --metrics "$WORK/mel.json"
check_eq "log-mel features" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/mel.json'))['features'])")" "log-mel"
ok ssl-finetune "$WORK/a.h5" --log-mel --eval "$WORK/a.h5" --mode knn --k 3
expect_error 2 "--log-mel does not go with --mode full" "" \
  ssl-finetune "$WORK/a.h5" --log-mel --eval "$WORK/a.h5" --mode full --epochs 1
expect_error 2 "--model and --log-mel exclude each other" "" \
  ssl-finetune "$WORK/a.h5" --log-mel --model "$WORK/w.h5" --eval "$WORK/a.h5" --mode linear
expect_error 1 "img.h5: has no /audio for --log-mel" "" \
  ssl-finetune "$WORK/img.h5" --log-mel --eval "$WORK/img.h5" --mode linear

# Bad pairings: one line each, nothing written.
ok ssl-pretrain "$WORK/img.h5" --epochs 1 --batch 60 -o "$WORK/img-m.h5"
expect_error 2 "--method mae trains image files; .*a.h5 holds audio" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --method mae -o "$WORK/x.h5"
expect_error 2 "--arch convnet-s is an image encoder" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --arch convnet-s -o "$WORK/x.h5"
expect_error 2 "--method wav2vec trains audio files; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method wav2vec -o "$WORK/x.h5"
expect_error 2 "img.h5 is an image file; .*w.h5 is an audio model \(wav2vec\)" "$WORK/x.h5" \
  ssl-embed "$WORK/w.h5" "$WORK/img.h5" -o "$WORK/x.h5"
expect_error 2 "a.h5 is an audio file; .*img-m.h5 is an image model \(emp\)" "$WORK/x.h5" \
  ssl-embed "$WORK/img-m.h5" "$WORK/a.h5" -o "$WORK/x.h5"
expect_error 2 "--frames gives one embedding per audio frame" "$WORK/x.h5" \
  ssl-embed "$WORK/img-m.h5" "$WORK/img.h5" --frames -o "$WORK/x.h5"
expect_error 2 "--frames writes \[clips, frames, width\]: --format h5 or npy" "$WORK/x.csv" \
  ssl-embed "$WORK/w.h5" "$WORK/a.h5" --frames --format csv -o "$WORK/x.csv"
expect_error 2 "--layer projector goes with image models" "$WORK/x.h5" \
  ssl-embed "$WORK/w.h5" "$WORK/a.h5" --layer projector -o "$WORK/x.h5"
expect_error 2 "a.h5 is an audio file; .*img-m.h5 is an image model" "" \
  ssl-finetune "$WORK/a.h5" --model "$WORK/img-m.h5" --eval "$WORK/a.h5" --mode full --epochs 1
expect_error 2 "--arch vit-mini is an image encoder" "" \
  ssl-finetune "$WORK/a.h5" --arch vit-mini --eval "$WORK/a.h5" --mode full --epochs 1
expect_error 2 "img.h5 is an image file; .*a.h5 is an audio file" "" \
  ssl-finetune "$WORK/a.h5" --model "$WORK/w.h5" --eval "$WORK/img.h5" --mode full --epochs 1
# Clips shorter than one frame of the encoder (400 samples).
ok ssl-import audio "$DATA/audio" --seconds 0.02 -o "$WORK/short.h5"
expect_error 1 "shorter than one frame" "$WORK/x.h5" ssl-pretrain "$WORK/short.h5" --arch w2v-tiny --batch 3 -o "$WORK/x.h5"
# A truncated audio file.
head -c 3000 "$WORK/a.h5" > "$WORK/trunc.h5"
expect_error 1 "trunc.h5: truncated or corrupt HDF5 file" "$WORK/x.h5" ssl-pretrain "$WORK/trunc.h5" -o "$WORK/x.h5"
finish
