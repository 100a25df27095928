#!/usr/bin/env bash
# Full fine-tuning speed, sslkit against Hugging Face transformers, on one
# machine in one run (issue 25's figures):
#   bert: a bert-base-shaped text encoder (12 post-LN blocks, width 768, 12
#         heads, MLP 3072, eps 1e-12) on rows of 128 tokens, batch 32:
#         `ssl-finetune --mode full --arch bert-mini:width=768,...` against
#         BertForSequenceClassification;
#   vit:  a vit-mae-base-shaped encoder (224x224, patch 16, 768/12/12/3072)
#         on 224x224 RGB images, batch 32: `ssl-finetune --mode full --arch
#         MAE.h5` (vit-tiny:width=768,... --patch 16, one step of
#         ssl-pretrain --method mae) against ViTForImageClassification.
# Random weights, f32 and bf16 (sslkit --precision bf16; torch autocast to
# bf16 on the CPU), AdamW on both sides. Each run does WARMUP + STEPS steps;
# the median of the STEPS after the warm-up is its step time (sslkit's from
# its --progress lines, one per step when a step takes over 5 s; the peer's
# from perf_counter around the same work). sslkit and the peer alternate,
# ROUNDS times. Peak RSS of each whole process from /usr/bin/time.
# Writes the table and the raw lines to OUT (default
# bench/finetune_speed/results-DATE.md).
#   BIN=build PEER_PY=/work/venv/bin/python ROUNDS=1 WARMUP=1 STEPS=3 bench/finetune_speed/run.sh
set -euo pipefail
BIN=${BIN:-build}
PEER_PY=${PEER_PY:-/work/venv/bin/python}
ROUNDS=${ROUNDS:-1}
WARMUP=${WARMUP:-1}
STEPS=${STEPS:-3}
BATCH=${BATCH:-32}          # bert
VIT_BATCH=${VIT_BATCH:-32}
MODELS=${MODELS:-bert vit}
PRECISIONS=${PRECISIONS:-f32 bf16}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/results-$(date -u +%F).md}
. "$HERE/../lib.sh"
LOG=${OUT%.md}.jsonl  # kept until the table is written
: > "$LOG"

# Training rows: one epoch is exactly WARMUP + STEPS steps; and 8 rows per
# class held out for --eval.
per_class() { echo $(($1 * (WARMUP + STEPS) / 2 + 8)); }
split_of() { awk -v c="$(per_class "$1")" 'BEGIN { printf "%.6f", 8 / c }'; }
declare -A DATA MODEL B
B[bert]=$BATCH
B[vit]=$VIT_BATCH
if [[ " $MODELS " == *" bert "* ]]; then
  /usr/bin/python3 "$HERE/make_inputs.py" text "$W/text" "$(per_class "$BATCH")"
  "$BIN/ssl-import" text "$W/text/a" "$W/text/b" --vocab-size 8000 --max-len 128 --split "$(split_of "$BATCH")" \
    --split-output "$W/text-eval.h5" -o "$W/text.h5" -q
  DATA[bert]=$W/text.h5
  MODEL[bert]="--arch bert-mini:width=768,depth=12,heads=12,mlp=3072,norm=post,eps=1e-12 --pool cls"
fi
if [[ " $MODELS " == *" vit "* ]]; then
  /usr/bin/python3 "$HERE/make_inputs.py" images "$W/img" $((2 * $(per_class "$VIT_BATCH"))) 224
  "$BIN/ssl-import" idx "$W/img/images-idx4-ubyte" "$W/img/labels-idx1-ubyte" --split "$(split_of "$VIT_BATCH")" \
    --split-output "$W/img-eval.h5" -o "$W/img.h5" -q
  DATA[vit]=$W/img.h5
  # ssl-finetune takes no --patch: a ViT trained from scratch there has the
  # default 4-pixel patches (3136 tokens at 224). The 16-pixel encoder comes
  # from one step of MAE pretraining (random weights otherwise), and is
  # fine-tuned with --model, as an imported vit-mae-base would be.
  "$BIN/ssl-pretrain" "$W/img.h5" --method mae --arch vit-tiny:width=768,depth=12,heads=12,mlp=3072,eps=1e-12 \
    --patch 16 --batch 2 --max-steps 1 -o "$W/mae.h5" -q
  # No augmentation (flip with probability 0), as the peer's batches.
  MODEL[vit]="--model $W/mae.h5 --pool cls --recipe flip(0)"
fi

# What both sides run on.
CPU="$(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores"
FLAGS=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|avx512_vnni|amx_bf16|amx_tile)$' | tr '\n' ' ')
/usr/bin/python3 "$HERE/make_inputs.py" text "$W/probe" 8
"$BIN/ssl-import" text "$W/probe/a" "$W/probe/b" --vocab-size 500 -o "$W/tiny.h5" -q 2>/dev/null || true
ONEDNN_VERBOSE=1 "$BIN/ssl-finetune" "$W/tiny.h5" --eval "$W/tiny.h5" --mode full --arch bert-tiny --batch 4 \
  --epochs 1 --precision bf16 -q > "$W/onednn.txt" 2>&1 || true
ONEDNN_ISA=$(grep -m1 -o "isa:[^,]*" "$W/onednn.txt" || echo "isa: unknown")
TORCH_ISA=$("$PEER_PY" -c 'import torch; print(torch.backends.cpu.get_cpu_capability())')
PEER_VER=$("$PEER_PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')
echo "cpu: $CPU; flags: $FLAGS; oneDNN $ONEDNN_ISA; torch $TORCH_ISA; $PEER_VER"

# ours MODEL PREC ROUND: one ssl-finetune run, a JSON line into LOG.
ours() {
  local m=$1 p=$2 r=$3 load
  load=$(cut -d' ' -f1 /proc/loadavg)
  # shellcheck disable=SC2086
  /usr/bin/time -o "$W/time" -f "%M %e %P" "$BIN/ssl-finetune" "${DATA[$m]}" --eval "$W/$([ "$m" = bert ] && echo text || echo img)-eval.h5" \
    --mode full ${MODEL[$m]} --batch "${B[$m]}" --epochs 1 --precision "$p" --progress \
    --metrics "$W/metrics.json" > /dev/null 2> "$W/ours.err" || { tail -3 "$W/ours.err" >&2; return 1; }
  /usr/bin/python3 - "$W/ours.err" "$W/time" "$m" "$p" "$r" "$WARMUP" "${B[$m]}" "$load" >> "$LOG" <<'PY'
import json, re, statistics, sys
err, timef, m, p, r, warmup, batch, load = sys.argv[1:]
steps = {}
for line in open(err):
    g = re.match(r"finetune: (\d+)/\d+ .* ([\d.]+) s/step", line)
    if g: steps[int(g[1])] = float(g[2])
timed = [s for k, s in sorted(steps.items()) if k > int(warmup)]
if not timed:
    sys.exit(f"run.sh: {err}: no --progress line of a step after the warm-up (steps under 5 s print no line each: "
             "raise BATCH or STEPS)")
rss, wall, cpu = open(timef).read().split()[:3]
med = statistics.median(timed)
per = 128 if m == "bert" else 1
print(json.dumps({"who": "sslkit", "model": m, "prec": p, "round": int(r), "batch": int(batch), "step_s": [steps[k] for k in sorted(steps)],
                  "timed_steps": len(timed), "median_step_s": med, "rate": int(batch) * per / med,
                  "peak_rss_mib": int(rss) / 1024, "wall_s": float(wall), "cpu": cpu, "load_before": float(load)}))
PY
}

# peer MODEL PREC ROUND: one finetune_peer.py run, a JSON line into LOG.
peer() {
  local m=$1 p=$2 r=$3 load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -o "$W/time" -f "%M %e %P" "$PEER_PY" "$HERE/finetune_peer.py" "$m" "${DATA[$m]}" --precision "$p" \
    --batch "${B[$m]}" --steps "$STEPS" --warmup "$WARMUP" > "$W/peer.out" 2> "$W/peer.err" || { tail -3 "$W/peer.err" >&2; return 1; }
  /usr/bin/python3 - "$W/peer.out" "$W/time" "$r" "$load" >> "$LOG" <<'PY'
import json, sys
out, timef, r, load = sys.argv[1:]
j = json.loads(open(out).read().strip().splitlines()[-1])
rss, wall, cpu = open(timef).read().split()[:3]
per = 128 if j["model"] == "bert" else 1
print(json.dumps({"who": "transformers", "model": j["model"], "prec": j["prec"], "round": int(r), "batch": j["batch"],
                  "step_s": j["step_s"], "timed_steps": len(j["step_s"]) - j["warmup"],
                  "median_step_s": j["median_step_s"], "rate": j["batch"] * per / j["median_step_s"],
                  "peak_rss_mib": int(rss) / 1024, "wall_s": float(wall), "cpu": cpu, "load_before": float(load),
                  "params": j["params"]}))
PY
}

SHOW=$(cat <<'PY'
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    print(f"  {j['model']} {j['prec']} {j['who']:12s} {j['median_step_s']:7.2f} s/step  rss {j['peak_rss_mib']:6.0f} MiB  "
          f"cpu {j['cpu']}  load {j['load_before']}", flush=True)
PY
)
START=$(date -u '+%F %T UTC')
for r in $(seq "$ROUNDS"); do
  for m in $MODELS; do
    for p in $PRECISIONS; do
      # Alternate who goes first, so a neighbour's load falls on both.
      if [ $(((r + ${#p}) % 2)) -eq 0 ]; then ours "$m" "$p" "$r"; peer "$m" "$p" "$r"
      else peer "$m" "$p" "$r"; ours "$m" "$p" "$r"; fi
      tail -2 "$LOG" | /usr/bin/python3 -c "$SHOW"
    done
  done
done
END=$(date -u '+%F %T UTC')

/usr/bin/python3 - "$LOG" "$OUT" "$CPU" "$FLAGS" "$ONEDNN_ISA" "$TORCH_ISA" "$PEER_VER" "$START" "$END" "$ROUNDS" \
  "$WARMUP" "$STEPS" "$BATCH" "$VIT_BATCH" <<'PY'
import json, statistics, sys
log, out, cpu, flags, onednn, torch_isa, peer_ver, start, end, rounds, warmup, steps, batch, vit_batch = sys.argv[1:]
rows = [json.loads(l) for l in open(log)]
lines = [f"# Fine-tuning speed: sslkit against transformers ({start[:10]})", "",
         f"- CPU: {cpu}; ISA flags: {flags.strip()}; oneDNN {onednn}; torch CPU capability {torch_isa}",
         f"- {peer_ver}; sslkit: ssl-finetune --mode full from this tree",
         f"- {start} to {end}; {rounds} round(s), sslkit and transformers alternating; each run {warmup} warm-up "
         f"+ {steps} timed steps (batch {batch} for bert, {vit_batch} for vit), the median of the timed steps; peak RSS of the whole process "
         "(/usr/bin/time); cpu = the share of the machine's cores the process got (200 % = both cores); load = "
         "the 1-minute load average before the run (other people's builds run on the same 2 cores).",
         "- Shapes: bert = 12 post-LN blocks, width 768, 12 heads, MLP 3072, 128 tokens a row (vocabulary: the "
         "SentencePiece model ssl-import trained, the same size on both sides); vit = 224x224x3, patch 16, "
         "197 tokens, 768/12/12/3072. Random weights, dropout 0 in transformers (sslkit has none), AdamW.", "",
         "| model | precision | sslkit | transformers | ratio | sslkit peak RSS | transformers peak RSS | sslkit cpu | transformers cpu |",
         "|---|---|---|---|---|---|---|---|---|"]
for m in ["bert", "vit"]:
    for p in ["f32", "bf16"]:
        o = [r for r in rows if r["model"] == m and r["prec"] == p and r["who"] == "sslkit"]
        t = [r for r in rows if r["model"] == m and r["prec"] == p and r["who"] == "transformers"]
        if not o or not t:
            continue
        unit = "tokens/s" if m == "bert" else "images/s"
        ro, rt = statistics.median(r["rate"] for r in o), statistics.median(r["rate"] for r in t)
        mo, mt = max(r["peak_rss_mib"] for r in o), max(r["peak_rss_mib"] for r in t)
        lines.append(f"| {m} | {p} | {ro:.3g} {unit} | {rt:.3g} {unit} | {ro / rt:.2f}x | {mo:.0f} MiB | {mt:.0f} MiB | "
                     f"{'/'.join(r['cpu'] for r in o)} | {'/'.join(r['cpu'] for r in t)} |")
lines += ["", "ratio = sslkit's rate / transformers' rate (above 1: sslkit faster).", "", "Raw runs:", "", "```"]
lines += [json.dumps(r) for r in rows] + ["```", ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines[:len(lines) - len(rows) - 3]))
PY
rm -f "$LOG"
echo "written: $OUT"
