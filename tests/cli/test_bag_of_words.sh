#!/usr/bin/env bash
# ssl-finetune --bag-of-words: the text baseline (TF-IDF of the token ids,
# the training rows' idf) under the linear probe and kNN, the line a text
# encoder's features must beat; refused, in one line, for files that hold no
# text, beside --model, and in full fine-tuning.
. "$TESTS/cli/lib.sh"
T=$DATA/text
ok ssl-import text "$T/proverbs" "$T/weather" --vocab-size 300 --max-len 32 --split 0.3 --seed 1 \
   --split-output "$WORK/te.h5" -o "$WORK/tr.h5"
ok ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --bag-of-words --metrics "$WORK/lin.json"
check_eq "names the features" "$(grep -c "TF-IDF bag of words" "$WORK/ok.out")" "1"
# The linear probe reads TF-IDF rows as they are (standardising each word
# scaled the rare ones up a hundredfold: 0.375 here before, on 2 balanced classes).
check_eq "linear probe above chance" \
  "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/lin.json'))['accuracy'] > 0.6)")" "True"
# Proverbs and weather lore share few words: the bag of words separates them.
ok ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --bag-of-words --mode knn --k 5 --metrics "$WORK/knn.json"
check_eq "kNN above chance" \
  "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/knn.json'))['accuracy'] > 0.6)")" "True"
# The same features from a pipe.
ok ssl-finetune - --eval "$WORK/te.h5" --bag-of-words --metrics "$WORK/lin2.json" < "$WORK/tr.h5"
check_eq "stdin gives the same" \
  "$(/usr/bin/python3 -c "import json; a, b = (json.load(open(p))['accuracy'] for p in ('$WORK/lin.json', '$WORK/lin2.json')); print(a == b)")" "True"

# Refusals.
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/img.h5" --split-output "$WORK/img-te.h5"
expect_error 2 "--bag-of-words is the baseline of text files; .*img.h5 holds no text" "" \
  ssl-finetune "$WORK/img.h5" --eval "$WORK/img-te.h5" --bag-of-words
expect_error 2 "--raw-pixels \(images\), --log-mel \(audio\) and --bag-of-words \(text\) exclude each other" "" \
  ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --bag-of-words --raw-pixels
expect_error 2 "--bag-of-words does not go with --mode full" "" \
  ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --bag-of-words --mode full
finish
