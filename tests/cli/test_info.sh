#!/usr/bin/env bash
# ssl-info on good files (text, JSON, preview, stdin) and on bad ones.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --class-names "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot" -o "$WORK/a.h5"

ssl-info "$WORK/a.h5" > "$WORK/a.txt" || fail "ssl-info"
grep -q "modality image, 120 samples" "$WORK/a.txt" || fail "summary line"
grep -Eq "/images +uint8 +\[120,28,28,1\] +chunks" "$WORK/a.txt" || fail "images line"
grep -Eq "9 +Ankle boot +[0-9]+" "$WORK/a.txt" || fail "label counts"
grep -q "ssl-import idx" "$WORK/a.txt" || fail "history"

ssl-info --json "$WORK/a.h5" > "$WORK/a.json" || fail "json"
check_eq "json label total" "$(/usr/bin/python3 -c "import json; j=json.load(open('$WORK/a.json')); print(sum(e['count'] for e in j['labels']))")" "120"
check_eq "json dtype" "$(/usr/bin/python3 -c "import json; j=json.load(open('$WORK/a.json')); print([d['dtype'] for d in j['datasets'] if d['name']=='/images'][0])")" "uint8"

# stdin: a pipe (spooled) and a redirected file (opened in place).
cat "$WORK/a.h5" | ssl-info - > "$WORK/p.txt" || fail "stdin pipe"
ssl-info - < "$WORK/a.h5" > "$WORK/r.txt" || fail "stdin file"
check_eq "pipe and redirect agree" "$(tail -n +2 "$WORK/p.txt" | md5sum)" "$(tail -n +2 "$WORK/r.txt" | md5sum)"

# 120 x 784 pixels + 120 labels (4 B) + 120 ids (8 B)
ssl-info --verify "$WORK/a.h5" | grep -q "verify: read all 95520 bytes" || fail "--verify"
ok ssl-info "$WORK/a.h5" --preview "$WORK/grid.png" --preview-count 16
/usr/bin/python3 -c "import sys; sys.exit(open('$WORK/grid.png','rb').read(8) != b'\x89PNG\r\n\x1a\n')" || fail "preview is not a PNG"

# Audio: each clip's waveform (80 px) with its log-mel spectrogram (80 px)
# under it, 4 px apart: 6 x 164 + 4 rows, where waveforms alone made 6 x 84 + 4.
ok ssl-import audio "$DATA/audio" --seconds 1 -o "$WORK/au.h5"
ok ssl-info "$WORK/au.h5" --preview "$WORK/au.png"
check_eq "audio preview height" "$(/usr/bin/python3 -c "import struct; print(struct.unpack('>II', open('$WORK/au.png','rb').read(24)[16:24]))")" "(808, 988)"

# Text: the first samples decoded, in the report (no PNG is written).
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 -o "$WORK/txt.h5"
ssl-info "$WORK/txt.h5" --preview "$WORK/none.png" --preview-count 2 > "$WORK/txt.txt" || fail "text preview"
check_eq "two samples decoded" "$(sed -n '/^samples:/,/^history:/p' "$WORK/txt.txt" | grep -c '^  ')" "2"
[ ! -e "$WORK/none.png" ] || fail "a text preview wrote a PNG"

# Bad input: exit 1 and one line naming the file.
expect_error 1 "missing.h5: No such file" "" ssl-info "$WORK/missing.h5"
printf 'plain text\n' > "$WORK/t.h5"
expect_error 1 "t.h5: not an HDF5 file" "" ssl-info "$WORK/t.h5"
expect_error 1 "stdin: not an HDF5 file" "" sh -c "printf 'plain text' | ssl-info -"
head -c 30000 "$WORK/a.h5" > "$WORK/cut.h5"
expect_error 1 "cut.h5: truncated or corrupt" "" ssl-info "$WORK/cut.h5"
/usr/bin/python3 -c "
import h5py, numpy as np
with h5py.File('$WORK/other.h5', 'w') as f: f['x'] = np.zeros(3)
with h5py.File('$WORK/wrongtype.h5', 'w') as f:
    f.attrs['format'] = 'sslkit'; f.attrs['format_version'] = 1; f.attrs['modality'] = 'image'
    f['images'] = np.zeros((2, 4, 4, 1), dtype=np.float32)
with h5py.File('$WORK/v2.h5', 'w') as f:
    f.attrs['format'] = 'sslkit'; f.attrs['format_version'] = 2; f.attrs['modality'] = 'image'
with h5py.File('$WORK/noimages.h5', 'w') as f:
    f.attrs['format'] = 'sslkit'; f.attrs['format_version'] = 1; f.attrs['modality'] = 'image'
    f['labels'] = np.zeros(2, dtype=np.int32)
with h5py.File('$WORK/mismatch.h5', 'w') as f:
    f.attrs['format'] = 'sslkit'; f.attrs['format_version'] = 1; f.attrs['modality'] = 'image'
    f['images'] = np.zeros((2, 4, 4, 1), dtype=np.uint8); f['labels'] = np.zeros(3, dtype=np.int32)
"
expect_error 1 "other.h5: not an SSL-HDF5 file" "" ssl-info "$WORK/other.h5"
expect_error 1 "/images: expected uint8, found float32" "" ssl-info "$WORK/wrongtype.h5"
expect_error 1 "unknown format version 2" "" ssl-info "$WORK/v2.h5"
expect_error 1 "missing dataset /images" "" ssl-info "$WORK/noimages.h5"
expect_error 1 "/images has 2 rows but /labels has 3 rows" "" ssl-info "$WORK/mismatch.h5"
expect_error 2 "" "" ssl-info
finish
