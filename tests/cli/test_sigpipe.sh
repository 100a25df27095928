#!/usr/bin/env bash
# A reader that goes away (issue 29): each tool writing to a pipe whose
# reader stops after a few bytes ends at once, quietly or with one line on
# stderr, never a core or a stack of messages, and leaves no file behind.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
ok ssl-import idx "$IDX" -o "$WORK/tr.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
mkdir "$WORK/runs"
cd "$WORK" || exit 1
# piped NAME BYTES CMD...: CMD's stdout into head -c BYTES.
piped() {
  local name=$1 bytes=$2; shift 2
  local before; before=$(ls -A "$WORK" | sort)
  ("$@" 2> "$WORK/sp.err"; echo $? > "$WORK/sp.rc") | head -c "$bytes" > /dev/null
  local rc; rc=$(cat "$WORK/sp.rc")
  local lines; lines=$(wc -l < "$WORK/sp.err")
  [ "$lines" -le 1 ] || { fail "$name | head -c $bytes: $lines lines on stderr"; head -5 "$WORK/sp.err" >&2; }
  # 141 is death by SIGPIPE (128 + 13), what a well-behaved filter gives.
  case $rc in 0|1|141) ;; *) fail "$name | head -c $bytes: exit $rc ($(head -1 "$WORK/sp.err"))" ;; esac
  [ "$(ls -A "$WORK" | grep -v '^sp\.' | sort)" = "$(echo "$before" | grep -v '^sp\.')" ] ||
    fail "$name | head -c $bytes: left files behind: $(ls -A "$WORK")"
  echo "$name | head -c $bytes: exit $rc, $lines line(s) on stderr"
}
piped import 100 ssl-import idx "$IDX" -o -
piped embed 100 ssl-embed m.h5 tr.h5 -o - --threads 1
piped embed-csv 10 ssl-embed m.h5 tr.h5 --format csv -o - --threads 1
piped embed-npy 100 ssl-embed m.h5 tr.h5 --format npy -o - --threads 1
piped augment 100 ssl-augment tr.h5 --recipe simclr -o - --threads 1
piped cat 100 ssl-cat tr.h5 tr.h5 -o -
piped info 10 ssl-info tr.h5
# The model goes to runs/ (not compared): the run may end by SIGPIPE with no
# model, or finish without its log's reader.
piped pretrain-log 10 ssl-pretrain tr.h5 --method simclr --batch 16 --max-steps 3 --threads 1 --log-json - -o runs/p.h5
finish
