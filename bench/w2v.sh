#!/usr/bin/env bash
# One wav2vec 2.0 pretraining step on w2v-mini (batch 32 one-second clips at
# 16 kHz, 49 frames, ~25 masked, 100 distractors): bench_engine against
# bench/w2v_peer.py (Hugging Face transformers' Wav2Vec2ForPreTraining at the
# same shape; plus torchaudio's wav2vec2_model, ENCODER ONLY, when the peer
# python has torchaudio), f32 and bf16, ROUNDS interleaved rounds; medians
# (min-max) of seconds of audio per second, the ratio to the best full-step
# peer (HF, either precision) and to HF at the same precision, peak RSS.
#   PEER_PY     a python with torch and transformers (a venv outside the repo)
#   OURS        auto (default: time bench_engine if its w2v-mini wav2vec mode
#               answers, else say so and time the peers only), 1 (required), 0
#   TORCHAUDIO  auto (default: when PEER_PY imports torchaudio), 1, 0
#   OUT         keep the JSON lines there (default: a temporary directory)
#   BATCH ITERS WARMUP  (32 8 3) for both sides
set -euo pipefail
BIN=${BIN:-build}
ROUNDS=${ROUNDS:-3}
PEER_PY=${PEER_PY:-python3}
OURS=${OURS:-auto}
TORCHAUDIO=${TORCHAUDIO:-auto}
BATCH=${BATCH:-32}
ITERS=${ITERS:-8}
WARMUP=${WARMUP:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"; rm -f "$OUT"/*.jsonl "$OUT"/*.err
else
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-w2v.XXXXXX")
  trap 'rm -rf "$OUT"' EXIT
fi

# run FILE CMD...: one JSON line with seconds_audio_per_s_median appended to
# FILE.jsonl; on failure, the command's stderr and exit.
run() {
  local f=$1; shift
  local line
  if ! line=$("$@" 2> "$OUT/$f.err" | tail -1) ||
     ! python3 -c 'import json,sys; json.loads(sys.argv[1])["seconds_audio_per_s_median"]' "$line" 2> /dev/null; then
    echo "w2v.sh: failed: $*" >&2; tail -5 "$OUT/$f.err" >&2; echo "  last output line: ${line:-(none)}" >&2
    exit 1
  fi
  echo "$line" >> "$OUT/$f.jsonl"
}

isa=
if [ "$OURS" != 0 ]; then
  if probe=$("$BIN/bench_engine" w2v-mini wav2vec f32 1 1 0 2> "$OUT/probe.err" | tail -1) &&
     isa=$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["seconds_audio_per_s_median"]; print(r["isa"])' "$probe" 2> /dev/null); then
    OURS=1
  elif [ "$OURS" = 1 ]; then
    echo "w2v.sh: '$BIN/bench_engine w2v-mini wav2vec' does not run or print the expected JSON:" >&2
    tail -3 "$OUT/probe.err" >&2; exit 1
  else
    echo "w2v.sh: '$BIN/bench_engine w2v-mini wav2vec' not available (no binary, or no w2v-mini wav2vec mode yet): timing the peers only" >&2
    OURS=0; isa="(bench_engine not run)"
  fi
fi
if [ "$TORCHAUDIO" = auto ]; then
  TORCHAUDIO=$("$PEER_PY" -c 'import torchaudio' 2> /dev/null && echo 1 || echo 0)
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores; isa: ${isa:-(bench_engine not run)}"
echo "peer: $("$PEER_PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, "cpu capability", torch.backends.cpu.get_cpu_capability())')$(
  [ "$TORCHAUDIO" = 1 ] && "$PEER_PY" -c 'import torchaudio; print(" torchaudio", torchaudio.__version__, end="")' 2> /dev/null || echo " (no torchaudio)")"
for _ in $(seq "$ROUNDS"); do
  for p in f32 bf16; do
    pp=$([ "$p" = f32 ] && echo fp32 || echo bf16)
    peer=("$PEER_PY" "$HERE/w2v_peer.py" --precision "$pp" --batch "$BATCH" --iters "$ITERS" --warmup-iters "$WARMUP")
    if [ "$OURS" = 1 ]; then run "sslkit.$p" "$BIN/bench_engine" w2v-mini wav2vec "$p" "$BATCH" "$ITERS" "$WARMUP"; fi
    run "hf.$p" "${peer[@]}" --model hf
    if [ "$TORCHAUDIO" = 1 ]; then run "torchaudio.$p" "${peer[@]}" --model torchaudio; fi
  done
done
python3 - "$OUT" "$BATCH" <<'PY'
import json, os, statistics, sys
out, batch = sys.argv[1], sys.argv[2]
rows = {f[:-6]: [json.loads(l) for l in open(os.path.join(out, f))] for f in sorted(os.listdir(out)) if f.endswith(".jsonl")}
key = "seconds_audio_per_s_median"
med = {f: statistics.median(r[key] for r in v) for f, v in rows.items()}
hf = {f: v for f, v in med.items() if f.startswith("hf.")}
best = max((v, f) for f, v in hf.items())
print(f"wav2vec 2.0 step, w2v-mini, batch {batch} x 1 s: seconds of audio per second, median of rounds (min-max); "
      f"peer best = {best[1]} {best[0]:.2f}")
order = ["sslkit", "hf", "torchaudio"]
for f in sorted(rows, key=lambda f: (f.split(".")[1] != "f32", order.index(f.split(".")[0]))):
    who, p = f.split(".")
    v = [r[key] for r in rows[f]]
    same = med.get(f"hf.{p}")
    note = "  (encoder only: no quantizer/contrastive/masking)" if who == "torchaudio" else ""
    print(f"  {f:16s} {med[f]:7.2f} ({min(v):.2f}-{max(v):.2f})  vs peer best {med[f] / best[0]:5.2f}"
          f"  vs hf.{p} {med[f] / same if same else float('nan'):5.2f}"
          f"  peak RSS {max(r['peak_rss_mib'] for r in rows[f]):6.0f} MiB{note}")
PY
