#!/usr/bin/env bash
# Skip-gram (issue 27): a bag of token vectors pretrained on tiny text, read
# by ssl-embed and ssl-finetune as any text model, resumed exactly, and the
# inputs and encoders it does not train refused in one line.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 --split 0.3 \
   -o "$WORK/ttr.h5" --split-output "$WORK/tte.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/img.h5"
sg() { ok ssl-pretrain "$WORK/ttr.h5" --method skipgram --threads 1 --batch 16 --arch bert-tiny:depth=0,position=none "$@"; }

sg --epochs 10 -o "$WORK/m.h5"
check_eq "config" "$(h5get "$WORK/m.h5" '(lambda c: (c["method"], c["encoder"]["depth"], c["encoder"]["position"], c["window"], c["negatives"]))(__import__("json").loads(f["config"][0]))')" \
  "('skipgram', 0, 'none', 5, 5)"
# The first loss is (1 + 5) log 2 (output vectors start at 0); training lowers it.
check_eq "first loss" "$(h5get "$WORK/m.h5" 'round(float(f["train/loss"][0]), 3)')" "4.159"
check_eq "the loss falls" "$(h5get "$WORK/m.h5" 'bool(np.mean(f["train/loss"][-5:]) < f["train/loss"][0] - 0.5)')" "True"
check_eq "no positions, blocks or norm" "$(h5get "$WORK/m.h5" 'sorted(k for k in f["params"] if k.startswith("text_encoder."))')" \
  "['text_encoder.tokens.table']"

# Read as any text model: embeddings (the mean of the token vectors), the
# linear probe and full fine-tuning from it.
ok ssl-embed "$WORK/m.h5" "$WORK/tte.h5" -o "$WORK/e.h5"
check_eq "embeddings" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape[1], f["embeddings"].attrs["layer"]')" "128 pool-mean"
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/m.h5" --eval "$WORK/tte.h5" --mode linear --epochs 5 --threads 1
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/m.h5" --eval "$WORK/tte.h5" --mode knn --k 5 --threads 1
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/m.h5" --eval "$WORK/tte.h5" --mode full --epochs 1 --threads 1 \
   -o "$WORK/ft.h5"

# Exact resume: the token counts and the draws come back with the checkpoint.
sg --epochs 3 --seed 4 -o "$WORK/full.h5"
sg --epochs 3 --seed 4 --max-steps 3 -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/ttr.h5" --resume "$WORK/part.h5" --threads 1 -o "$WORK/rest.h5"
check_eq "skipgram resume reproduces the loss curve" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# The method's own defaults: its bag of tokens, not text's bert-mini.
ok ssl-pretrain "$WORK/ttr.h5" --method skipgram --threads 1 --max-steps 1 --batch 16 -o "$WORK/d.h5"
check_eq "default encoder and decay" "$(h5get "$WORK/d.h5" '(lambda c: (c["arch"], c["weight_decay"]))(__import__("json").loads(f["config"][0]))')" \
  "('bert-mini:depth=0,position=none', 0.0)"

expect_error 2 "--method skipgram trains text files; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method skipgram -o "$WORK/x.h5"
expect_error 2 "--method skipgram trains token vectors only: --arch must be .*depth=0 and position=none" "$WORK/x.h5" \
  ssl-pretrain "$WORK/ttr.h5" --method skipgram --arch bert-tiny -o "$WORK/x.h5"
expect_error 2 "--window .*--method is mlm" "$WORK/x.h5" ssl-pretrain "$WORK/ttr.h5" --method mlm --window 3 -o "$WORK/x.h5"
finish
