"""On paper: the measured steps of bench/scale_out/run.sh projected to 8 and
64 nodes under ring all-reduce at 10 and 100 Gbit/s.

  python3 bench/scale_out/project.py bench/scale_out/results-DATE.txt

Model (stated, not measured): each node runs the 1x2 row's step (one node
of this machine's 2 cores, the default batch: weak scaling, the global batch
grows with the nodes) in T seconds; the gradients, G bytes (the 2-rank rows'
bytes per step, which are the f32 gradients plus a few control words), are
all-reduced by a ring: t = 2 (N-1)/N G / bandwidth + 2 (N-1) latency, with a
latency of 20 us a hop; no overlap with backward (sslkit's now), so the
efficiency is T / (T + t)."""
import sys

BATCH = {"image": 100, "text": 64, "audio": 32}  # the default steps' batches
LATENCY = 20e-6
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or line.startswith("step"):
        continue
    f = line.split()
    if len(f) < 7:
        continue
    rows[(f[0], f[1])] = {"thr": float(f[2]), "bytes": float(f[5])}
print("# on paper: ring all-reduce, latency 20 us a hop, no overlap; T = one node's (1x2) step")
print(f"{'step':6} {'T s':>7} {'G MB':>7} {'Gbit/s':>6} {'N':>3} {'t s':>8} {'efficiency':>10}")
for m, batch in BATCH.items():
    if (m, "1x2") not in rows or (m, "2x1-shm") not in rows:
        continue
    T = batch / rows[(m, "1x2")]["thr"]
    G = rows[(m, "2x1-shm")]["bytes"]
    for gbit in (10, 100):
        bw = gbit * 1e9 / 8
        for n in (8, 64):
            t = 2 * (n - 1) / n * G / bw + 2 * (n - 1) * LATENCY
            print(f"{m:6} {T:7.3f} {G / 1e6:7.2f} {gbit:6d} {n:3d} {t:8.4f} {T / (T + t):10.3f}")
