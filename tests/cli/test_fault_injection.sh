#!/usr/bin/env bash
# Fault injection (issue 29): every write, pwrite, fsync, ftruncate, rename,
# fwrite and fflush a tool makes on a regular file fails in turn, as a full
# disk would (tests/fault/fault_inject.c, LD_PRELOAD). At each point the
# tool either succeeds whole or fails with one line on stderr, exit 1, no
# output and no temp file left, and its inputs untouched.
# FAULT_POINTS (8 here; bench/fault_injection.sh runs 100) points per tool,
# spread evenly over its calls, first and last included.
. "$TESTS/cli/lib.sh"
SHIM="$BIN/libsslkit_fault_inject.so"
[ -f "$SHIM" ] || { echo "SKIP: $SHIM not built"; exit 0; }
POINTS=${FAULT_POINTS:-8}
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
sums() { sha256sum "$WORK/tr.h5" "$WORK/te.h5" "$WORK/m.h5" | cut -d' ' -f1 | tr '\n' ' '; }
before=$(sums)
TOTAL_RUNS=0

# inject NAME OUTPUT CHECK CMD...: OUTPUT is the file (or folder) the command
# makes; CHECK a command that must accept OUTPUT when the run says it succeeded.
inject() {
  local name=$1 out=$2 check=$3; shift 3
  rm -rf "$out"
  SSLKIT_FAULT_COUNT="$WORK/count" LD_PRELOAD="$SHIM" "$@" > /dev/null 2> "$WORK/fi.err" ||
    { fail "$name without a fault: $(head -2 "$WORK/fi.err")"; return; }
  local calls; calls=$(cat "$WORK/count")
  [ "$calls" -gt 0 ] || { fail "$name: no output call counted"; return; }
  local n=$((POINTS < calls ? POINTS : calls)) failed=0 passed=0 i k
  for ((i = 0; i < n; i++)); do
    k=$((n == 1 ? 1 : 1 + i * (calls - 1) / (n - 1)))
    rm -rf "$out"
    SSLKIT_FAULT_AT=$k LD_PRELOAD="$SHIM" "$@" > /dev/null 2> "$WORK/fi.err"
    local rc=$?
    TOTAL_RUNS=$((TOTAL_RUNS + 1))
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1))
      $check "$out" > /dev/null 2>&1 || fail "$name, call $k of $calls failed: exit 0 but $out does not pass $check"
      continue
    fi
    failed=$((failed + 1))
    [ "$rc" -eq 1 ] || fail "$name, call $k of $calls failed: exit $rc, want 1 ($(head -1 "$WORK/fi.err"))"
    local lines; lines=$(wc -l < "$WORK/fi.err")
    [ "$lines" -eq 1 ] || { fail "$name, call $k of $calls failed: $lines lines on stderr"; head -5 "$WORK/fi.err" >&2; }
    [ -e "$out" ] && fail "$name, call $k of $calls failed: $out left behind"
    ls -a "$(dirname "$out")" | grep -q "^\.$(basename "$out")\.tmp-" && fail "$name, call $k of $calls failed: temp file left"
    [ "$(sums)" = "$before" ] || fail "$name, call $k of $calls failed: an input changed"
  done
  echo "$name: $calls output calls; $n failed in turn: $failed runs refused in one line, $passed completed whole"
}

h5ok() { ssl-info "$1"; }
jsonok() { /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$1"; }
npyok() { /usr/bin/python3 -c "import numpy,sys; numpy.load(sys.argv[1])" "$1"; }
dirok() { [ -n "$(ls -A "$1")" ] && ! ls -a "$1" | grep -q "\.tmp-"; }
inject import "$WORK/o.h5" h5ok ssl-import idx "$IDX" "$LBL" -o "$WORK/o.h5"
inject augment "$WORK/o.h5" h5ok ssl-augment "$WORK/te.h5" --recipe simclr -o "$WORK/o.h5" --threads 1
inject pretrain "$WORK/o.h5" h5ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 2 --threads 1 -o "$WORK/o.h5"
inject embed "$WORK/o.h5" h5ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" -o "$WORK/o.h5" --threads 1
inject embed-npy "$WORK/o.npy" npyok ssl-embed "$WORK/m.h5" "$WORK/te.h5" --format npy -o "$WORK/o.npy" --threads 1
inject finetune "$WORK/o.json" jsonok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode knn --k 3 --metrics "$WORK/o.json"
inject cat "$WORK/o.h5" h5ok ssl-cat "$WORK/tr.h5" -o "$WORK/o.h5"
inject export-onnx "$WORK/o-dir" dirok ssl-export "$WORK/m.h5" -o "$WORK/o-dir" --to onnx
inject export-torchvision "$WORK/o-dir" dirok ssl-export "$WORK/m.h5" -o "$WORK/o-dir" --to torchvision
echo "$TOTAL_RUNS runs with a failing call"
finish
