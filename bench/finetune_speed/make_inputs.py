"""Inputs of the fine-tuning speed benchmark (run with /usr/bin/python3:
numpy only). text OUT N_PER_CLASS: two files of lines of 200 words drawn at
random from the fortunes (so every row fills 128 tokens), one file per class.
images OUT N SIDE: an IDX images file [N,SIDE,SIDE,3] of random pixels and an
IDX labels file of two classes, alternating."""
import glob
import os
import re
import sys

import numpy as np

rng = np.random.default_rng(25)
what, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
if what == "text":
    n = int(sys.argv[3])
    words = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if path.endswith((".dat", ".u8")) or os.path.isdir(path):
            continue
        words += re.findall(r"[A-Za-z']+|[.,;:!?]", open(path, encoding="latin-1").read())
    words = np.array(words)
    for cls in ["a", "b"]:
        with open(os.path.join(out, cls), "w") as f:
            for _ in range(n):
                f.write(" ".join(rng.choice(words, 200)) + "\n")
else:
    n, side = int(sys.argv[3]), int(sys.argv[4])
    with open(os.path.join(out, "images-idx4-ubyte"), "wb") as f:
        f.write(bytes([0, 0, 8, 4]) + np.array([n, side, side, 3], ">u4").tobytes())
        f.write(rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8).tobytes())
    with open(os.path.join(out, "labels-idx1-ubyte"), "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + np.array([n], ">u4").tobytes())
        f.write((np.arange(n) % 2).astype(np.uint8).tobytes())
