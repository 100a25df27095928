#!/usr/bin/env bash
# The engine against PyTorch at its best, same work, same machine, same run.
# Every row: bench_engine (f32 and bf16) against every peer configuration
# (Debian's PyTorch 1.13 and the current one from a venv; fp32 and bf16
# autocast; channels-last or not for convolutions; torch.compile or not on
# torch >= 2), ROUNDS interleaved rounds, medians (min-max). The table gives
# each side's best, the ratio, and the fraction of the machine's peak: the
# best N^3 matmul any side ran in this run (ours through oneDNN 2.6, each
# torch's), against the step's dense work as bench_engine counts it
# (direct-convolution FLOPs, nn::flops_counted), the same work for the peer.
#   PEERS   pythons with torch (default: /usr/bin/python3 and, if present, /work/venv/bin/python)
#   ROWS    which rows (default: all): convnet_simclr convnet_m_emp convnet_infer resnet18_simclr
#           mlm_block mae_block base_block w2v
#   ROUNDS  (2)  OUT  keep the JSON lines there (default: a temporary folder)
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED_PEER=${SHARED_PEER:-$(cd "$HERE/../.." && pwd)/shared/peer}
PEERS=${PEERS:-/usr/bin/python3 $([ -x /work/venv/bin/python ] && echo /work/venv/bin/python)}
ROWS=${ROWS:-convnet_simclr convnet_m_emp convnet_infer resnet18_simclr mlm_block mae_block base_block w2v}
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"; rm -f "$OUT"/*.jsonl "$OUT"/*.err
else
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-engine.XXXXXX")
  trap 'rm -rf "$OUT"' EXIT
fi
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

# bf16 only where oneDNN has bf16 kernels (AVX-512 and up). On an AVX2 CPU
# PyTorch's bf16 autocast is emulated and takes minutes per config, so it is
# left out there too (measured: no convnet-s step finished within 300 s).
precisions="f32"
if "$BIN/bench_engine" convnet infer bf16 8 1 0 > /dev/null 2>&1; then precisions="f32 bf16"; fi
isa=$("$BIN/bench_engine" convnet infer f32 8 1 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["isa"])')
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores; oneDNN isa: $isa;" \
     "flags: $(grep -m1 -o -E 'avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for py in $PEERS; do
  echo "peer: $py: torch $("$py" -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "")')"
done

# run NAME CMD...: the command's last line (one JSON object) appended to NAME.jsonl.
run() {
  local f=$1; shift
  local line
  if ! line=$("$@" 2> "$OUT/$f.err" | tail -1) || ! python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" 2> /dev/null; then
    echo "engine.sh: failed: $*" >&2; tail -3 "$OUT/$f.err" >&2; return 0
  fi
  echo "$line" >> "$OUT/$f.jsonl"
}

# peer_configs PY CONV: the peer's option sets: precision, channels-last (CONV=1), --compile (torch >= 2).
peer_configs() {
  local py=$1 conv=$2 compile=0 p cl c
  "$py" -c 'import torch, sys; sys.exit(0 if hasattr(torch, "compile") else 1)' 2> /dev/null && compile=1
  for p in $precisions; do
    for cl in 0 $([ "$conv" = 1 ] && echo 1); do
      for c in 0 $([ "$compile" = 1 ] && echo 1); do
        echo "$([ "$p" = f32 ] && echo fp32 || echo bf16) $cl $c"
      done
    done
  done
}

# row NAME CONV OURS_ARGS... -- PEER_SCRIPT_AND_ARGS... (the precision goes after the peer's third argument)
row() {
  local name=$1 conv=$2; shift 2
  local ours=() peer=()
  while [ "$1" != -- ]; do ours+=("$1"); shift; done
  shift; peer=("$@")
  for _ in $(seq "$ROUNDS"); do
    for p in $precisions; do
      run "$name.sslkit.$p" "$BIN/bench_engine" "${ours[@]:0:2}" "$p" "${ours[@]:2}"
    done
    for py in $PEERS; do
      local v; v=$("$py" -c 'import torch; print(torch.__version__.split("+")[0])')
      while read -r pp cl c; do
        local tag="torch$v.$pp$([ "$cl" = 1 ] && echo .cl)$([ "$c" = 1 ] && echo .compiled)"
        run "$name.$tag" "$py" "${peer[@]:0:3}" "$pp" "${peer[@]:3}" $([ "$cl" = 1 ] && echo --channels-last) \
            $([ "$c" = 1 ] && echo --compile)
      done < <(peer_configs "$py" "$conv")
    done
  done
}

# The machine's limit first, and again at the end (the rate drifts on a shared machine).
peak() {
  for p in $precisions; do
    run "peak.sslkit.$p" "$BIN/bench_engine" peak matmul "$p" 2048 10 3
    for py in $PEERS; do
      run "peak.torch$("$py" -c 'import torch; print(torch.__version__.split("+")[0])').$p" \
          "$py" "$HERE/engine_peer.py" peak matmul "$([ "$p" = f32 ] && echo fp32 || echo bf16)" 2048 --iters 10 --warmup 3
    done
  done
}
peak
TP="$SHARED_PEER/bench_throughput.py"
for r in $ROWS; do
  case $r in
    convnet_simclr) row "$r" 1 convnet simclr 256 10 3 -- "$TP" convnet simclr 256 --iters 10 --warmup 3 ;;
    convnet_m_emp) row "$r" 1 convnet-m emp 100 5 2 -- "$HERE/engine_peer.py" convnet-m emp 100 --iters 5 --warmup 2 ;;
    convnet_infer) row "$r" 1 convnet infer 1024 10 3 -- "$TP" convnet infer 1024 --iters 10 --warmup 3 ;;
    resnet18_simclr) row "$r" 1 resnet18 simclr 128 3 1 -- "$TP" resnet18 simclr 128 --iters 3 --warmup 1 ;;
    mlm_block) row "$r" 0 mlm-block block 64 10 3 -- "$HERE/engine_peer.py" mlm-block block 64 --iters 10 --warmup 3 ;;
    mae_block) row "$r" 0 mae-block block 256 10 3 -- "$HERE/engine_peer.py" mae-block block 256 --iters 10 --warmup 3 ;;
    base_block) row "$r" 0 base-block block 32 5 2 -- "$HERE/engine_peer.py" base-block block 32 --iters 5 --warmup 2 ;;
    w2v)
      for _ in $(seq "$ROUNDS"); do
        for p in $precisions; do
          pp=$([ "$p" = f32 ] && echo fp32 || echo bf16)
          run "w2v.sslkit.$p" "$BIN/bench_engine" w2v-mini wav2vec "$p" 32 8 3
          for py in $PEERS; do
            v=$("$py" -c 'import torch; print(torch.__version__.split("+")[0])')
            "$py" -c 'import transformers' 2> /dev/null &&
              run "w2v.hf-torch$v.$pp" "$py" "$HERE/w2v_peer.py" --model hf --precision "$pp" --batch 32 --iters 8 --warmup-iters 3
            "$py" -c 'import torchaudio' 2> /dev/null &&
              run "w2v.torchaudio-encoder-only-torch$v.$pp" "$py" "$HERE/w2v_peer.py" --model torchaudio --precision "$pp" --batch 32 --iters 8 --warmup-iters 3
          done
        done
      done ;;
    *) echo "engine.sh: unknown row $r" >&2; exit 2 ;;
  esac
done
peak

python3 - "$OUT" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
runs = {}
for f in sorted(os.listdir(out)):
    if f.endswith(".jsonl"):
        runs[f[:-6]] = [json.loads(l) for l in open(os.path.join(out, f)) if l.strip()]
peak = {}
for k, v in runs.items():
    if k.startswith("peak."):
        p = "f32" if k.endswith("f32") else "bf16"
        peak[p] = max(peak.get(p, 0), statistics.median(r["gflops_median"] for r in v))
print("\nmachine peak (the best N=2048 matmul of any side in this run, GFLOP/s): " +
      ", ".join(f"{p} {g:.0f}" for p, g in peak.items()))
for k, v in runs.items():
    if k.startswith("peak."):
        g = [r["gflops_median"] for r in v]
        print(f"  {k[5:]:22s} {statistics.median(g):7.1f} ({min(g):.1f}-{max(g):.1f})")
units = {"w2v": ("seconds_audio_per_s_median", "s audio/s"), "mlm_block": ("tokens_per_s_median", "tokens/s"),
         "mae_block": ("tokens_per_s_median", "tokens/s"), "base_block": ("tokens_per_s_median", "tokens/s")}
rows = []
for k in runs:
    r = k.split(".")[0]
    if r != "peak" and r not in rows:
        rows.append(r)
for r in rows:
    key, unit = units.get(r, ("img_per_s_median", "images/s"))
    cfgs = {k[len(r) + 1:]: v for k, v in runs.items() if k.startswith(r + ".")}
    med = {c: statistics.median(x[key] for x in v) for c, v in cfgs.items()}
    ours = {c: m for c, m in med.items() if c.startswith("sslkit.")}
    # The peer to beat does the same work (the torchaudio encoder does less: shown, never the best).
    peers = {c: m for c, m in med.items() if not c.startswith("sslkit.") and "encoder-only" not in c}
    flops = {c: v[0].get("gflop_per_step", 0) / v[0]["batch"] for c, v in cfgs.items() if c.startswith("sslkit.")}
    work = max(flops.values()) if flops else 0  # GFLOP per image (sequence, clip)
    best_peer = max(peers.items(), key=lambda kv: kv[1]) if peers else None
    best_ours = max(ours.items(), key=lambda kv: kv[1]) if ours else None
    print(f"\n{r} ({unit}; {work * 1e3:.1f} MFLOP per item counted by bench_engine)")
    if best_ours and best_peer:
        print(f"  best: sslkit {best_ours[0][7:]} {best_ours[1]:.1f} vs {best_peer[0]} {best_peer[1]:.1f}: "
              f"ratio {best_ours[1] / best_peer[1]:.2f}")
    for c in sorted(cfgs, key=lambda c: (not c.startswith("sslkit"), c)):
        v = [x[key] for x in cfgs[c]]
        p = "bf16" if "bf16" in c else "f32"
        # Items per second: images, sequences, or one-second clips (w2v's peers print only seconds of audio/s).
        items_per_s = statistics.median(x.get("img_per_s_median", x[key]) for x in cfgs[c])
        frac = work * items_per_s / peak[p] if work and p in peak and "encoder-only" not in c else float("nan")
        ratio = med[c] / best_peer[1] if best_peer else float("nan")
        rss = max(x.get("peak_rss_mib", 0) for x in cfgs[c])
        print(f"  {c:42s} {med[c]:10.1f} ({min(v):.1f}-{max(v):.1f})  vs best peer {ratio:5.2f}  "
              f"peak {frac * 100:5.1f} % ({p})  rss {rss:6.0f} MiB")
PY
