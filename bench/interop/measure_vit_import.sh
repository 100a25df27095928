#!/usr/bin/env bash
# ssl-import model on a vit-mae-base-shaped checkpoint (768/12/12/3072, patch
# 16, 224x224, decoder 512/8/16/2048; random weights, nothing downloaded):
# import time and peak RSS, then ssl-embed's features of the generator's 2
# images (f32) against transformers' last_hidden_state (cls: token 0; mean:
# tokens 1..) and against transformers in float64.
#   bench/interop/measure_vit_import.sh BUILD_DIR [WORK_DIR] [SIGMA]
set -eu
B=$(cd "$1" && pwd); W=${2:-$(mktemp -d)}; SIGMA=${3:-0.02}
HERE=$(cd "$(dirname "$0")" && pwd); PY=${PYTHON:-/work/venv/bin/python}
mkdir -p "$W/base"
"$PY" "$HERE/../../tests/interop/make_vit_fixtures.py" --base "$W/base" "$SIGMA" >/dev/null 2>&1
"$B/ssl-import" images "$HERE/../../data/images/fashion" --size 16 -q -o "$W/like.h5"
/usr/bin/python3 - "$W" <<'PY'
import h5py, json, struct, sys, numpy as np
w = sys.argv[1]
b = open(f"{w}/base/reference.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
s, e = h["images"]["data_offsets"]
imgs = np.frombuffer(b[8 + n + s:8 + n + e], dtype="u1").reshape(h["images"]["shape"])
with h5py.File(f"{w}/like.h5", "r") as a, h5py.File(f"{w}/images.h5", "w") as o:
    for k, v in a.attrs.items(): o.attrs[k] = v
    for k in a:
        if k == "images": o.create_dataset(k, data=imgs)
        elif a[k].shape and a[k].shape[0] == a["images"].shape[0]:
            o.create_dataset(k, data=a[k][:len(imgs)])
            for x, y in a[k].attrs.items(): o[k].attrs[x] = y
        else: a.copy(k, o)
PY
sync
/usr/bin/time -f "import: %e s wall, peak RSS %M KB" "$B/ssl-import" model "$W/base" -o "$W/base.h5" -q
ls -l "$W/base/model.safetensors" "$W/base.h5" | awk '{print $5, $NF}'
for pool in cls mean; do
  "$B/ssl-embed" "$W/base.h5" "$W/images.h5" --pool $pool --precision f32 -q -o "$W/e-$pool.h5"
done
"$PY" - "$W" <<'PY'
import sys, h5py, torch, transformers as T
from safetensors.torch import load_file
w = sys.argv[1]
ref = load_file(f"{w}/base/reference.safetensors")
m = T.ViTMAEModel.from_pretrained(f"{w}/base").eval().double()
m.config.mask_ratio = 0.0
pix = ref["pixel_values"].double(); L = (pix.shape[-1] // 16) * (pix.shape[-2] // 16)
with torch.no_grad():
    f64 = m(pix, noise=torch.arange(L, dtype=torch.float64).expand(len(pix), L)).last_hidden_state
f32 = ref["last_hidden_state"].double()
rel = lambda x, y: float(((x - y).abs() / y.abs().clamp(min=1)).max())
for pool, pick in [("cls", lambda t: t[:, 0]), ("mean", lambda t: t[:, 1:].mean(1))]:
    ours = torch.from_numpy(h5py.File(f"{w}/e-{pool}.h5")["embeddings"][()]).double()
    print(f"{pool}: sslkit vs transformers f32 {rel(ours, pick(f32)):.2e}; vs float64: sslkit {rel(ours, pick(f64)):.2e},"
          f" transformers f32 {rel(pick(f32), pick(f64)):.2e}")
PY
