#!/usr/bin/env bash
# The engine against PyTorch (../shared/peer/bench_throughput.py), same work,
# same machine, same run: each config runs ROUNDS times, ours and the peer's
# interleaved, and the table shows medians (min-max) of images/s and the
# ratio to PyTorch's best configuration (fp32/bf16 autocast, channels-last or not).
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
PEER=${PEER:-$(cd "$(dirname "$0")/../.." && pwd)/shared/peer}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-engine.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

# bf16 only where oneDNN has bf16 kernels (AVX-512 and up). On an AVX2 CPU
# PyTorch's bf16 autocast is emulated and takes minutes per config, so it is
# left out there too (measured: no convnet-s step finished within 300 s).
ours_precisions="f32"
peer_precisions="fp32"
if "$BIN/bench_engine" convnet infer bf16 8 1 0 > /dev/null 2>&1; then
  ours_precisions="f32 bf16"
  peer_precisions="fp32 bf16"
fi

run_config() {  # name model task batch iters warmup
  local name=$1 model=$2 task=$3 batch=$4 iters=$5 warmup=$6
  for r in $(seq "$ROUNDS"); do
    for p in $ours_precisions; do
      "$BIN/bench_engine" "$model" "$task" "$p" "$batch" "$iters" "$warmup" >> "$OUT/$name.ours.$p"
    done
    for p in $peer_precisions; do
      for cl in "" "--channels-last"; do
        (cd "$PEER" && /usr/bin/python3 bench_throughput.py "$model" "$task" "$p" "$batch" --iters "$iters" \
           --warmup "$warmup" $cl) >> "$OUT/$name.peer.$p${cl:+.cl}"
      done
    done
  done
}

run_config convnet_simclr convnet simclr 256 10 3
run_config convnet_infer convnet infer 1024 10 3
run_config resnet18_simclr resnet18 simclr 128 3 1

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]
print("engine vs PyTorch, images/s: median over rounds (min-max); peak RSS MiB")
for name in ["convnet_simclr", "convnet_infer", "resnet18_simclr"]:
    files = sorted(f for f in os.listdir(out) if f.startswith(name + "."))
    rows = {}
    for f in files:
        runs = load(os.path.join(out, f))
        ips = [r["img_per_s_median"] for r in runs]
        rows[f[len(name) + 1:]] = (statistics.median(ips), min(ips), max(ips), max(r["peak_rss_mib"] for r in runs))
    best_peer = max((v[0], k) for k, v in rows.items() if k.startswith("peer"))
    print(f"\n{name}: PyTorch best = {best_peer[1]} at {best_peer[0]:.0f} img/s")
    for k, (m, lo, hi, rss) in rows.items():
        ratio = m / best_peer[0]
        print(f"  {k:22s} {m:9.1f} ({lo:.1f}-{hi:.1f})  ratio {ratio:5.2f}  rss {rss:7.1f}")
PY
