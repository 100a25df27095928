#!/usr/bin/env bash
# ssl-import idx through files and pipes, and on bad input.
. "$TESTS/cli/lib.sh"
IMG=$DATA/idx/fashion-120-images-idx3-ubyte.gz
LAB=$DATA/idx/fashion-120-labels-idx1-ubyte.gz

ok ssl-import idx "$IMG" "$LAB" -o "$WORK/a.h5"
check_eq "images shape" "$(h5get "$WORK/a.h5" 'f["images"].shape')" "(120, 28, 28, 1)"
check_eq "first label" "$(h5get "$WORK/a.h5" 'f["labels"][0]')" "9"
check_eq "modality" "$(h5get "$WORK/a.h5" 'f.attrs["modality"]')" "image"
check_eq "history" "$(h5get "$WORK/a.h5" 'f["history"][0].decode()[:14]')" "ssl-import idx"
# The same bytes from the uncompressed file of the first 20.
ok ssl-import idx "$DATA/idx/fashion-20-images-idx3-ubyte" -o "$WORK/b.h5"
check_eq "same pixels gz/raw" "$(h5get "$WORK/a.h5" 'int((f["images"][:20] == h5py.File("'"$WORK/b.h5"'")["images"][:]).all())')" "1"

# Through a pipe, both ways.
ssl-import idx "$IMG" "$LAB" -o - | ssl-info - > "$WORK/info.txt" || fail "pipe import | info"
grep -q "120 samples" "$WORK/info.txt" || fail "info through pipe does not report 120 samples"
ssl-import idx "$IMG" "$LAB" -o - > "$WORK/c.h5" || fail "import to stdout"
check_eq "stdout file equals file output" "$(h5get "$WORK/c.h5" 'int((f["images"][:] == h5py.File("'"$WORK/a.h5"'")["images"][:]).all())')" "1"

# --shuffle/--seed, --limit and --split.
ok ssl-import idx "$IMG" "$LAB" --shuffle --seed 7 --limit 100 --split 0.2 -o "$WORK/tr.h5" --split-output "$WORK/va.h5"
# Held out per class: round(0.2 * class count), so about 20 of 100 in all.
check_eq "train + val" "$(h5get "$WORK/tr.h5" 'len(f["ids"]) + len(h5py.File("'"$WORK/va.h5"'")["ids"])')" "100"
check_eq "val about 20" "$(h5get "$WORK/va.h5" '17 <= len(f["ids"]) <= 23')" "True"
check_eq "disjoint" "$(h5get "$WORK/tr.h5" 'len(set(f["ids"][:]) & set(h5py.File("'"$WORK/va.h5"'")["ids"][:]))')" "0"
ok ssl-import idx "$IMG" "$LAB" --shuffle --seed 7 --limit 100 --split 0.2 -o "$WORK/tr2.h5" --split-output "$WORK/va2.h5"
check_eq "deterministic" "$(h5get "$WORK/tr.h5" 'list(f["ids"][:10]) == list(h5py.File("'"$WORK/tr2.h5"'")["ids"][:10])')" "True"
ok ssl-import idx "$IMG" "$LAB" --class-names "a,b,c,d,e,f,g,h,i,j" -o "$WORK/n.h5"
check_eq "class names" "$(h5get "$WORK/n.h5" 'list(f["labels"].attrs["class_names"])[9]')" "j"

# --compress deflates the pixels and keeps them exact.
ok ssl-import idx "$IMG" "$LAB" --compress -o "$WORK/z.h5"
check_eq "deflated" "$(h5get "$WORK/z.h5" 'f["images"].compression')" "gzip"
check_eq "same pixels compressed" "$(h5get "$WORK/z.h5" 'int((f["images"][:] == h5py.File("'"$WORK/a.h5"'")["images"][:]).all())')" "1"

# Bad input: exit 1, one line naming the file, no output.
expect_error 1 "nope.gz: No such file" "$WORK/x.h5" ssl-import idx "$WORK/nope.gz" -o "$WORK/x.h5"
printf 'garbage' > "$WORK/junk"
expect_error 1 "junk: (too short|not an IDX)" "$WORK/x.h5" ssl-import idx "$WORK/junk" -o "$WORK/x.h5"
head -c 20000 "$IMG" > "$WORK/cut.gz"
expect_error 1 "cut.gz: (truncated|corrupt)" "$WORK/x.h5" ssl-import idx "$WORK/cut.gz" -o "$WORK/x.h5"
expect_error 1 "120 labels for 20 images" "$WORK/x.h5" ssl-import idx "$DATA/idx/fashion-20-images-idx3-ubyte" "$LAB" -o "$WORK/x.h5"
: > "$WORK/empty"
expect_error 1 "empty" "$WORK/x.h5" ssl-import idx "$WORK/empty" -o "$WORK/x.h5"
# Usage errors: exit 2.
expect_error 2 "output" "" ssl-import idx "$IMG"
expect_error 2 "split-output" "$WORK/x.h5" ssl-import idx "$IMG" --split 0.1 -o "$WORK/x.h5"
expect_error 2 "overwrite input" "" ssl-import idx "$WORK/a.h5" -o "$WORK/a.h5"
expect_error 2 "terminal|--bogus" "" ssl-import idx "$IMG" -o "$WORK/x.h5" --bogus
# A failed run leaves an existing output untouched.
cp "$WORK/a.h5" "$WORK/keep.h5"
ssl-import idx "$WORK/junk" -o "$WORK/keep.h5" 2>/dev/null && fail "junk import succeeded"
cmp -s "$WORK/a.h5" "$WORK/keep.h5" || fail "failed run changed an existing output"
finish
