#!/usr/bin/env bash
# ssl-info --preview on ssl-pretrain --log-json logs: the same curves as the
# model file's, several runs in one plot with reference accuracies, the
# monitor's k=20 scores when logged, and bad logs refused with one line.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --epochs 4 --batch 30 --monitor "$WORK/te.h5" --monitor-every 4 -o "$WORK/m.h5" \
   --log-json "$WORK/a.jsonl"
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4, $7*256+$8}'; }

# One log draws exactly what its model file draws, and says what it holds.
ok ssl-info "$WORK/m.h5" --preview "$WORK/model.png"
ok ssl-info "$WORK/a.jsonl" --preview "$WORK/log.png"
grep -q "steps 1-" "$WORK/ok.out" || fail "log summary"
scores=$(grep -c '"monitor_knn"' "$WORK/a.jsonl")
grep -q "monitor kNN (k=200, T=0.1): $scores scores" "$WORK/ok.out" || fail "monitor summary"
cmp -s "$WORK/model.png" "$WORK/log.png" || fail "the log's curves differ from the model file's"
# A resumed run repeats steps (the last line counts) and a run still writing leaves a cut line.
{ cat "$WORK/a.jsonl" "$WORK/a.jsonl"; printf '{"step": 99, "lo'; } > "$WORK/again.jsonl"
ok ssl-info "$WORK/again.jsonl" --preview "$WORK/again.png"
cmp -s "$WORK/log.png" "$WORK/again.png" || fail "repeated steps or a cut last line changed the curves"

# Several runs, one colour each, with labelled references; the k=20 score dashed.
ok ssl-pretrain "$WORK/tr.h5" --epochs 2 --batch 30 --log-json "$WORK/b.jsonl" -o "$WORK/b.h5"
/usr/bin/python3 - "$WORK/a.jsonl" "$WORK/c.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        j = json.loads(line)
        if "monitor_knn" in j:
            j["monitor_knn20"] = j["monitor_knn"] / 2
        out.write(json.dumps(j) + "\n")
PY
ok ssl-info "$WORK/a.jsonl" "$WORK/b.jsonl" "$WORK/c.jsonl" "$WORK/m.h5" --preview "$WORK/all.png" \
   --reference "kNN raw pixels=0.55" --reference "linear raw pixels=0.6"
check_eq "two panels" "$(png_size "$WORK/all.png")" "1120 300"
grep -q "monitor kNN (k=20, T=0.07): $scores scores" "$WORK/ok.out" || fail "k=20 summary"
ok ssl-info "$WORK/c.jsonl" --preview "$WORK/c.png"
cmp -s "$WORK/c.png" "$WORK/log.png" && fail "monitor_knn20 not drawn"
ok ssl-info "$WORK/b.jsonl" --preview "$WORK/b.png"
check_eq "the loss alone without a monitor" "$(png_size "$WORK/b.png")" "560 300"
ok ssl-info "$WORK/b.jsonl" --preview "$WORK/b.png" --reference "x=0.5"
grep -q "warning: no run has --monitor" "$WORK/ok.err" || fail "references with nothing to draw them on"

# Bad input: one line, exit 1 (files) or 2 (usage), no picture.
printf 'step 1 loss 2\n{"step": 2, "loss": 1}\n' > "$WORK/text.jsonl"
grep '"monitor_knn"' "$WORK/a.jsonl" > "$WORK/monitor-only.jsonl"
expect_error 1 "nope.jsonl: No such file or directory" "$WORK/x.png" ssl-info "$WORK/nope.jsonl" --preview "$WORK/x.png"
expect_error 1 "text.jsonl: line 1 is not a JSON object" "$WORK/x.png" ssl-info "$WORK/text.jsonl" --preview "$WORK/x.png"
expect_error 1 "monitor-only.jsonl: no training steps" "$WORK/x.png" \
  ssl-info "$WORK/monitor-only.jsonl" --preview "$WORK/x.png"
expect_error 1 "nope.h5: No such file" "$WORK/x.png" ssl-info "$WORK/a.jsonl" "$WORK/nope.h5" --preview "$WORK/x.png"
expect_error 1 "tr.h5: not an sslkit model file" "$WORK/x.png" ssl-info "$WORK/a.jsonl" "$WORK/tr.h5" --preview "$WORK/x.png"
expect_error 2 "several files are drawn together" "" ssl-info "$WORK/a.jsonl" "$WORK/b.jsonl"
expect_error 2 "--reference wants LABEL=ACCURACY" "$WORK/x.png" \
  ssl-info "$WORK/a.jsonl" --preview "$WORK/x.png" --reference "raw pixels=78.9"
expect_error 2 "--reference draws on training curves" "$WORK/x.png" \
  ssl-info "$WORK/tr.h5" --preview "$WORK/x.png" --reference "raw=0.5"
expect_error 2 "--json describes one data or model file" "" ssl-info "$WORK/a.jsonl" --json
finish
