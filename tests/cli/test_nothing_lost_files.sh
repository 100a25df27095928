#!/usr/bin/env bash
# Nothing lost, round 2 (issue 23): every file a run reads is an input to the
# one output check (F1, W14), two outputs never share stdout (F2).
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
sum() { sha256sum "$1" | cut -d' ' -f1; }
train() { ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 "$@"; }

# ---- F1. --monitor and --resume are inputs: no output may replace or append to them.
cp "$WORK/te.h5" "$WORK/val.h5"
vbefore=$(sum "$WORK/val.h5")
mbefore=$(sum "$WORK/m.h5")
expect_error 2 "val.h5: output would overwrite input: -o names the --monitor file" "" train --monitor "$WORK/val.h5" -o "$WORK/val.h5"
expect_error 2 "val.h5: output would overwrite input: --log-json names the --monitor file" "$WORK/x.h5" \
  train --monitor "$WORK/val.h5" --log-json "$WORK/val.h5" -o "$WORK/x.h5"
expect_error 2 "m.h5: output would overwrite input: --log-json names the --resume file" "$WORK/x.h5" \
  train --resume "$WORK/m.h5" --log-json "$WORK/m.h5" -o "$WORK/x.h5"
check_eq "validation set untouched" "$(sum "$WORK/val.h5")" "$vbefore"
check_eq "resumed model untouched" "$(sum "$WORK/m.h5")" "$mbefore"
# --resume m.h5 -o m.h5 continues the run in place, as documented.
ok train --resume "$WORK/m.h5" -o "$WORK/m.h5"
check_eq "resumed in place" "$(ssl-info "$WORK/m.h5" | awk '/^  steps/ {print $2}')" "2"

# ---- W14. An input that does not exist yet, named as an output, is the same mistake.
expect_error 2 "new.h5: output would overwrite input: -o names the --monitor file" "$WORK/new.h5" \
  train --monitor "$WORK/new.h5" -o "$WORK/new.h5"
expect_error 2 "output would overwrite input: -o names the --monitor file" "" \
  train --monitor "$WORK/./sub/../new.h5" -o "$WORK/new.h5"

# ---- F2. Two outputs to stdout: a usage error, nothing written.
ssl-import idx "$IDX" --split 0.5 --split-output - -o - >"$WORK/both.h5" 2>"$WORK/err"
check_eq "--split-output - -o -: exit" "$?" "2"
grep -q "both write to stdout" "$WORK/err" || fail "--split-output - -o -: $(cat "$WORK/err")"
check_eq "--split-output - -o -: nothing on stdout" "$(stat -c %s "$WORK/both.h5")" "0"
ssl-import idx "$IDX" --split 0.5 --split-output /dev/stdout -o - >"$WORK/both.h5" 2>"$WORK/err"
check_eq "--split-output /dev/stdout -o -: exit" "$?" "2"
finish
