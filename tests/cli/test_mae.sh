#!/usr/bin/env bash
# MAE through the tools: a ViT pretrained with --method mae on tiny images
# (masks on the fly), its class-token embeddings, a linear probe and full
# fine-tuning of the ViT, and MAE refused on a non-ViT encoder.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --method mae --epochs 6 --batch 16 --lr 1e-3 -o "$WORK/m.h5"
check_eq "mae on vit-mini" "$(h5get "$WORK/m.h5" '[__import__("json").loads(f["config"][0])[k] for k in ("method", "arch", "weight_decay", "adam_beta2")]')" \
  "['mae', 'vit-mini', 0.05, 0.95]"
check_eq "the reconstruction loss falls" \
  "$(h5get "$WORK/m.h5" 'bool(np.mean(f["train/loss"][-5:]) < np.mean(f["train/loss"][:5]))')" "True"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" -o "$WORK/e.h5"
check_eq "class-token embeddings" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape[1]')" "128"
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode linear --epochs 5
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode full --epochs 1 --batch 16 -o "$WORK/ft.h5"
check_eq "fine-tuned from the MAE encoder" \
  "$(h5get "$WORK/ft.h5" '__import__("json").loads(f["config"][0])["arch"]')" "vit-mini"
# Masks from an ssl-mask file: the same as the on-the-fly draw of the same seed in the first epoch.
ok ssl-mask "$WORK/tr.h5" --scheme patch --seed 3 -o "$WORK/trm.h5"
ok ssl-pretrain "$WORK/tr.h5" --method mae --epochs 1 --batch 16 --seed 3 -o "$WORK/a.h5"
ok ssl-pretrain "$WORK/trm.h5" --method mae --epochs 1 --batch 16 --seed 3 -o "$WORK/b.h5"
check_eq "mask file and on-the-fly masks give the same losses" \
  "$(h5get "$WORK/a.h5" 'list(f["train/loss"][:]) == list(h5py.File("'"$WORK/b.h5"'")["train/loss"][:])')" "True"
expect_error 2 "--method mae needs a ViT encoder \(vit-mini, vit-tiny\), not convnet-s" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mae --arch convnet-s -o "$WORK/x.h5"
finish
