#!/bin/bash
# Throughput of ssl-pretrain's default image, text and audio runs (no
# --method, no --arch, no --batch: emp on convnet-m, mlm on bert-mini,
# wav2vec on w2v-mini), two builds side by side: runs alternate between
# them, REPEATS each, and the median of each run's per-step samples/s after
# its first WARM steps is reported with the ratio AFTER/BEFORE.
# Usage: throughput.sh BEFORE_BIN AFTER_BIN DEMO_DIR [STEPS] [REPEATS]
# DEMO_DIR: data/make-demo-datasets.sh's output (fashion-train.h5,
# fortunes-train.h5, digits-unlabelled.h5).
set -euo pipefail
BEFORE=$1 AFTER=$2 DEMO=$3 STEPS=${4:-12} REPEATS=${5:-3} WARM=2
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
echo "# $(lscpu | sed -n 's/^Model name: *//p'); $(grep -o -w 'avx512_bf16\|amx_tile\|avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# $(nproc) cores; $STEPS steps a run, the first $WARM not counted; $REPEATS runs a build, alternating"
rate() {  # BIN FILE KEY -> median samples/s of one run
  "$1/ssl-pretrain" "$2" --max-steps "$STEPS" --epochs 100 --seed 1 --log-json "$W/log.jsonl" -o "$W/m.h5" -q
  /usr/bin/python3 - "$W/log.jsonl" "$3" "$WARM" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
v = [r[sys.argv[2]] for r in rows if sys.argv[2] in r][int(sys.argv[3]):]
print(statistics.median(v))
PY
}
printf '%-8s %-22s %12s %12s %8s\n' run unit before after ratio
for job in image:fashion-train.h5:images_per_s text:fortunes-train.h5:sequences_per_s \
           audio:digits-unlabelled.h5:audio_seconds_per_s; do
  IFS=: read -r name file key <<<"$job"
  b=() a=()
  for _ in $(seq "$REPEATS"); do
    b+=("$(rate "$BEFORE" "$DEMO/$file" "$key")")
    a+=("$(rate "$AFTER" "$DEMO/$file" "$key")")
  done
  /usr/bin/python3 - "$name" "$key" "${b[*]}" "${a[*]}" <<'PY'
import statistics, sys
b = statistics.median(map(float, sys.argv[3].split())); a = statistics.median(map(float, sys.argv[4].split()))
print("%-8s %-22s %12.1f %12.1f %8.3f" % (sys.argv[1], sys.argv[2], b, a, a / b))
PY
done
