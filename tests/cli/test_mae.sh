#!/usr/bin/env bash
# MAE through the tools: a ViT pretrained with --method mae on tiny images
# (masks on the fly), reconstructions during training and on demand, its
# class-token and mean-pooled embeddings, a linear probe and full
# fine-tuning of the ViT (by epochs and by time, with layer-wise decay),
# --patch and --no-norm-pix-loss, and the bad pairings refused.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
# The reconstructions appear while training runs, not only at its end.
ssl-pretrain "$WORK/tr.h5" --method mae --epochs 1000 --batch 16 --lr 1e-3 -o "$WORK/long.h5" \
   --recon "$WORK/live.png" --recon-every 2 -q 2>/dev/null &
LONG=$!
for _ in $(seq 300); do [ -s "$WORK/live.png" ] && break; sleep 0.2; done
kill -0 "$LONG" 2>/dev/null || fail "the long run ended before the test could look"
[ -s "$WORK/live.png" ] || fail "no reconstruction PNG while training"
kill -TERM "$LONG"; wait "$LONG" || true
ok ssl-pretrain "$WORK/tr.h5" --method mae --epochs 6 --batch 16 --lr 1e-3 -o "$WORK/m.h5" \
   --recon "$WORK/recon.png" --recon-every 5
! ls -a "$WORK" | grep -q '^\.recon\.png\.tmp-' || fail "temp files left beside the reconstruction PNG"
# A PNG of 8 rows x 4 columns of 28x28 images scaled 4x: 4 x 114 + 2 wide,
# a 16-pixel title band + 8 x 114 + 2 high (width and height at bytes 16-23).
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4, $7*256+$8}'; }
check_eq "reconstructions during training" "$(png_size "$WORK/recon.png")" "458 930"
check_eq "mae on vit-mini" "$(h5get "$WORK/m.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("method", "arch", "weight_decay", "adam_beta2")]')" \
  "['mae', 'vit-mini', 0.05, 0.95]"
check_eq "the reconstruction loss falls" \
  "$(h5get "$WORK/m.h5" 'bool(np.mean(f["train/loss"][-5:]) < np.mean(f["train/loss"][:5]))')" "True"
ok ssl-info "$WORK/m.h5" --reconstruct "$WORK/te.h5" --preview "$WORK/r2.png" --preview-count 3
check_eq "reconstructions on demand" "$(png_size "$WORK/r2.png")" "458 360"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" -o "$WORK/e.h5"
check_eq "class-token embeddings" "$(h5get "$WORK/e.h5" '(f["embeddings"].shape[1], f["embeddings"].attrs["layer"])')" \
  "(128, 'backbone-cls')"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" --pool mean -o "$WORK/em.h5"
check_eq "mean-pooled embeddings differ from the class token" \
  "$(h5get "$WORK/em.h5" '(f["embeddings"].attrs["layer"], bool(np.abs(f["embeddings"][:] - h5py.File("'"$WORK/e.h5"'")["embeddings"][:]).max() > 1e-3))')" \
  "('backbone-mean', True)"
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode knn --k 5 --pool mean
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode linear --epochs 5
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode full --epochs 1 --batch 16 -o "$WORK/ft.h5" \
   --metrics "$WORK/ft.json"
check_eq "fine-tuned from the MAE encoder, mean-pooled, with layer decay" \
  "$(h5get "$WORK/ft.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("arch", "pool")]')" "['vit-mini', 'cls']"
check_eq "fine-tuning settings reported" \
  "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["selected"]; print(s["layer_decay"], s["lr"], s["weight_decay"], s["steps"])' "$WORK/ft.json")" \
  "0.75 0.003 0.05 5"
# By time: a 2-second budget from scratch (no layer decay there).
ok ssl-finetune "$WORK/tr.h5" --arch vit-mini --eval "$WORK/te.h5" --mode full --time-budget 2 --batch 16 --metrics "$WORK/ts.json"
check_eq "from scratch by time" \
  "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["selected"]; print(s["layer_decay"], s["init"], "epochs" in s, 1.5 < s["seconds"] < 10, s["steps"] > 0)' "$WORK/ts.json")" \
  "1.0 scratch False True True"
# --patch 7 (16 patches of a 28x28 image) and plain-pixel targets.
ok ssl-pretrain "$WORK/tr.h5" --method mae --epochs 1 --batch 16 --patch 7 --no-norm-pix-loss -o "$WORK/p7.h5"
check_eq "patch 7 and plain pixels" \
  "$(h5get "$WORK/p7.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("patch", "norm_pix")] + [f["params/encoder.patch_embed.weight"].shape[-1]]')" \
  "[7, False, 7]"
ok ssl-embed "$WORK/p7.h5" "$WORK/te.h5" -o "$WORK/e7.h5"
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/p7.h5" --eval "$WORK/te.h5" --mode full --epochs 1 --batch 16 --pool mean -o "$WORK/ft7.h5"
check_eq "fine-tuning keeps the model's patch side" \
  "$(h5get "$WORK/ft7.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("patch", "pool")]')" "[7, 'mean']"
expect_error 2 "holds 28x28 images, which 5-pixel patches do not tile" "$WORK/p5.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mae --epochs 1 --batch 16 --patch 5 -o "$WORK/p5.h5"
# Masks from an ssl-mask file: the same as the on-the-fly draw of the same seed in the first epoch.
ok ssl-mask "$WORK/tr.h5" --scheme patch --seed 3 -o "$WORK/trm.h5"
ok ssl-pretrain "$WORK/tr.h5" --method mae --epochs 1 --batch 16 --seed 3 -o "$WORK/a.h5"
ok ssl-pretrain "$WORK/trm.h5" --method mae --epochs 1 --batch 16 --seed 3 -o "$WORK/b.h5"
check_eq "mask file and on-the-fly masks give the same losses" \
  "$(h5get "$WORK/a.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/b.h5"'")["train/loss"][:])')" "True"
expect_error 2 "--method mae needs a ViT encoder \(vit-mini, vit-tiny\), not convnet-s" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mae --arch convnet-s -o "$WORK/x.h5"
# Bad pairings: each names what goes with what, and writes nothing.
ok ssl-pretrain "$WORK/tr.h5" --method simclr --epochs 1 --batch 16 -o "$WORK/s.h5"
expect_error 2 "--recon draws what a masked image model \(mae\) fills in" "$WORK/x.png" \
  ssl-pretrain "$WORK/tr.h5" --method simclr --epochs 1 --batch 16 --recon "$WORK/x.png" -o "$WORK/x.h5"
expect_error 2 "--reconstruct needs a masked image model" "$WORK/x.png" \
  ssl-info "$WORK/s.h5" --reconstruct "$WORK/te.h5" --preview "$WORK/x.png"
expect_error 2 "--reconstruct draws into the --preview PNG" "" ssl-info "$WORK/m.h5" --reconstruct "$WORK/te.h5"
expect_error 2 "--pool goes with ViT and text models" "$WORK/x.h5" ssl-embed "$WORK/s.h5" "$WORK/te.h5" --pool mean -o "$WORK/x.h5"
expect_error 2 "--patch cuts images for a ViT" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method simclr --patch 7 -o "$WORK/x.h5"
expect_error 2 "--norm-pix-loss goes with --method mae" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method simclr --no-norm-pix-loss -o "$WORK/x.h5"
expect_error 2 "--layer-decay goes with ViT encoders" "" \
  ssl-finetune "$WORK/tr.h5" --model "$WORK/s.h5" --eval "$WORK/te.h5" --mode full --layer-decay 0.5
expect_error 2 "a ViT's backbone learns by --layer-decay" "" \
  ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode full --backbone-lr-scale 0.5
expect_error 2 "--pool chooses a model's features: give --model" "" \
  ssl-finetune "$WORK/e.h5" --eval "$WORK/e.h5" --mode linear --pool cls
finish
