#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets that read small hand-made formats
(tests/fuzz/corpus/TARGET/); the HDF5 targets take the committed files under
tests/data as seeds (the Makefile's fuzz target copies them in). Standard
library only; run once, the output is committed."""
import gzip, io, json, os, struct, wave

here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# IDX: magic 0 0 type ndim, big-endian dims, then the values.
images = struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2, 3, 3) + bytes(range(18))
labels = struct.pack(">BBBB", 0, 0, 8, 1) + struct.pack(">I", 2) + bytes([1, 7])
put("idx", "images.idx", images)
put("idx", "labels.idx", labels)
put("idx", "images.idx.gz", gzip.compress(images))
put("idx", "float.idx", struct.pack(">BBBB", 0, 0, 0x0D, 2) + struct.pack(">II", 1, 2) + struct.pack(">ff", 1.0, 2.0))

for name, channels, width, rate in [("mono16.wav", 1, 2, 16000), ("stereo8.wav", 2, 1, 8000)]:
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes((i * 37) % 256 for i in range(64 * channels * width)))
    put("audio", name, b.getvalue())


def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + blob


put("safetensors", "one.safetensors", safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))}))
put("safetensors", "meta.safetensors", safetensors(
    {"a.weight": ("BF16", [3], b"\x80\x3f" * 3), "b": ("I64", [], struct.pack("<q", 5))}, {"format": "pt"}))

put("wordpiece", "basic.txt", "Hello, world! unaffable\n[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n,\n!\nun\n##aff\n##able\n")
put("wordpiece", "unicode.txt", "Ça va? 你好 naïve\n[UNK]\nca\nva\n?\n你\n好\nnaive\n##ive\nna\n")

for i, r in enumerate(["crop(0.2,1) flip(0.5) jitter(0.4,0.4,0.4,0.1,p=0.8) gray(0.2)",
                       "crop(0.25,0.25,1,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)",
                       "rotate", "blur(23,0.1,2,p=0.5)", "simclr", ""]):
    put("recipe", f"r{i}.txt", r)
