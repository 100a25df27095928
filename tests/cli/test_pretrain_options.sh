#!/usr/bin/env bash
# ssl-pretrain's option table through the real tool (issue 24, defect 4):
# an option that does not apply to the run is a usage error naming it and
# why, never parsed and then ignored; --help states each method's real
# defaults; what runs is what /config says.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/img.h5"
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 -o "$WORK/t.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5"
ok ssl-augment "$WORK/img.h5" --recipe simclr -o "$WORK/views.h5"
run=(--max-steps 1 --threads 1 --batch 8)

# Options accepted and ignored before: each refused, exit 2, nothing written.
expect_error 2 "^ssl-pretrain: error: --temperature goes with --method simclr or moco or simcse; --method is byol$" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method byol --temperature 0.1 "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--strength sets the simclr recipe's color jitter; the recipe is mocov2" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method moco --strength 1 "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--views goes with --method emp or dino; --method mlm takes 0 views" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --method mlm --views 4 "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--patch cuts images for a ViT; --arch w2v-tiny is not an image encoder" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --arch w2v-tiny --patch 2 "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--norm-pix-loss goes with --method mae; --method is mlm" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --method mlm --no-norm-pix-loss "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--recipe augments raw images or clips; .*views.h5 holds views made by ssl-augment" "$WORK/x.h5" \
  ssl-pretrain "$WORK/views.h5" --method simclr --recipe byol "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--eval-every goes with --eval or --eval-split; neither is given" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --eval-every 5 "${run[@]}" -o "$WORK/x.h5"
expect_error 2 "--adam-beta2 goes with --optimizer adamw; --optimizer is sgd" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --optimizer sgd --adam-beta2 0.9 "${run[@]}" -o "$WORK/x.h5"
# On --resume as well: the checkpoint's method decides.
ok ssl-pretrain "$WORK/img.h5" --method byol --arch convnet-s "${run[@]}" -o "$WORK/byol.h5"
expect_error 2 "--temperature goes with --method simclr or moco or simcse; --method is byol" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --resume "$WORK/byol.h5" --temperature 0.2 -o "$WORK/x.h5"

# Where they apply they run, and /config holds them.
ok ssl-pretrain "$WORK/img.h5" --method simclr --arch convnet-s --temperature 0.3 --strength 1 --adam-beta2 0.99 \
  "${run[@]}" -o "$WORK/s.h5"
check_eq "config" "$(h5get "$WORK/s.h5" '(lambda c: (round(c["temperature"], 4), c["strength"], c["adam_beta2"], c["recipe"]))(__import__("json").loads(f["config"][0]))')" \
  "(0.3, 1.0, 0.99, 'simclr')"
# A method's own option reaches the method: MoCo's queue of 64 negatives.
ok ssl-pretrain "$WORK/img.h5" --method moco --arch convnet-s --queue 64 "${run[@]}" -o "$WORK/moco.h5"
check_eq "moco --queue" "$(h5get "$WORK/moco.h5" '[f[n].shape[0] for n in (lambda l: (f.visit(l.append), l)[1])([]) if n.endswith("queue") and isinstance(f[n], h5py.Dataset)]')" "[64]"
expect_error 2 "--queue goes with --method moco; --method is byol" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --method byol --queue 64 "${run[@]}" -o "$WORK/x.h5"
# The defaults that run are the ones --help states.
ssl-pretrain --help >"$WORK/help" || fail "--help"
grep -q -- "--lr .*\[default 0.001; mae 0.00015 x batch/256; skipgram 0.02; wav2vec 0.0005\]" "$WORK/help" || fail "--help: --lr defaults"
grep -q "\[default 256; text files 64; audio files 32; emp 100; dino 100\]" "$WORK/help" || fail "--help: --batch defaults"
ok ssl-pretrain "$WORK/img.h5" --method mae --arch vit-tiny --batch 16 --max-steps 1 --threads 1 -o "$WORK/mae.h5"
check_eq "mae's defaults" "$(h5get "$WORK/mae.h5" '(lambda c: (c["batch"], c["lr"], c["weight_decay"], c["adam_beta2"]))(__import__("json").loads(f["config"][0]))')" \
  "(16, 9.375e-06, 0.05, 0.95)"
finish
