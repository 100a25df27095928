#!/usr/bin/env bash
# The hostile cases of issue 10 as a table: exit code, first error line,
# what was left behind, peak RSS. Run it with BIN pointing at a build (run
# it on an old build and a new one to compare). Needs root for the device
# and full-disk cases; device cases use mknod copies, never /dev itself.
#   BIN=build bash bench/hostile.sh
set -u
BIN=$(cd "${BIN:-build}" && pwd)
DATA=$(cd "$(dirname "$0")/../data" && pwd)
F=/usr/share/datasets/fashion-mnist
W=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-hostile.XXXXXX")
FULL=$W/full
trap 'umount "$FULL" 2>/dev/null; rm -rf "$W"' EXIT
export PATH="$BIN:$PATH"
PY=/usr/bin/python3
IDX="$F/t10k-images-idx3-ubyte.gz"
LBL="$F/t10k-labels-idx1-ubyte.gz"
cd "$W"
ssl-import idx "$IDX" "$LBL" --limit 500 -o g.h5 -q
ssl-import idx "$IDX" "$LBL" --limit 500 --split 0.2 -o tr.h5 --split-output te.h5 -q
ssl-pretrain tr.h5 --batch 32 --max-steps 1 -o m.h5 -q
ssl-embed m.h5 tr.h5 -o e.h5 -q
ssl-embed m.h5 te.h5 -o ete.h5 -q

printf '%-44s | %4s | %-70s | %-22s | %s\n' case exit "message (first line)" "left behind" "peak RSS MiB"
# row NAME LEFT_CHECK CMD...: runs CMD under /usr/bin/time; LEFT_CHECK is a
# shell snippet printing what the case left behind.
row() {
  local name=$1 left=$2; shift 2
  /usr/bin/time -f '%M' -o "$W/rss" "$@" >/dev/null 2>"$W/err"
  local rc=$?
  local msg
  msg=$(grep -av '^Try ' "$W/err" | head -1 | sed "s|$W/||g" | cut -c1-70)
  local lines
  lines=$(grep -avc '^Try ' "$W/err")
  [ "$lines" -gt 1 ] && msg="$msg (+$((lines - 1)) lines)"
  local rss
  rss=$(tail -1 "$W/rss" 2>/dev/null)
  case "$rss" in ''|*[!0-9]*) rss=?;; *) rss=$((rss / 1024));; esac
  printf '%-44s | %4s | %-70s | %-22s | %s\n' "$name" "$rc" "$msg" "$(eval "$left")" "$rss"
}
none='echo -'

if mknod dnull c 1 3 2>/dev/null && mknod dfull c 1 7; then
  row "-o a /dev/null node" '[ -c dnull ] && echo "device kept" || echo "DEVICE REPLACED"' ssl-import idx "$IDX" --limit 500 -o dnull
  row "-o a /dev/full node" '[ -c dfull ] && echo "device kept" || echo "DEVICE REPLACED"' ssl-import idx "$IDX" --limit 500 -o dfull
fi
cp e.h5 e2.h5
row "finetune --metrics = its input" '$PY -c "import h5py; h5py.File(\"e2.h5\")" 2>/dev/null && echo "input intact" || echo "INPUT WRECKED"' \
  ssl-finetune e2.h5 --eval ete.h5 --mode knn --metrics e2.h5
cp e.h5 e2.h5
row "finetune --plot = its input" '$PY -c "import h5py; h5py.File(\"e2.h5\")" 2>/dev/null && echo "input intact" || echo "INPUT WRECKED"' \
  ssl-finetune e2.h5 --eval ete.h5 --mode knn --plot e2.h5
cp g.h5 g2.h5
row "info --preview = its input" '$PY -c "import h5py; h5py.File(\"g2.h5\")" 2>/dev/null && echo "input intact" || echo "INPUT WRECKED"' \
  ssl-info g2.h5 --preview g2.h5
cp g.h5 g2.h5; s=$(sha256sum g2.h5)
row "pretrain --log-json = its input" '[ "$(sha256sum g2.h5)" = "$s" ] && echo "input intact" || echo "INPUT WRECKED"' \
  ssl-pretrain g2.h5 --max-steps 1 --log-json g2.h5 -o x.h5

mkdir -p "$FULL"
if mount -t tmpfs -o size=200k tmpfs "$FULL" 2>/dev/null; then
  dd if=/dev/zero of="$FULL/fill" bs=1k count=140 2>/dev/null
  leftf='l=$(ls -A "$FULL" | grep -v "^fill" | tr "\n" " "); echo "${l:--}"'
  row "full disk: import -o" "$leftf" ssl-import idx "$IDX" --limit 500 -o "$FULL/o.h5"
  row "full disk: augment -o" "$leftf" ssl-augment g.h5 -o "$FULL/o.h5"
  row "full disk: mask -o" "$leftf" ssl-mask g.h5 --scheme patch -o "$FULL/o.h5"
  row "full disk: import --split-output" "l=\$(ls a.h5 2>/dev/null; ls -A $FULL | grep -v '^fill'); echo \"\${l:--}\"" \
    ssl-import idx "$IDX" "$LBL" --limit 500 --split 0.5 --split-output "$FULL/b.h5" -o a.h5
  dd if=/dev/zero of="$FULL/fill2" bs=1k 2>/dev/null
  row "full disk: finetune --plot (metrics elsewhere)" 'ls m.json 2>/dev/null || echo -' \
    ssl-finetune e.h5 --eval ete.h5 --mode knn --metrics m.json --plot "$FULL/p.png"
  umount "$FULL"
fi

cp e.h5 big.h5; $PY -c "import h5py; h5py.File('big.h5', 'r+')['labels'][3] = 2147483647"
row "label 2147483647: finetune knn" "$none" ssl-finetune big.h5 --eval ete.h5 --mode knn
cp e.h5 big.h5; $PY -c "import h5py; h5py.File('big.h5', 'r+')['labels'][3] = 1000000"
row "label 1000000: finetune linear" "$none" ssl-finetune big.h5 --eval ete.h5 --mode linear --epochs 1
cp g.h5 neg.h5; $PY -c "import h5py; h5py.File('neg.h5', 'r+')['labels'][3] = -5"
row "label -5: augment" 'ls x.h5 2>/dev/null || echo -' ssl-augment neg.h5 -o x.h5
rm -f x.h5
$PY - <<'EOF'
import h5py
with h5py.File("sparse.h5", "w") as f:
    f.attrs["format"] = "sslkit"; f.attrs["format_version"] = 1; f.attrs["modality"] = "image"
    f.create_dataset("images", shape=(10**9, 28, 28, 1), dtype="u1", chunks=(64, 28, 28, 1))
    f["images"][0:64] = 1
EOF
row "sparse (10^9,28,28,1) file: pretrain" 'ls x.h5 2>/dev/null || echo -' timeout 120 ssl-pretrain sparse.h5 --max-steps 1 -o x.h5
rm -f x.h5
$PY -c "print('word ' * 2000000)" >long.txt
row "one 10 MB text line: import text" 'ls x.h5 2>/dev/null || echo -' ssl-import text long.txt -o x.h5
rm -f x.h5
mkdir -p big && $PY - <<'EOF'
import zlib, struct
w = h = 20000
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = zlib.compress(b"".join(b"\0" + bytes(w) for _ in range(h)), 9)
open("big/huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
EOF
row "20000x20000 PNG: import images" 'ls x.h5 2>/dev/null || echo -' ssl-import images big --size 32 -o x.h5
rm -f x.h5
row "augment --size 4096" 'ls x.h5 2>/dev/null || echo -' ssl-augment g.h5 --size 4096 -o x.h5
rm -f x.h5
mkdir -p wav && $PY - <<'EOF'
import struct
n = 2000000000; rate = 16000
fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
open("wav/long.wav", "wb").write(b"RIFF" + struct.pack("<I", (36 + n) % 2**32) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", n) + bytes(4000))
EOF
row "WAV claiming 2 GB of data" 'ls x.h5 2>/dev/null || echo -' ssl-import audio wav -o x.h5
rm -f x.h5
head -c 300 "$DATA/images/color/pattern0.png" >big/huge.png
row "truncated PNG" 'ls x.h5 2>/dev/null || echo -' ssl-import images big -o x.h5
rm -f x.h5
row "ssl-import images on an HDF5 file" 'ls x.h5 2>/dev/null || echo -' ssl-import images g.h5 -o x.h5
row "ssl-info m.h5 | head -1" "$none" bash -c 'ssl-info m.h5 | head -1'
row "--limit -5" 'ls x.h5 2>/dev/null || echo -' ssl-import idx "$IDX" --limit -5 -o x.h5
rm -f x.h5
row "--knn-temperature 0" "$none" ssl-finetune e.h5 --eval ete.h5 --mode knn --knn-temperature 0
cp e.h5 nan.h5; $PY -c "import h5py; h5py.File('nan.h5', 'r+')['embeddings'][5, 7] = float('nan')"
row "NaN embedding" "$none" ssl-finetune nan.h5 --eval ete.h5 --mode knn
$PY - <<'EOF'
import h5py
with h5py.File("g.h5", "r") as g, h5py.File("ext.h5", "w") as f:
    for k, v in g.attrs.items(): f.attrs[k] = v
    f["images"] = h5py.ExternalLink("g.h5", "/images")
EOF
row "external link as /images" "$none" ssl-info ext.h5
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); binaries: $BIN"
