#!/usr/bin/env bash
# Nothing lost, round 2 (issue 23): wherever two things meet they are of one
# kind, or no accuracy is printed: a text model and text of another
# tokenizer (F3, W5), train and eval in ssl-finetune (F4), an audio model and
# audio of another rate (F5); held-out = training warns (W6); a model may
# come from stdin (W21).
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
FORT=/usr/share/games/fortunes
PY=/usr/bin/python3
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o "$WORK/simclr.h5"
ok ssl-pretrain "$WORK/tr.h5" --method byol --batch 16 --max-steps 1 --threads 1 -o "$WORK/byol.h5"
ok ssl-embed "$WORK/simclr.h5" "$WORK/tr.h5" -o "$WORK/e_img.h5" --threads 1
ok ssl-embed "$WORK/byol.h5" "$WORK/te.h5" -o "$WORK/e_byol.h5" --threads 1
ok ssl-embed "$WORK/simclr.h5" "$WORK/te.h5" --normalize -o "$WORK/e_norm.h5" --threads 1
ok ssl-embed "$WORK/simclr.h5" "$WORK/te.h5" -o "$WORK/e_te.h5" --threads 1

# ---- F4. Train and eval of ssl-finetune must be of one kind.
ok ssl-finetune "$WORK/e_img.h5" --eval "$WORK/e_te.h5" --mode knn --k 5 --threads 1
expect_error 2 "e_byol.h5 holds embeddings of .*byol.h5 \(sha256 [0-9a-f]{12}\), .*e_img.h5 of .*simclr.h5.*embed both with one model" "" \
  ssl-finetune "$WORK/e_img.h5" --eval "$WORK/e_byol.h5" --mode knn --threads 1
expect_error 2 "e_norm.h5 holds embeddings with normalized 1" "" \
  ssl-finetune "$WORK/e_img.h5" --eval "$WORK/e_norm.h5" --mode linear --epochs 1 --threads 1
cp "$WORK/te.h5" "$WORK/te_renamed.h5"
$PY -c "import h5py; f = h5py.File('$WORK/te_renamed.h5', 'r+'); f['labels'].attrs['class_names'] = ['z%d' % i for i in range(10)]"
for mode in "--model $WORK/simclr.h5 --mode knn" "--raw-pixels --mode knn" "--mode full --arch convnet-s --epochs 1"; do
  # shellcheck disable=SC2086
  expect_error 2 "te_renamed.h5 names its classes z0, z1, z2, z3, ...; .*tr.h5 names them 0, 1, 2, 3" "" \
    ssl-finetune "$WORK/tr.h5" --eval "$WORK/te_renamed.h5" $mode --threads 1
done

# ---- F3, W5. A text model meets only text of its own tokenizer and length.
if [ -r "$FORT/computers" ]; then
  ok ssl-import text "$FORT/computers" "$FORT/science" "$FORT/love" --vocab-size 300 --max-len 48 --limit 180 --shuffle \
    --split 0.3 --split-output "$WORK/text_te.h5" -o "$WORK/text.h5" --threads 1
  ok ssl-pretrain "$WORK/text.h5" --method mlm --arch bert-tiny --max-steps 2 --batch 16 --threads 1 -o "$WORK/mlm.h5"
  ok ssl-embed "$WORK/mlm.h5" "$WORK/text.h5" -o "$WORK/e_txt.h5" --threads 1
  ok ssl-import text "$FORT/computers" "$FORT/science" "$FORT/love" --vocab-size 250 --max-len 48 --limit 180 --shuffle \
    --split 0.3 --split-output "$WORK/ote.h5" -o "$WORK/otr.h5" --threads 1
  expect_error 2 "otr.h5 was not tokenized with the tokenizer of .*mlm.h5" "$WORK/x.h5" \
    ssl-embed "$WORK/mlm.h5" "$WORK/otr.h5" -o "$WORK/x.h5" --threads 1
  for mode in linear knn; do
    expect_error 2 "otr.h5 was not tokenized with the tokenizer of .*mlm.h5" "" \
      ssl-finetune "$WORK/otr.h5" --model "$WORK/mlm.h5" --eval "$WORK/ote.h5" --mode $mode $([ "$mode" = knn ] || echo --epochs 1) --threads 1
  done
  expect_error 2 "ote.h5 was not tokenized as .*text.h5" "" \
    ssl-finetune "$WORK/text.h5" --model "$WORK/mlm.h5" --eval "$WORK/ote.h5" --mode knn --threads 1
  # Fashion-MNIST embeddings scored against fortunes embeddings: no accuracy.
  expect_error 2 "e_txt.h5 holds embeddings of .*mlm.h5.*e_img.h5 of .*simclr.h5" "" \
    ssl-finetune "$WORK/e_img.h5" --eval "$WORK/e_txt.h5" --mode knn --threads 1
  $PY -c "import h5py; open('$WORK/spm.model','wb').write(h5py.File('$WORK/text.h5')['tokenizer'][:].tobytes())"
  ok ssl-import text "$FORT/love" --tokenizer "$WORK/spm.model" --max-len 64 -o "$WORK/t64.h5"
  expect_error 2 "t64.h5 holds sequences of 64 tokens; .*mlm.h5 encodes at most 48" "$WORK/x.h5" \
    ssl-embed "$WORK/mlm.h5" "$WORK/t64.h5" -o "$WORK/x.h5"
  expect_error 2 "t64.h5 holds sequences of 64 tokens, longer than the 48 of .*text.h5" "$WORK/x.h5" \
    ssl-pretrain "$WORK/text.h5" --method mlm --arch bert-tiny --eval "$WORK/t64.h5" --max-steps 1 -o "$WORK/x.h5" --threads 1
  # W6: held-out = training is said, not silently scored.
  ssl-pretrain "$WORK/text.h5" --method mlm --arch bert-tiny --batch 16 --max-steps 1 --eval "$WORK/text.h5" -o "$WORK/w6.h5" \
    --threads 1 2>"$WORK/err" || fail "--eval = input: $(cat "$WORK/err")"
  grep -q "warning: --eval .*text.h5 is the training file itself" "$WORK/err" || fail "--eval = input: no warning"
else
  echo "skipped: text cases (no fortunes)"
fi
ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --monitor "$WORK/tr.h5" -o "$WORK/w6.h5" \
  --threads 1 2>"$WORK/err" || fail "--monitor = input: $(cat "$WORK/err")"
grep -q "warning: --monitor .*tr.h5 is the training file itself" "$WORK/err" || fail "--monitor = input: no warning"

# ---- F5. Audio meets audio of one sample rate.
if command -v espeak-ng >/dev/null; then
  mkdir -p "$WORK/clips/one" "$WORK/clips/two"
  for v in en en-us; do
    espeak-ng -v $v -w "$WORK/clips/one/$v.wav" one && espeak-ng -v $v -w "$WORK/clips/two/$v.wav" two
  done
  ok ssl-import audio "$WORK/clips" --seconds 1 -o "$WORK/a16.h5" --threads 1
  ok ssl-import audio "$WORK/clips" --seconds 1 --sample-rate 8000 -o "$WORK/a8.h5" --threads 1
  ok ssl-pretrain "$WORK/a16.h5" --arch w2v-tiny --max-steps 1 --batch 4 --threads 1 -o "$WORK/w2v.h5"
  expect_error 2 "a8.h5 is audio at 8000 Hz; .*w2v.h5 was trained at 16000 Hz" "$WORK/x.h5" \
    ssl-embed "$WORK/w2v.h5" "$WORK/a8.h5" -o "$WORK/x.h5" --threads 1
  expect_error 2 "a8.h5 is audio at 8000 Hz; .*w2v.h5 was trained at 16000 Hz" "" \
    ssl-finetune "$WORK/a8.h5" --model "$WORK/w2v.h5" --eval "$WORK/a8.h5" --mode knn --threads 1
  expect_error 2 "a8.h5 is audio at 8000 Hz, .*a16.h5 at 16000 Hz" "" \
    ssl-finetune "$WORK/a16.h5" --log-mel --eval "$WORK/a8.h5" --mode knn --threads 1
else
  echo "skipped: audio cases (no espeak-ng)"
fi

# ---- W21. A model from stdin, as data can be; stdin named twice is a usage error.
cat "$WORK/simclr.h5" | ssl-embed - "$WORK/te.h5" -o "$WORK/e_stdin.h5" --threads 1 2>"$WORK/err" ||
  fail "model from a pipe: $(cat "$WORK/err")"
check_eq "model from a pipe embeds as from a file" \
  "$(h5get "$WORK/e_stdin.h5" 'bool(np.array_equal(f["embeddings"][:], h5py.File("'"$WORK/e_te.h5"'")["embeddings"][:]))')" "True"
cat "$WORK/simclr.h5" | ssl-finetune "$WORK/tr.h5" --model - --eval "$WORK/te.h5" --mode knn --k 5 --threads 1 >"$WORK/out" 2>"$WORK/err" ||
  fail "--model - : $(cat "$WORK/err")"
grep -q "^accuracy" "$WORK/out" || fail "--model -: no accuracy"
cat "$WORK/simclr.h5" | ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --resume - --threads 1 \
  -o "$WORK/resumed.h5" 2>"$WORK/err" || fail "--resume -: $(cat "$WORK/err")"
check_eq "--resume - continues the run" "$(ssl-info "$WORK/resumed.h5" | awk '/^  steps/ {print $2}')" "2"
ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o - 2>/dev/null |
  ssl-embed - "$WORK/te.h5" -o "$WORK/piped.h5" 2>"$WORK/err" || fail "pretrain -o - | ssl-embed -: $(cat "$WORK/err")"
expect_error 2 "stdin given twice, as model and input" "$WORK/x2.h5" ssl-embed - - -o "$WORK/x2.h5" <"$WORK/te.h5"
ls "${TMPDIR:-/tmp}" | grep -q "^sslkit-stdin" && fail "a stdin spool was left in \$TMPDIR"
finish
