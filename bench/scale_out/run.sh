#!/usr/bin/env bash
# Scale-out on this machine: the default image, text and audio steps of
# ssl-pretrain (EMP-SSL batch 100 on Fashion-MNIST, MLM batch 64 on fortunes,
# wav2vec 2.0 batch 32 on 1 s espeak-ng clips) as
#   1 rank x 1 thread, 1 rank x 2 threads, 2 ranks x 1 thread over shared
#   memory (btl vader), 2 ranks x 1 thread over TCP on loopback (btl tcp),
# each STEPS steps; the first 2 are left out (oneDNN primitive creation).
# Per row: median throughput, efficiency against 1 rank x 1 thread, bytes
# handed to MPI per step, median time per step in MPI (rank 0's, waiting for
# the other rank included). Every byte stays on the loopback interface.
#   BIN=build STEPS=12 bash bench/scale_out/run.sh | tee bench/scale_out/results-DATE.txt
set -euo pipefail
BIN=$(cd "${BIN:-build}" && pwd)
STEPS=${STEPS:-12}
. "$(dirname "$0")/../lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo

FM=/usr/share/datasets/fashion-mnist
"$BIN/ssl-import" idx $FM/t10k-images-idx3-ubyte.gz $FM/t10k-labels-idx1-ubyte.gz -o "$W/image.h5" -q
FORTUNES=/usr/share/games/fortunes
"$BIN/ssl-import" text $FORTUNES/computers $FORTUNES/science --records percent --vocab-size 8000 --max-len 128 \
  --seed 0 -o "$W/text.h5" -q
mkdir -p "$W/clips/x"
words=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen)
for i in $(seq 0 63); do
  espeak-ng -v en -s $((140 + i % 4 * 20)) -w "$W/clips/x/$i.wav" "${words[i % 16]} ${words[(i / 4) % 16]}"
done
"$BIN/ssl-import" audio "$W/clips" --seconds 1.0 -o "$W/audio.h5" -q

echo "# scale-out on $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); Open MPI $(mpirun --version | head -1 | awk '{print $NF}')"
echo "# STEPS=$STEPS, median of steps 3..$STEPS; efficiency = throughput / (ranks*threads x 1-rank-1-thread throughput)"
printf "%-6s %-10s %10s %-16s %10s %12s %11s %8s\n" step setup throughput unit efficiency bytes/step comm_s/step comm_%
for m in image text audio; do
  base=""
  for setup in "1x1" "1x2" "2x1-shm" "2x1-tcp"; do
    case $setup in
      1x1) run=("$BIN/ssl-pretrain") thr=1 ;;
      1x2) run=("$BIN/ssl-pretrain") thr=2 ;;
      2x1-shm) run=(mpirun -q -np 2 --mca btl vader,self "$BIN/ssl-pretrain") thr=1 ;;
      2x1-tcp) run=(mpirun -q -np 2 --mca btl tcp,self "$BIN/ssl-pretrain") thr=1 ;;
    esac
    rm -f "$W/log.jsonl"
    "${run[@]}" "$W/$m.h5" --threads $thr --max-steps "$STEPS" --epochs 100 -q --log-json "$W/log.jsonl" -o "$W/m.h5"
    /usr/bin/python3 - "$W/log.jsonl" "$setup" "$m" "${base:-0}" >"$W/row" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
key = next(k for k in rows[0] if k.endswith("_per_s"))
# Step time from the clock of the log (rank 0's), steps 3.. only.
pairs = list(zip(rows[1:], rows[2:]))
thr = statistics.median(r[key] for _, r in pairs)
setup, m, base = sys.argv[2], sys.argv[3], float(sys.argv[4])
cores = 1 if setup == "1x1" else 2
eff = thr / (cores * base) if base > 0 else 1.0
b = statistics.median(r.get("comm_bytes", 0) for _, r in pairs)
c = statistics.median(r.get("comm_s", 0) for _, r in pairs)
share = statistics.median(r.get("comm_s", 0) / (r["seconds"] - p["seconds"]) for p, r in pairs)
print(f"{thr:.4g} {key} {eff:.2f} {b:.0f} {c:.4f} {100 * share:.1f}")
PY
    read -r thr key eff bytes comm share <"$W/row"
    [ -z "$base" ] && base=$thr
    printf "%-6s %-10s %10s %-16s %10s %12s %11s %7s%%\n" "$m" "$setup" "$thr" "$key" "$eff" "$bytes" "$comm" "$share"
  done
done
