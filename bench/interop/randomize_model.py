#!/usr/bin/env python3
"""Copy an sslkit model file with every parameter and buffer redrawn at random.

A model after one or two training steps is almost its initialisation: LayerNorm weights are 1 and biases 0,
BatchNorm statistics 0 and 1, attention biases 0. A name map that swaps ln1 and ln2, or running_mean and
running_var, gives the same features on such a model, so a check on it cannot fail. Redrawn values make every
tensor matter (the fixture generators of interop.md section 6 do the same on the PyTorch side).

  randomize_model.py IN.h5 OUT.h5 [--seed 0]

Weights ~ N(0, 1/fan_in) so activations keep their scale; 1-D tensors (norm weights, biases) ~ 1 + N(0, 0.2)
for *weight* and *running_var* (kept positive), N(0, 0.2) otherwise.
"""
import argparse, shutil, sys

import h5py
import numpy as np


def redraw(name, shape, rng):
    if len(shape) >= 2:
        fan_in = int(np.prod(shape[1:])) if "cls_token" not in name and "mask_token" not in name else 1
        return rng.normal(0, 1 / np.sqrt(fan_in), shape)
    if name.endswith("running_var"):
        return np.abs(1 + rng.normal(0, 0.2, shape)) + 0.05
    if name.endswith("weight"):
        return 1 + rng.normal(0, 0.2, shape)
    return rng.normal(0, 0.2, shape)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    shutil.copyfile(a.input, a.output)
    with h5py.File(a.output, "r+") as f:
        for group in ("params", "buffers"):
            if group not in f:
                continue
            names = []
            f[group].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            for n in sorted(names):
                d = f[group][n]
                d[...] = redraw(n, d.shape, rng).astype(d.dtype)
    print(f"{a.output}: parameters and buffers redrawn (seed {a.seed})")


if __name__ == "__main__":
    sys.exit(main())
