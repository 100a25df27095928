#!/usr/bin/env bash
# ssl-mask on text, images and audio through files and pipes: the file comes
# out whole with the masks added, determinism across threads, previews, and
# bad input.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" -o "$WORK/t.h5" --seed 1
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/i.h5"
ok ssl-import audio "$DATA/audio" -o "$WORK/a.h5"

# mlm: the text file whole, plus /input_ids, /mlm_labels and /mask.
ok ssl-mask "$WORK/t.h5" --scheme mlm -o "$WORK/tm.h5" --show 2 --seed 4
grep -q -- '->' "$WORK/ok.err" || fail "--show marks the selected pieces"
check_eq "datasets" "$(h5get "$WORK/tm.h5" 'sorted(f.keys())')" \
  "['history', 'ids', 'input_ids', 'labels', 'lengths', 'mask', 'mlm_labels', 'tokenizer', 'tokens']"
check_eq "tokens carried" "$(h5get "$WORK/tm.h5" '(f["tokens"][:] == h5py.File("'"$WORK/t.h5"'")["tokens"][:]).all()')" "True"
check_eq "tokenizer attributes carried" "$(h5get "$WORK/tm.h5" 'f["tokenizer"].attrs["mask_id"]')" "4"
check_eq "labels where masked" "$(h5get "$WORK/tm.h5" '((f["mlm_labels"][:] != -100) == (f["mask"][:] == 1)).all() and (f["mlm_labels"][:][f["mask"][:] == 1] == f["tokens"][:][f["mask"][:] == 1]).all()')" "True"
check_eq "specials never selected" "$(h5get "$WORK/tm.h5" 'int(f["mask"][:][f["tokens"][:] <= 4].sum())')" "0"
check_eq "scheme attribute" "$(h5get "$WORK/tm.h5" 'f["mask"].attrs["scheme"]')" "mlm"
ok ssl-info "$WORK/tm.h5" --verify
ok ssl-mask "$WORK/t.h5" --scheme mlm --whole-word -o "$WORK/tw.h5"
check_eq "whole word: every selected piece is [MASK]" "$(h5get "$WORK/tw.h5" '(f["input_ids"][:][f["mask"][:] == 1] == 4).all()')" "True"

# Determinism: any thread count, and through a pipe.
ok ssl-mask "$WORK/t.h5" --scheme mlm -o "$WORK/tm1.h5" --seed 4 --threads 1
check_eq "threads do not change the masks" "$(h5get "$WORK/tm.h5" '(f["input_ids"][:] == h5py.File("'"$WORK/tm1.h5"'")["input_ids"][:]).all()')" "True"
cat "$WORK/t.h5" | ssl-mask - --scheme mlm --seed 4 -o - > "$WORK/tp.h5" || fail "mlm through pipes"
check_eq "pipe equals file" "$(h5get "$WORK/tp.h5" '(f["mask"][:] == h5py.File("'"$WORK/tm.h5"'")["mask"][:]).all()')" "True"

# patch (MAE): exactly int(49 * 0.25) = 12 patches kept per image.
ok ssl-mask "$WORK/i.h5" --scheme patch --patch 4 -o "$WORK/im.h5" --preview "$WORK/patch.png"
check_eq "patch mask" "$(h5get "$WORK/im.h5" 'f["mask"].shape, set((49 - f["mask"][:].sum(1)).tolist()), list(f["mask"].attrs["grid"]), f["mask"].attrs["patch_size"]')" "(120, 49) {12} [7, 7] 4"
check_eq "images and labels carried" "$(h5get "$WORK/im.h5" '(f["images"][:] == h5py.File("'"$WORK/i.h5"'")["images"][:]).all() and (f["labels"][:] == h5py.File("'"$WORK/i.h5"'")["labels"][:]).all()')" "True"
[ -s "$WORK/patch.png" ] || fail "patch preview"
ok ssl-mask "$WORK/i.h5" --scheme block --patch 4 --ratio 0.4 -o "$WORK/ib.h5" --preview "$WORK/block.png"
check_eq "block never overshoots" "$(h5get "$WORK/ib.h5" 'int(f["mask"][:].sum(1).max()) <= 20')" "True"

# span (wav2vec 2.0): padding frames are never masked.
ok ssl-mask "$WORK/a.h5" --scheme span -o "$WORK/am.h5" --preview "$WORK/span.png"
check_eq "audio attributes carried" "$(h5get "$WORK/am.h5" 'f["audio"].attrs["sample_rate"], list(f["labels"].attrs["class_names"])')" "16000 ['one', 'three', 'two']"
# The grid of wav2vec 2.0's conv stack: stride 320, receptive field 400 samples.
check_eq "span frames" "$(h5get "$WORK/am.h5" 'f["mask"].shape[1] == (f["audio"].shape[1] - 400) // 320 + 1')" "True"
check_eq "padding untouched" "$(h5get "$WORK/am.h5" 'all(f["mask"][i][f["lengths"][i] // 320:].sum() == 0 for i in range(len(f["mask"])))')" "True"
check_eq "min masks" "$(h5get "$WORK/am.h5" 'int(f["mask"][:].sum(1).min()) >= 10')" "True"
[ -s "$WORK/span.png" ] || fail "span preview"

# Bad input: a scheme that does not fit the modality is a usage error.
expect_error 2 "--scheme patch masks image files; .*t.h5 is a text file" "$WORK/x.h5" ssl-mask "$WORK/t.h5" --scheme patch -o "$WORK/x.h5"
expect_error 2 "--scheme mlm masks text files" "$WORK/x.h5" ssl-mask "$WORK/i.h5" --scheme mlm -o "$WORK/x.h5"
expect_error 2 "--scheme span masks audio files" "$WORK/x.h5" ssl-mask "$WORK/i.h5" --scheme span -o "$WORK/x.h5"
expect_error 2 "--patch 5 does not divide the 28x28 images" "$WORK/x.h5" ssl-mask "$WORK/i.h5" --scheme patch --patch 5 -o "$WORK/x.h5"
expect_error 2 "--replace must be two fractions" "$WORK/x.h5" ssl-mask "$WORK/t.h5" --scheme mlm --replace 0.9,0.3 -o "$WORK/x.h5"
expect_error 2 "scheme" "$WORK/x.h5" ssl-mask "$WORK/t.h5" --scheme jigsaw -o "$WORK/x.h5"
expect_error 1 "nope.h5: No such file" "$WORK/x.h5" ssl-mask "$WORK/nope.h5" --scheme mlm -o "$WORK/x.h5"
head -c 3000 "$WORK/t.h5" > "$WORK/trunc.h5"
expect_error 1 "trunc.h5" "$WORK/x.h5" ssl-mask "$WORK/trunc.h5" --scheme mlm -o "$WORK/x.h5"
: > "$WORK/empty.h5"
expect_error 1 "empty.h5: .*empty" "$WORK/x.h5" ssl-mask "$WORK/empty.h5" --scheme mlm -o "$WORK/x.h5"
finish
