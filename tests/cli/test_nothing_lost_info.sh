#!/usr/bin/env bash
# Nothing lost, ssl-info and the files it reads (probe 2026-12-05 W7, W11,
# W15, W18, W19, W20, and transparent images): options are never silently
# ignored, every file sslkit writes can be described, a log can be piped in,
# damage to the weights and a file locked by another process are named as
# such, runs sharing a log stay apart, and an icon's transparent pixels come
# out as the background, not black. Each block failed before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
PY=/usr/bin/python3
ok ssl-import idx "$IDX" "$LBL" --limit 60 -o "$WORK/g.h5"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 200 --max-len 24 -o "$WORK/t.h5"
ok ssl-pretrain "$WORK/t.h5" --method mlm --arch bert-tiny --max-steps 1 --batch 8 --threads 1 -o "$WORK/mlm.h5" \
   --log-json "$WORK/run.jsonl"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5" --threads 1
ok ssl-pretrain "$WORK/a.h5" --arch w2v-tiny --max-steps 1 --batch 3 --threads 1 -o "$WORK/w.h5"

# ---- W7. ssl-info options that did nothing are refused, or do what they say.
expect_error 2 "--predict wants a sentence .*got an empty one" "" ssl-info "$WORK/mlm.h5" --predict ""
expect_error 2 "--predict wants a sentence" "" ssl-info "$WORK/mlm.h5" --predict "  "
ssl-info "$WORK/mlm.h5" --predict "a [MASK] in [MASK]" --top 2 --json >"$WORK/p.json" 2>"$WORK/p.err" ||
  fail "--predict --json: $(cat "$WORK/p.err")"
check_eq "--predict --json: masks x guesses" \
  "$($PY -c "import json,sys; j=json.load(open(sys.argv[1])); print(len(j['masks']), [len(m) for m in j['masks']], 'filled' in j)" "$WORK/p.json")" \
  "2 [2, 2] True"
expect_error 2 "--preview draws .*; --predict only prints its guesses" "$WORK/p.png" \
  ssl-info "$WORK/mlm.h5" --predict "a [MASK]" --preview "$WORK/p.png"
expect_error 2 "--verify checks one data or model file; --predict only prints its guesses" "" ssl-info "$WORK/mlm.h5" --predict "a [MASK]" --verify
expect_error 2 "--top counts the tokens listed by --predict" "" ssl-info "$WORK/mlm.h5" --top 3
expect_error 2 "--reference draws on the training curves of --preview" "" \
  ssl-info "$WORK/run.jsonl" --reference "raw=0.5"

# ---- W15. A log on stdin, through a pipe or redirected from a file, is read as a log.
cat "$WORK/run.jsonl" | ssl-info - >"$WORK/o" 2>"$WORK/e" || fail "log through a pipe: $(cat "$WORK/e")"
grep -q "^log: stdin" "$WORK/o" || fail "log through a pipe: $(cat "$WORK/o")"
ssl-info - <"$WORK/run.jsonl" >"$WORK/o" 2>"$WORK/e" || fail "log redirected: $(cat "$WORK/e")"
grep -q "^log: stdin" "$WORK/o" || fail "log redirected: $(cat "$WORK/o")"
cat "$WORK/run.jsonl" | ssl-info - --preview "$WORK/stdin.png" >/dev/null 2>"$WORK/e" || fail "piped log --preview: $(cat "$WORK/e")"
[ -s "$WORK/stdin.png" ] || fail "piped log --preview wrote no PNG"
expect_error 2 "--json describes one data or model file, not a JSON log" "" ssl-info - --json <"$WORK/run.jsonl"
# HDF5 through stdin still works.
cat "$WORK/g.h5" | ssl-info - >"$WORK/o" 2>"$WORK/e" || fail "HDF5 through a pipe: $(cat "$WORK/e")"
grep -q "modality image, 60 samples" "$WORK/o" || fail "HDF5 through a pipe: $(cat "$WORK/o")"

# ---- W11. ssl-embed --frames output: [clips, frames, width] with /frames.
ok ssl-embed "$WORK/w.h5" "$WORK/a.h5" --frames -o "$WORK/fr.h5" --threads 1
ok ssl-info "$WORK/fr.h5"
grep -Eq "/embeddings +float32 +\[6,24,[0-9]+\]" "$WORK/ok.out" || fail "info of --frames output: $(cat "$WORK/ok.out")"
grep -Eq "/frames +int32 +\[6\]" "$WORK/ok.out" || fail "/frames not described"
ok ssl-info "$WORK/fr.h5" --verify
grep -q "^verify: read all" "$WORK/ok.out" || fail "--verify of --frames output"
# Half of the pair, or a frame count past the frames stored, is refused naming the file.
cp "$WORK/fr.h5" "$WORK/nf.h5"
$PY -c "import h5py; del h5py.File('$WORK/nf.h5', 'r+')['frames']"
expect_error 1 "nf.h5: /embeddings: expected rank 2 \[N,D\] \(or \[N,F,D\] with /frames\)" "" ssl-info "$WORK/nf.h5"
cp "$WORK/fr.h5" "$WORK/bf.h5"
$PY -c "import h5py; f = h5py.File('$WORK/bf.h5', 'r+'); d = f['frames']; v = d[:]; v[2] = 25; d[:] = v"
expect_error 1 "bf.h5: /frames: 25 frames at row 2 outside the 0..24 of /embeddings" "" ssl-info "$WORK/bf.h5"
# A probe wants one embedding per clip.
expect_error 1 "fr.h5: /embeddings holds one embedding per frame" "" \
  ssl-finetune "$WORK/fr.h5" --eval "$WORK/fr.h5" --mode knn --k 2

# ---- W19. A file another process holds open for writing is "locked", not "corrupt".
$PY -c "
import h5py, sys, time
f = h5py.File('$WORK/g.h5', 'r+')
open('$WORK/held', 'w').close()
time.sleep(20)" &
holder=$!
for _ in $(seq 100); do [ -e "$WORK/held" ] && break; sleep 0.1; done
expect_error 1 "g.h5: locked by another process \(HDF5 file locking\)" "" ssl-info "$WORK/g.h5"
expect_error 1 "g.h5: locked by another process" "$WORK/x.h5" ssl-embed "$WORK/w.h5" "$WORK/g.h5" -o "$WORK/x.h5"
HDF5_USE_FILE_LOCKING=FALSE ssl-info "$WORK/g.h5" >/dev/null 2>&1 || fail "HDF5_USE_FILE_LOCKING=FALSE, as the message says"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
ok ssl-info "$WORK/g.h5"

# ---- W20. Two runs in one log: a run id on every line, drawn apart. (A fresh
# run replaces its --log-json, so the second run's log is joined by hand.)
ok ssl-pretrain "$WORK/g.h5" --max-steps 2 --batch 16 --threads 1 -o "$WORK/r1.h5" --log-json "$WORK/shared.jsonl"
ok ssl-pretrain "$WORK/g.h5" --max-steps 3 --batch 16 --threads 1 -o "$WORK/r2.h5" --log-json "$WORK/r2.jsonl"
cat "$WORK/r2.jsonl" >>"$WORK/shared.jsonl"
check_eq "lines without run_id" "$(grep -vc '"run_id":"[0-9a-f]\{16\}"' "$WORK/shared.jsonl")" "0"
check_eq "run ids in the log" "$(grep -o '"run_id":"[0-9a-f]*"' "$WORK/shared.jsonl" | sort -u | wc -l)" "2"
id1=$(h5get "$WORK/r1.h5" '__import__("json").loads(f["config"][0])["run_id"]')
grep -q "\"run_id\":\"$id1\"" "$WORK/shared.jsonl" || fail "the model file's run_id $id1 is not the log's"
ok ssl-info "$WORK/shared.jsonl" --preview "$WORK/shared.png"
check_eq "runs listed" "$(grep -c "^log: .*shared.jsonl, run [0-9a-f]\{16\}$" "$WORK/ok.out")" "2"
grep -q "steps 1-3" "$WORK/ok.out" || fail "second run's steps: $(cat "$WORK/ok.out")"
# A resumed run keeps its checkpoint's id: its lines stay one run.
ok ssl-pretrain "$WORK/g.h5" --resume "$WORK/r1.h5" --max-steps 3 --batch 16 --threads 1 -o "$WORK/r1b.h5" \
   --log-json "$WORK/shared.jsonl"
check_eq "resume keeps the run id" "$(h5get "$WORK/r1b.h5" '__import__("json").loads(f["config"][0])["run_id"]')" "$id1"
ok ssl-info "$WORK/shared.jsonl"
check_eq "runs after a resume" "$(grep -c "^log: " "$WORK/ok.out")" "2"
# An old log (no run ids) is still one run.
sed 's/,"run_id":"[0-9a-f]*"//' "$WORK/run.jsonl" >"$WORK/old.jsonl"
ok ssl-info "$WORK/old.jsonl" --preview "$WORK/old.png"
check_eq "old log" "$(grep -c "^log: .*old.jsonl$" "$WORK/ok.out")" "1"

# ---- W18. Model tensors carry Fletcher-32 checksums; a zeroed block is refused on read.
check_eq "checksummed tensors" \
  "$(h5get "$WORK/w.h5" 'all(d.fletcher32 for g in ("params", "buffers", "optimizer") if g in f for d in f[g].values()) and len(f["params"]) > 0')" "True"
cp "$WORK/w.h5" "$WORK/z.h5"
off=$($PY -c "
import h5py
f = h5py.File('$WORK/z.h5', 'r')
d = max(f['params'].values(), key=lambda d: d.size)
print(d.id.get_chunk_info(0).byte_offset + d.id.get_chunk_info(0).size // 2)")
dd if=/dev/zero of="$WORK/z.h5" bs=1 seek="$off" count=256 conv=notrunc 2>/dev/null
expect_error 1 "z.h5: params/.*: checksum mismatch: the file is damaged" "$WORK/x.h5" \
  ssl-embed "$WORK/z.h5" "$WORK/a.h5" -o "$WORK/x.h5"
expect_error 1 "z.h5: params/.*: checksum mismatch: the file is damaged" "" ssl-info "$WORK/z.h5" --verify
ok ssl-info "$WORK/w.h5" --verify
grep -q "^verify: read all .* bytes of every dataset (checksums checked): ok" "$WORK/ok.out" || fail "model --verify"
expect_error 1 "z.h5: params/.*: checksum mismatch: the file is damaged" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --resume "$WORK/z.h5" --max-steps 2 --batch 3 -o "$WORK/x.h5"
# Model files from before checksums (contiguous, unfiltered datasets) still load, to the same embeddings.
$PY - "$WORK/w.h5" "$WORK/old.h5" <<'PY'
import h5py, sys
src, dst = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "w")
for k, v in src.attrs.items(): dst.attrs[k] = v
def copy(name, obj):
    if isinstance(obj, h5py.Dataset):
        dst.create_dataset(name, data=obj[()], dtype=obj.dtype)  # contiguous, no filter
    else:
        dst.require_group(name)
src.visititems(copy)
PY
check_eq "old model is unchunked" "$(h5get "$WORK/old.h5" 'f["params"][list(f["params"])[0]].chunks')" "None"
ok ssl-embed "$WORK/old.h5" "$WORK/a.h5" -o "$WORK/e-old.h5" --threads 1
ok ssl-embed "$WORK/w.h5" "$WORK/a.h5" -o "$WORK/e-new.h5" --threads 1
check_eq "same embeddings from old and new layouts" \
  "$(h5get "$WORK/e-old.h5" 'bool((f["embeddings"][:] == h5py.File("'"$WORK/e-new.h5"'")["embeddings"][:]).all())')" "True"

# ---- Transparent images: composited over --background (white unless told), not black.
mkdir -p "$WORK/icons"
$PY - "$WORK/icons" <<'PY'
import numpy as np, struct, sys, zlib
def png(path, arr, colour, depth=8, plte=None, trns=None):
    h, w = arr.shape[:2]
    raw = arr.astype(">u2" if depth == 16 else "u1").reshape(h, -1).view("u1").reshape(h, -1)
    data = b"".join(b"\0" + raw[y].tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0))
    if plte: out += chunk(b"PLTE", bytes(plte))
    if trns: out += chunk(b"tRNS", bytes(trns))
    open(path, "wb").write(out + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))
d = sys.argv[1]
# 1x3: transparent red, half-transparent (128) red, opaque blue.
rgba = np.array([[[255, 0, 0, 0], [255, 0, 0, 128], [0, 0, 255, 255]]], dtype=np.uint32)
png(d + "/a-rgba8.png", rgba, 6)
png(d + "/b-rgba16.png", rgba * 257, 6, 16)
# Gray + alpha: transparent 200, half-transparent 200, opaque 10.
ga = np.array([[[200, 0], [200, 128], [10, 255]]], dtype=np.uint32)
png(d + "/c-ga8.png", ga, 4)
png(d + "/d-ga16.png", ga * 257, 4, 16)
# A palette with tRNS: the same three pixels as the RGBA ones.
png(d + "/e-palette.png", np.array([[[0], [1], [2]]]), 3, plte=[255, 0, 0, 255, 0, 0, 0, 0, 255], trns=[0, 128])
PY
ok ssl-import images "$WORK/icons" -o "$WORK/icons.h5"
check_eq "over white (default)" "$(h5get "$WORK/icons.h5" 'f["images"][:, 0].reshape(5, -1).tolist()')" \
  "[[255, 255, 255, 255, 127, 127, 0, 0, 255], [255, 255, 255, 255, 127, 127, 0, 0, 255], [255, 255, 255, 227, 227, 227, 10, 10, 10], [255, 255, 255, 227, 227, 227, 10, 10, 10], [255, 255, 255, 255, 127, 127, 0, 0, 255]]"
ok ssl-import images "$WORK/icons" --background '#204060' -o "$WORK/icons-c.h5"
check_eq "over #204060" "$(h5get "$WORK/icons-c.h5" 'f["images"][:, 0].reshape(5, -1)[[0, 3]].tolist()')" \
  "[[32, 64, 96, 144, 32, 48, 0, 0, 255], [32, 64, 96, 116, 132, 148, 10, 10, 10]]"
ok ssl-import images "$WORK/icons" --background black --gray -o "$WORK/icons-g.h5"
check_eq "gray over black" "$(h5get "$WORK/icons-g.h5" 'f["images"][:, 0, :, 0].tolist()')" \
  "[[0, 38, 29], [0, 38, 29], [0, 100, 10], [0, 100, 10], [0, 38, 29]]"
expect_error 2 "--background must be white, black, gray or #RRGGBB" "$WORK/x.h5" \
  ssl-import images "$WORK/icons" --background red -o "$WORK/x.h5"
finish
