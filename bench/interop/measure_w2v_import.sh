#!/usr/bin/env bash
# ssl-import model on a wav2vec2-base-shaped checkpoint (Wav2Vec2Config's
# defaults: 7 conv layers of 512, group norm, post-LN 768/12/12/3072, the
# even 128-tap position convolution in 16 groups under weight norm, the
# quantizer 2 x 320; transformers' own random initialisation, nothing
# downloaded): import time and peak RSS, then ssl-embed --frames of two 1 s
# clips (16-bit wav files, as a user has them) against transformers'
# last_hidden_state in float32 and float64.
#   bench/interop/measure_w2v_import.sh BUILD_DIR [WORK_DIR]
set -eu
B=$(cd "$1" && pwd); W=${2:-$(mktemp -d)}
PY=${PYTHON:-/work/venv/bin/python}
mkdir -p "$W/clips"
"$PY" - "$W" <<'PY' >/dev/null 2>&1
import sys, wave, numpy as np, torch
from safetensors.torch import save_file
from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForPreTraining
w = sys.argv[1]
torch.manual_seed(0)
model = Wav2Vec2ForPreTraining(Wav2Vec2Config(architectures=["Wav2Vec2ForPreTraining"])).eval()
model.save_pretrained(f"{w}/base", safe_serialization=True)
fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                              return_attention_mask=False)
fe.save_pretrained(f"{w}/base")
rng = np.random.default_rng(25)
t = np.arange(16000) / 16000
clips = [(0.3 * np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal(16000)) for f in (220, 330)]
ints = [np.clip(np.round(c * 32767), -32768, 32767).astype("<i2") for c in clips]
for name, x in zip("ab", ints):
    with wave.open(f"{w}/clips/{name}.wav", "wb") as f:
        f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000); f.writeframes(x.tobytes())
wave_f = np.stack([x.astype(np.float32) / 32768 for x in ints])
inputs = fe(list(wave_f), sampling_rate=16000, return_tensors="pt").input_values
with torch.no_grad():
    f32 = model.wav2vec2(inputs).last_hidden_state
    f64 = model.double().wav2vec2(inputs.double()).last_hidden_state
save_file({"f32": f32.contiguous(), "f64": f64.float().contiguous(), "f64_hi": (f64 - f64.float().double()).float()},
          f"{w}/reference.safetensors")
PY
"$B/ssl-import" audio "$W/clips" --sample-rate 16000 -q -o "$W/a.h5"
sync
/usr/bin/time -f "import: %e s wall, peak RSS %M KB" "$B/ssl-import" model "$W/base" -o "$W/base.h5" -q
ls -l "$W/base/model.safetensors" "$W/base.h5" | awk '{print $5, $NF}'
/usr/bin/time -f "ssl-embed --frames (2 clips of 1 s): %e s wall, peak RSS %M KB" \
  "$B/ssl-embed" "$W/base.h5" "$W/a.h5" --frames --precision f32 -q -o "$W/e.h5"
"$PY" - "$W" <<'PY'
import sys, h5py, numpy as np
from safetensors.numpy import load_file
w = sys.argv[1]
ref = load_file(f"{w}/reference.safetensors")
f64 = ref["f64"].astype(np.float64) + ref["f64_hi"]
with h5py.File(f"{w}/e.h5") as f:
    ours, frames = f["embeddings"][()].astype(np.float64), f["frames"][()]
assert ours.shape == f64.shape, (ours.shape, f64.shape, frames)
rel = lambda x, y: float((np.abs(x - y) / np.maximum(1, np.abs(y))).max())
print(f"frames {[int(x) for x in frames]}, last_hidden_state: sslkit vs transformers f32 {rel(ours, ref['f32']):.2e}; "
      f"vs float64: sslkit {rel(ours, f64):.2e}, transformers f32 {rel(ref['f32'].astype(np.float64), f64):.2e}")
PY
