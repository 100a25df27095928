#!/usr/bin/env bash
# ssl-import images through files and pipes, and on bad input.
. "$TESTS/cli/lib.sh"

ok ssl-import images "$DATA/images/fashion" --gray -o "$WORK/f.h5"
check_eq "shape" "$(h5get "$WORK/f.h5" 'f["images"].shape')" "(12, 28, 28, 1)"
check_eq "classes" "$(h5get "$WORK/f.h5" 'list(f["labels"].attrs["class_names"])')" "['Sneaker', 'T-shirt-top', 'Trouser']"
check_eq "labels" "$(h5get "$WORK/f.h5" 'list(f["labels"][:])')" "[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]"
# Same pixels as the IDX import of the same Fashion-MNIST images (ids 16, 1).
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/idx.h5"
check_eq "PNG pixels equal IDX pixels" "$(h5get "$WORK/f.h5" 'int((f["images"][8] == h5py.File("'"$WORK/idx.h5"'")["images"][16]).all())')" "1"

# RGB, mixed sizes: --size is required, then resize + center crop.
expect_error 1 "use --size" "$WORK/c.h5" ssl-import images "$DATA/images/color" -o "$WORK/c.h5"
ok ssl-import images "$DATA/images/color" --size 24 -o "$WORK/c.h5"
check_eq "rgb shape" "$(h5get "$WORK/c.h5" 'f["images"].shape')" "(4, 24, 24, 3)"
check_eq "unlabeled" "$(h5get "$WORK/c.h5" 'list(f["labels"][:])')" "[-1, -1, -1, -1]"
ok ssl-import images "$DATA/images/color" --size 24 --fit stretch -o "$WORK/s.h5"

# Through a pipe.
ssl-import images "$DATA/images/fashion" --gray -o - | ssl-info - --json > "$WORK/info.json" || fail "pipe"
check_eq "json samples" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/info.json'))['samples'])")" "12"

# A list file.
printf '%s cat\n%s dog\n' "$DATA/images/fashion/Trouser/0016.png" "$DATA/images/fashion/Sneaker/0006.png" > "$WORK/list.txt"
ok ssl-import images "$WORK/list.txt" --gray -o "$WORK/l.h5"
check_eq "list classes" "$(h5get "$WORK/l.h5" 'list(f["labels"].attrs["class_names"])')" "['cat', 'dog']"

# Bad input.
mkdir -p "$WORK/empty" "$WORK/bad/a"
expect_error 1 "empty: no images found" "$WORK/x.h5" ssl-import images "$WORK/empty" -o "$WORK/x.h5"
expect_error 1 "nowhere: no such file" "$WORK/x.h5" ssl-import images "$WORK/nowhere" -o "$WORK/x.h5"
cp "$DATA/images/fashion/Sneaker/"*.png "$WORK/bad/a/"
printf 'not a png' > "$WORK/bad/a/zz-broken.png"
expect_error 1 "zz-broken.png: cannot decode image" "$WORK/x.h5" ssl-import images "$WORK/bad" --gray -o "$WORK/x.h5"
ssl-import images "$WORK/bad" --gray --skip-bad -o "$WORK/x.h5" 2> "$WORK/skip.err" || fail "--skip-bad failed"
grep -q "skipped 1 unreadable" "$WORK/skip.err" || fail "--skip-bad does not report the skipped file"
check_eq "skip-bad N" "$(h5get "$WORK/x.h5" 'len(f["images"])')" "4"
expect_error 2 "fit" "" ssl-import images "$DATA/images/color" --fit squash -o "$WORK/y.h5"
finish
