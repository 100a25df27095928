#!/usr/bin/env bash
# ssl-import audio through files and pipes, and on bad input.
. "$TESTS/cli/lib.sh"

# data/audio: one/ two/ three/, 8 and 16 kHz mono WAV plus a 22050 Hz stereo FLAC.
ok ssl-import audio "$DATA/audio" -o "$WORK/a.h5"
check_eq "modality" "$(h5get "$WORK/a.h5" 'f.attrs["modality"]')" "audio"
check_eq "N" "$(h5get "$WORK/a.h5" 'f["audio"].shape[0]')" "6"
check_eq "dtype" "$(h5get "$WORK/a.h5" 'f["audio"].dtype')" "float32"
check_eq "sample_rate" "$(h5get "$WORK/a.h5" 'f["audio"].attrs["sample_rate"]')" "16000"
check_eq "classes" "$(h5get "$WORK/a.h5" 'list(f["labels"].attrs["class_names"])')" "['one', 'three', 'two']"
check_eq "labels" "$(h5get "$WORK/a.h5" 'list(f["labels"][:])')" "[0, 0, 1, 1, 2, 2]"
# T is the longest clip (16 kHz, 6599 samples); 8 kHz clips double (3081 -> 6162);
# the 22050 Hz FLAC (7533 frames) becomes round(7533 * 16000 / 22050) = 5466.
check_eq "T" "$(h5get "$WORK/a.h5" 'f["audio"].shape[1]')" "6599"
check_eq "lengths" "$(h5get "$WORK/a.h5" 'list(f["lengths"][:])')" "[6162, 6599, 5466, 5172, 3397, 4338]"
check_eq "seconds" "$(h5get "$WORK/a.h5" 'f["audio"].attrs["seconds"]')" "0.4124375"
check_eq "padding is zeros" "$(h5get "$WORK/a.h5" 'int(all((f["audio"][i, f["lengths"][i]:] == 0).all() for i in range(6)))')" "1"
check_eq "not silent" "$(h5get "$WORK/a.h5" 'int((abs(f["audio"][:]).max(axis=1) > 0.1).all())')" "1"

# Through a pipe: the same bytes of audio.
ssl-import audio "$DATA/audio" -o - | cat > "$WORK/p.h5" || fail "pipe"
check_eq "pipe equals file" "$(h5get "$WORK/p.h5" 'int((f["audio"][:] == h5py.File("'"$WORK/a.h5"'")["audio"][:]).all())')" "1"
check_eq "pipe lengths" "$(h5get "$WORK/p.h5" 'list(f["lengths"][:])')" "[6162, 6599, 5466, 5172, 3397, 4338]"

# --seconds and --sample-rate: cut or pad to round(seconds * rate).
ok ssl-import audio "$DATA/audio" --seconds 0.3 --sample-rate 8000 -o "$WORK/s.h5"
check_eq "cut shape" "$(h5get "$WORK/s.h5" 'f["audio"].shape')" "(6, 2400)"
check_eq "cut rate" "$(h5get "$WORK/s.h5" 'f["audio"].attrs["sample_rate"]')" "8000"
check_eq "cut lengths" "$(h5get "$WORK/s.h5" 'list(f["lengths"][:])')" "[2400, 2400, 2400, 2400, 1699, 2169]"
ok ssl-import audio "$DATA/audio" --seconds 1 -o "$WORK/long.h5"
check_eq "pad shape" "$(h5get "$WORK/long.h5" 'f["audio"].shape')" "(6, 16000)"
check_eq "pad lengths" "$(h5get "$WORK/long.h5" 'list(f["lengths"][:])')" "[6162, 6599, 5466, 5172, 3397, 4338]"
check_eq "pad seconds" "$(h5get "$WORK/long.h5" 'f["audio"].attrs["seconds"]')" "1.0"

# --split: stratified, one clip of each class held out; ids cover all six.
ok ssl-import audio "$DATA/audio" --seconds 0.5 --split 0.5 --split-output "$WORK/test.h5" -o "$WORK/train.h5"
check_eq "train N" "$(h5get "$WORK/train.h5" 'len(f["audio"])')" "3"
check_eq "test N" "$(h5get "$WORK/test.h5" 'len(f["audio"])')" "3"
check_eq "test labels" "$(h5get "$WORK/test.h5" 'sorted(f["labels"][:].tolist())')" "[0, 1, 2]"
check_eq "split ids" "$(h5get "$WORK/train.h5" 'sorted(f["ids"][:].tolist() + h5py.File("'"$WORK/test.h5"'")["ids"][:].tolist())')" "[0, 1, 2, 3, 4, 5]"
check_eq "test lengths N" "$(h5get "$WORK/test.h5" 'len(f["lengths"])')" "3"

# Bad input.
mkdir -p "$WORK/empty" "$WORK/bad/a"
expect_error 1 "nowhere: no such file" "$WORK/x.h5" ssl-import audio "$WORK/nowhere" -o "$WORK/x.h5"
expect_error 1 "empty: no audio files found" "$WORK/x.h5" ssl-import audio "$WORK/empty" -o "$WORK/x.h5"
cp "$DATA/audio/one/"*.wav "$WORK/bad/a/"
printf 'RIFF but not really a wave file' > "$WORK/bad/a/zz-broken.wav"
expect_error 1 "zz-broken.wav: " "$WORK/x.h5" ssl-import audio "$WORK/bad" -o "$WORK/x.h5"
expect_error 1 "zz-broken.wav: " "$WORK/x.h5" ssl-import audio "$WORK/bad" --seconds 1 -o "$WORK/x.h5"
ssl-import audio "$WORK/bad" --skip-bad -o "$WORK/x.h5" 2> "$WORK/skip.err" || fail "--skip-bad failed"
grep -q "skipped 1 unreadable" "$WORK/skip.err" || fail "--skip-bad does not report the skipped file"
check_eq "skip-bad N" "$(h5get "$WORK/x.h5" 'len(f["audio"])')" "2"
check_eq "skip-bad ids" "$(h5get "$WORK/x.h5" 'list(f["ids"][:])')" "[0, 1]"
expect_error 2 "sample-rate" "" ssl-import audio "$DATA/audio" --sample-rate 10 -o "$WORK/y.h5"
expect_error 2 "seconds" "" ssl-import audio "$DATA/audio" --seconds -1 -o "$WORK/y.h5"
finish
