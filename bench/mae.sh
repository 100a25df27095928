#!/usr/bin/env bash
# One MAE step on vit-mini (28x28x1, batch 256, 75 % of 49 patches hidden):
# bench_engine against bench/mae_peer.py (current PyTorch, MAE as
# models_mae.py does it at the same shape), f32 and bf16, ROUNDS interleaved
# rounds; medians (min-max) of images/s and the ratio to the peer's best.
# PEER_PY: a python with torch (a venv outside the repo).
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
PEER_PY=${PEER_PY:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-mae.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores; isa: $("$BIN/bench_engine" vit-mini mae f32 8 1 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["isa"])')"
for r in $(seq "$ROUNDS"); do
  for p in f32 bf16; do
    "$BIN/bench_engine" vit-mini mae "$p" 256 8 3 >> "$OUT/ours.$p"
    "$PEER_PY" "$HERE/mae_peer.py" --precision "$([ "$p" = f32 ] && echo fp32 || echo bf16)" >> "$OUT/peer.$p"
  done
done
python3 - "$OUT" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
rows = {f: [json.loads(l) for l in open(os.path.join(out, f))] for f in sorted(os.listdir(out))}
med = {f: statistics.median(r["img_per_s_median"] for r in v) for f, v in rows.items()}
best = max((v, f) for f, v in med.items() if f.startswith("peer"))
print(f"MAE step, vit-mini, batch 256: images/s, median of rounds (min-max); peer best = {best[1]} {best[0]:.0f}")
for f, v in rows.items():
    ips = [r["img_per_s_median"] for r in v]
    print(f"  {f:10s} {med[f]:7.0f} ({min(ips):.0f}-{max(ips):.0f})  ratio to peer best {med[f] / best[0]:.2f}"
          f"  peak RSS {max(r['peak_rss_mib'] for r in v):.0f} MiB")
PY
