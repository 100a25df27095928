#!/usr/bin/env bash
# Re-runs the 77 FAIL and WEAK cases of the hostile-user probe
# (notes/probe-2026-12-05.md: F1-F9, 29 cases; W1-W21, 48 cases) against one
# build and classifies each one mechanically, with the report's rules:
#   PASS = one clear stderr line (naming the file where a file is at fault),
#          exit 1 or 2, nothing changed or left; or, where the right answer is
#          success, exit 0 with the right output (stated per case below).
#   FAIL = internal error, timeout/hang, killed by a signal, an input changed
#          or deleted, a file left behind, or exit 0 where the case must be
#          refused ("silent wrong result"; per case: ON0=FAIL).
#   WEAK = anything else: more than one line, a line that does not name the
#          file or the option at fault, the wrong exit code, a refusal where
#          success is right, or exit 0 where the report calls that weak
#          (an option ignored, no warning; per case: ON0=WEAK).
# Usage: bench/probe-rerun/rerun.sh BIN_DIR   (a build folder with ssl-*)
# Every command runs with --threads 1 where it takes it, `timeout 150`, and
# `ulimit -v` 6 GiB. Data: data/idx/fashion-120-* (not t10k) and the fortune
# files. Lines: ID VERDICT exit=N first-stderr-line   # details
set -u
[ $# -eq 1 ] && [ -x "$1/ssl-import" ] || { echo "usage: $0 BIN_DIR (a folder with ssl-import ...)" >&2; exit 2; }
BIN=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
IDX=$(cd "$HERE/../../data/idx" && pwd)
FORT=/usr/share/games/fortunes
PY=/usr/bin/python3
export PATH="$BIN:$PATH"
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-rerun.XXXXXX")
W=$ROOT/work; T=$ROOT/tmp; mkdir -p "$W" "$T"
HOLDER=
cleanup() { [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null; rm -rf "$ROOT"; }
trap cleanup EXIT
export TMPDIR=$T
MEMKB=6291456   # ulimit -v: 6 GiB
cd "$W"

# ---------------------------------------------------------------- setup
# The report's "Setup for the reproductions", on fashion-120 (--limit 120 gives
# tr.h5 95 and te.h5 25 images) and the three fortune files; then the files
# the cases need. A setup step that fails is reported but does not stop the run.
say() { echo "# $*"; }
setup() { "$@" >/dev/null 2>"$ROOT/setup.err" || say "setup step failed (exit $?): $* :: $(head -1 "$ROOT/setup.err")"; }
setup ssl-import idx "$IDX/fashion-120-images-idx3-ubyte.gz" "$IDX/fashion-120-labels-idx1-ubyte.gz" --limit 120 --split 0.2 -o tr.h5 --split-output te.h5
cp "$FORT/computers" "$FORT/science" "$FORT/love" .
setup ssl-import text computers science love --vocab-size 300 --max-len 48 --limit 180 --shuffle -o text.h5 --threads 1
setup ssl-pretrain tr.h5 --method simclr --max-steps 2 --batch 32 --threads 1 -o simclr.h5
setup ssl-pretrain text.h5 --arch bert-tiny --max-steps 3 --batch 16 --threads 1 -o mlm.h5
mkdir -p clips/one clips/two
for v in en en-us en+f3; do espeak-ng -v $v -w clips/one/$v.wav one; espeak-ng -v $v -w clips/two/$v.wav two; done
setup ssl-import audio clips --seconds 1 -o a16.h5 --threads 1
setup ssl-pretrain a16.h5 --arch w2v-tiny --max-steps 2 --batch 4 --threads 1 -o w2v.h5
$PY -c "import h5py; open('spm.model','wb').write(h5py.File('text.h5','r')['tokenizer'][:].tobytes())"
# F1, W19
cp te.h5 val.h5
# F3
setup ssl-import text computers science love --vocab-size 250 --max-len 48 --limit 180 --shuffle --split 0.3 --split-output ote.h5 -o otr.h5 --threads 1
# F4
setup ssl-embed simclr.h5 tr.h5 -o e_img.h5 --threads 1
setup ssl-embed mlm.h5 text.h5 -o e_txt.h5 --threads 1
setup ssl-pretrain tr.h5 --method byol --max-steps 1 --batch 16 --threads 1 -o byol.h5
setup ssl-embed byol.h5 te.h5 -o e_byol.h5 --threads 1
cp te.h5 te_renamed.h5
$PY -c "import h5py; f = h5py.File('te_renamed.h5', 'r+'); f['labels'].attrs['class_names'] = ['z%d' % i for i in range(10)]"
# F5
setup ssl-import audio clips --seconds 1 --sample-rate 8000 -o a8.h5 --threads 1
# F6, F8, W8: WAV files written by hand
$PY - <<'PYEOF'
import os, struct, numpy as np
def wav(path, x, fmtcode=3, rate=16000, bits=32, raw=None):
    data = raw if raw is not None else x.astype("<f4").tobytes()
    ba = bits // 8
    fmt = struct.pack("<HHIIHH", fmtcode, 1, rate, (rate * ba) & 0xffffffff, ba, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    open(path, "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
for d in ("nanclips/a", "nanclips/b", "cleanclips/a", "cleanclips/b", "hugeclips/a", "hugeclips/b",
          "emptyclips/a", "emptyclips/b", "rate0/a", "rate0/b", "rate4g/a", "rate4g/b", "lowrate", "lowrate1",
          "lowmix/a", "lowmix/b"):
    os.makedirs(d, exist_ok=True)
s = 0.5 * np.sin(np.arange(8000) / 16000 * 2 * np.pi * 440)
bad = s.copy(); bad[100] = np.nan; bad[200] = np.inf
wav("nanclips/a/bad.wav", bad); wav("nanclips/a/ok.wav", s); wav("nanclips/b/ok1.wav", 0.3 * s); wav("nanclips/b/ok2.wav", 0.7 * s)
wav("cleanclips/a/bad.wav", 0.2 * s); wav("cleanclips/a/ok.wav", s); wav("cleanclips/b/ok1.wav", 0.3 * s); wav("cleanclips/b/ok2.wav", 0.7 * s)
# W8: amplitude 1e30; a 0-sample clip; header rates 0 and 4,000,000,000
wav("hugeclips/a/huge.wav", 1e30 * s); wav("hugeclips/a/ok.wav", s); wav("hugeclips/b/ok1.wav", 0.3 * s); wav("hugeclips/b/ok2.wav", 0.7 * s)
wav("emptyclips/a/empty.wav", np.zeros(0)); wav("emptyclips/a/ok.wav", s); wav("emptyclips/b/ok1.wav", 0.3 * s); wav("emptyclips/b/ok2.wav", 0.7 * s)
wav("rate0/a/rate0.wav", s, rate=0); wav("rate0/a/ok.wav", s); wav("rate0/b/ok1.wav", 0.3 * s)
wav("rate4g/a/rate4g.wav", s, rate=4000000000); wav("rate4g/a/ok.wav", s); wav("rate4g/b/ok1.wav", 0.3 * s)
# F8: 1 Hz, 16-bit mono, 3599 samples (as in the report); four, one, and a
# 50-sample one beside normal clips
for i in range(4):
    data = (np.random.RandomState(i).randn(3599) * 3000).astype("<i2").tobytes()
    wav(f"lowrate/r{i}.wav", None, fmtcode=1, rate=1, bits=16, raw=data)
    if i == 0: wav("lowrate1/r0.wav", None, fmtcode=1, rate=1, bits=16, raw=data)
wav("lowmix/a/r50.wav", None, fmtcode=1, rate=1, bits=16, raw=(np.random.RandomState(9).randn(50) * 3000).astype("<i2").tobytes())
wav("lowmix/a/ok.wav", s); wav("lowmix/b/ok1.wav", 0.3 * s); wav("lowmix/b/ok2.wav", 0.7 * s)
PYEOF
# nan.h5 for F6.2-F6.6 and W9 is made without the tool under test having to
# accept NaN (the fixed import refuses it): the clean folder imported, then
# NaN and Inf written into clip 0 at samples 100 and 200, as bad.wav has.
setup ssl-import audio cleanclips -o nan.h5 --threads 1
$PY -c "
import h5py, numpy as np
f = h5py.File('nan.h5', 'r+'); a = f['audio']; r = a[0]; r[100] = np.nan; r[200] = np.inf; a[0] = r" 2>/dev/null || say "could not write NaN into nan.h5"
# F9: a zero-row --eval file, text.h5 with every per-row dataset cut to 0 rows
$PY - <<'PYEOF' || say "could not make z0.h5"
import h5py
src = h5py.File('text.h5', 'r'); dst = h5py.File('z0.h5', 'w')
for k, v in src.attrs.items(): dst.attrs[k] = v
n = src['tokens'].shape[0]
for name, d in src.items():
    data = d[:0] if (d.shape and d.shape[0] == n and name != 'tokenizer') else d[:]
    nd = dst.create_dataset(name, data=data, maxshape=(None,) + d.shape[1:] if d.shape else None)
    for k, v in d.attrs.items(): nd.attrs[k] = v
PYEOF
# W1: one 70 KB record; the same record in a corpus of normal lines
$PY -c "open('long.txt','w').write('word ' * 14000 + '\n')"
head -450 computers > c.txt
{ head -300 computers; $PY -c "print('zebra ' * 14000)"; tail -300 science; } > mixed.txt
# W4: 100 short lines; 100 one-word lines
$PY -c "
import random; r = random.Random(0); w = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split()
open('uni.txt','w').write(''.join(' '.join(r.choice(w) for _ in range(r.randint(1, 6))) + '\n' for _ in range(100)))
open('oneword.txt','w').write(''.join(r.choice(w) + '\n' for _ in range(100)))"
# W5
setup ssl-import text love --tokenizer spm.model --max-len 64 -o t64.h5 --threads 1
setup ssl-import text computers science love --vocab-size 1000 --max-len 48 --limit 180 -o bigvocab.h5 --threads 1
# W7, W15, W20: logs
setup ssl-pretrain tr.h5 --method simclr --max-steps 2 --batch 16 --threads 1 --log-json run.jsonl -o run_m.h5
( ssl-pretrain tr.h5 --method simclr --max-steps 2 --batch 16 --threads 1 --log-json shared.jsonl -o sh1.h5 >/dev/null 2>&1 &
  ssl-pretrain tr.h5 --method simclr --max-steps 2 --batch 16 --threads 1 --log-json shared.jsonl -o sh2.h5 --seed 1 >/dev/null 2>&1 &
  wait )
# W11
setup ssl-embed w2v.h5 a16.h5 --frames -o fr.h5 --threads 1
# W17: fine-tuned models
setup ssl-finetune text.h5 --model mlm.h5 --eval text.h5 --mode full --epochs 1 --threads 1 -o ftt.h5
setup ssl-finetune tr.h5 --model simclr.h5 --eval te.h5 --mode full --epochs 1 --threads 1 -o ft.h5
# W18: mlm.h5 with 64 KiB of zeros in the middle of its largest weight
cp mlm.h5 z.h5
off=$($PY -c "
import h5py
f = h5py.File('z.h5', 'r'); best = []
def v(n, o):
    if isinstance(o, h5py.Dataset) and o.dtype.kind == 'f': best.append((o.size * o.dtype.itemsize, n))
f.visititems(v); size, name = max(best); d = f[name]
off = d.id.get_offset()
if off is None: off = d.id.get_chunk_info(0).byte_offset
print(off + max(0, size // 2 - 32768))")
dd if=/dev/zero of=z.h5 bs=1 seek="$off" count=65536 conv=notrunc status=none
say "setup done; z.h5 zeroed at byte $off"

# ---------------------------------------------------------------- the runner
# run ID KIND -- CMD...   KIND is refuse (the right answer is an error) or ok
# (the right answer is success) or either (success or a clean refusal).
# Per-case settings, given as VAR=value before `run`:
#   NAME  regex the single stderr line must match to PASS a refusal (the file
#         or option at fault); NOT: regex it must not match
#   RC    exit codes a refusal may have (default "1 2")
#   ON0   verdict for exit 0 in a refuse case (FAIL or WEAK), unless WARN
#         (a regex) matches stderr: then a printed warning makes it PASS
#   CHECK shell code that must succeed after exit 0 for an ok/either case
#         (the "right output"); BAD: verdict when it does not (default FAIL)
#   ALLOW files the case may create even when it refuses (chain steps; the
#         shell's redirect both.h5, which must stay empty); MUT: existing
#         files the case may change
declare -A CNT
TOTAL_LINES=()
snapshot() { (cd "$W" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) > "$1"; (cd "$W" && find . | sort) > "$1.all"; (cd "$T" && find . | sort) > "$1.tmp"; }
record() { # ID VERDICT RC FIRST DETAIL
  local prob=${1%%.*}
  printf '%-6s %-5s exit=%-3s %s   # %s\n' "$1" "$2" "$3" "$4" "$5"
  case "$1" in *x*) return;; esac   # extras (controls) are printed, not counted
  CNT[$prob.cases]=$(( ${CNT[$prob.cases]:-0} + 1 ))
  CNT[$prob.$2]=$(( ${CNT[$prob.$2]:-0} + 1 ))
}
judge() { # ID KIND RC ERRFILE ; uses the per-case variables
  local id=$1 kind=$2 rc=$3 err=$4
  local lines first v= why=
  lines=$(grep -av "^Try '" "$err" | grep -c .)
  first=$(grep -av "^Try '" "$err" | grep -a . | head -1 | sed "s|$W/||g; s|$ROOT/||g" | cut -c1-160)
  local changed left tleft
  # files whose hash differs or that are gone
  changed=$(diff <(awk '{print $2, $1}' "$ROOT/pre" | sort) <(awk '{print $2, $1}' "$ROOT/post" | sort) | awk '/^< /{print $2}' | sed 's|^\./||' | sort -u)
  local c2=
  for f in $changed; do case " ${MUT:-} " in *" $f "*) ;; *) c2="$c2 $f";; esac; done
  left=$(comm -13 "$ROOT/pre.all" "$ROOT/post.all" | sed 's|^\./||')
  tleft=$(comm -13 "$ROOT/pre.tmp" "$ROOT/post.tmp" | sed 's|^\./||' | tr '\n' ' ')
  local l2= tmpl=
  for f in $left; do
    case "$f" in *.tmp-*|*/.*.tmp*|.*.tmp*) tmpl="$tmpl $f";; esac
    case " ${ALLOW:-} " in *" $f "*) [ -s "$W/$f" ] && [ "$f" = both.h5 ] || continue;; esac
    l2="$l2 $f"
  done
  local detail="lines=$lines"
  [ -n "$c2" ] && detail="$detail; CHANGED:$c2"
  [ -n "$l2" ] && detail="$detail; new:$l2"
  [ -n "$tleft" ] && detail="$detail; TMPDIR:$tleft"
  local erc=$rc
  [ -n "${SIGWANT:-}" ] && [ "$rc" -eq "$SIGWANT" ] && erc=0
  if [ "$rc" -eq 126 ] || [ "$rc" -eq 127 ]; then v=NORUN why="the command could not be started (a binary missing or being rebuilt?): not classified"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then v=FAIL why="timeout/killed"
  elif [ "$erc" -gt 128 ] && [ -z "${SIGWANT:-}" ]; then v=FAIL why="signal $((rc - 128))"
  elif grep -aq 'internal error at' "$err"; then v=FAIL why="internal error"
  elif [ -n "$c2" ]; then v=FAIL why="input changed or deleted"
  elif [ -n "$tleft" ] || [ -n "$tmpl" ]; then v=FAIL why="temp file left"
  elif [ "$erc" -ne 0 ] && [ -n "$l2" ]; then v=FAIL why="output left after an error"
  elif [ "$erc" -eq 0 ]; then
    if [ "$kind" = refuse ]; then
      if [ -n "${WARN:-}" ] && grep -aEq -- "$WARN" "$err"; then v=PASS why="accepted with a warning"
      else v=${ON0:-FAIL} why="exit 0 where it must be refused or warned"; fi
    elif [ -z "${CHECK:-}" ] || (cd "$W" && eval "$CHECK") >/dev/null 2>&1; then v=PASS why="correct success"
    else v=${BAD:-FAIL} why="exit 0 but the output is wrong"; fi
  else
    local okrc=no
    for r in ${RC:-1 2}; do [ "$rc" -eq "$r" ] && okrc=yes; done
    if [ "$kind" = ok ]; then v=WEAK why="refused where success is right"
    elif [ $okrc = no ]; then v=WEAK why="exit code $rc (want ${RC:-1 2})"
    elif [ "$lines" -ne 1 ]; then v=WEAK why="$lines stderr lines"
    elif [ -n "${NAME:-}" ] && ! grep -av "^Try '" "$err" | grep -aEq -- "$NAME"; then v=WEAK why="line does not name /$NAME/"
    elif [ -n "${NOT:-}" ] && grep -aEq -- "$NOT" "$err"; then v=WEAK why="line says /$NOT/"
    else v=PASS why="clean refusal"; fi
  fi
  record "$id" "$v" "$rc" "$first" "$why; $detail"
}
reset_new() { # remove what the case created, put back what it changed
  comm -13 "$ROOT/pre.all" "$ROOT/post.all" | (cd "$W" && tac | while read -r f; do rm -rf -- "$f"; done)
  (cd "$T" && find . -mindepth 1 -delete)
}
restore_base() { # val.h5 and simclr.h5 may be clobbered by F1 on an old build
  cp te.h5 val.h5 2>/dev/null; [ -f "$ROOT/simclr.bak" ] && cp "$ROOT/simclr.bak" simclr.h5
  [ -f "$ROOT/jsonl.bak" ] && cp "$ROOT/jsonl.bak" run.jsonl
}
cp simclr.h5 "$ROOT/simclr.bak" 2>/dev/null; cp run.jsonl "$ROOT/jsonl.bak" 2>/dev/null
run() {
  local id=$1 kind=$2; shift 3
  snapshot "$ROOT/pre"
  ( ulimit -v $MEMKB; cd "$W" && exec timeout -k 5 150 "$@" ) >"$ROOT/out" 2>"$ROOT/err" </dev/null
  local rc=$?
  snapshot "$ROOT/post"
  judge "$id" "$kind" "$rc" "$ROOT/err"
  reset_new; restore_base
}

fingerprint() { (cd "$BIN" && sha256sum ssl-augment ssl-embed ssl-finetune ssl-import ssl-info ssl-mask ssl-pretrain 2>&1) | sha256sum | cut -c1-12; }
FP0=$(fingerprint)
echo "# binaries: $(cd "$BIN" && ls -l --time-style=+%FT%T ssl-* | awk '{print $7 "@" $6}' | tr '\n' ' ') fingerprint $FP0"
echo "# build: $BIN (source tree: $(git -C "$BIN/.." describe --always --dirty 2>/dev/null || echo ?)); $(date -u +%FT%TZ)"
# ================================================================ FAIL items
# F1: --monitor / --resume files named as outputs. Right: refused naming the file.
NAME='val\.h5' ON0=FAIL run F1.1 refuse -- ssl-pretrain tr.h5 --method simclr --max-steps 1 --batch 16 --threads 1 --monitor val.h5 -o val.h5
NAME='val\.h5' ON0=FAIL run F1.2 refuse -- ssl-pretrain tr.h5 --method simclr --max-steps 1 --batch 16 --threads 1 --monitor val.h5 --log-json val.h5 -o m.h5
NAME='simclr\.h5' ON0=FAIL run F1.3 refuse -- ssl-pretrain tr.h5 --method simclr --batch 32 --max-steps 1 --threads 1 --resume simclr.h5 --log-json simclr.h5 -o m2.h5
# F2: two HDF5 outputs to one stdout. Right: refused naming '-'/stdout; both.h5 (the shell's) empty.
NAME="(^|[^a-z])-([^a-z-]|$)|stdout|--split-output" ON0=FAIL ALLOW=both.h5 CHECK=false \
  run F2.1 refuse -- bash -c 'ssl-import text computers love --vocab-size 300 --split 0.5 --split-output - -o - --threads 1 > both.h5'
# F3: text of another tokenizer. Right: refused naming otr.h5 (or ote.h5).
NAME='otr\.h5|ote\.h5' ON0=FAIL run F3.1 refuse -- ssl-embed mlm.h5 otr.h5 --threads 1 -o e_other.h5
NAME='otr\.h5|ote\.h5' ON0=FAIL run F3.2 refuse -- ssl-finetune otr.h5 --model mlm.h5 --eval ote.h5 --mode linear --epochs 2 --threads 1
# the report: "ssl-embed and the linear and kNN paths do not check": the third case is kNN
NAME='otr\.h5|ote\.h5' ON0=FAIL run F3.3 refuse -- ssl-finetune otr.h5 --model mlm.h5 --eval ote.h5 --mode knn --threads 1
# control, not counted (the report: "refused, correctly")
NAME='otr\.h5|ote\.h5' ON0=FAIL run F3.x1 refuse -- ssl-finetune otr.h5 --model mlm.h5 --eval ote.h5 --mode full --epochs 1 --threads 1
# F4: train and eval of different kinds. Right: refused naming the eval (or train) file.
NAME='e_txt\.h5|e_img\.h5' ON0=FAIL run F4.1 refuse -- ssl-finetune e_img.h5 --eval e_txt.h5 --mode knn --threads 1
NAME='e_byol\.h5|e_img\.h5|byol\.h5' ON0=FAIL run F4.2 refuse -- ssl-finetune e_img.h5 --eval e_byol.h5 --mode knn --threads 1
NAME='te_renamed\.h5' ON0=FAIL run F4.3 refuse -- ssl-finetune tr.h5 --model simclr.h5 --eval te_renamed.h5 --mode knn --threads 1
# F5: 8 kHz audio against a 16 kHz model or file. Right: refused naming a8.h5 (or the other).
NAME='a8\.h5|w2v\.h5' ON0=FAIL run F5.1 refuse -- ssl-embed w2v.h5 a8.h5 --threads 1 -o e8.h5
NAME='a8\.h5|w2v\.h5' ON0=FAIL run F5.2 refuse -- ssl-finetune a8.h5 --model w2v.h5 --eval a8.h5 --mode knn --threads 1
NAME='a8\.h5|a16\.h5' ON0=FAIL run F5.3 refuse -- ssl-finetune a16.h5 --log-mel --eval a8.h5 --mode knn --threads 1
# F6: NaN and Inf in float WAVs. Right: refused naming bad.wav / nan.h5.
NAME='bad\.wav' ON0=FAIL run F6.1 refuse -- ssl-import audio nanclips -o nan_import.h5 --threads 1
NAME='nan\.h5' ON0=FAIL run F6.2 refuse -- ssl-info --verify nan.h5
NAME='nan\.h5' ON0=FAIL run F6.3 refuse -- ssl-embed w2v.h5 nan.h5 --threads 1 -o enan.h5
NAME='nan\.h5' ON0=FAIL run F6.4 refuse -- ssl-finetune nan.h5 --log-mel --eval nan.h5 --mode knn --threads 1
NAME='nan\.h5' ON0=FAIL run F6.5 refuse -- ssl-augment nan.h5 --recipe "noise(0,30,p=1)" --apply --threads 1 -o n2.h5
# the report's sixth F6 command (the same command is W9): a stop must name the data, not the output
NAME='nan\.h5' ON0=FAIL run F6.6 refuse -- ssl-pretrain nan.h5 --arch w2v-tiny --max-steps 2 --batch 4 --threads 1 -o wn.h5
# F7: audio recipe numbers. Right: refused naming the op or its numbers.
# The report lists four exit-0 commands for 3 cases: the first three are
# counted, gain(inf,inf) and the image control are run as extras.
NAME='gain' ON0=FAIL run F7.1 refuse -- ssl-augment a16.h5 --recipe "gain(1000,1000,p=1)" --apply --threads 1 -o g.h5
NAME='noise' ON0=FAIL run F7.2 refuse -- ssl-augment a16.h5 --recipe "noise(-1000,-1000,p=1)" --apply --threads 1 -o g.h5
NAME='noise|nan' ON0=FAIL run F7.3 refuse -- ssl-augment a16.h5 --recipe "noise(nan,30,p=1)" --apply --threads 1 -o g.h5
NAME='gain|inf' ON0=FAIL run F7.x1 refuse -- ssl-augment a16.h5 --recipe "gain(inf,inf,p=1)" --apply --threads 1 -o g.h5
NAME='jitter|nan' ON0=FAIL run F7.x2 refuse -- ssl-augment tr.h5 --recipe "jitter(nan,0,0,0)" -o x.h5
# F8: WAV headers at 1 Hz. Right: refused naming the WAV (exit 0 = a huge file: FAIL).
# Cases: the report's four files; "one such file"; "a 50-sample WAV at 1 Hz ... next to a normal clip".
NAME='r[0-3]\.wav' ON0=FAIL run F8.1 refuse -- ssl-import audio lowrate --threads 1 -o big.h5
NAME='r0\.wav' ON0=FAIL run F8.2 refuse -- ssl-import audio lowrate1 --threads 1 -o big.h5
NAME='r50\.wav' ON0=FAIL run F8.3 refuse -- ssl-import audio lowmix --threads 1 -o big.h5
# F9: nothing to predict. Right: refused naming the file (or option) with nothing
# to predict. Steps before the case's command are part of it: a refusal there
# counts. Such steps (here and in W4.3, W8.2, W8.4) run with -q, which keeps
# errors but drops their warnings, so the line count is the case command's.
NAME='len2\.h5|max-len' ON0=FAIL ALLOW=len2.h5 run F9.1 refuse -- bash -c 'ssl-import text love --tokenizer spm.model --max-len 2 -o len2.h5 --threads 1 -q && ssl-pretrain text.h5 --arch bert-tiny --max-steps 2 --batch 16 --threads 1 --eval len2.h5 -o m9.h5'
NAME='z0\.h5' ON0=FAIL run F9.2 refuse -- ssl-pretrain text.h5 --arch bert-tiny --max-steps 2 --batch 16 --threads 1 --eval z0.h5 -o m9.h5
NAME='mask0\.h5|--ratio' ON0=FAIL ALLOW=mask0.h5 run F9.3 refuse -- bash -c 'ssl-mask text.h5 --scheme mlm --ratio 0 --threads 1 -q -o mask0.h5 && ssl-pretrain mask0.h5 --arch bert-tiny --max-steps 3 --batch 16 --threads 1 --log-json m0.jsonl -o m0.h5'
NAME='span0\.h5|--mask-prob|--min-masks' ON0=FAIL ALLOW=span0.h5 run F9.4 refuse -- bash -c 'ssl-mask a16.h5 --scheme span --mask-prob 0 --min-masks 0 --threads 1 -q -o span0.h5 && ssl-pretrain span0.h5 --arch w2v-tiny --max-steps 2 --batch 4 --threads 1 -o w0.h5'

# ================================================================ WEAK items
# W1: records of 64 KiB-1 MiB. W1.1 right: x.h5 made (the record is within the
# 1 MiB limit) or one line naming long.txt with a reason (not an empty one).
NAME='long\.txt.*[^: ]$' CHECK='[ -s x.h5 ]' run W1.1 either -- ssl-import text long.txt --vocab-size 20 -o x.h5 --threads 1
# W1.2 (the text says "silently skips"; the corpus is our choice): the 70 KB
# record of "zebra" among 600 fortune lines. Right: "zebra" in the vocabulary,
# or a warning naming mixed.txt. Skipped silently: WEAK.
CHECK="$PY -c \"import h5py,sys; sys.exit(b'zebra' not in h5py.File('x.h5','r')['tokenizer'][:].tobytes())\" || grep -aq 'mixed\.txt' '$ROOT/err'" BAD=WEAK \
  run W1.2 ok -- ssl-import text mixed.txt --vocab-size 300 -o x.h5 --threads 1
# W2: W2.1 right: refused (or a warning) about --vocab-size with --tokenizer.
NAME='vocab-size' WARN='vocab' ON0=WEAK run W2.1 refuse -- ssl-import text c.txt --tokenizer spm.model --vocab-size 50 -o x.h5 --threads 1
# W2.2 right: exit 0 with a note on stderr that the vocabulary is smaller than asked.
CHECK="grep -aiq 'vocab' '$ROOT/err'" BAD=WEAK run W2.2 ok -- ssl-import text c.txt -o v.h5 --threads 1
# W3: --tokenizer a folder. Right: one line naming d.
NAME="(^|[ '\"/])d([:' \"]|$)" ON0=FAIL run W3.1 refuse -- bash -c 'mkdir -p d && ssl-import text c.txt --tokenizer d -o x.h5 --threads 1; rc=$?; rmdir d; exit $rc'
# W4: --max-len padding. Right: a small file (rows padded only to the longest,
# under 10 MB) or a note on stderr, or one line naming the file or --max-len.
NAME='max-len|uni\.txt' CHECK="[ \$(stat -c %s ml.h5) -lt 10000000 ] || grep -aq 'max-len' '$ROOT/err'" BAD=WEAK \
  run W4.1 either -- ssl-import text uni.txt --max-len 1048576 --vocab-size 60 -o ml.h5 --threads 1
# The report gives two commands for three cases: the third (our choice) is the
# import of the --max-len 262144 file that the pretrain then reads.
NAME='max-len|oneword\.txt' CHECK="[ \$(stat -c %s ml.h5) -lt 10000000 ] || grep -aq 'max-len' '$ROOT/err'" BAD=WEAK \
  run W4.2 either -- ssl-import text oneword.txt --max-len 262144 --vocab-size 60 -o ml.h5 --threads 1
# Right: the pretrain runs, or one line naming the file or its length (a bare
# "out of memory" is WEAK).
NAME='ml\.h5|max-len|oneword' ALLOW=ml.h5 CHECK='[ -s x.h5 ]' \
  run W4.3 either -- bash -c 'ssl-import text oneword.txt --max-len 262144 --vocab-size 60 -o ml.h5 --threads 1 -q && ssl-pretrain ml.h5 --arch bert-tiny --max-steps 1 --batch 16 --threads 1 -o x.h5'
# W5: longer rows / a larger vocabulary than the model's. Right: one line naming
# t64.h5 / bigvocab.h5; or success when t64.h5's rows fit the encoder's 48.
NAME='t64\.h5' CHECK="$PY -c \"import h5py,sys; sys.exit(h5py.File('t64.h5','r')['tokens'].shape[1] > 48)\"" \
  run W5.1 either -- ssl-pretrain text.h5 --arch bert-tiny --max-steps 1 --batch 16 --threads 1 --eval t64.h5 -o x.h5
NAME='t64\.h5' CHECK="$PY -c \"import h5py,sys; sys.exit(h5py.File('t64.h5','r')['tokens'].shape[1] > 48)\"" \
  run W5.2 either -- ssl-embed mlm.h5 t64.h5 --threads 1 -o x.h5
NAME='bigvocab\.h5' ON0=FAIL run W5.3 refuse -- ssl-embed mlm.h5 bigvocab.h5 --threads 1 -o x.h5
# W6: held-out = training. Right: exit 0 and a warning naming the file.
CHECK="grep -aq 'text\.h5' '$ROOT/err'" BAD=WEAK run W6.1 ok -- ssl-pretrain text.h5 --arch bert-tiny --max-steps 1 --batch 16 --threads 1 --eval text.h5 -o x.h5
CHECK="grep -aq 'tr\.h5' '$ROOT/err'" BAD=WEAK run W6.2 ok -- ssl-pretrain tr.h5 --method simclr --max-steps 1 --batch 16 --threads 1 --monitor tr.h5 -o x.h5
# W7: ssl-info options. Right: refused naming the option, or honoured.
NAME='predict' ON0=WEAK run W7.1 refuse -- ssl-info mlm.h5 --predict ""
NAME='json|predict' CHECK="$PY -c \"import json; json.load(open('$ROOT/out'))\"" BAD=WEAK \
  run W7.2 either -- ssl-info mlm.h5 --predict "i [MASK] you" --json
NAME='preview|predict' CHECK="head -c 4 p.png | grep -aq PNG" BAD=WEAK \
  run W7.3 either -- ssl-info mlm.h5 --predict "i [MASK] you" --preview p.png
NAME='reference|preview' WARN='reference' ON0=WEAK run W7.4 refuse -- ssl-info run.jsonl --reference "a=0.5"
# W8: odd WAVs. Right: refused or warned about, naming the WAV, in sslkit's words.
NAME='huge\.wav' WARN='huge\.wav' ON0=WEAK run W8.1 refuse -- ssl-import audio hugeclips -o h.h5 --threads 1
# "and trained on silently": the import then a wav2vec pretrain
NAME='huge\.wav|h\.h5' WARN='huge\.wav|h\.h5' ON0=WEAK ALLOW=h.h5 \
  run W8.2 refuse -- bash -c 'ssl-import audio hugeclips -o h.h5 --threads 1 -q && ssl-pretrain h.h5 --arch w2v-tiny --max-steps 2 --batch 4 --threads 1 -o x.h5'
NAME='empty\.wav' WARN='empty\.wav' ON0=WEAK run W8.3 refuse -- ssl-import audio emptyclips -o em.h5 --threads 1
# "its mean-pooled embedding is non-zero": right = the import refuses (one
# line naming empty.wav), or the embed refuses, or the empty clip's row is zero.
NAME='empty\.wav|em\.h5' ALLOW=em.h5 BAD=WEAK CHECK="$PY -c \"
import h5py, numpy as np, sys
L = h5py.File('em.h5','r')['lengths'][:]; E = h5py.File('x.h5','r')['embeddings'][:]
sys.exit(not np.all(E[L == 0] == 0))\"" \
  run W8.4 either -- bash -c 'ssl-import audio emptyclips -o em.h5 --threads 1 -q && ssl-embed w2v.h5 em.h5 --threads 1 -o x.h5'
NAME='rate0\.wav' NOT='SF_INFO|Internal error' ON0=FAIL run W8.5 refuse -- ssl-import audio rate0 -o r.h5 --threads 1
NAME='rate4g\.wav' NOT='SF_INFO|Internal error' ON0=FAIL run W8.6 refuse -- ssl-import audio rate4g -o r.h5 --threads 1
# W9: same command as F6.6. Right: refused naming nan.h5 (the data).
NAME='nan\.h5' ON0=FAIL run W9.1 refuse -- ssl-pretrain nan.h5 --arch w2v-tiny --max-steps 2 --batch 4 --threads 1 -o wn.h5
# W10: options of another recipe or scheme. Right: refused (or a warning) naming them.
NAME='simclr|recipe' WARN='simclr' ON0=WEAK run W10.1 refuse -- ssl-augment a16.h5 --recipe simclr --apply --threads 1 -o x.h5
NAME='ratio' WARN='ratio' ON0=WEAK run W10.2 refuse -- ssl-mask a16.h5 --scheme span --ratio 0.5 --threads 1 -o x.h5
NAME='whole-word' WARN='whole-word' ON0=WEAK run W10.3 refuse -- ssl-mask a16.h5 --scheme span --whole-word --threads 1 -o x.h5
# W11: ssl-info on ssl-embed --frames output. Right: exit 0 and a summary on stdout.
CHECK="[ -s '$ROOT/out' ]" run W11.1 ok -- ssl-info fr.h5
run W11.2 ok -- ssl-info --verify fr.h5
# W12: MAE with one patch. Right: a usage error (exit 2) naming --patch.
NAME='patch' RC=2 ON0=FAIL run W12.1 refuse -- ssl-pretrain tr.h5 --method mae --arch vit-tiny --patch 28 --max-steps 1 --batch 16 --threads 1 -o x.h5
# W13: SIGINT / SIGTERM while --recon waits on a FIFO that nobody reads. Right:
# exit 130 / 143 (SIGWANT), at most one stderr line, no x.h5, no temp file,
# rf still a FIFO; x.h5, the model trained before the wait, may stay (the
# report's signal cases keep their checkpoint). Another exit code: WEAK;
# still running 20 s after the signal: FAIL.
w13() { # SIG
  mkfifo rf
  # a background job of a script ignores SIGINT; the launcher puts it back to the default
  ( ulimit -v $MEMKB
    $PY -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
      ssl-pretrain tr.h5 --method mae --arch vit-tiny --max-steps 1 --batch 16 --threads 1 --recon rf -o x.h5 >/dev/null 2>"$ROOT/w13.err" </dev/null &
    pid=$!; sleep 8; kill -s "$1" $pid
    for _ in $(seq 40); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
    if kill -0 $pid 2>/dev/null; then kill -KILL $pid; wait $pid; exit 124; fi
    wait $pid )
  local rc=$?
  cat "$ROOT/w13.err" >&2
  [ -p rf ] || echo "rf is no longer a FIFO" >&2
  rm -f rf "$ROOT/w13.err"; return $rc
}
export -f w13; export ROOT MEMKB PY
SIGWANT=130 ALLOW=x.h5 CHECK="[ \$(grep -av \"^Try '\" '$ROOT/err' | grep -c .) -le 1 ] && ! grep -aq FIFO '$ROOT/err'" BAD=WEAK \
  run W13.1 ok -- bash -c 'w13 INT'
SIGWANT=143 ALLOW=x.h5 CHECK="[ \$(grep -av \"^Try '\" '$ROOT/err' | grep -c .) -le 1 ] && ! grep -aq FIFO '$ROOT/err'" BAD=WEAK \
  run W13.2 ok -- bash -c 'w13 TERM'
# W14: --monitor X -o X, X not there yet. Right: one line naming new.h5, not "No such file".
NAME='new\.h5' NOT='No such file' ON0=FAIL run W14.1 refuse -- ssl-pretrain tr.h5 --method simclr --max-steps 1 --batch 16 --threads 1 --monitor new.h5 -o new.h5
# W15: a log on stdin. Right: exit 0 and the log's summary on stdout.
CHECK="[ -s '$ROOT/out' ]" run W15.1 ok -- bash -c 'cat run.jsonl | ssl-info -'
# W16: wording. Right: one line that calls w2v-tiny an audio encoder.
NAME='audio' NOT='image encoder' ON0=FAIL run W16.1 refuse -- ssl-pretrain text.h5 --arch w2v-tiny --max-steps 1 --batch 16 --threads 1 -o x.h5
# W17: --resume of a fine-tuned model. Right: one line naming it and saying it is fine-tuned.
NAME='ftt\.h5.*fine-tun|fine-tun.*ftt\.h5' ON0=WEAK run W17.1 refuse -- ssl-pretrain text.h5 --arch bert-tiny --max-steps 4 --batch 16 --threads 1 --resume ftt.h5 -o x.h5
NAME='ft\.h5.*fine-tun|fine-tun.*ft\.h5' ON0=WEAK run W17.2 refuse -- ssl-pretrain tr.h5 --method simclr --max-steps 3 --batch 32 --threads 1 --resume ft.h5 -o x.h5
# W18: 64 KiB of zeros in the weights of z.h5. Right: refused naming z.h5.
NAME='z\.h5' ON0=WEAK run W18.1 refuse -- ssl-info z.h5 --predict "i [MASK] you"
NAME='z\.h5' ON0=WEAK run W18.2 refuse -- ssl-pretrain text.h5 --arch bert-tiny --max-steps 4 --batch 16 --threads 1 --resume z.h5 -o x.h5
# W19: val.h5 held open 'r+' by h5py in another process. Right: success, or one
# line naming val.h5 that does not call it corrupt.
$PY -c "import h5py, time, sys; f = h5py.File('val.h5', 'r+'); print('ready', flush=True); time.sleep(120)" > "$ROOT/holder.out" 2>&1 &
HOLDER=$!
for _ in $(seq 50); do grep -q ready "$ROOT/holder.out" && break; sleep 0.2; done
grep -q ready "$ROOT/holder.out" || say "W19: the h5py holder did not start: $(head -1 "$ROOT/holder.out")"
NAME='val\.h5' NOT='corrupt' CHECK=true run W19.1 either -- ssl-info val.h5
NAME='val\.h5' NOT='corrupt' CHECK=true run W19.2 either -- ssl-embed simclr.h5 val.h5 --threads 1 -o x.h5
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null; HOLDER=
# W20: two runs appended to shared.jsonl at once (setup). Right: exit 0, and the
# lines carry a run id ("run" in a key) with two values, or ssl-info says two runs;
# or (rule added after issue 24's defect 9 made a fresh run replace its log, as -o
# does: the last run to start wins) the log holds one run, its lines all of one id
# with steps in order, never two runs' lines mixed as one.
CHECK="$PY -c \"
import json, sys
ids, steps = set(), []
for l in open('shared.jsonl'):
    try: d = json.loads(l)
    except Exception: continue
    for k, v in d.items():
        if 'run' in k.lower(): ids.add((k, str(v)))
    if 'step' in d and 'loss' in d: steps.append(d['step'])
one_run = len(ids) == 1 and steps == sorted(set(steps))
sys.exit(not (len(ids) >= 2 or one_run))\" || grep -Eaiq '2 runs|two runs' '$ROOT/out'" BAD=WEAK \
  run W20.1 ok -- ssl-info shared.jsonl
# W21: a model from stdin. Right: as with the file (x.h5 made / an accuracy).
# The report spells out five commands for six cases; the sixth (our choice) is
# a text model from stdin.
CHECK='[ -s x.h5 ]' run W21.1 ok -- bash -c 'cat simclr.h5 | ssl-embed - te.h5 --threads 1 -o x.h5'
CHECK="grep -aiq accuracy '$ROOT/out'" run W21.2 ok -- bash -c 'cat simclr.h5 | ssl-finetune tr.h5 --model - --eval te.h5 --mode knn --threads 1'
CHECK='[ -s x.h5 ]' run W21.3 ok -- bash -c 'cat simclr.h5 | ssl-pretrain tr.h5 --method simclr --resume - --max-steps 3 --batch 32 --threads 1 -o x.h5'
CHECK='[ -s x.h5 ]' run W21.4 ok -- bash -c 'ssl-pretrain tr.h5 --method simclr --max-steps 1 --batch 32 --threads 1 -o - | ssl-embed - te.h5 --threads 1 -o x.h5'
# stdin named twice. Right: one line saying so.
NAME='twice|both|more than once|same' ON0=FAIL run W21.5 refuse -- bash -c 'cat te.h5 | ssl-embed - - --threads 1 -o x.h5'
CHECK='[ -s x.h5 ]' run W21.6 ok -- bash -c 'cat mlm.h5 | ssl-embed - text.h5 --threads 1 -o x.h5'

# ---------------------------------------------------------------- summary
echo
printf '%-8s %6s %5s %5s %5s\n' problem cases pass weak fail
sum() { local k=$1; echo "${CNT[$k]:-0}"; }
tc=0 tp=0 tw=0 tf=0
for p in F1 F2 F3 F4 F5 F6 F7 F8 F9 W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16 W17 W18 W19 W20 W21; do
  printf '%-8s %6s %5s %5s %5s\n' $p "$(sum $p.cases)" "$(sum $p.PASS)" "$(sum $p.WEAK)" "$(sum $p.FAIL)"
done
for g in F W; do
  c=0 pp=0 ww=0 ff=0
  for k in "${!CNT[@]}"; do
    case $k in $g[0-9]*.cases) c=$((c + CNT[$k]));; $g[0-9]*.PASS) pp=$((pp + CNT[$k]));; $g[0-9]*.WEAK) ww=$((ww + CNT[$k]));; $g[0-9]*.FAIL) ff=$((ff + CNT[$k]));; esac
  done
  printf '%-8s %6s %5s %5s %5s\n' "$g total" $c $pp $ww $ff
  tc=$((tc + c)) tp=$((tp + pp)) tw=$((tw + ww)) tf=$((tf + ff))
done
printf '%-8s %6s %5s %5s %5s\n' total $tc $tp $tw $tf
nr=0; for k in "${!CNT[@]}"; do case $k in *.NORUN) nr=$((nr + CNT[$k]));; esac; done
[ "$nr" -gt 0 ] && echo "# $nr case(s) could not be started (NORUN, counted in cases only): re-run when the build is stable"
FP1=$(fingerprint)
if [ "$FP1" != "$FP0" ]; then echo "# WARNING: the binaries in $BIN changed during the run ($FP0 -> $FP1): these results are not of one build"; exit 3; fi
