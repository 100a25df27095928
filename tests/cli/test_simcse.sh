#!/usr/bin/env bash
# Unsupervised SimCSE (issue 27) and ssl-pretrain --init: simcse trains on
# unmasked text with dropout as the views, --init starts a new run of
# another method from a model file's encoder (its weights really loaded),
# a mismatched encoder or file is refused in one line, and ssl-embed reads
# a simcse model with the pooling it trained.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 -o "$WORK/t.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/img.h5"
run() { ok ssl-pretrain "$WORK/t.h5" --threads 1 --batch 16 "$@"; }
cfg() { h5get "$1" "__import__('json').loads(f['config'][0])$2"; }

# simcse from scratch: a few steps. The two dropout views of a sentence
# start nearer each other than the other sentences (below log(batch)), and
# the loss falls.
run --method simcse --arch bert-tiny --epochs 4 --lr 2e-3 -o "$WORK/s.h5"
check_eq "method" "$(cfg "$WORK/s.h5" '["method"]')" "simcse"
check_eq "temperature, pool, dropout" \
  "$(h5get "$WORK/s.h5" '(lambda c: (round(c["temperature"], 3), c["pool"], c["encoder"]["dropout"]))(__import__("json").loads(f["config"][0]))')" \
  "(0.05, 'cls', 0.1)"
check_eq "the loss starts below log(16) and falls" \
  "$(h5get "$WORK/s.h5" 'bool(0 < f["train/loss"][0] < np.log(16) and np.mean(f["train/loss"][-5:]) < f["train/loss"][0] / 2)')" "True"
# ssl-embed reads it as it trained ([CLS], before the training MLP).
ok ssl-embed "$WORK/s.h5" "$WORK/t.h5" --threads 1 -o "$WORK/es.h5"
check_eq "simcse embeddings" "$(h5get "$WORK/es.h5" 'f["embeddings"].shape[1], f["embeddings"].attrs["layer"]')" "128 pool-cls"
ok ssl-embed "$WORK/s.h5" "$WORK/t.h5" --threads 1 --pool mean -o "$WORK/esm.h5"
check_eq "--pool still chooses" "$(h5get "$WORK/esm.h5" 'f["embeddings"].attrs["layer"]')" "pool-mean"

# Exact resume: the dropout masks are a function of (seed, step).
run --method simcse --arch bert-tiny --epochs 2 --seed 4 -o "$WORK/full.h5"
run --method simcse --arch bert-tiny --epochs 2 --seed 4 --max-steps 3 -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/t.h5" --threads 1 --resume "$WORK/part.h5" -o "$WORK/rest.h5"
check_eq "simcse resume reproduces the loss curve" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# --init: simcse from an mlm model. One step at a negligible learning rate
# leaves the encoder where --init put it: its weights and its embeddings are
# the mlm model's (and far from a simcse run's own initialisation).
run --method mlm --arch bert-tiny:depth=1 --epochs 3 --lr 2e-3 -o "$WORK/mlm.h5"
run --method simcse --init "$WORK/mlm.h5" --max-steps 1 --lr 1e-12 -o "$WORK/i0.h5"
check_eq "the encoder shape is the model's" "$(cfg "$WORK/i0.h5" '["encoder"]["depth"]')" "1"
check_eq "where it came from" "$(cfg "$WORK/i0.h5" '["init"]["method"]')" "mlm"
check_eq "a new run: step 1 of its own" "$(h5get "$WORK/i0.h5" 'len(f["train/loss"])')" "1"
cat >"$WORK/same.py" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = [k for k in a["params"] if k.startswith("text_encoder.")]
assert names and set(names) == {k for k in b["params"] if k.startswith("text_encoder.")}
print(max(float(np.abs(a["params"][k][:] - b["params"][k][:]).max()) for k in names))
PY
check_eq "encoder weights loaded" "$(/usr/bin/python3 "$WORK/same.py" "$WORK/mlm.h5" "$WORK/i0.h5" | awk '{print ($1 < 1e-6)}')" "1"
ok ssl-embed "$WORK/mlm.h5" "$WORK/t.h5" --threads 1 --pool mean -o "$WORK/em.h5"
ok ssl-embed "$WORK/i0.h5" "$WORK/t.h5" --threads 1 --pool mean -o "$WORK/ei.h5"
check_eq "step-0 embeddings are the mlm model's" \
  "$(h5get "$WORK/em.h5" 'float(np.abs(f["embeddings"][:] - h5py.File("'"$WORK/ei.h5"'")["embeddings"][:]).max()) < 1e-4')" "True"
run --method simcse --arch bert-tiny:depth=1 --max-steps 1 --lr 1e-12 -o "$WORK/fresh.h5"
check_eq "without --init the weights are not the mlm model's" \
  "$(/usr/bin/python3 "$WORK/same.py" "$WORK/mlm.h5" "$WORK/fresh.h5" | awk '{print ($1 > 1e-2)}')" "1"
# And it trains on from there.
run --method simcse --init "$WORK/mlm.h5" --epochs 2 -o "$WORK/i.h5"
ok ssl-embed "$WORK/i.h5" "$WORK/t.h5" --threads 1 -o "$WORK/ei2.h5"

# Images take the same path: byol from a simclr model's convnet, its EMA
# target encoder a copy of the loaded encoder too.
ok ssl-pretrain "$WORK/img.h5" --threads 1 --batch 8 --max-steps 2 --method simclr --seed 3 -o "$WORK/sim.h5"
ok ssl-pretrain "$WORK/img.h5" --threads 1 --batch 8 --max-steps 1 --lr 1e-12 --method byol --init "$WORK/sim.h5" -o "$WORK/byol.h5"
cat >"$WORK/same_img.py" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r")["params"], h5py.File(sys.argv[2], "r")["params"]
names = [k[len("encoder."):] for k in a if k.startswith("encoder.")]
assert names
print(max(float(np.abs(a["encoder." + k][:] - b[p + k][:]).max()) for k in names for p in ("encoder.", "target_encoder.")))
PY
check_eq "image encoder and byol's target loaded" \
  "$(/usr/bin/python3 "$WORK/same_img.py" "$WORK/sim.h5" "$WORK/byol.h5" | awk '{print ($1 < 1e-6)}')" "1"

# Refusals: one line, nothing written.
expect_error 1 "mlm.h5: its encoder's params/tokens.table is \[300, ?128\], this run's is \[300, ?256\]" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --threads 1 --batch 16 --method simcse --init "$WORK/mlm.h5" --arch bert-mini -o "$WORK/x.h5"
expect_error 2 "--init .*mlm.h5 is a text model; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --threads 1 --batch 16 --init "$WORK/mlm.h5" -o "$WORK/x.h5"
expect_error 1 "t.h5: not an sslkit model file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --threads 1 --init "$WORK/t.h5" -o "$WORK/x.h5"
expect_error 2 "--init starts a new run .* give one of them" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --threads 1 --init "$WORK/mlm.h5" --resume "$WORK/s.h5" -o "$WORK/x.h5"
expect_error 2 "--eval-split scores masked language models; --method simcse masks no tokens" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --threads 1 --method simcse --eval-split 0.2 -o "$WORK/x.h5"
expect_error 2 "--dropout goes with --method simcse; --method is mlm" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --method mlm --threads 1 --dropout 0.1 -o "$WORK/x.h5"
# A text file tokenized otherwise: the mlm model's tokenizer is not its.
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 200 --max-len 32 -o "$WORK/t2.h5"
expect_error 2 "t2.h5 was not tokenized with the tokenizer of .*mlm.h5" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t2.h5" --threads 1 --batch 16 --method simcse --init "$WORK/mlm.h5" -o "$WORK/x.h5"
finish
