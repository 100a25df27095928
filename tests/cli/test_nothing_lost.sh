#!/usr/bin/env bash
# Nothing lost (issue 10): outputs never destroy inputs or devices, a full
# disk never crashes a tool and leaves nothing behind, bad values never pass,
# and every error is one line a user can act on. Each block is a case a
# hostile but fair user tried; each failed before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" -o "$WORK/g.h5"
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --max-steps 1 -o "$WORK/m.h5"
ok ssl-embed "$WORK/m.h5" "$WORK/tr.h5" -o "$WORK/e.h5"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" -o "$WORK/ete.h5"
sum() { sha256sum "$1" | cut -d' ' -f1; }
# bad ...: expect_error with no x.h5 left from an earlier case.
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }

# ---- 1. Outputs that are not regular files are written in place, never renamed over.
if [ "$(id -u)" = 0 ] && mknod "$WORK/null" c 1 3 2>/dev/null && mknod "$WORK/full" c 1 7 2>/dev/null; then
  ok ssl-import idx "$IDX" --limit 50 -o "$WORK/null"
  [ -c "$WORK/null" ] || fail "-o on a character device replaced it"
  bad 1 "full: .*No space left on device" "" ssl-import idx "$IDX" --limit 50 -o "$WORK/full"
  [ -c "$WORK/full" ] || fail "-o on /dev/full replaced it"
  ok ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --k 5 --metrics "$WORK/null" --plot "$WORK/null"
  [ -c "$WORK/null" ] || fail "--metrics on a device replaced it"
else
  echo "skipped: device outputs (needs root to mknod)"
fi
mkfifo "$WORK/fifo"
timeout 20 cat "$WORK/fifo" >"$WORK/from-fifo.h5" &
ok ssl-import idx "$IDX" --limit 50 -o "$WORK/fifo"
wait
[ -p "$WORK/fifo" ] || fail "-o on a FIFO replaced it"
check_eq "HDF5 through a FIFO" "$(h5get "$WORK/from-fifo.h5" 'f["images"].shape[0]')" "50"
ssl-import idx "$IDX" --limit 40 -o /dev/stdout >"$WORK/stdout.h5" 2>"$WORK/err" || fail "-o /dev/stdout: $(cat "$WORK/err")"
check_eq "HDF5 through /dev/stdout" "$(h5get "$WORK/stdout.h5" 'f["images"].shape[0]')" "40"

# ---- 2. No output of any tool overwrites an input (names, symlinks, hard links).
ln -s g.h5 "$WORK/g-link.h5"
ln "$WORK/g.h5" "$WORK/g-hard.h5"
ln -s e.h5 "$WORK/e-link.h5"
before=$(sum "$WORK/g.h5")
ebefore=$(sum "$WORK/e.h5")
mbefore=$(sum "$WORK/m.h5")
for e in "$WORK/e.h5" "$WORK/e-link.h5"; do
  bad 2 "would overwrite input" "" ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --metrics "$e"
  bad 2 "would overwrite input" "" ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --plot "$e"
done
bad 2 "would overwrite input" "" ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --model "$WORK/m.h5" --mode knn --metrics "$WORK/m.h5"
bad 2 "would overwrite input" "" ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --mode full --arch convnet-s -o "$WORK/te.h5"
for g in "$WORK/g.h5" "$WORK/g-link.h5" "$WORK/g-hard.h5"; do
  bad 2 "would overwrite input" "" ssl-info "$WORK/g.h5" --preview "$g"
  bad 2 "would overwrite input" "" ssl-pretrain "$WORK/g.h5" --max-steps 1 --log-json "$g" -o "$WORK/x.h5"
  bad 2 "would overwrite input" "" ssl-augment "$WORK/g.h5" --preview "$g" -o "$WORK/x.h5"
  bad 2 "would overwrite input" "" ssl-augment "$WORK/g.h5" -o "$g"
  bad 2 "would overwrite input" "" ssl-mask "$WORK/g.h5" --scheme patch --preview "$g" -o "$WORK/x.h5"
  bad 2 "would overwrite input" "" ssl-embed "$WORK/m.h5" "$WORK/g.h5" -o "$g"
  bad 2 "would overwrite input" "" ssl-import idx "$IDX" "$LBL" --split 0.5 -o "$WORK/x.h5" --split-output "$IDX"
done
bad 2 "would overwrite input" "" ssl-embed "$WORK/m.h5" "$WORK/g.h5" -o "$WORK/m.h5"
bad 2 "would overwrite input" "" ssl-pretrain "$WORK/g.h5" --resume "$WORK/m.h5" --max-steps 1 -o "$WORK/g.h5"
# Two outputs of one run naming the same file.
bad 2 "given twice" "" ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --metrics "$WORK/same" --plot "$WORK/same"
bad 2 "given twice" "" ssl-import idx "$IDX" "$LBL" --split 0.5 -o "$WORK/same.h5" --split-output "$WORK/same.h5"
check_eq "input untouched" "$(sum "$WORK/g.h5")" "$before"
check_eq "embeddings untouched" "$(sum "$WORK/e.h5")" "$ebefore"
check_eq "model untouched" "$(sum "$WORK/m.h5")" "$mbefore"

# ---- 3. A full disk: one line naming the file, nothing left behind, no crash.
FULL="$WORK/full-disk"
mkdir -p "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=200k tmpfs "$FULL" 2>/dev/null; then
  trap 'umount "$FULL" 2>/dev/null; rm -rf "$WORK"' EXIT
  # 60 KB free: every output below needs more, so each write starts and then fails.
  dd if=/dev/zero of="$FULL/fill" bs=1k count=140 2>/dev/null
  nospace="No space left on device"
  bad 1 "o.h5: .*$nospace" "$FULL/o.h5" ssl-import idx "$IDX" -o "$FULL/o.h5"
  bad 1 "o.h5: .*$nospace" "$FULL/o.h5" ssl-augment "$WORK/g.h5" -o "$FULL/o.h5"
  bad 1 "o.h5: .*$nospace" "$FULL/o.h5" ssl-mask "$WORK/g.h5" --scheme patch -o "$FULL/o.h5"
  bad 1 "o.h5: .*$nospace" "$FULL/o.h5" ssl-embed "$WORK/m.h5" "$WORK/g.h5" -o "$FULL/o.h5"
  bad 1 "o.h5: .*$nospace" "$FULL/o.h5" ssl-pretrain "$WORK/tr.h5" --batch 16 --max-steps 1 -o "$FULL/o.h5"
  bad 1 "b.h5: .*$nospace" "$WORK/a.h5" \
    ssl-import idx "$IDX" "$LBL" --split 0.9 --split-output "$FULL/b.h5" -o "$WORK/a.h5"
  [ -e "$FULL/b.h5" ] && fail "split output left on a full disk"
  # Now nothing is free at all.
  dd if=/dev/zero of="$FULL/fill2" bs=1k 2>/dev/null
  bad 1 "p.png: .*$nospace" "$WORK/m.json" \
    ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --metrics "$WORK/m.json" --plot "$FULL/p.png"
  bad 1 "m.json: .*$nospace" "$WORK/p.png" \
    ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --plot "$WORK/p.png" --metrics "$FULL/m.json"
  # The gzip IDX declares more than the full temp directory holds: refused before a byte is written.
  bad 1 "free for temp files" "" env TMPDIR="$FULL" ssl-import idx "$IDX" -o -
  left=$(ls -A "$FULL" | grep -v '^fill2\?$' || true)
  [ -z "$left" ] && [ -z "$(ls -A "$WORK" | grep '\.tmp-' || true)" ] || fail "files left behind on a full disk: $left"
  umount "$FULL"
  trap 'rm -rf "$WORK"' EXIT
else
  echo "skipped: full-disk cases (need root to mount a small tmpfs)"
fi

# ---- 4. Labels outside the class count are a data error naming the file and row.
setlabel() {  # FILE ROW VALUE
  /usr/bin/python3 -c "import h5py; f = h5py.File('$1', 'r+'); l = f['labels']; l[$2] = $3"
}
for bad in 2147483647 1000000 10 -5; do
  cp "$WORK/e.h5" "$WORK/bad.h5"
  setlabel "$WORK/bad.h5" 3 $bad
  for mode in knn linear; do
    bad 1 "bad.h5: label $bad at row 3 is outside" "" \
      ssl-finetune "$WORK/bad.h5" --eval "$WORK/ete.h5" --mode $mode $([ "$mode" = knn ] || echo --epochs 1)
    bad 1 "bad.h5: label $bad at row 3 is outside" "" \
      ssl-finetune "$WORK/e.h5" --eval "$WORK/bad.h5" --mode $mode $([ "$mode" = knn ] || echo --epochs 1)
  done
  cp "$WORK/g.h5" "$WORK/badg.h5"
  setlabel "$WORK/badg.h5" 3 $bad
  bad 1 "badg.h5: label $bad at row 3 is outside" "" ssl-info "$WORK/badg.h5" --verify
  bad 1 "badg.h5: label $bad at row 3 is outside" "$WORK/x.h5" ssl-augment "$WORK/badg.h5" -o "$WORK/x.h5"
done

# ---- 5. A declared size the data does not back: refused at once.
/usr/bin/python3 - "$WORK/sparse.h5" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["format"] = "sslkit"; f.attrs["format_version"] = 1; f.attrs["modality"] = "image"
    f.create_dataset("images", shape=(10**9, 28, 28, 1), dtype="u1", chunks=(64, 28, 28, 1))
    f["images"][0:64] = 1
EOF
( ulimit -v 4000000; bad 1 "sparse.h5: /images declares 1000000000 samples but stores" "$WORK/x.h5" \
    timeout 20 ssl-pretrain "$WORK/sparse.h5" --max-steps 1 -o "$WORK/x.h5"; exit $FAILS ) || FAILS=$((FAILS + 1))
bad 1 "sparse.h5: /images declares" "" ssl-info "$WORK/sparse.h5"

# ---- 6. Small inputs that would take huge memory: limits with a clear error.
/usr/bin/python3 -c "print('word ' * 2000000)" >"$WORK/long.txt"
( ulimit -v 4000000; bad 1 "long.txt: .*longer than" "$WORK/x.h5" \
    ssl-import text "$WORK/long.txt" -o "$WORK/x.h5"; exit $FAILS ) || FAILS=$((FAILS + 1))
mkdir -p "$WORK/big"
/usr/bin/python3 - "$WORK/big/huge.png" <<'EOF'
import sys, zlib, struct
w = h = 20000
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = zlib.compress(b"".join(b"\0" + bytes(w) for _ in range(h)), 9)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
EOF
( ulimit -v 4000000; bad 1 "huge.png: 20000x20000 .*larger than" "$WORK/x.h5" \
    ssl-import images "$WORK/big" --size 32 -o "$WORK/x.h5"; exit $FAILS ) || FAILS=$((FAILS + 1))
bad 2 "--size" "$WORK/x.h5" ssl-augment "$WORK/g.h5" --size 4096 -o "$WORK/x.h5"

# ---- 7. Headers that claim what no clip or image has.
mkdir -p "$WORK/wav"
wav() {  # NAME RATE CHANNELS DATABYTES: a WAV header claiming these, with a few real bytes
  /usr/bin/python3 - "$WORK/wav/$1.wav" "$2" "$3" "$4" <<'EOF'
import sys, struct
path, rate, ch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * ch * 2 % 2**32, ch * 2, 16)
data = bytes(4000)
open(path, "wb").write(b"RIFF" + struct.pack("<I", (36 + n) % 2**32) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
                       + b"data" + struct.pack("<I", n % 2**32) + data)
EOF
}
wav rate 1000000000 1 4000; bad 1 "rate.wav: .*sample rate" "$WORK/x.h5" ssl-import audio "$WORK/wav" -o "$WORK/x.h5"
rm -f "$WORK/wav/"*
wav chans 16000 1000 4000; bad 1 "chans.wav: .*channels" "$WORK/x.h5" ssl-import audio "$WORK/wav" -o "$WORK/x.h5"
rm -f "$WORK/wav/"*
wav long 16000 1 2000000000
( ulimit -v 4000000; bad 1 "long.wav: .*(truncated|claims)" "$WORK/x.h5" ssl-import audio "$WORK/wav" -o "$WORK/x.h5"; exit $FAILS ) || FAILS=$((FAILS + 1))
/usr/bin/python3 -c "
import struct, sys
open('$WORK/zero-idx3-ubyte', 'wb').write(struct.pack('>IIII', 0x803, 10, 0, 28))"
bad 1 "zero-idx3-ubyte: .*zero" "$WORK/x.h5" ssl-import idx "$WORK/zero-idx3-ubyte" -o "$WORK/x.h5"

# ---- 8. One line, always, naming the file.
mkdir -p "$WORK/corrupt"
head -c 300 "$DATA/images/color/pattern0.png" >"$WORK/corrupt/bad.png"
bad 1 "bad.png: " "$WORK/x.h5" ssl-import images "$WORK/corrupt" -o "$WORK/x.h5"
cp "$WORK/g.h5" "$WORK/strver.h5"
/usr/bin/python3 -c "import h5py; f = h5py.File('$WORK/strver.h5', 'r+'); f.attrs['format_version'] = 'one'"
bad 1 "strver.h5: .*format_version" "" ssl-info "$WORK/strver.h5"
bad 1 "g.h5: .*(not an image|binary)" "$WORK/x.h5" ssl-import images "$WORK/g.h5" -o "$WORK/x.h5"
grep -q $'[\x01-\x08]' "$WORK/err.err" && fail "raw bytes printed for a binary list file"

# ---- 9. A reader that stops early is not an error for text output.
ssl-info "$WORK/m.h5" 2>"$WORK/err" | head -1 >/dev/null
[ -s "$WORK/err" ] && fail "ssl-info | head printed: $(cat "$WORK/err")"

# ---- 10. Outputs are checked before any work.
if command -v script >/dev/null; then
  start=$(date +%s%N)
  script -qec "ssl-pretrain '$WORK/tr.h5' --batch 16 --epochs 50 -o -" /dev/null >"$WORK/tty.out" 2>&1
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  grep -q "terminal" "$WORK/tty.out" || fail "-o - on a terminal: $(cat "$WORK/tty.out")"
  grep -q "pretrain simclr" "$WORK/tty.out" && fail "-o - on a terminal trained first"
  rm -f "$WORK/x.h5"
  script -qec "ssl-augment '$WORK/g.h5' --preview - -o '$WORK/x.h5'" /dev/null >"$WORK/tty.out" 2>&1
  grep -q "terminal" "$WORK/tty.out" || fail "--preview - on a terminal: $(cat "$WORK/tty.out")"
  [ -e "$WORK/x.h5" ] && fail "augment wrote its output before refusing the preview"
else
  echo "skipped: terminal cases (no script)"
fi

# ---- 11. Values that make no sense are usage errors naming the option.
bad 2 "--limit" "$WORK/x.h5" ssl-import idx "$IDX" --limit -5 -o "$WORK/x.h5"
for opt in "--lr -1" "--time-budget -1" "--checkpoint-every -1" "--max-steps -1" "--lr nan" "--temperature 0" "--weight-decay -1"; do
  bad 2 "${opt% *}" "$WORK/x.h5" ssl-pretrain "$WORK/tr.h5" $opt -o "$WORK/x.h5"
done
bad 2 "--knn-temperature" "" ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --knn-temperature 0
bad 2 "--label-fraction" "" ssl-finetune "$WORK/e.h5" --eval "$WORK/ete.h5" --mode knn --label-fraction 0
cp "$WORK/e.h5" "$WORK/nan.h5"
/usr/bin/python3 -c "import h5py; f = h5py.File('$WORK/nan.h5', 'r+'); e = f['embeddings']; e[5, 7] = float('nan')"
bad 1 "nan.h5: .*not finite.*row 5" "" ssl-finetune "$WORK/nan.h5" --eval "$WORK/ete.h5" --mode knn

# ---- 12. Links in place of datasets are refused: a file never reads another by surprise.
/usr/bin/python3 - "$WORK/g.h5" "$WORK/ext.h5" "$WORK/soft.h5" <<'EOF'
import sys, h5py
src, ext, soft = sys.argv[1:]
for path, make in ((ext, lambda f: h5py.ExternalLink(src, "/images")), (soft, lambda f: h5py.SoftLink("/real"))):
    with h5py.File(src, "r") as g, h5py.File(path, "w") as f:
        for k, v in g.attrs.items(): f.attrs[k] = v
        f["labels"] = g["labels"][:]
        f["real"] = g["images"][:]
        f["images"] = make(f)
EOF
bad 1 "ext.h5: /images is an external link" "" ssl-info "$WORK/ext.h5"
bad 1 "ext.h5: /images is an external link" "$WORK/x.h5" ssl-pretrain "$WORK/ext.h5" --max-steps 1 -o "$WORK/x.h5"
bad 1 "soft.h5: /images is a soft link" "" ssl-info "$WORK/soft.h5"

finish
