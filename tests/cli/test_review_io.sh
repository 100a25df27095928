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

# ---- Item 9. A fresh run replaces its --log-json; --resume appends to it.
ok train --max-steps 3 -o "$WORK/r1.h5" --log-json "$WORK/run.jsonl"
ok train --max-steps 2 -o "$WORK/r2.h5" --log-json "$WORK/run.jsonl"
check_eq "a fresh run's log: its own lines only" "$(whole_lines "$WORK/run.jsonl")" "2"
check_eq "run ids in a fresh run's log" "$(run_ids "$WORK/run.jsonl")" "1"
grep -q "\"run_id\":\"$(model_run_id "$WORK/r2.h5")\"" "$WORK/run.jsonl" || fail "the log is not r2.h5's run"
ok ssl-info "$WORK/run.jsonl"
check_eq "runs listed by ssl-info" "$(grep -c '^log: ' "$WORK/ok.out")" "1"
ok train --resume "$WORK/r2.h5" --max-steps 2 -o "$WORK/r2.h5" --log-json "$WORK/run.jsonl"
check_eq "a resumed run appends" "$(whole_lines "$WORK/run.jsonl")" "4"
check_eq "steps of the resumed log" "$(grep -o '"step":[0-9]*' "$WORK/run.jsonl" | cut -d: -f2 | tr '\n' ' ')" "0 1 2 3 "
check_eq "one run after a resume" "$(run_ids "$WORK/run.jsonl")" "1"
# Replaced whole, by rename: a run that fails before its first line leaves the old log as it was.
before=$(sum "$WORK/run.jsonl")
bad 2 "--recon" "$WORK/x.h5" train --max-steps 2 --recon "$WORK/r.png" --log-json "$WORK/run.jsonl" -o "$WORK/x.h5"
check_eq "log kept by a run that never stepped" "$(sum "$WORK/run.jsonl")" "$before"
[ -z "$(ls -A "$WORK" | grep '\.tmp-' || true)" ] || fail "temp file left: $(ls -A "$WORK")"
# A symlinked log: its target is replaced, the link stays.
ln -s run.jsonl "$WORK/link.jsonl"
ok train --max-steps 1 -o "$WORK/x.h5" --log-json "$WORK/link.jsonl"
[ -L "$WORK/link.jsonl" ] || fail "--log-json through a symlink replaced the link"
check_eq "log through a symlink" "$(whole_lines "$WORK/run.jsonl")" "1"
# '-' is stdout, as for every other output.
rm -f "$WORK/-"
( cd "$WORK" && ssl-pretrain tr.h5 --batch 16 --threads 1 --max-steps 2 -o x.h5 --log-json - >stdout.jsonl 2>err ) ||
  fail "--log-json -: $(cat "$WORK/err")"
[ -e "$WORK/-" ] && fail "--log-json - wrote a file named '-'"
check_eq "--log-json - on stdout" "$(whole_lines "$WORK/stdout.jsonl")" "2"

# ---- Item 8. Writes that fail: an error naming the file, never a short file.
# A file size limit (ulimit -f, SIGXFSZ ignored so the write returns EFBIG)
# cuts a write in the middle: no root needed.
limited() {  # KB CMD...: CMD under a file size limit of KB kilobytes
  local kb=$1; shift
  ( trap '' XFSZ; ulimit -f "$kb"; "$@" )
}
toolarge="File too large"
# The log: whole lines up to the limit, then an error naming it.
bad 1 "^ssl-pretrain: error: .*cut.jsonl: write failed: $toolarge" "$WORK/x.h5" \
  limited 1 ssl-pretrain "$WORK/tr.h5" --batch 16 --threads 1 --max-steps 20 -o "$WORK/x.h5" --log-json "$WORK/cut.jsonl"
n=$(whole_lines "$WORK/cut.jsonl")
[[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "log cut by a size limit: $n"
cp "$WORK/cut.jsonl" "$WORK/cut0.jsonl"
ok train --max-steps 1 -o "$WORK/c.h5"
bad 1 "cut.jsonl: write failed: $toolarge" "" \
  limited 1 ssl-pretrain "$WORK/tr.h5" --resume "$WORK/c.h5" --threads 1 --max-steps 20 -o "$WORK/c2.h5" --log-json "$WORK/cut.jsonl"
[ -e "$WORK/c2.h5" ] && fail "model written by a run whose log failed"
n=$(whole_lines "$WORK/cut.jsonl")
[[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "appended log cut by a size limit: $n"
# ssl-embed's npy and csv: cut in the first write, or in the last one (the
# short .npy that used to be committed, exit 0).
ok ssl-embed "$WORK/m.h5" "$WORK/g.h5" --threads 1 --format npy -o "$WORK/full.npy"
ok ssl-embed "$WORK/m.h5" "$WORK/g.h5" --threads 1 --format csv -o "$WORK/full.csv"
npy_kb=$(( $(stat -c %s "$WORK/full.npy") / 1024 ))
for fmt in npy csv; do
  for kb in 2 $((npy_kb - 4)); do
    bad 1 "^ssl-embed: error: .*x\.$fmt: write failed: $toolarge" "$WORK/x.$fmt" \
      limited $kb ssl-embed "$WORK/m.h5" "$WORK/g.h5" --threads 1 --format $fmt -o "$WORK/x.$fmt"
  done
done

# A full disk (a tiny tmpfs, as test_nothing_lost.sh).
FULL="$WORK/full-disk"
mkdir -p "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=200k tmpfs "$FULL" 2>/dev/null; then
  trap 'umount "$FULL" 2>/dev/null; rm -rf "$WORK"' EXIT
  nospace="No space left on device"
  cp "$WORK/cut0.jsonl" "$FULL/old.jsonl"
  oldsum=$(sum "$FULL/old.jsonl")
  # 40 KB free: less than the embeddings, more than a few log lines.
  dd if=/dev/zero of="$FULL/fill" bs=1k count=156 2>/dev/null
  for fmt in npy csv; do
    bad 1 "^ssl-embed: error: .*o\.$fmt: write failed: $nospace" "$FULL/o.$fmt" \
      ssl-embed "$WORK/m.h5" "$WORK/g.h5" --threads 1 --format $fmt -o "$FULL/o.$fmt"
  done
  # Nothing free at all: the first line of a log fails.
  dd if=/dev/zero of="$FULL/fill2" bs=1k 2>/dev/null
  bad 1 "^ssl-pretrain: error: .*new.jsonl: write failed: $nospace" "$WORK/x.h5" \
    train --max-steps 2 -o "$WORK/x.h5" --log-json "$FULL/new.jsonl"
  [ -e "$FULL/new.jsonl" ] && fail "a log left on a full disk"
  # Appending: the lines that fit in the file's last page go in, then the
  # error; whole lines only, the old ones untouched.
  bad 1 "^ssl-pretrain: error: .*old.jsonl: write failed: $nospace" "$WORK/c3.h5" \
    ssl-pretrain "$WORK/tr.h5" --resume "$WORK/c.h5" --threads 1 --max-steps 30 -o "$WORK/c3.h5" --log-json "$FULL/old.jsonl"
  n=$(whole_lines "$FULL/old.jsonl")
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "log appended to on a full disk: $n"
  check_eq "old lines kept on a full disk" "$(head -c "$(stat -c %s "$WORK/cut0.jsonl")" "$FULL/old.jsonl" | sha256sum | cut -d' ' -f1)" "$oldsum"
  oldsum=$(sum "$FULL/old.jsonl")
  bad 1 "^ssl-pretrain: error: .*old.jsonl: write failed: $nospace" "$WORK/x.h5" \
    train --max-steps 2 -o "$WORK/x.h5" --log-json "$FULL/old.jsonl"
  check_eq "log replaced on a full disk" "$(sum "$FULL/old.jsonl")" "$oldsum"
  left=$(ls -A "$FULL" | grep -v '^fill2\?$' | grep -v '^old.jsonl$' || true)
  [ -z "$left" ] || fail "files left behind on a full disk: $left"
  umount "$FULL"
  trap 'rm -rf "$WORK"' EXIT
else
  echo "skipped: full-disk cases (need root to mount a small tmpfs)"
fi

finish
