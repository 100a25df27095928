#!/usr/bin/env bash
# ssl-import cifar on small files in the binary CIFAR-10 and CIFAR-100
# formats, written here with the pixels and labels they must import to;
# then the python version, truncated and missing files.
. "$TESTS/cli/lib.sh"

# Writes DIR/NAME.bin of random records (LABEL_BYTES label bytes, then the R,
# G, B planes) and DIR/NAME.npz with the images as HxWxC and the labels.
/usr/bin/python3 - "$WORK" <<'EOF' || fail "could not write the CIFAR files"
import numpy as np, os, sys
work = sys.argv[1]
rng = np.random.default_rng(25)
def batch(path, n, label_bytes, classes):
    labels = np.stack([rng.integers(0, c, n) for c in classes], 1).astype(np.uint8)
    planes = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    planes[:, 0, 0, 1] = 200  # R of row 0, column 1: where a row/column mix-up shows
    with open(path + ".bin", "wb") as f:
        for i in range(n): f.write(labels[i].tobytes() + planes[i].tobytes())
    return planes.transpose(0, 2, 3, 1), labels
def save(path, parts):
    np.savez(path, images=np.concatenate([p[0] for p in parts]), labels=np.concatenate([p[1] for p in parts]))
d10 = os.path.join(work, "dl", "cifar-10-batches-bin"); os.makedirs(d10)
save(os.path.join(work, "c10_train"), [batch(os.path.join(d10, "data_batch_%d" % i), n, 1, [10]) for i, n in
                                      zip(range(1, 6), [2, 3, 1, 2, 2])])
save(os.path.join(work, "c10_test"), [batch(os.path.join(d10, "test_batch"), 3, 1, [10])])
names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
open(os.path.join(d10, "batches.meta.txt"), "w").write("\n".join(names) + "\n\n\n")
d100 = os.path.join(work, "cifar-100-binary"); os.makedirs(d100)
save(os.path.join(work, "c100_train"), [batch(os.path.join(d100, "train"), 4, 2, [20, 100])])
save(os.path.join(work, "c100_test"), [batch(os.path.join(d100, "test"), 2, 2, [20, 100])])
open(os.path.join(d100, "fine_label_names.txt"), "w").write("".join("fine%d\n" % i for i in range(100)))
open(os.path.join(d100, "coarse_label_names.txt"), "w").write("".join("coarse%d\n" % i for i in range(20)))
EOF
C10=$WORK/dl/cifar-10-batches-bin
C100=$WORK/cifar-100-binary
# same FILE NPZ [LABEL_COLUMN]: the file's images, labels and ids are the
# expected ones, in order.
same() {
  h5get "$1" 'int(all([(f["images"][:] == np.load("'"$2"'")["images"]).all(), f["images"].shape[1:] == (32, 32, 3),
    (f["labels"][:] == np.load("'"$2"'")["labels"][:, '"${3:-0}"']).all(), (f["ids"][:] == np.arange(len(f["ids"]))).all()]))'
}

ok ssl-import cifar "$C10" -o "$WORK/a.h5"
check_eq "CIFAR-10 train count" "$(h5get "$WORK/a.h5" 'f["images"].shape')" "(10, 32, 32, 3)"
check_eq "CIFAR-10 train pixels and labels" "$(same "$WORK/a.h5" "$WORK/c10_train.npz")" "1"
check_eq "CIFAR-10 class names" "$(h5get "$WORK/a.h5" '",".join(s.decode() if isinstance(s, bytes) else s for s in f["labels"].attrs["class_names"])')" \
  "airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck"
check_eq "modality" "$(h5get "$WORK/a.h5" 'f.attrs["modality"]')" "image"
ok ssl-import cifar "$C10" --part test -o "$WORK/t.h5"
check_eq "CIFAR-10 test pixels and labels" "$(same "$WORK/t.h5" "$WORK/c10_test.npz")" "1"
# The folder the archive was extracted into holds the one to read.
ok ssl-import cifar "$WORK/dl" -o "$WORK/p.h5"
check_eq "from the parent folder" "$(same "$WORK/p.h5" "$WORK/c10_train.npz")" "1"
# The shared options apply: a stratified split of the 10.
ok ssl-import cifar "$C10" --split 0.2 --seed 3 -o "$WORK/tr.h5" --split-output "$WORK/va.h5"
check_eq "split keeps all" "$(h5get "$WORK/tr.h5" 'len(f["ids"]) + len(h5py.File("'"$WORK/va.h5"'")["ids"])')" "10"

ok ssl-import cifar "$C100" -o "$WORK/f.h5"
check_eq "CIFAR-100 fine labels" "$(same "$WORK/f.h5" "$WORK/c100_train.npz" 1)" "1"
check_eq "CIFAR-100 fine names" "$(h5get "$WORK/f.h5" 'len(f["labels"].attrs["class_names"])')" "100"
ok ssl-import cifar "$C100" --labels coarse --part test -o "$WORK/c.h5"
check_eq "CIFAR-100 coarse test labels" "$(same "$WORK/c.h5" "$WORK/c100_test.npz" 0)" "1"
check_eq "CIFAR-100 coarse names" "$(h5get "$WORK/c.h5" 'len(f["labels"].attrs["class_names"])')" "20"

# The python version (pickle) is refused, saying which version to get.
mkdir -p "$WORK/py10/cifar-10-batches-py" "$WORK/py100"
printf '\x80\x04' > "$WORK/py10/cifar-10-batches-py/data_batch_1"
printf '\x80\x04' > "$WORK/py100/train"; printf '\x80\x04' > "$WORK/py100/meta"
expect_error 1 "py10: the python \(pickle\) version of CIFAR-10.*binary version \(cifar-10-binary.tar.gz" \
  "$WORK/x.h5" ssl-import cifar "$WORK/py10" -o "$WORK/x.h5"
expect_error 1 "py100: the python \(pickle\) version of CIFAR-100.*cifar-100-binary.tar.gz" \
  "$WORK/x.h5" ssl-import cifar "$WORK/py100" -o "$WORK/x.h5"
# Truncated, empty, missing and mislabelled files: one line naming the file.
cp -r "$C10" "$WORK/cut"
head -c 6000 "$C10/data_batch_2.bin" > "$WORK/cut/data_batch_2.bin"
expect_error 1 "cut/data_batch_2.bin: 6000 bytes is not a whole number of 3073-byte CIFAR-10 records" \
  "$WORK/x.h5" ssl-import cifar "$WORK/cut" -o "$WORK/x.h5"
: > "$WORK/cut/data_batch_2.bin"
expect_error 1 "cut/data_batch_2.bin: empty" "$WORK/x.h5" ssl-import cifar "$WORK/cut" -o "$WORK/x.h5"
rm "$WORK/cut/data_batch_2.bin"
expect_error 1 "cut/data_batch_2.bin: missing" "$WORK/x.h5" ssl-import cifar "$WORK/cut" -o "$WORK/x.h5"
cp -r "$C100" "$WORK/c100cut"
head -c 3073 "$C100/train.bin" > "$WORK/c100cut/train.bin"  # a CIFAR-10-sized record
expect_error 1 "c100cut/train.bin: 3073 bytes is not a whole number of 3074-byte CIFAR-100 records" \
  "$WORK/x.h5" ssl-import cifar "$WORK/c100cut" -o "$WORK/x.h5"
{ printf '\x00\x64'; head -c 3072 /dev/zero; } > "$WORK/c100cut/train.bin"  # fine label 100
expect_error 1 "c100cut/train.bin: record 0 has label 100, past the 100 classes of CIFAR-100's fine labels" \
  "$WORK/x.h5" ssl-import cifar "$WORK/c100cut" -o "$WORK/x.h5"
ok ssl-import cifar "$WORK/c100cut" --labels coarse -o "$WORK/x.h5"  # its coarse label 0 is good
rm "$WORK/x.h5"
cp -r "$C10" "$WORK/badlabel"
printf '\x0a' | dd of="$WORK/badlabel/test_batch.bin" bs=1 seek=3073 conv=notrunc 2>/dev/null
expect_error 1 "badlabel/test_batch.bin: record 1 has label 10, past the 10 classes of CIFAR-10" \
  "$WORK/x.h5" ssl-import cifar "$WORK/badlabel" --part test -o "$WORK/x.h5"
head -n 9 "$C10/batches.meta.txt" > "$WORK/badlabel/batches.meta.txt"
expect_error 1 "badlabel/batches.meta.txt: 9 class names for the 10 classes of CIFAR-10" \
  "$WORK/x.h5" ssl-import cifar "$WORK/badlabel" -o "$WORK/x.h5"
expect_error 1 "nope: No such file" "$WORK/x.h5" ssl-import cifar "$WORK/nope" -o "$WORK/x.h5"
expect_error 1 "empty-dir: no CIFAR files" "$WORK/x.h5" ssl-import cifar "$(mkdir "$WORK/empty-dir"; echo "$WORK/empty-dir")" -o "$WORK/x.h5"
: > "$WORK/cifar-10-binary.tar.gz"
expect_error 1 "cifar-10-binary.tar.gz: an archive: extract it first" "$WORK/x.h5" \
  ssl-import cifar "$WORK/cifar-10-binary.tar.gz" -o "$WORK/x.h5"
# Usage errors: exit 2.
expect_error 2 "--labels coarse chooses between CIFAR-100's fine and coarse labels; .* holds CIFAR-10" "$WORK/x.h5" \
  ssl-import cifar "$C10" --labels coarse -o "$WORK/x.h5"
expect_error 2 "--part" "$WORK/x.h5" ssl-import cifar "$C10" --part val -o "$WORK/x.h5"
# A failed run leaves an existing output untouched.
cp "$WORK/a.h5" "$WORK/keep.h5"
ssl-import cifar "$WORK/cut" -o "$WORK/keep.h5" 2>/dev/null && fail "import of a folder missing a batch succeeded"
cmp -s "$WORK/a.h5" "$WORK/keep.h5" || fail "failed run changed an existing output"
finish
