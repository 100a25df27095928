#!/usr/bin/env bash
# Nothing lost, text and masked modelling (probe 2026-12-05: F9, W1, W2,
# W3, W4, W12, W16, W17). Each block is a reproduction of the probe that
# failed, or was confusing, before its fix.
. "$TESTS/cli/lib.sh"
P="$DATA/text/proverbs"
W="$DATA/text/weather"
ok ssl-import text "$P" "$W" --vocab-size 300 --max-len 32 -o "$WORK/t.h5" --threads 1
/usr/bin/python3 -c "import h5py; open('$WORK/spm.model','wb').write(h5py.File('$WORK/t.h5')['tokenizer'][:].tobytes())"
# bad ...: expect_error with no x.h5 left from an earlier case.
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }
pretrain_text() { ssl-pretrain "$@" --method mlm --arch bert-tiny --max-steps 1 --batch 8 --threads 1 -o "$WORK/x.h5"; }

# ---- F9. Nothing to predict is refused up front, naming the file.
# Rows of [CLS][SEP] only: as --eval (was "perplexity 0.0") and as the training file.
ok ssl-import text "$P" --tokenizer "$WORK/spm.model" --max-len 2 -o "$WORK/len2.h5" --threads 1
bad 1 "len2.h5: no token can be masked" "$WORK/x.h5" pretrain_text "$WORK/t.h5" --eval "$WORK/len2.h5"
bad 1 "len2.h5: no token can be masked" "$WORK/x.h5" pretrain_text "$WORK/len2.h5"
bad 1 "len2.h5: --eval-split holds out [0-9]+ rows of it, and in them no token can be masked" "$WORK/x.h5" \
  pretrain_text "$WORK/len2.h5" --eval-split 0.2
# An --eval file of zero rows.
cp "$WORK/t.h5" "$WORK/zero.h5"
/usr/bin/python3 -c "
import h5py
f = h5py.File('$WORK/zero.h5', 'r+')
for k in ('tokens', 'lengths', 'labels', 'ids'): f[k].resize(0, axis=0)"
bad 1 "zero.h5: has no rows" "$WORK/x.h5" pretrain_text "$WORK/t.h5" --eval "$WORK/zero.h5"
# An ssl-mask file that masks nothing: as input (was loss -0.0 at every step) and as --eval.
ok ssl-mask "$WORK/t.h5" --scheme mlm --ratio 0 --threads 1 -o "$WORK/mask0.h5"
bad 1 "mask0.h5: its masks .*select no token" "$WORK/x.h5" pretrain_text "$WORK/mask0.h5"
bad 1 "mask0.h5: the evaluation masks select none of its [0-9]+ maskable tokens" "$WORK/x.h5" \
  pretrain_text "$WORK/t.h5" --eval "$WORK/mask0.h5"
# A span mask of zero frames (was "internal error at lib/nn/loss_wav2vec.cpp").
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5" --threads 1
ok ssl-mask "$WORK/a.h5" --scheme span --mask-prob 0 --min-masks 0 --threads 1 -o "$WORK/span0.h5"
bad 1 "span0.h5: its span masks .*hide no frame" "$WORK/x.h5" \
  ssl-pretrain "$WORK/span0.h5" --arch w2v-tiny --max-steps 1 --batch 3 --threads 1 -o "$WORK/x.h5"
# What still trains: a real --eval, and an --eval-split.
ok pretrain_text "$WORK/t.h5" --eval "$WORK/t.h5"
ok pretrain_text "$WORK/t.h5" --eval-split 0.2

# ---- W1. A record between SentencePiece's old 64 KiB limit and our 1 MiB one is trained on
# (was "SentencePiece training failed: " with an empty reason).
/usr/bin/python3 -c "open('$WORK/long.txt', 'w').write('word ' * 14000 + '\n')"
ok ssl-import text "$WORK/long.txt" --vocab-size 20 --max-len 8000 -o "$WORK/long.h5" --threads 1
check_eq "long record kept" "$(h5get "$WORK/long.h5" "int(f['lengths'][0])")" "8000"

# ---- W2. --vocab-size beside --tokenizer is a usage error (was silently ignored); a
# smaller vocabulary than asked is said in one warning line.
bad 2 "--vocab-size .*--tokenizer .*spm.model brings its own vocabulary" "$WORK/x.h5" \
  ssl-import text "$P" --tokenizer "$WORK/spm.model" --vocab-size 50 -o "$WORK/x.h5" --threads 1
ok ssl-import text "$P" -o "$WORK/v.h5" --threads 1
check_eq "small vocabulary warned" "$(grep -c "warning: .*proverbs: SentencePiece found only [0-9]* pieces in the text: the vocabulary has [0-9]*, fewer than --vocab-size 8000" "$WORK/ok.err")" "1"
check_eq "one warning line" "$(wc -l <"$WORK/ok.err")" "1"

# ---- W3. --tokenizer naming a folder (was "basic_filebuf::underflow error ...").
mkdir "$WORK/d"
bad 1 "d: is a folder, not a SentencePiece model" "$WORK/x.h5" \
  ssl-import text "$P" --tokenizer "$WORK/d" -o "$WORK/x.h5" --threads 1

# ---- W4. --max-len pads only to the longest row (was 420 MB for 100 short lines) and
# records what was asked; rows too long for an encoder fail naming the file (was "out of memory").
# --max-len is bounded by what a text encoder can take (models::kMaxTextPositions).
bad 2 "--max-len: Value 1048576 not in range 2 to 8192" "$WORK/x.h5" \
  ssl-import text "$P" --tokenizer "$WORK/spm.model" --max-len 1048576 -o "$WORK/x.h5" --threads 1
ok ssl-import text "$P" --tokenizer "$WORK/spm.model" --max-len 8192 -o "$WORK/ml.h5" --threads 1
check_eq "padded to the longest row" "$(h5get "$WORK/ml.h5" "f['tokens'].shape[1] == f['lengths'][:].max() < 64")" "True"
check_eq "max_len recorded" "$(h5get "$WORK/ml.h5" "int(f['tokens'].attrs['max_len'])")" "8192"
# A file that claims more (another tool's, or an older sslkit's) is refused before training.
/usr/bin/python3 -c "import h5py; h5py.File('$WORK/ml.h5', 'r+')['tokens'].attrs['max_len'] = 1048576"
bad 1 "ml.h5: imported with --max-len 1048576 \(its rows: up to [0-9]+ tokens\); the text encoders take at most 8192" "$WORK/x.h5" pretrain_text "$WORK/ml.h5"
bad 1 "ml.h5: imported with --max-len 1048576" "" \
  ssl-finetune "$WORK/ml.h5" --eval "$WORK/ml.h5" --mode full --epochs 1 --threads 1
bad 1 "long.h5: rows of 8000 tokens: a step of 64 of them .* GB of attention" "$WORK/x.h5" \
  ssl-pretrain "$WORK/long.h5" --method mlm --arch bert-tiny --max-steps 1 --batch 64 --threads 1 -o "$WORK/x.h5"
# Files imported apart with one --max-len fit one model, whatever their longest rows.
printf 'a kettle\nthe ladder\n' >"$WORK/short.txt"
ok ssl-import text "$WORK/short.txt" --tokenizer "$WORK/spm.model" --max-len 32 -o "$WORK/s.h5" --threads 1
ok ssl-import text "$P" --tokenizer "$WORK/spm.model" --max-len 32 -o "$WORK/p32.h5" --threads 1
ok ssl-pretrain "$WORK/s.h5" --method mlm --arch bert-tiny --max-steps 1 --batch 2 --threads 1 --eval "$WORK/p32.h5" -o "$WORK/s-m.h5"
ok ssl-embed "$WORK/s-m.h5" "$WORK/p32.h5" -o "$WORK/e.h5" --threads 1

# ---- W12. MAE with one patch is a usage error naming --patch (was exit 1, "a mask must hide some patches").
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
  --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
bad 2 "--patch 28 leaves 1 patch of the 28x28 images of .*tr.h5; mae .*at least 4" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mae --arch vit-tiny --patch 28 --max-steps 1 --batch 16 --threads 1 -o "$WORK/x.h5"
# A patch mask file that hides nothing, or everything (was "mae: a mask must hide some
# patches and keep some", naming no file).
ok ssl-mask "$WORK/tr.h5" --scheme patch --ratio 0 --threads 1 -o "$WORK/p0.h5"
bad 1 "p0.h5: /mask of image 0 hides none of its 49 patches" "$WORK/x.h5" \
  ssl-pretrain "$WORK/p0.h5" --method mae --arch vit-tiny --max-steps 1 --batch 16 --threads 1 -o "$WORK/x.h5"
ok ssl-mask "$WORK/tr.h5" --scheme patch --ratio 1 --threads 1 -o "$WORK/p1.h5"
bad 1 "p1.h5: /mask of image 0 hides all of its 49 patches" "$WORK/x.h5" \
  ssl-pretrain "$WORK/p1.h5" --method mae --arch vit-tiny --max-steps 1 --batch 16 --threads 1 -o "$WORK/x.h5"

# ---- W16. The wrong --arch is named for what it is (was "w2v-tiny is an image encoder").
bad 2 "--arch w2v-tiny is an audio encoder; .*t.h5 is a text file \(bert-tiny, bert-mini\)" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --arch w2v-tiny --max-steps 1 -o "$WORK/x.h5"
bad 2 "--arch bert-tiny is a text encoder; .*a.h5 holds audio \(w2v-mini, w2v-tiny\)" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --arch bert-tiny --max-steps 1 -o "$WORK/x.h5"
bad 2 "--arch w2v-tiny is an audio encoder; .*tr.h5 holds images" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --arch w2v-tiny --max-steps 1 -o "$WORK/x.h5"

# ---- W17. --resume of a fine-tuned model: one line naming it (was a JSON library
# exception for text, "missing optimizer/adam_m.0.0" for images).
ok pretrain_text "$WORK/t.h5"
mv "$WORK/x.h5" "$WORK/mlm.h5"
ok ssl-finetune "$WORK/t.h5" --model "$WORK/mlm.h5" --eval "$WORK/t.h5" --mode full --epochs 1 --batch 16 --threads 1 -o "$WORK/ftt.h5"
bad 1 "ftt.h5: a fine-tuned model .*cannot be resumed by ssl-pretrain" "$WORK/x.h5" \
  ssl-pretrain "$WORK/t.h5" --resume "$WORK/ftt.h5" --max-steps 1 --threads 1 -o "$WORK/x.h5"
ok ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --mode full --epochs 1 --batch 16 --threads 1 -o "$WORK/fti.h5"
bad 1 "fti.h5: a fine-tuned model .*cannot be resumed by ssl-pretrain" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --resume "$WORK/fti.h5" --max-steps 1 --batch 16 --threads 1 -o "$WORK/x.h5"

finish
