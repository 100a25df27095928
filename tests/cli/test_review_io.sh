#!/usr/bin/env bash
# Review of 2026-12-05 (issue 24), items 3, 8 and 9: a write that fails is an
# error naming the file and never leaves a short file; a fresh run replaces
# its --log-json and a resumed one appends to it; --epochs and --time-budget
# exclude each other in ssl-pretrain and ssl-finetune. Each block failed
# before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" -o "$WORK/g.h5"
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
sum() { sha256sum "$1" | cut -d' ' -f1; }
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }
train() { ssl-pretrain "$WORK/tr.h5" --batch 16 --threads 1 "$@"; }
# whole_lines LOG: every line of LOG is a JSON object and the file ends with a newline.
whole_lines() {
  /usr/bin/python3 -c "
import json, sys
b = open(sys.argv[1], 'rb').read()
assert not b or b.endswith(b'\n'), 'cut last line'
for l in b.decode().splitlines(): json.loads(l)
print(len(b.decode().splitlines()))" "$1" 2>&1
}
run_ids() { grep -o '"run_id":"[0-9a-f]*"' "$1" | sort -u | wc -l; }
model_run_id() { h5get "$1" '__import__("json").loads(f["config"][0])["run_id"]'; }

# ---- Item 3. --epochs and --time-budget each say when training ends: both is a usage error.
both="--epochs and --time-budget both say when training ends"
bad 2 "^ssl-pretrain: error: $both" "$WORK/x.h5" train --epochs 2 --time-budget 5 --max-steps 1 -o "$WORK/x.h5"
bad 2 "^ssl-finetune: error: $both" "$WORK/x.h5" ssl-finetune "$WORK/tr.h5" --eval "$WORK/te.h5" --mode full \
  --arch convnet-s --batch 16 --epochs 1 --time-budget 2 --threads 1 -o "$WORK/x.h5"
# One of them, or --epochs 0 ("until the budget"), still runs.
ok train --epochs 0 --time-budget 30 --max-steps 1 -o "$WORK/x.h5"
# A resumed run ends the way its training was planned.
ok train --epochs 2 --max-steps 1 -o "$WORK/ep.h5"
ok train --time-budget 60 --max-steps 1 -o "$WORK/tb.h5"
ok train --max-steps 1 -o "$WORK/default.h5"
bad 2 "^ssl-pretrain: error: --time-budget: .*ep.h5 trains for 2 epochs" "$WORK/x.h5" \
  train --resume "$WORK/ep.h5" --time-budget 30 --max-steps 1 -o "$WORK/x.h5"
bad 2 "^ssl-pretrain: error: --time-budget: .*default.h5 trains for 10 epochs" "$WORK/x.h5" \
  train --resume "$WORK/default.h5" --time-budget 30 --max-steps 1 -o "$WORK/x.h5"
bad 2 "^ssl-pretrain: error: --epochs: .*tb.h5 trains for a time budget of 60 s" "$WORK/x.h5" \
  train --resume "$WORK/tb.h5" --epochs 3 --max-steps 1 -o "$WORK/x.h5"
bad 2 "--epochs 5 is fewer than the checkpoint's 10" "$WORK/x.h5" \
  train --resume "$WORK/default.h5" --epochs 5 --max-steps 1 -o "$WORK/x.h5"
ok train --resume "$WORK/ep.h5" --epochs 3 --max-steps 1 -o "$WORK/x.h5"
ok train --resume "$WORK/tb.h5" --time-budget 90 --max-steps 1 -o "$WORK/x.h5"


finish
