#!/usr/bin/env bash
# The same job twice on the same machine, one after the other: sslkit's
#   ssl-pretrain demo/fashion-train.h5 --method METHOD --arch ARCH --time-budget BUDGET
# and its lightly peer, bench/fmnist_lightly_peer.py (lightly's heads, loss,
# transforms and kNN in a plain PyTorch loop, lightly's CIFAR-10 optimizer
# recipe), each with the kNN monitor on the test file every MONITOR_EVERY
# steps (inside the budget, as ssl-pretrain counts it) and at the end. Then
# the same probes on both encoders' frozen features (ssl-embed for ours, the
# peer's --features-out for it): ssl-finetune --mode linear and --mode knn
# (k=200, T=0.1; k=20, T=0.07), and bench/probe_features.py (the logistic
# regression and kNN of shared/peer/probe_peer.py, on feature files); for
# convnet-s also probe_peer.py itself on the peer's checkpoint. Prints the
# CPU, its ISA, both sides' versions and a table with lightly/sslkit ratios.
#   bench/fmnist_peer.sh [OUT]   (OUT keeps models, logs and features; else a
#                                 scratch folder removed at exit)
# Env: BUDGET (1200 s each), METHOD (simclr; vicreg, byol), ARCH (convnet-s;
# resnet18), PRECISION (ours: auto = bf16 where oneDNN has bf16 kernels),
# PEER_PRECISION (fp32; bf16 = torch.autocast), PEER_WORKERS (2 DataLoader
# workers), PEER_ARGS (more peer options, e.g. --channels-last),
# MONITOR_EVERY (500), EMBED_PRECISION (f32: ssl-embed's features, as the
# peer writes them), PROBE_PEER (1: probe_peer.py on the peer's convnet-s),
# PROBE_ROWS (all; N: probe_features.py on the first N training rows, a quick
# check), BIN (build), DEMO (demo), PEER_PY (a python with torch,
# torchvision, lightly, h5py, scikit-learn: a venv outside the repo),
# PEER_DIR (../shared/peer).
# The whole run takes 2 x BUDGET plus the probes (a logistic regression on
# 60,000 rows per side: minutes) and the features.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUDGET=${BUDGET:-1200} METHOD=${METHOD:-simclr} ARCH=${ARCH:-convnet-s}
PRECISION=${PRECISION:-auto} PEER_PRECISION=${PEER_PRECISION:-fp32} PEER_WORKERS=${PEER_WORKERS:-2}
PEER_ARGS=${PEER_ARGS:-} MONITOR_EVERY=${MONITOR_EVERY:-500} EMBED_PRECISION=${EMBED_PRECISION:-f32}
PROBE_PEER=${PROBE_PEER:-1} PROBE_ROWS=${PROBE_ROWS:-}
BIN=${BIN:-build} DEMO=${DEMO:-demo} PEER_PY=${PEER_PY:-python3}
PEER_DIR=$(cd "${PEER_DIR:-$HERE/../../shared/peer}" && pwd)
. "$HERE/lib.sh"
OUT=${1:-$W}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TRAIN=$DEMO/fashion-train.h5 TEST=$DEMO/fashion-test.h5

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(nproc) cores;" \
  "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|avx512f|avx512_bf16|amx_bf16' | tr '\n' ' ')"
echo "job: $METHOD on $ARCH, $BUDGET s each; ours --precision $PRECISION, peer $PEER_PRECISION" \
  "($PEER_WORKERS workers${PEER_ARGS:+, $PEER_ARGS}); monitor every $MONITOR_EVERY steps"

# sslkit
rm -f "$OUT/ours.jsonl" "$OUT/peer.jsonl"
/usr/bin/time -f '%M %e' -o "$OUT/ours.time" "$BIN/ssl-pretrain" "$TRAIN" --method "$METHOD" --arch "$ARCH" \
  --time-budget "$BUDGET" --precision "$PRECISION" --monitor "$TEST" --monitor-every "$MONITOR_EVERY" \
  -o "$OUT/ours.h5" --log-json "$OUT/ours.jsonl" --progress 2> "$OUT/ours.log"
echo "sslkit: $("$BIN/ssl-pretrain" --version); $(grep -m1 ': precision ' "$OUT/ours.log" | cut -d: -f2- | sed 's/^ *//');" \
  "$(grep ' steps in ' "$OUT/ours.log" | tail -1 | cut -d: -f2- | sed 's/^ *//')"

# the lightly peer
# shellcheck disable=SC2086
/usr/bin/time -f '%M %e' -o "$OUT/peer.time" "$PEER_PY" "$HERE/fmnist_lightly_peer.py" --data "$TRAIN" --test "$TEST" \
  --method "$METHOD" --arch "$ARCH" --time-budget "$BUDGET" --precision "$PEER_PRECISION" --workers "$PEER_WORKERS" \
  --monitor-every "$MONITOR_EVERY" --log-json "$OUT/peer.jsonl" --features-out "$OUT/peer" $PEER_ARGS \
  > "$OUT/peer.out" 2> "$OUT/peer.log"
head -1 "$OUT/peer.out" | sed 's/^/peer: /'
sed -n 2p "$OUT/peer.out" | cut -c1-400 | sed 's/^/peer config: /'

# the same probes on both
for s in train test; do
  "$BIN/ssl-embed" "$OUT/ours.h5" "$DEMO/fashion-$s.h5" --precision "$EMBED_PRECISION" -o "$OUT/ours-$s.h5" -q
done
for who in ours peer; do
  "$BIN/ssl-finetune" "$OUT/$who-train.h5" --eval "$OUT/$who-test.h5" --mode linear --metrics "$OUT/$who-linear.json" -q >/dev/null
  "$BIN/ssl-finetune" "$OUT/$who-train.h5" --eval "$OUT/$who-test.h5" --mode knn --metrics "$OUT/$who-knn.json" -q >/dev/null
  "$BIN/ssl-finetune" "$OUT/$who-train.h5" --eval "$OUT/$who-test.h5" --mode knn --k 20 --knn-temperature 0.07 \
    --metrics "$OUT/$who-knn20.json" -q >/dev/null
  "$PEER_PY" "$HERE/probe_features.py" "$OUT/$who-train.h5" "$OUT/$who-test.h5" --peer-dir "$PEER_DIR" \
    ${PROBE_ROWS:+--limit-train "$PROBE_ROWS"} > "$OUT/$who-probe.json"
done
if [ "$ARCH" = convnet-s ] && [ "$PROBE_PEER" = 1 ]; then
  (cd "$PEER_DIR" && "$PEER_PY" probe_peer.py "$OUT/peer.pt" > "$OUT/peer-probe_peer.json")
fi

python3 - "$OUT" "$BUDGET" <<'PY'
import json, os, statistics, sys
out, budget = sys.argv[1], float(sys.argv[2])
def lines(p):
    return [json.loads(l) for l in open(p) if l.strip()]
def js(p):
    return json.load(open(p)) if os.path.exists(p) else None
def side(who):
    log = lines(f"{out}/{who}.jsonl")
    st = [l for l in log if "images_per_s" in l]
    mon = [l for l in log if "monitor_knn" in l]
    rss, wall = open(f"{out}/{who}.time").read().split()[-2:]
    pr = js(f"{out}/{who}-probe.json")
    r = {"steps": len(st), "seconds to the last step's end": st[-1]["seconds"] if st else float("nan"),
         "images/s (steps x batch / s)": None, "step images/s, median": statistics.median(l["images_per_s"] for l in st),
         "monitor kNN k=200 (10k bank)": mon[-1]["monitor_knn"] if mon else None,
         "monitor kNN k=20 T=0.07": mon[-1].get("monitor_knn20") if mon else None,
         "ssl-finetune linear": js(f"{out}/{who}-linear.json")["accuracy"],
         "ssl-finetune kNN k=200 T=0.1": js(f"{out}/{who}-knn.json")["accuracy"],
         "ssl-finetune kNN k=20 T=0.07": js(f"{out}/{who}-knn20.json")["accuracy"],
         "probe_peer logreg (features)": pr["linear_probe_acc"], "probe_peer kNN k=200 (features)": pr["knn_cos_k200_acc"],
         "peak RSS MiB (largest process)": int(rss) / 1024, "wall s (run + features)": float(wall)}
    batch = 256
    if who == "peer":
        summ = [l for l in lines(f"{out}/peer.out") if l.get("done")]
        batch = summ[-1]["batch"] if summ else batch
    r["images/s (steps x batch / s)"] = r["steps"] * batch / r["seconds to the last step's end"] if st else None
    return r
ours, peer = side("ours"), side("peer")
pp = js(f"{out}/peer-probe_peer.json")
def fmt(v):
    return "" if v is None else f"{v:10d}" if isinstance(v, int) else f"{v:10.4f}" if v < 1.5 else f"{v:10.1f}"
print(f"\n{'':34s} {'sslkit':>10s} {'lightly':>10s} {'lightly/sslkit':>15s}")
for k in ours:
    a, b = ours[k], peer[k]
    ra = f"{b / a:15.3f}" if a and b is not None else f"{'':15s}"
    print(f"{k:34s} {fmt(a):>10s} {fmt(b):>10s} {ra}")
print("seconds and images/s include the periodic monitor scores, as the budget does; the step median does not")
print("monitor banks: sslkit a seeded random 10,000 training rows, the peer the first 10,000; both all 10,000 test images")
if pp:
    print(f"probe_peer.py on the peer's checkpoint: logreg {pp['linear_probe_acc']:.4f}, kNN k=200 "
          f"{pp['knn_cos_k200_acc']:.4f} (embed {pp['embed_70k_s']:.0f} s, logreg {pp['logreg_s']:.0f} s)")
PY
