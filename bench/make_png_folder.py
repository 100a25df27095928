#!/usr/bin/python3
"""Writes images from an SSL-HDF5 image file as PNG files in class subfolders.

Usage: make_png_folder.py IN.h5 OUT_DIR [N]

Used by the benchmarks (a folder of 10,000 PNGs for `ssl-import images`) and
to build data/images. Pure Python (zlib) so it needs nothing beyond h5py.
"""
import os
import struct
import sys
import zlib

import h5py


def write_png(path, img):
    h, w, c = img.shape
    color = {1: 0, 3: 2}[c]
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    src, out = sys.argv[1], sys.argv[2]
    f = h5py.File(src, "r")
    n = min(int(sys.argv[3]) if len(sys.argv) > 3 else len(f["images"]), len(f["images"]))
    labels = f["labels"][:n] if "labels" in f else [-1] * n
    names = list(f["labels"].attrs.get("class_names", [])) if "labels" in f else []
    images = f["images"]
    for i in range(n):
        lab = int(labels[i])
        sub = names[lab] if 0 <= lab < len(names) else (f"class{lab}" if lab >= 0 else "")
        sub = sub.replace("/", "-")
        d = os.path.join(out, sub)
        os.makedirs(d, exist_ok=True)
        write_png(os.path.join(d, f"{i:06d}.png"), images[i])


if __name__ == "__main__":
    main()
