#!/usr/bin/env bash
# Nothing lost, audio (probe 2026-12-05: F6, F7, F8, W8, W9, W10, W13): NaN,
# Inf and absurd samples never enter a file, headers are judged in our own
# words, augmentation and masking options are checked rather than ignored,
# and a signal while an output waits for a FIFO's reader is an interrupt.
# Each block is a reproduction from the probe; each failed before its fix.
. "$TESTS/cli/lib.sh"
bad() { rm -f "$WORK/x.h5"; expect_error "$@"; }
ok ssl-import audio "$DATA/audio" --seconds 0.5 --threads 1 -o "$WORK/a16.h5"

# WAVs made by hand: float32 or int16 mono, any header rate.
/usr/bin/python3 - "$WORK" <<'EOF'
import os, struct, sys
import numpy as np
work = sys.argv[1]
def wav(path, x, rate=16000, fmt_tag=3):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = x.astype("<f4" if fmt_tag == 3 else "<i2").tobytes()
    width = 4 if fmt_tag == 3 else 2
    fmt = struct.pack("<HHIIHH", fmt_tag, 1, rate, rate * width % 2**32, width, 8 * width)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    open(path, "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
s = 0.5 * np.sin(np.arange(8000) / 16000 * 2 * np.pi * 440)
nan = s.copy(); nan[100] = np.nan; nan[200] = np.inf
wav(f"{work}/nan/a/bad.wav", nan); wav(f"{work}/nan/a/ok.wav", s)
wav(f"{work}/nan/b/ok1.wav", 0.3 * s); wav(f"{work}/nan/b/ok2.wav", 0.7 * s)
loud = s.copy(); loud[5] = 1e30
wav(f"{work}/loud/a/loud.wav", loud); wav(f"{work}/loud/a/ok.wav", s)
wav(f"{work}/empty/a/empty.wav", s[:0]); wav(f"{work}/empty/a/ok.wav", s); wav(f"{work}/empty/b/ok.wav", 0.5 * s)
noise = (np.random.RandomState(0).randn(3599) * 3000)
wav(f"{work}/rate1/r.wav", noise, rate=1, fmt_tag=1)
wav(f"{work}/rate0/r.wav", noise, rate=0, fmt_tag=1)
wav(f"{work}/rate4g/r.wav", noise, rate=4000000000, fmt_tag=1)
EOF

# ---- F6. NaN and Inf in a float WAV never enter a file.
bad 1 "bad.wav: sample 100 \(at 0.00625 s\) is NaN" "$WORK/x.h5" ssl-import audio "$WORK/nan" --threads 1 -o "$WORK/x.h5"
bad 1 "bad.wav: sample 100 .* is NaN" "$WORK/x.h5" ssl-import audio "$WORK/nan" --seconds 1 --threads 1 -o "$WORK/x.h5"
# --skip-bad skips it and counts it like any unreadable file.
ok ssl-import audio "$WORK/nan" --skip-bad --threads 1 -o "$WORK/skip.h5"
grep -q "skipped 1 unreadable" "$WORK/ok.err" || fail "--skip-bad did not count the NaN clip: $(cat "$WORK/ok.err")"
check_eq "NaN clip skipped" "$(h5get "$WORK/skip.h5" 'f["audio"].shape[0]')" "3"
check_eq "what is left is finite" "$(h5get "$WORK/skip.h5" 'bool(np.isfinite(f["audio"][:]).all())')" "True"
# A file that holds NaN anyway (an older sslkit, another tool): --verify finds it,
# names the row and the place, and fails.
cp "$WORK/a16.h5" "$WORK/nanh.h5"
/usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('$WORK/nanh.h5', 'r+'); a = f['audio']; a[1, 7] = np.nan; a[0, 9] = np.nan; a[2:, 3] = np.inf"
bad 1 "nanh.h5: /audio holds NaN at row 0 \[9\]" "" ssl-info --verify "$WORK/nanh.h5"
ok ssl-info --verify "$WORK/a16.h5"
# ... and the tools downstream stop, naming the data.
bad 1 "nanh.h5: row 0: the clip itself holds non-finite samples \(sample 9 is NaN\)" "$WORK/x.h5" \
  ssl-augment "$WORK/nanh.h5" --recipe "noise(0,30,p=1)" --apply --threads 1 -o "$WORK/x.h5"
# W9: the NaN loss blames the data, not the learning rate.
bad 1 "nanh.h5: non-finite samples in the input batch at step 0" "$WORK/x.h5" \
  ssl-pretrain "$WORK/nanh.h5" --arch w2v-tiny --max-steps 2 --batch 6 --threads 1 -o "$WORK/x.h5"
# Embeddings: Inf in /embeddings is found too.
ok ssl-pretrain "$WORK/a16.h5" --arch w2v-tiny --max-steps 1 --batch 3 --threads 1 -o "$WORK/w2v.h5"
ok ssl-embed "$WORK/w2v.h5" "$WORK/a16.h5" --threads 1 -o "$WORK/e.h5"
/usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('$WORK/e.h5', 'r+'); f['embeddings'][4, 2] = -np.inf"
bad 1 "e.h5: /embeddings holds an infinite value at row 4 \[2\]" "" ssl-info --verify "$WORK/e.h5"
# Embedding or featurising a NaN clip stops too, rather than scoring garbage.
bad 1 "nanh.h5: /audio row 0 holds NaN at sample 9" "$WORK/x.h5" \
  ssl-embed "$WORK/w2v.h5" "$WORK/nanh.h5" --threads 1 -o "$WORK/x.h5"
bad 1 "nanh.h5: /audio row 0 holds NaN at sample 9" "" \
  ssl-finetune "$WORK/nanh.h5" --log-mel --eval "$WORK/nanh.h5" --mode knn --threads 1

# ---- W8. Odd WAVs: absurd amplitudes refused, empty clips skipped with a word, header rates in our words.
bad 1 "loud.wav: sample 5 .* past the amplitude bound 65536" "$WORK/x.h5" ssl-import audio "$WORK/loud" --threads 1 -o "$WORK/x.h5"
ok ssl-import audio "$WORK/empty" --threads 1 -o "$WORK/empty.h5"
grep -q "empty.wav: no audio samples; skipped" "$WORK/ok.err" || fail "an empty clip was not named: $(cat "$WORK/ok.err")"
check_eq "empty clip left out" "$(h5get "$WORK/empty.h5" 'list(f["lengths"][:])')" "[8000, 8000]"
check_eq "labels of the rest" "$(h5get "$WORK/empty.h5" 'list(f["labels"][:])')" "[0, 1]"
bad 1 "r.wav: sample rate 0 Hz in its header is outside \[1000, 768000\] Hz" "$WORK/x.h5" \
  ssl-import audio "$WORK/rate0" --threads 1 -o "$WORK/x.h5"
bad 1 "r.wav: sample rate 4000000000 Hz in its header is outside \[1000, 768000\] Hz" "$WORK/x.h5" \
  ssl-import audio "$WORK/rate4g" --seconds 1 --threads 1 -o "$WORK/x.h5"

# ---- F8. A 1 Hz header does not upsample 16,000-fold; a row too large for memory is refused up front.
bad 1 "r.wav: sample rate 1 Hz in its header is outside \[1000, 768000\] Hz" "$WORK/x.h5" \
  ssl-import audio "$WORK/rate1" --threads 1 -o "$WORK/x.h5"
bad 1 "r.wav: sample rate 1 Hz" "$WORK/x.h5" ssl-import audio "$WORK/rate1" --seconds 1 --threads 1 -o "$WORK/x.h5"
# 2796 s at 768 kHz: rows of 8.6 GB, about 60 GB to import (a machine with more free is skipped).
avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
if [ -n "$avail_kb" ] && [ "$avail_kb" -lt 50000000 ]; then
  ( ulimit -v 4000000; bad 1 "audio: rows of 2147328000 samples .* need about .* of memory to import, more than" "$WORK/x.h5" \
      ssl-import audio "$DATA/audio" --seconds 2796 --sample-rate 768000 --threads 1 -o "$WORK/x.h5"; exit $FAILS ) ||
    FAILS=$((FAILS + 1))
else
  echo "skipped: the memory bound (over 50 GB free here)"
fi

# ---- F7. Audio recipe numbers are validated like the image ones; an op that overflows is named.
bad 2 "gain: lo_db 1000 must be in \[-60, 60\]" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe "gain(1000,1000,p=1)" --apply --threads 1 -o "$WORK/x.h5"
bad 2 "noise: lo_snr -1000 must be in \[-30, 120\]" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe "noise(-1000,-1000,p=1)" --apply --threads 1 -o "$WORK/x.h5"
bad 2 "noise: 'nan' is not a finite number" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe "noise(nan,30,p=1)" --apply --threads 1 -o "$WORK/x.h5"
bad 2 "gain: 'inf' is not a finite number" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe "gain(inf,inf,p=1)" --apply --threads 1 -o "$WORK/x.h5"
loud_recipe=$(for i in $(seq 14); do printf 'gain(60,60,p=1) '; done)
bad 1 "a16.h5: row 0: gain\(60,60,p=1\) made non-finite samples" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe "$loud_recipe" --apply --threads 1 -o "$WORK/x.h5"
ok ssl-augment "$WORK/a16.h5" --recipe "gain(-60,60,p=1) noise(-30,120,p=1)" --apply --threads 1 -o "$WORK/edge.h5"
check_eq "recipe at its bounds stays finite" "$(h5get "$WORK/edge.h5" 'bool(np.isfinite(f["audio"][:]).all())')" "True"

# ---- W10. Options of another recipe or scheme are refused, not ignored.
bad 2 "--recipe simclr is an image recipe" "$WORK/x.h5" \
  ssl-augment "$WORK/a16.h5" --recipe simclr --apply --threads 1 -o "$WORK/x.h5"
ok ssl-augment "$WORK/a16.h5" --apply --threads 1 -o "$WORK/def.h5"
check_eq "audio's own recipe by default" "$(h5get "$WORK/def.h5" 'f["audio"].attrs["recipe"]')" "audio"
bad 2 "--ratio goes with --scheme mlm, patch or block; --scheme is span" "$WORK/x.h5" \
  ssl-mask "$WORK/a16.h5" --scheme span --ratio 0.5 --threads 1 -o "$WORK/x.h5"
bad 2 "--whole-word goes with --scheme mlm; --scheme is span" "$WORK/x.h5" \
  ssl-mask "$WORK/a16.h5" --scheme span --whole-word --threads 1 -o "$WORK/x.h5"
bad 2 "--span goes with --scheme span; --scheme is patch" "$WORK/x.h5" \
  ssl-mask "$WORK/a16.h5" --scheme patch --span 3 --threads 1 -o "$WORK/x.h5"
ok ssl-mask "$WORK/a16.h5" --scheme span --mask-prob 0.1 --span 3 --threads 1 -o "$WORK/m.h5"

# ---- W13. SIGTERM or SIGINT while --recon waits for a FIFO's reader: 143 or 130, no temp file left.
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" --limit 32 -o "$WORK/tr.h5"
mkfifo "$WORK/rf"
mkdir -p "$WORK/tmp"
for sig in TERM INT; do
  rm -f "$WORK/x.h5" "$WORK/log.jsonl"
  TMPDIR="$WORK/tmp" ssl-pretrain "$WORK/tr.h5" --method mae --arch vit-tiny --max-steps 1 --batch 16 \
    --threads 1 --recon "$WORK/rf" --log-json "$WORK/log.jsonl" -o "$WORK/x.h5" 2>"$WORK/sig.err" &
  pid=$!
  # A hang is a failure, not a stuck test.
  ( sleep 120; kill -KILL $pid ) >/dev/null 2>&1 &
  watchdog=$!
  # The step is logged, the checkpoint written, then the drawing's open of the
  # FIFO blocks (the kernel's wait_for_partner; where wchan is hidden, 10 s).
  for _ in $(seq 600); do [ -s "$WORK/log.jsonl" ] && break; sleep 0.1; done
  for _ in $(seq 100); do [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] && break; sleep 0.1; done
  kill -s $sig $pid
  wait $pid
  rc=$?
  kill $watchdog 2>/dev/null
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  check_eq "exit on SIG$sig while waiting for a reader" "$rc" "$want"
  grep -q "rf: interrupted" "$WORK/sig.err" || fail "SIG$sig message: $(cat "$WORK/sig.err")"
  check_eq "one line on SIG$sig" "$(wc -l <"$WORK/sig.err")" "1"
  # The checkpoint was written before the drawing (it is committed at once), and it is whole.
  check_eq "checkpoint kept on SIG$sig" "$(h5get "$WORK/x.h5" 'f.attrs["format"]')" "sslkit-model"
  [ -z "$(ls -A "$WORK/tmp")" ] || fail "temp files left after SIG$sig: $(ls -A "$WORK/tmp")"
  ls -a "$WORK" | grep -q '^\.x\.h5\.tmp-' && fail "temp file left beside x.h5 after SIG$sig"
done

finish
