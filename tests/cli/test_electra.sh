#!/usr/bin/env bash
# ELECTRA through ssl-pretrain: a generator and a discriminator trained on a
# tiny text file, the discriminator's encoder embedded, probed, fine-tuned
# and exported as any text encoder, exact resume, its options and its
# refusals.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 --split 0.3 \
   -o "$WORK/ttr.h5" --split-output "$WORK/tte.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/img.h5"

ok ssl-pretrain "$WORK/ttr.h5" --method electra --arch bert-tiny --batch 16 --epochs 20 --lr 2e-3 --threads 1 -o "$WORK/m.h5"
check_eq "config" "$(h5get "$WORK/m.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("method", "generator_fraction", "disc_weight")]')" \
  "['electra', 0.25, 50.0]"
# bert-tiny is 128 wide: the generator a quarter of it, reading the shared
# table through a projection; the one token table is the encoder's.
check_eq "generator width" "$(h5get "$WORK/m.h5" 'f["params/generator.block0.ln1.weight"].shape, f["params/generator.embed_proj.weight"].shape')" \
  "(32,) (32, 128)"
check_eq "one token table" "$(h5get "$WORK/m.h5" 'sorted(k for k in f["params"] if k.endswith("tokens.table"))')" \
  "['text_encoder.tokens.table']"
steps=$(h5get "$WORK/m.h5" 'len(f["train/loss"])')
check_eq "both losses logged each step" "$(h5get "$WORK/m.h5" 'len(f["train/gen_loss"]), len(f["train/disc_loss"]), len(f["train/disc_accuracy"])')" \
  "$steps $steps $steps"
check_eq "the generator's loss falls" \
  "$(h5get "$WORK/m.h5" 'bool(np.mean(f["train/gen_loss"][-10:]) < np.mean(f["train/gen_loss"][:10]) - 0.5)')" "True"
check_eq "the loss is MLM + 50 x detection" \
  "$(h5get "$WORK/m.h5" 'bool(np.allclose(f["train/loss"][:], f["train/gen_loss"][:] + 50 * f["train/disc_loss"][:], rtol=1e-3))')" "True"
ssl-info "$WORK/m.h5" | grep -Eq "^  method +electra" || fail "ssl-info: method"
# The generator is a masked LM: ssl-info --predict and the held-out scores read it.
ssl-info "$WORK/m.h5" --predict "a [MASK] in [MASK]" --top 2 --json >"$WORK/p.json" 2>"$WORK/p.err" ||
  fail "--predict --json: $(cat "$WORK/p.err")"
check_eq "--predict: masks x guesses" \
  "$(/usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(len(j['masks']), [len(m) for m in j['masks']])" "$WORK/p.json")" \
  "2 [2, 2]"

# The discriminator's encoder is the one embedded, probed and fine-tuned.
ok ssl-embed "$WORK/m.h5" "$WORK/ttr.h5" -o "$WORK/etr.h5"
check_eq "text embeddings" "$(h5get "$WORK/etr.h5" 'f["embeddings"].shape[1], f["embeddings"].attrs["layer"]')" "128 pool-mean"
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/m.h5" --eval "$WORK/tte.h5" --mode linear --epochs 5 --threads 1
grep -q '^accuracy' "$WORK/ok.out" || fail "linear probe accuracy"
ok ssl-finetune "$WORK/ttr.h5" --model "$WORK/m.h5" --eval "$WORK/tte.h5" --mode full --epochs 1 --threads 1 -o "$WORK/ft.h5"
check_eq "full fine-tuning starts from the discriminator's encoder" \
  "$(h5get "$WORK/ft.h5" 'sorted(k.split(".")[0] for k in f["params"] if not k.startswith("text_encoder."))')" "['head', 'head']"

# Export: the discriminator's encoder as a plain text encoder (no MLM head:
# that is the generator's, left behind).
ok ssl-export "$WORK/m.h5" -o "$WORK/m-hf" --to hf
grep -q '"XLMRobertaXLModel"' "$WORK/m-hf/config.json" || fail "electra exports as XLMRobertaXLModel"
/usr/bin/python3 - "$WORK/m.h5" "$WORK/m-hf/model.safetensors" <<'PY' || fail "the exported word embeddings are the discriminator's"
import json, struct, sys, h5py, numpy as np
with open(sys.argv[2], "rb") as s:
    n = struct.unpack("<Q", s.read(8))[0]
    head = json.loads(s.read(n)); body = s.read()
names = [k for k in head if k != "__metadata__"]
assert not any("generator" in k or "disc" in k for k in names), names
e = head["embeddings.word_embeddings.weight"]
a, b = e["data_offsets"]
got = np.frombuffer(body[a:b], np.float32).reshape(e["shape"])
assert np.array_equal(got, h5py.File(sys.argv[1])["params/text_encoder.tokens.table"][:])
PY

# Exact resume: the samples are a function of the step, kept in the file.
ok ssl-pretrain "$WORK/ttr.h5" --method electra --arch bert-tiny --batch 16 --epochs 2 --seed 4 --threads 1 -o "$WORK/full.h5"
ok ssl-pretrain "$WORK/ttr.h5" --method electra --arch bert-tiny --batch 16 --epochs 2 --seed 4 --threads 1 --max-steps 3 -o "$WORK/part.h5"
ok ssl-pretrain "$WORK/ttr.h5" --resume "$WORK/part.h5" --threads 1 -o "$WORK/rest.h5"
check_eq "electra resume reproduces the loss curve" \
  "$(h5get "$WORK/full.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/rest.h5"'")["train/loss"][:])')" "True"

# Its options, and only for it.
ok ssl-pretrain "$WORK/ttr.h5" --method electra --arch bert-tiny --batch 16 --max-steps 2 --threads 1 \
   --generator-fraction 1 --disc-weight 10 --eval-split 0.2 -o "$WORK/g1.h5"
check_eq "--disc-weight weighs the detection" \
  "$(h5get "$WORK/g1.h5" 'bool(np.allclose(f["train/loss"][:], f["train/gen_loss"][:] + 10 * f["train/disc_loss"][:], rtol=1e-3))')" "True"
check_eq "held-out masked accuracy of the generator" "$(h5get "$WORK/g1.h5" 'len(f["train/eval_accuracy"]) > 0')" "True"
check_eq "a generator as wide as the encoder reads the embeddings as they are" \
  "$(h5get "$WORK/g1.h5" 'f["params/generator.block0.ln1.weight"].shape, "generator.embed_proj.weight" in f["params"]')" "(128,) False"
expect_error 2 "--generator-fraction" "$WORK/x.h5" \
  ssl-pretrain "$WORK/ttr.h5" --method electra --generator-fraction 0 -o "$WORK/x.h5"
expect_error 2 "--disc-weight goes with --method electra" "$WORK/x.h5" \
  ssl-pretrain "$WORK/ttr.h5" --method mlm --disc-weight 5 -o "$WORK/x.h5"
expect_error 2 "--method electra trains text files; .*img.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method electra -o "$WORK/x.h5"
finish
