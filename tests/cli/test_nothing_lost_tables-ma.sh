#!/usr/bin/env bash
# Options never parsed and then ignored (issue 24): ssl-mask and ssl-augment
# refuse an option the scheme, the input's modality or the recipe does not
# use (exit 2, one line naming the option and why, no output left). Each
# refusal of a new rule was a silent exit 0 (--preview on audio: a refusal
# after every clip was augmented) before the tools' options became one
# table each; the others were there, in other words.
. "$TESTS/cli/lib.sh"
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
  --limit 16 --threads 1 -o "$WORK/i.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.25 --threads 1 -o "$WORK/a.h5"
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 --threads 1 -o "$WORK/t.h5"

# ---- ssl-augment: --strength only sets simclr's jitter.
bad 2 "--strength sets the simclr recipe's color jitter; the recipe is mocov2" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --recipe mocov2 --strength 0.5 --threads 1 -o "$WORK/x.h5"
bad 2 "--strength sets the simclr recipe's color jitter; the recipe is rotation" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --recipe rotation --strength 0.5 --threads 1 -o "$WORK/x.h5"
bad 2 "--strength sets the simclr recipe's color jitter; a custom recipe sets its own" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --recipe "crop(0.2,1) flip(0.5)" --strength 0.5 --threads 1 -o "$WORK/x.h5"
bad 2 "--strength sets the simclr recipe's color jitter; the recipe is audio" "$WORK/x.h5" \
  ssl-augment "$WORK/a.h5" --strength 0.5 --threads 1 -o "$WORK/x.h5"
# It still sets simclr's, the default recipe of images: weaker jitter, other views.
ok ssl-augment "$WORK/i.h5" --strength 0.25 --seed 1 --threads 1 -o "$WORK/s25.h5"
ok ssl-augment "$WORK/i.h5" --seed 1 --threads 1 -o "$WORK/s100.h5"
check_eq "--strength changes simclr's views" \
  "$(h5get "$WORK/s25.h5" 'int((f["views"][:] == h5py.File("'"$WORK/s100.h5"'")["views"][:]).all())')" "0"

# ---- ssl-augment: options of the other modality.
bad 2 "--seconds sets the length of audio views; .*i.h5 is an image file" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --seconds 0.5 --threads 1 -o "$WORK/x.h5"
bad 2 "--size sets the side of image views; .*a.h5 is an audio file" "$WORK/x.h5" \
  ssl-augment "$WORK/a.h5" --size 16 --threads 1 -o "$WORK/x.h5"
bad 2 "--apply is for audio files; .*i.h5 is an image file" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --apply --threads 1 -o "$WORK/x.h5"
# --preview on audio was refused only after every clip was augmented; now before.
bad 2 "--preview draws image views; .*a.h5 is an audio file" "$WORK/x.h5" \
  ssl-augment "$WORK/a.h5" --preview "$WORK/p.png" --threads 1 -o "$WORK/x.h5"
[ -e "$WORK/p.png" ] && fail "--preview on audio left a picture"
bad 2 "--preview-count goes with --preview; --preview is not given" "$WORK/x.h5" \
  ssl-augment "$WORK/i.h5" --preview-count 3 --threads 1 -o "$WORK/x.h5"
bad 2 "--preview-count goes with --preview; --preview is not given" "$WORK/x.h5" \
  ssl-augment "$WORK/a.h5" --preview-count 3 --threads 1 -o "$WORK/x.h5"
bad 2 "--views sets the views per sample; --apply writes one view per clip" "$WORK/x.h5" \
  ssl-augment "$WORK/a.h5" --apply --views 3 --threads 1 -o "$WORK/x.h5"
# Where they apply they are read.
ok ssl-augment "$WORK/i.h5" --size 16 --preview "$WORK/p.png" --preview-count 2 --threads 1 -o "$WORK/v.h5"
check_eq "--size" "$(h5get "$WORK/v.h5" 'f["views"].shape[2:4]')" "(16, 16)"
ok ssl-augment "$WORK/i.h5" --size 16 --preview "$WORK/p4.png" --preview-count 4 --threads 1 -o "$WORK/v4.h5"
png_height() { /usr/bin/python3 -c "import struct; print(struct.unpack('>I', open('$1', 'rb').read()[20:24])[0])"; }
[ "$(png_height "$WORK/p4.png")" -gt "$(png_height "$WORK/p.png")" ] || fail "--preview-count: 4 rows are no taller than 2"
ok ssl-augment "$WORK/a.h5" --apply --views 1 --seconds 0.125 --threads 1 -o "$WORK/ap.h5"
check_eq "--apply --seconds" "$(h5get "$WORK/ap.h5" 'f["audio"].shape[1]')" "2000"

# ---- ssl-mask: --preview-count without --preview, --replace with --whole-word.
bad 2 "--preview-count goes with --preview; --preview is not given" "$WORK/x.h5" \
  ssl-mask "$WORK/i.h5" --scheme patch --preview-count 3 --threads 1 -o "$WORK/x.h5"
bad 2 "--replace splits mlm's selected pieces; --whole-word makes every selected piece \[MASK\]" "$WORK/x.h5" \
  ssl-mask "$WORK/t.h5" --scheme mlm --whole-word --replace 0.5,0.2 --threads 1 -o "$WORK/x.h5"
# Options of another scheme, in the table's words.
bad 2 "--min-patches goes with --scheme block; --scheme is patch" "$WORK/x.h5" \
  ssl-mask "$WORK/i.h5" --scheme patch --min-patches 4 --threads 1 -o "$WORK/x.h5"
bad 2 "--show is for text \(mlm\); --scheme is span: use --preview" "$WORK/x.h5" \
  ssl-mask "$WORK/a.h5" --scheme span --show 2 --threads 1 -o "$WORK/x.h5"
bad 2 "--preview is for image and audio files; --scheme mlm masks text: use --show N" "$WORK/x.h5" \
  ssl-mask "$WORK/t.h5" --scheme mlm --preview "$WORK/q.png" --threads 1 -o "$WORK/x.h5"
# Where they apply they are read.
ok ssl-mask "$WORK/i.h5" --scheme block --patch 4 --min-patches 4 --min-aspect 0.5 --preview "$WORK/q.png" \
  --preview-count 2 --threads 1 -o "$WORK/b.h5"
check_eq "block attributes" "$(h5get "$WORK/b.h5" 'int(f["mask"].attrs["min_patches"]), float(f["mask"].attrs["min_aspect"])')" "4 0.5"
ok ssl-mask "$WORK/t.h5" --scheme mlm --replace 0.6,0.3 --threads 1 -o "$WORK/m.h5"
check_eq "--replace" "$(h5get "$WORK/m.h5" 'float(f["mask"].attrs["mask_replace"]), float(f["mask"].attrs["random_replace"])')" "0.6 0.3"
# --whole-word makes every selected piece [MASK]: the attributes say so.
ok ssl-mask "$WORK/t.h5" --scheme mlm --whole-word --threads 1 -o "$WORK/w.h5"
check_eq "--whole-word attributes" "$(h5get "$WORK/w.h5" 'float(f["mask"].attrs["mask_replace"]), float(f["mask"].attrs["random_replace"])')" "1.0 0.0"
check_eq "--whole-word: every selected piece is [MASK]" "$(h5get "$WORK/w.h5" 'bool((f["input_ids"][:][f["mask"][:] == 1] == f["tokenizer"].attrs["mask_id"]).all())')" "True"
finish
