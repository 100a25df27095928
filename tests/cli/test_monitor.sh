#!/usr/bin/env bash
# ssl-pretrain --monitor: kNN accuracy of the frozen encoder on labelled
# rows every --monitor-every steps and at the end, in the JSON log and the
# model file, for images, text (an unlabelled corpus with --monitor-bank's
# neighbours) and audio; refused, with one line, for unlabelled or
# mismatched monitor files.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --epochs 6 --batch 30 --monitor "$WORK/te.h5" --monitor-every 4 -o "$WORK/m.h5" \
   --log-json "$WORK/log.jsonl"
# Scores after every 4th step and after the last (once when it is a 4th).
steps=$(h5get "$WORK/m.h5" 'len(f["train/loss"])')
want=$(/usr/bin/python3 -c "n=$steps; print(sorted({s for s in range(3, n, 4)} | {n - 1}))")
check_eq "monitor steps" "$(h5get "$WORK/m.h5" '[int(s) for s in f["train/monitor_step"][:]]')" "$want"
n_scores=$(/usr/bin/python3 -c "print(len($want))")
check_eq "accuracies are fractions" \
  "$(h5get "$WORK/m.h5" 'bool(all(0 <= a <= 1 for a in f["train/monitor_knn"][:]) and len(f["train/monitor_seconds"]) == '"$n_scores"')')" "True"
check_eq "monitor lines in the log" "$(grep -c '"monitor_knn"' "$WORK/log.jsonl")" "$n_scores"
# The same accuracy as ssl-finetune's kNN (k=200, T=0.1) on the final encoder.
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode knn --metrics "$WORK/knn.json"
check_eq "agrees with ssl-finetune --mode knn" \
  "$(h5get "$WORK/m.h5" 'round(float(f["train/monitor_knn"][-1]), 4) == round(__import__("json").load(open("'"$WORK/knn.json"'"))["accuracy"], 4)')" "True"
# And solo-learn's convention (k=20, T=0.07), logged beside it.
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode knn --k 20 --knn-temperature 0.07 \
   --metrics "$WORK/knn20.json"
check_eq "k=20 agrees with ssl-finetune --k 20 --knn-temperature 0.07" \
  "$(h5get "$WORK/m.h5" 'round(float(f["train/monitor_knn20"][-1]), 4) == round(__import__("json").load(open("'"$WORK/knn20.json"'"))["accuracy"], 4)')" "True"
check_eq "k=20 lines in the log" "$(grep -c '"monitor_knn20"' "$WORK/log.jsonl")" "$n_scores"
# The model's preview is its curves: loss per step beside kNN against seconds.
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4, $7*256+$8}'; }
ok ssl-info "$WORK/m.h5" --preview "$WORK/curves.png"
check_eq "two panels" "$(png_size "$WORK/curves.png")" "1120 300"
ok ssl-pretrain "$WORK/tr.h5" --epochs 1 --batch 30 -o "$WORK/plain.h5"
ok ssl-info "$WORK/plain.h5" --preview "$WORK/loss.png"
check_eq "the loss alone without a monitor" "$(png_size "$WORK/loss.png")" "560 300"

# Text: a corpus without labels trains; the labelled task (the corpus's
# tokenizer) gives neighbours (--monitor-bank) and queries (--monitor). The
# last score is ssl-finetune's kNN of the final encoder on the same files.
T=$DATA/text
ok ssl-import text --unlabelled "$T/proverbs" "$T/weather" --vocab-size 300 --max-len 32 --threads 1 -o "$WORK/c.h5"
ok ssl-import text "$T/proverbs" "$T/weather" --tokenizer "$WORK/c.h5" --max-len 32 --split 0.25 \
  --split-output "$WORK/lab-te.h5" -o "$WORK/lab-tr.h5"
for method in skipgram mlm; do
  arch=bert-tiny
  [ $method = skipgram ] && arch=bert-tiny:depth=0,position=none
  ok ssl-pretrain "$WORK/c.h5" --method $method --arch $arch --max-steps 6 --batch 8 --monitor "$WORK/lab-te.h5" \
     --monitor-bank "$WORK/lab-tr.h5" --monitor-every 3 -o "$WORK/t-$method.h5" --log-json "$WORK/t-$method.jsonl"
  check_eq "text $method: scores after steps 3 and 6" \
    "$(h5get "$WORK/t-$method.h5" '[int(s) for s in f["train/monitor_step"][:]]')" "[2, 5]"
  ok ssl-finetune "$WORK/lab-tr.h5" --model "$WORK/t-$method.h5" --eval "$WORK/lab-te.h5" --mode knn --metrics "$WORK/tk.json"
  check_eq "text $method: agrees with ssl-finetune --mode knn" \
    "$(h5get "$WORK/t-$method.h5" 'round(float(f["train/monitor_knn"][-1]), 4) == round(__import__("json").load(open("'"$WORK/tk.json"'"))["accuracy"], 4)')" "True"
done
expect_error 2 "c.h5 has no labels; .*--monitor-bank FILE" "$WORK/x.h5" \
  ssl-pretrain "$WORK/c.h5" --method skipgram --max-steps 2 --batch 8 --monitor "$WORK/lab-te.h5" -o "$WORK/x.h5"
ok ssl-import text "$T/proverbs" "$T/weather" --vocab-size 200 --max-len 32 --threads 1 -o "$WORK/other-tok.h5"
expect_error 2 "--monitor: .*other-tok.h5" "$WORK/x.h5" \
  ssl-pretrain "$WORK/c.h5" --method skipgram --max-steps 2 --batch 8 --monitor "$WORK/other-tok.h5" \
  --monitor-bank "$WORK/lab-tr.h5" -o "$WORK/x.h5"
expect_error 2 "--monitor-bank goes with --monitor" "$WORK/x.h5" \
  ssl-pretrain "$WORK/c.h5" --method skipgram --max-steps 2 --batch 8 --monitor-bank "$WORK/lab-tr.h5" -o "$WORK/x.h5"

# Audio: the training clips' labels are the neighbours.
ok ssl-import audio "$DATA/audio" --seconds 0.5 --split 0.3 --split-output "$WORK/a-te.h5" -o "$WORK/a.h5"
ok ssl-pretrain "$WORK/a.h5" --arch w2v-tiny --batch 3 --max-steps 2 --monitor "$WORK/a-te.h5" -o "$WORK/am.h5"
check_eq "audio: one score at the end" "$(h5get "$WORK/am.h5" 'len(f["train/monitor_knn"])')" "1"

# Bad pairings.
expect_error 2 "--monitor: .*te.h5 is an image file; .*a.h5 is an audio file" "$WORK/x.h5" \
  ssl-pretrain "$WORK/a.h5" --arch w2v-tiny --batch 3 --monitor "$WORK/te.h5" -o "$WORK/x.h5"
ok ssl-import images "$DATA/images/color" --size 28 --gray -o "$WORK/flat.h5"
expect_error 2 "flat.h5 has no labels; --monitor scores kNN accuracy with labelled rows" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --epochs 1 --batch 30 --monitor "$WORK/flat.h5" -o "$WORK/x.h5"
ok ssl-import images "$DATA/images/color" --size 32 -o "$WORK/rgb.h5"
expect_error 2 "--monitor .*rgb.h5 holds images of another shape" "$WORK/x.h5" \
  ssl-pretrain "$WORK/tr.h5" --epochs 1 --batch 30 --monitor "$WORK/rgb.h5" -o "$WORK/x.h5"
finish
