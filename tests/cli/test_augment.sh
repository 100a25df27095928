#!/usr/bin/env bash
# ssl-augment through files and pipes, determinism, and bad input.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/in.h5"

ok ssl-augment "$WORK/in.h5" --recipe simclr --strength 0.5 -o "$WORK/a.h5" --threads 1 --seed 3
check_eq "views shape" "$(h5get "$WORK/a.h5" 'f["views"].shape')" "(120, 2, 28, 28, 1)"
check_eq "labels carried" "$(h5get "$WORK/a.h5" 'list(f["labels"][:5]) == list(h5py.File("'"$WORK/in.h5"'")["labels"][:5])')" "True"
check_eq "history grows" "$(h5get "$WORK/a.h5" 'len(f["history"])')" "2"
# Same output for any thread count and chunk boundaries (seeded per sample and view).
ok ssl-augment "$WORK/in.h5" --recipe simclr --strength 0.5 -o "$WORK/b.h5" --threads 2 --seed 3
check_eq "threads 1 == threads 2" "$(h5get "$WORK/a.h5" 'int((f["views"][:] == h5py.File("'"$WORK/b.h5"'")["views"][:]).all())')" "1"
ok ssl-augment "$WORK/in.h5" --recipe simclr --strength 0.5 -o "$WORK/c.h5" --seed 4
check_eq "seed changes views" "$(h5get "$WORK/a.h5" 'int((f["views"][:] == h5py.File("'"$WORK/c.h5"'")["views"][:]).all())')" "0"

# Rotation: four views with their rotation index.
ok ssl-augment "$WORK/in.h5" --recipe rotation -o "$WORK/r.h5"
check_eq "rotation labels" "$(h5get "$WORK/r.h5" 'f["pretext_labels"][7].tolist()')" "[0, 1, 2, 3]"
check_eq "rotation pixels" "$(h5get "$WORK/r.h5" 'int((np.rot90(f["views"][7,0], 1) == f["views"][7,1]).all())')" "1"

# A custom recipe, a pipe, --size and a preview.
ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o - | \
  ssl-augment - --recipe "crop(0.2,1) flip(0.5) blur(0.1,2,p=0.5)" --views 3 --size 32 -o - --preview "$WORK/p.png" > "$WORK/d.h5" \
  || fail "pipe"
check_eq "custom shape" "$(h5get "$WORK/d.h5" 'f["views"].shape')" "(120, 3, 32, 32, 1)"
/usr/bin/python3 -c "import sys; sys.exit(open('$WORK/p.png','rb').read(4) != b'\x89PNG')" || fail "preview"

# Audio.
ok ssl-import audio "$DATA/audio" --seconds 1 -o "$WORK/au.h5"
ok ssl-augment "$WORK/au.h5" --recipe audio --seconds 0.5 -o "$WORK/av.h5"
check_eq "audio views" "$(h5get "$WORK/av.h5" 'f["audio_views"].shape[1:]')" "(2, 8000)"

# --apply: the one view replaces each clip, so the output is a plain audio file.
ok ssl-augment "$WORK/au.h5" --recipe "noise(5,5,p=1) gain(-6,-6,p=1)" --apply --seed 7 -o "$WORK/ap.h5"
check_eq "apply datasets" "$(h5get "$WORK/ap.h5" 'sorted(f.keys())')" "['audio', 'history', 'ids', 'labels', 'lengths']"
check_eq "apply modality" "$(h5get "$WORK/ap.h5" 'f.attrs["modality"]')" "audio"
check_eq "apply shape" "$(h5get "$WORK/ap.h5" 'f["audio"].shape')" "(6, 16000)"
check_eq "apply attrs" "$(h5get "$WORK/ap.h5" '(f["audio"].attrs["recipe"], int(f["audio"].attrs["sample_rate"]), float(f["audio"].attrs["seconds"]))')" \
  "('noise(5,5,p=1) gain(-6,-6,p=1)', 16000, 1.0)"
check_eq "apply keeps labels ids lengths" "$(h5get "$WORK/ap.h5" 'all((f[k][:] == h5py.File("'"$WORK/au.h5"'")[k][:]).all() for k in ("labels", "ids", "lengths"))')" "True"
check_eq "apply history" "$(h5get "$WORK/ap.h5" 'f["history"][-1].decode().split()[:2]')" "['ssl-augment', '$WORK/au.h5']"
# Noise at 5 dB then -6 dB of gain: the clip is not the original, the padding stays silent.
check_eq "apply changed the clips" "$(h5get "$WORK/ap.h5" 'int(not np.allclose(f["audio"][0], h5py.File("'"$WORK/au.h5"'")["audio"][0]))')" "1"
check_eq "apply padding silent" "$(h5get "$WORK/ap.h5" 'int(all((f["audio"][i, f["lengths"][i]:] == 0).all() for i in range(6)))')" "1"
ok ssl-info --verify "$WORK/ap.h5"
# Deterministic per seed, through a pipe too; another seed differs.
ssl-augment - --recipe "noise(5,5,p=1) gain(-6,-6,p=1)" --apply --seed 7 --threads 1 -o - < "$WORK/au.h5" | cat > "$WORK/ap2.h5" || fail "apply pipe"
check_eq "apply pipe == file" "$(h5get "$WORK/ap2.h5" 'int((f["audio"][:] == h5py.File("'"$WORK/ap.h5"'")["audio"][:]).all())')" "1"
ok ssl-augment "$WORK/au.h5" --recipe "noise(5,5,p=1) gain(-6,-6,p=1)" --apply --seed 8 -o "$WORK/ap3.h5"
check_eq "apply seed changes clips" "$(h5get "$WORK/ap3.h5" 'int((f["audio"][:] == h5py.File("'"$WORK/ap.h5"'")["audio"][:]).all())')" "0"
# An applied file is audio for every tool: augmented again, with views this time.
ok ssl-augment "$WORK/ap.h5" --recipe audio --seconds 0.5 -o "$WORK/apv.h5"
check_eq "applied file augments" "$(h5get "$WORK/apv.h5" 'f["audio_views"].shape')" "(6, 2, 8000)"
ok ssl-augment "$WORK/au.h5" --recipe audio --apply --seconds 0.25 -o "$WORK/ap4.h5"
check_eq "apply --seconds lengths" "$(h5get "$WORK/ap4.h5" 'list(f["lengths"][:])')" "[4000, 4000, 4000, 4000, 3397, 4000]"
expect_error 2 "--apply writes one view" "$WORK/x.h5" ssl-augment "$WORK/au.h5" --apply --views 2 -o "$WORK/x.h5"
expect_error 2 "--apply is for audio files" "$WORK/x.h5" ssl-augment "$WORK/in.h5" --apply -o "$WORK/x.h5"

# Bad input.
expect_error 2 "unknown op 'blurr'" "$WORK/x.h5" ssl-augment "$WORK/in.h5" --recipe "blurr(1)" -o "$WORK/x.h5"
expect_error 2 "'x' is not a number" "$WORK/x.h5" ssl-augment "$WORK/in.h5" --recipe "crop(x,1)" -o "$WORK/x.h5"
expect_error 1 "nope.h5: No such file" "$WORK/x.h5" ssl-augment "$WORK/nope.h5" -o "$WORK/x.h5"
printf 'text' > "$WORK/t.h5"
expect_error 1 "not an HDF5 file" "$WORK/x.h5" ssl-augment "$WORK/t.h5" -o "$WORK/x.h5"
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 -o "$WORK/txt.h5"
expect_error 2 "image and audio files" "$WORK/x.h5" ssl-augment "$WORK/txt.h5" -o "$WORK/x.h5"
expect_error 2 "overwrite input" "" ssl-augment "$WORK/in.h5" -o "$WORK/in.h5"
finish
