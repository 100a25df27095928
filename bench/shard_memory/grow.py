#!/usr/bin/python3
"""grow.py SEED.h5 N OUT K: K shards OUT.0.h5 .. OUT.(K-1).h5 of one N-row file
made by repeating SEED's rows (ids 0..N-1), each dataset with SEED's dtype,
chunks, compression and attributes, as sslkit's writer lays them out. K=1
writes OUT.h5 alone. Written in blocks, so any N fits in memory."""
import sys

import h5py
import numpy as np

seed_path, n, out, k = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
src = h5py.File(seed_path, "r")
m = len(src["ids"])
per_sample = [name for name, d in src.items() if name not in ("history", "tokenizer")]
cache = {name: src[name][()] for name in per_sample}
for i in range(k):
    lo, hi = i * n // k, (i + 1) * n // k
    with h5py.File(out + (".h5" if k == 1 else ".%d.h5" % i), "w", track_order=False) as f:
        for a, v in src.attrs.items():
            f.attrs[a] = v
        for name, d in src.items():
            if name not in per_sample:
                f.create_dataset(name, data=d[()])
            else:
                f.create_dataset(name, shape=(hi - lo,) + d.shape[1:], dtype=d.dtype, chunks=d.chunks,
                                 maxshape=(None,) + d.shape[1:], compression=d.compression)
                for start in range(lo, hi, 8192):
                    stop = min(hi, start + 8192)
                    rows = np.arange(start, stop)
                    f[name][start - lo:stop - lo] = rows if name == "ids" else cache[name][rows % m]
            for a, v in d.attrs.items():
                f[name].attrs[a] = v
