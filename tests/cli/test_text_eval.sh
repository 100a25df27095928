#!/usr/bin/env bash
# Text beyond pretraining: held-out masked accuracy and perplexity during
# ssl-pretrain (--eval-split, --eval with an ssl-mask file), stored in the
# model file beside the unigram baseline; ssl-info --predict for [MASK];
# ssl-finetune --mode full on text from a pretrained model and from scratch;
# bad pairings exit 2 naming both sides.
. "$TESTS/cli/lib.sh"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 --split 0.3 \
   -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-import text "$DATA/text/proverbs" --vocab-size 200 --max-len 32 -o "$WORK/other.h5"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/img.h5"

# --eval-split: held-out rows never trained on, scored every N steps and at the end.
ok ssl-pretrain "$WORK/tr.h5" --method mlm --arch bert-tiny --batch 8 --epochs 6 --lr 2e-3 --eval-split 0.2 --eval-every 5 \
   -o "$WORK/m.h5" --log-json "$WORK/log.jsonl"
rows=$(h5get "$WORK/tr.h5" 'len(f["tokens"])')
held=$(python3 -c "print(max(1, round(0.2 * $rows)))")
check_eq "held-out rows" "$(h5get "$WORK/m.h5" '__import__("json").loads(f["config"][0])["eval"]["rows"]')" "$held"
check_eq "evaluations stored with their steps" \
  "$(h5get "$WORK/m.h5" 'len(f["train/eval_step"]) == len(f["train/eval_accuracy"]) == len(f["train/eval_perplexity"]) >= 2')" "True"
check_eq "steps train on the rest only" "$(h5get "$WORK/m.h5" 'len(f["train/loss"])')" "$(( 6 * ((rows - held) / 8) ))"
check_eq "perplexity on the training rows falls" \
  "$(h5get "$WORK/m.h5" 'bool(f["train/eval_train_perplexity"][-1] < f["train/eval_train_perplexity"][0])')" "True"
check_eq "the unigram baseline beside them" \
  "$(h5get "$WORK/m.h5" 'sorted(__import__("json").loads(f["config"][0])["eval"])')" \
  "['masked_tokens', 'rows', 'unigram_accuracy', 'unigram_perplexity']"
grep -q '"eval_accuracy"' "$WORK/log.jsonl" || fail "evaluations in the JSON log"

# --eval: another file scored on its own masks (an ssl-mask output).
ok ssl-mask "$WORK/te.h5" --scheme mlm -o "$WORK/te-masked.h5"
ok ssl-pretrain "$WORK/tr.h5" --method mlm --arch bert-tiny --batch 8 --epochs 1 --eval "$WORK/te-masked.h5" -o "$WORK/m2.h5"
check_eq "scored on the file's masked positions" \
  "$(h5get "$WORK/m2.h5" '__import__("json").loads(f["config"][0])["eval"]["masked_tokens"]')" \
  "$(h5get "$WORK/te-masked.h5" 'int((f["mlm_labels"][:] != -100).sum())')"
expect_error 2 "--eval .*other.h5 was not tokenized as .*tr.h5" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mlm --arch bert-tiny --eval "$WORK/other.h5" -o "$WORK/x.h5"
expect_error 2 "--eval-split scores masked language models; .*img.h5 is not a text file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/img.h5" --eval-split 0.1 -o "$WORK/x.h5"
expect_error 2 "--eval-split 0.5.* leaves .* rows of .*tr.h5 to train on, fewer than one batch of 64" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --method mlm --eval-split 0.5 -o "$WORK/x.h5"

# --predict: k guesses per [MASK] from the stored tokenizer, then the filled sentence.
ssl-info "$WORK/m.h5" --predict "a [MASK] in time saves [MASK]" --top 3 > "$WORK/p.out" || fail "ssl-info --predict"
check_eq "one line per mask, then the sentence" "$(grep -c '^\[MASK\] [12]:' "$WORK/p.out") $(wc -l < "$WORK/p.out")" "2 3"
check_eq "three guesses each" "$(head -1 "$WORK/p.out" | grep -o '" [01]\.[0-9]*' | wc -l)" "3"
tail -1 "$WORK/p.out" | grep -q "MASK" && fail "the filled sentence still has [MASK]"
expect_error 2 "needs a sentence with \[MASK\]" "" ssl-info "$WORK/m.h5" --predict "no mask here"
ok ssl-pretrain "$WORK/img.h5" --method simclr --epochs 1 --batch 32 -o "$WORK/im.h5"
expect_error 2 "im.h5 is not a masked language model \(method simclr\)" "" ssl-info "$WORK/im.h5" --predict "a [MASK]"

# Full fine-tuning: from the pretrained encoder, and the same model from scratch.
ok ssl-finetune "$WORK/tr.h5" --mode full --model "$WORK/m.h5" --eval "$WORK/te.h5" --epochs 3 --batch 8 \
   -o "$WORK/ft.h5" --metrics "$WORK/ft.json"
check_eq "fine-tuned from the model" \
  "$(python3 -c "import json; d = json.load(open('$WORK/ft.json')); print(d['mode'], d['selected']['init'].endswith('m.h5'))")" "full True"
check_eq "fine-tuned text model" "$(h5get "$WORK/ft.h5" '__import__("json").loads(f["config"][0])["method"]')" "text-supervised"
check_eq "its encoder started from the pretrained one" \
  "$(h5get "$WORK/ft.h5" 'bool(np.abs(f["params/text_encoder.tokens.table"][:] - h5py.File("'"$WORK/m.h5"'")["params/text_encoder.tokens.table"][:]).max() < 0.1)')" "True"
ok ssl-embed "$WORK/ft.h5" "$WORK/te.h5" -o "$WORK/fte.h5"
ssl-finetune "$WORK/tr.h5" --mode full --arch bert-tiny --eval "$WORK/te.h5" --time-budget 3 --batch 8 >"$WORK/s.out" \
  || fail "text from scratch on a time budget"
grep -q "^accuracy .* (full, fine-tuned encoder)" "$WORK/s.out" || fail "from-scratch accuracy line"
expect_error 2 "img.h5 is an image file; .*m.h5 is a text model \(mlm\)" "" \
  ssl-finetune "$WORK/img.h5" --mode full --model "$WORK/m.h5" --eval "$WORK/img.h5" --epochs 1
expect_error 2 "tr.h5 is a text file; .*im.h5 is an image model \(simclr\)" "" \
  ssl-finetune "$WORK/tr.h5" --mode full --model "$WORK/im.h5" --eval "$WORK/te.h5" --epochs 1
expect_error 2 "--arch resnet18 is an image encoder; .*tr.h5 is a text file" "" \
  ssl-finetune "$WORK/tr.h5" --mode full --arch resnet18 --eval "$WORK/te.h5" --epochs 1
expect_error 2 "--arch bert-mini is a text encoder; .*img.h5 holds images" "" \
  ssl-finetune "$WORK/img.h5" --mode full --arch bert-mini --eval "$WORK/img.h5" --epochs 1
finish
