#!/usr/bin/env bash
# Options never parsed and then ignored (issue 24): ssl-mask refuses an
# option the scheme does not use (exit 2, one line naming the option and
# why, no output left). --preview-count without --preview and --replace
# with --whole-word were a silent exit 0 before the tool's options became
# one table; the other refusals were there, in other words.
. "$TESTS/cli/lib.sh"
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
  --limit 16 --threads 1 -o "$WORK/i.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.25 --threads 1 -o "$WORK/a.h5"
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 --threads 1 -o "$WORK/t.h5"

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
finish
