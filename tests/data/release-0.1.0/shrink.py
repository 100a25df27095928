"""Shrinks a model file in place for the release-0.1.0 fixture: drops
/optimizer, rounds each /params tensor to multiples of the power of two nearest its
standard deviation (a few distinct values with zero low bytes, so gzip packs
them) and rewrites every dataset gzip-compressed in one chunk. Layout, names, dtypes and /config are unchanged."""
import sys, os
import h5py, numpy as np

src = sys.argv[1]
tmp = src + ".shrink"
with h5py.File(src, "r") as f, h5py.File(tmp, "w", libver="latest") as g:
    for k, v in f.attrs.items():
        g.attrs[k] = v
    def copy(name, obj):
        if name.split("/")[0] == "optimizer":
            return
        if isinstance(obj, h5py.Group):
            grp = g.require_group(name)
            for k, v in obj.attrs.items():
                grp.attrs[k] = v
            return
        data = obj[()]
        if name.startswith("params/") and data.dtype == np.float32 and data.size > 1:
            # A power of two: k * step has an all-zero low mantissa.
            std = float(data.std())
            step = np.float32(2.0 ** np.round(np.log2(std))) if std > 0 else np.float32(0)
            if step > 0:
                data = (np.round(data / step) * step).astype(np.float32)
        kw = dict(compression="gzip", compression_opts=9, shuffle=True, chunks=obj.shape) if obj.shape and obj.size > 16 else {}
        d = g.create_dataset(name, data=data, dtype=obj.dtype, **kw)
        for k, v in obj.attrs.items():
            d.attrs[k] = v
    f.visititems(copy)
os.replace(tmp, src)
