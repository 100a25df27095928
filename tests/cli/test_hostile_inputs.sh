#!/usr/bin/env bash
# Hostile inputs (issue 29): compression bombs, links that cycle or point
# away, absurd attributes, token ids outside the vocabulary, model files
# whose tensors disagree with their config, damaged checkpoints on --resume.
# Each is refused in one line with exit 1 (or, for valid data, read in
# bounded memory), under a 1.5 GB address-space limit (ulimit -v; below about
# 550 MB OpenBLAS, loaded by OpenCV, loops at start-up before sslkit runs).
. "$TESTS/cli/lib.sh"
PY=/usr/bin/python3
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
cd "$WORK" || exit 1
ok ssl-import idx "$IDX" -o ref.h5
ok ssl-pretrain ref.h5 --method simclr --batch 16 --max-steps 2 --threads 1 -o m.h5
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 -o t.h5
$PY - << 'PY' || fail "making the hostile files"
import h5py, numpy as np, shutil, struct, gzip, json
# gzip IDX: 100,000 blank images, 78 MB from about 80 KB (a thousandfold), valid.
with gzip.open("bomb.idx.gz", "wb", 9) as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 100000, 28, 28))
    for _ in range(100): f.write(bytes(784 * 1000))
# gzip IDX whose dimensions multiply past 2^64.
with gzip.open("overflow.idx.gz", "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)); f.write(bytes(784))
src = h5py.File("ref.h5", "r")
def data_file(name, n, chunks):
    f = h5py.File(name, "w")
    for k, v in src.attrs.items(): f.attrs[k] = v
    src.copy("history", f)
    d = f.create_dataset("images", (n, 28, 28, 1), "u1", chunks=chunks, compression="gzip")
    step = min(chunks[0], 16384)
    z = np.zeros((step, 28, 28, 1), np.uint8)
    for s in range(0, n, step): d[s:s + step] = z[:min(step, n - s)]
    f["ids"] = np.arange(n); f["labels"] = np.zeros(n, np.int32)
    return f
# Deflated HDF5: 400,000 blank images (314 MB) in 4096-image chunks.
data_file("bomb-deflate.h5", 400000, (4096, 28, 28, 1)).close()
# One chunk of 100 MB: a single row would decompress all of it.
data_file("one-chunk.h5", 130000, (130000, 28, 28, 1)).close()
def variant(name, base, fn):
    shutil.copy(base, name); f = h5py.File(name, "a"); fn(f); f.close()
def cycle(f): g = f.create_group("loop"); g["self"] = g
variant("cycle.h5", "ref.h5", cycle)
variant("model-cycle.h5", "m.h5", cycle)
variant("soft.h5", "ref.h5", lambda f: f.__setitem__("dangling", h5py.SoftLink("/nowhere")))
def external(f): del f["images"]; f["images"] = h5py.ExternalLink("/etc/passwd", "/images")
variant("external.h5", "ref.h5", external)
variant("long-attr.h5", "ref.h5", lambda f: f.attrs.__setitem__("notes", "x" * 60000))
def token(f): t = f["tokens"][...]; t[3, 2] = 100000; f["tokens"][...] = t
variant("token.h5", "t.h5", token)
p = "params/encoder.bn0.bias"
def reshape(f): del f[p]; f[p] = np.zeros((7, 3), np.float32)
variant("m-shape.h5", "m.h5", reshape)
def huge(f): del f[p]; f.create_dataset(p, (1 << 20, 1 << 20), np.float32, chunks=(1, 1024))
variant("m-huge.h5", "m.h5", huge)
def nan(f): a = f[p][...]; a[0] = np.nan; f[p][...] = a
variant("m-nan.h5", "m.h5", nan)
def config(f): c = json.loads(f["config"][0]); c["proj_dim"] = 17; f["config"][0] = json.dumps(c)
variant("m-config.h5", "m.h5", config)
b = open("m.h5", "rb").read()
open("m-trunc.h5", "wb").write(b[:len(b) // 2])
bb = bytearray(b)
for i in range(len(b) // 2, len(b) // 2 + 64): bb[i] ^= 0xFF
open("m-flip.h5", "wb").write(bytes(bb))
PY
# limited CMD...: CMD under the address-space limit; its peak RSS (KiB) in rss.
limited() { (ulimit -v 1500000; exec /usr/bin/time -f %M -o "$WORK/rss" timeout 120 "$@"); }
# refused NAME PATTERN CMD...: exit 1, one line matching PATTERN.
refused() {
  local name=$1 pattern=$2; shift 2
  expect_error 1 "$pattern" "$WORK/out.h5" limited "$@"
  echo "$name: exit 1, peak RSS $(($(tail -1 "$WORK/rss") / 1024)) MiB"
}
# within NAME MIB CMD...: exit 0 with peak RSS under MIB.
within() {
  local name=$1 mib=$2; shift 2
  limited "$@" > /dev/null 2> "$WORK/within.err" || { fail "$name: exit $? ($(head -1 "$WORK/within.err"))"; return; }
  local rss=$(($(tail -1 "$WORK/rss") / 1024))
  [ "$rss" -lt "$mib" ] || fail "$name: peak RSS $rss MiB, over $mib"
  echo "$name: exit 0, peak RSS $rss MiB"
}
within "gzip IDX bomb (valid, 1000x): import" 300 ssl-import idx bomb.idx.gz -o out.h5
rm -f out.h5
refused "IDX dimensions overflow" "more bytes than this machine can address" ssl-import idx overflow.idx.gz -o out.h5
within "deflated HDF5 (314 MB from 1 MB): pretrain" 400 \
  ssl-pretrain bomb-deflate.h5 --method simclr --batch 16 --max-steps 2 --threads 1 -o out.h5
rm -f out.h5
within "deflated HDF5 (314 MB from 1 MB): verify" 300 ssl-info --verify bomb-deflate.h5
refused "one 100 MB chunk" "chunks of [0-9]+ MiB, over the 64 MiB" \
  ssl-pretrain one-chunk.h5 --method simclr --max-steps 1 -o out.h5
within "cycle in a data file" 300 ssl-info cycle.h5
within "cycle in a model file" 300 ssl-info model-cycle.h5
refused "dangling soft link" "is a soft link" ssl-info soft.h5
refused "external link" "external link to another file" ssl-pretrain external.h5 --max-steps 1 -o out.h5
within "60 KB attribute" 300 ssl-info long-attr.h5
[ "$(ssl-info long-attr.h5 | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -lt 300 ] ||
  fail "ssl-info printed a 60 KB attribute on one line"
refused "token id outside the vocabulary" \
  "token.h5: /tokens row 3 holds token id 100000, outside its tokenizer's vocabulary of" \
  ssl-pretrain token.h5 --method mlm --batch 8 --max-steps 30 --threads 1 -o out.h5
for v in shape huge nan config; do
  refused "model tensors vs config ($v): embed" "m-$v.h5: params/" ssl-embed m-$v.h5 ref.h5 -o out.h5
done
refused "tensor declaring 4 TB: verify" "declares 1099511627776 values but stores only part" ssl-info --verify m-huge.h5
for v in trunc flip; do
  refused "damaged checkpoint ($v) on --resume" "m-$v.h5: " \
    ssl-pretrain ref.h5 --resume m-$v.h5 --max-steps 3 --threads 1 -o out.h5
done
finish
