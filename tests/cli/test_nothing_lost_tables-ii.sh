#!/usr/bin/env bash
# Nothing lost, ssl-info's and ssl-import's option tables (issue 24: options
# are never parsed and then ignored): each option a run would have accepted
# and then ignored is refused, exit 2, naming it and why; and where it
# applies it still does what it says. Each refusal block failed before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" --limit 24 -o "$WORK/g.h5"
ok ssl-pretrain "$WORK/g.h5" --method mae --max-steps 1 --batch 8 --threads 1 -o "$WORK/mae.h5" \
   --log-json "$WORK/run.jsonl"

# ---- ssl-info --reconstruct only draws: --json, --verify, --reference did nothing with it.
expect_error 2 "^ssl-info: error: --json describes one data or model file; --reconstruct only draws its images$" \
  "$WORK/r.png" ssl-info "$WORK/mae.h5" --reconstruct "$WORK/g.h5" --preview "$WORK/r.png" --json
expect_error 2 "^ssl-info: error: --verify checks one data or model file; --reconstruct only draws its images$" \
  "$WORK/r.png" ssl-info "$WORK/mae.h5" --reconstruct "$WORK/g.h5" --preview "$WORK/r.png" --verify
expect_error 2 "--reference draws on the training curves of --preview; --reconstruct draws images, not curves" \
  "$WORK/r.png" ssl-info "$WORK/mae.h5" --reconstruct "$WORK/g.h5" --preview "$WORK/r.png" --reference "raw=0.5"
ok ssl-info "$WORK/mae.h5" --reconstruct "$WORK/g.h5" --preview "$WORK/r.png" --preview-count 2 --threads 1
[ -s "$WORK/r.png" ] || fail "--reconstruct wrote no PNG"

# ---- ssl-info --preview-count counts samples: without a preview, or of curves, it counted nothing.
expect_error 2 "--preview-count counts the samples .*; neither --preview nor --reconstruct is given" "" \
  ssl-info "$WORK/g.h5" --preview-count 3
expect_error 2 "--preview-count counts the samples .*; .*/mae.h5 is a model file" "$WORK/c.png" \
  ssl-info "$WORK/mae.h5" --preview "$WORK/c.png" --preview-count 3
expect_error 2 "--preview-count describes one data or model file, not a JSON log" "$WORK/c.png" \
  sh -c "ssl-info - --preview '$WORK/c.png' --preview-count 3 <'$WORK/run.jsonl'"
ok ssl-info "$WORK/g.h5" --preview "$WORK/grid.png" --preview-count 4
ok ssl-info "$WORK/mae.h5" --preview "$WORK/c.png"
[ -s "$WORK/c.png" ] || fail "a model's curves preview wrote no PNG"

# ---- ssl-import idx --class-names named the values of a labels file that was not there: written to an
# unlabeled file's /labels attribute, naming nothing.
rm -f "$WORK/x.h5"
expect_error 2 "^ssl-import: error: --class-names names the values of the labels file; no labels file is given$" \
  "$WORK/x.h5" ssl-import idx "$IDX" --class-names "a,b,c" -o "$WORK/x.h5"
ok ssl-import idx "$IDX" "$LBL" --limit 20 --class-names "a,b,c,d,e,f,g,h,i,j" -o "$WORK/named.h5"
check_eq "--class-names with labels" \
  "$(h5get "$WORK/named.h5" "list(f['labels'].attrs['class_names'])[:2]")" "['a', 'b']"

# ---- ssl-import images --fit without --size: the images keep their size, nothing is fitted.
rm -f "$WORK/x.h5"
expect_error 2 "--fit says how images are resized to --size; --size is not given" "$WORK/x.h5" \
  ssl-import images "$DATA/images/fashion" --fit stretch -o "$WORK/x.h5"
ok ssl-import images "$DATA/images/fashion" --size 8 --fit stretch -o "$WORK/fit.h5" --threads 1
check_eq "--fit with --size" "$(h5get "$WORK/fit.h5" "f['images'].shape[1:3]")" "(8, 8)"

# Refused before too, now by the table before any input is read (the same exit and option named).
ok ssl-import text "$DATA/text/proverbs" --vocab-size 60 --max-len 16 -o "$WORK/t.h5" --threads 1
h5get "$WORK/t.h5" "open('$WORK/tok.model', 'wb').write(f['tokenizer'][:].tobytes())" >/dev/null
expect_error 2 "--vocab-size sizes a tokenizer .*; --tokenizer .*/tok.model brings its own vocabulary" \
  "$WORK/x.h5" ssl-import text "$DATA/text/proverbs" --tokenizer "$WORK/tok.model" --vocab-size 60 -o "$WORK/x.h5"
ok ssl-import text "$DATA/text/proverbs" --tokenizer "$WORK/tok.model" --max-len 16 -o "$WORK/t2.h5"
expect_error 2 "--split-output takes the part --split holds out; --split is not given" "$WORK/x.h5" \
  ssl-import audio "$DATA/audio" --split-output "$WORK/te.h5" -o "$WORK/x.h5"

finish
