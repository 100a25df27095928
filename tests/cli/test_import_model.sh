#!/usr/bin/env bash
# ssl-import model (issue 25): Hugging Face ViT-MAE and ViT directories (the
# committed fixtures of tests/interop/make_vit_fixtures.py) as sslkit model
# files that every tool taking --model uses, and --resume continues. Their
# equivalence with transformers' outputs is lib/apps/import_model_test.cpp;
# here a user's commands, and bad checkpoints refused in one line.
. "$TESTS/cli/lib.sh"
FIX="$TESTS/interop/fixtures"
ok ssl-import model "$FIX/vit-mae-tiny" -o "$WORK/mae.h5"
ok ssl-import model "$FIX/vit-tiny" -o "$WORK/vit.h5"
config() { /usr/bin/python3 -c "import h5py, json; c = json.loads(h5py.File('$1')['config'][0]); print($2)"; }
check_eq "decoder and normalisation" "$(config "$WORK/mae.h5" 'c["decoder_width"], c["normalize"]["mean"]')" \
  "20 [0.31, 0.42, 0.53]"

# Images of the models' sizes: 16x16 and 12x16 RGB (the fashion PNGs, three classes).
ok ssl-import images "$DATA/images/fashion" --size 16 --fit stretch -o "$WORK/i16.h5"
ok ssl-import images "$DATA/images/fashion" --size 16 --fit crop -o "$WORK/tmp16.h5"
/usr/bin/python3 - "$WORK/tmp16.h5" "$WORK/i12x16.h5" <<'PY' || fail "making 12x16 images"
import sys, h5py
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "w") as b:
    for k, v in a.attrs.items():
        b.attrs[k] = v
    for k in a:
        if k == "images":
            b.create_dataset(k, data=a[k][:, 2:14])
        else:
            a.copy(k, b)
PY

ok ssl-embed "$WORK/mae.h5" "$WORK/i16.h5" --threads 1 -o "$WORK/e.h5"
check_eq "embedding shape" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape')" "(12, 24)"
ok ssl-embed "$WORK/vit.h5" "$WORK/i12x16.h5" --threads 1 -o "$WORK/ev.h5"
check_eq "ViTModel embedding shape" "$(h5get "$WORK/ev.h5" 'f["embeddings"].shape')" "(12, 24)"
ok ssl-finetune "$WORK/i16.h5" --eval "$WORK/i16.h5" --model "$WORK/mae.h5" --epochs 3 --threads 1
ok ssl-finetune "$WORK/e.h5" --eval "$WORK/e.h5" --mode knn --k 3 --threads 1
ok ssl-finetune "$WORK/i16.h5" --eval "$WORK/i16.h5" --model "$WORK/mae.h5" --mode full --epochs 1 --batch 4 \
  --threads 1 -o "$WORK/full.h5"
ok ssl-finetune "$WORK/i12x16.h5" --eval "$WORK/i12x16.h5" --model "$WORK/vit.h5" --mode full --epochs 1 --batch 4 \
  --threads 1 -o "$WORK/full-vit.h5"
ok ssl-info "$WORK/mae.h5" --reconstruct "$WORK/i16.h5" --preview "$WORK/r.png" --threads 1
[ -s "$WORK/r.png" ] || fail "no reconstruction PNG"
# MAE pretraining continues from the imported weights (a new schedule: an
# import has no optimizer state), then resumes as any sslkit run.
ok ssl-pretrain "$WORK/i16.h5" --resume "$WORK/mae.h5" --max-steps 2 --batch 4 --threads 1 -o "$WORK/mae2.h5"
check_eq "steps after the import" "$(h5get "$WORK/mae2.h5" 'f["state/step"][0]')" "2"
check_eq "decoder kept" "$(h5get "$WORK/mae2.h5" 'f["params/decoder_block1.fc1.weight"].shape')" "(36, 20)"
ok ssl-pretrain "$WORK/i16.h5" --resume "$WORK/mae2.h5" --max-steps 2 --batch 4 --threads 1 -o "$WORK/mae3.h5"
check_eq "steps after resuming" "$(h5get "$WORK/mae3.h5" 'f["state/step"][0]')" "4"
expect_error 2 "^ssl-pretrain: error: --arch: --resume .*mae.h5 is an imported mae model and keeps its own" "$WORK/x.h5" \
  ssl-pretrain "$WORK/i16.h5" --resume "$WORK/mae.h5" --arch vit-mini --max-steps 1 --threads 1 -o "$WORK/x.h5"
# And out again under transformers' names.
ok ssl-export "$WORK/mae2.h5" --to hf -o "$WORK/hf"
check_eq "exported decoder heads" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/hf/config.json'))['decoder_num_attention_heads'])")" "2"
check_eq "exported image_mean" "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/hf/preprocessor_config.json'))['image_mean'])")" "[0.31, 0.42, 0.53]"

# transformers 5.25's save_pretrained names the decoder's layers
# decoder.decoder_encoder.layer.N: the same model.
cp -r "$FIX/vit-mae-tiny" "$WORK/renamed"
/usr/bin/python3 - "$WORK/renamed/model.safetensors" <<'PY' || fail "renaming"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
h = {k.replace("decoder.decoder_layers.", "decoder.decoder_encoder.layer."): v for k, v in h.items()}
t = json.dumps(h).encode()
t += b" " * (-len(t) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(t)) + t + b[8 + n:])
PY
ok ssl-import model "$WORK/renamed" -o "$WORK/renamed.h5"
ok ssl-embed "$WORK/renamed.h5" "$WORK/i16.h5" --threads 1 -o "$WORK/e2.h5"
check_eq "same embeddings" "$(h5get "$WORK/e.h5" 'int((f["embeddings"][()] == h5py.File("'"$WORK/e2.h5"'")["embeddings"][()]).all())')" "1"

# ViTMAEModel: the encoder alone, without "vit." (transformers' save of it):
# the same features, and a new decoder of the config's sizes.
# subset SRC DST ARCH DROP STRIP: DST gets SRC's files with ARCH as its
# architectures and a model.safetensors without the keys beginning with
# DROP, STRIP taken off the front of the others.
subset() {
  mkdir -p "$2" && cp "$1/preprocessor_config.json" "$2/"
  /usr/bin/python3 - "$@" <<'PY' || fail "subset $*"
import json, struct, sys
src, dst, arch, drop, strip = sys.argv[1:]
c = json.load(open(f"{src}/config.json"))
c["architectures"] = [arch]
json.dump(c, open(f"{dst}/config.json", "w"))
b = open(f"{src}/model.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
h.pop("__metadata__", None)
out, data = {"__metadata__": {"format": "pt"}}, b""
for k, v in sorted(h.items(), key=lambda kv: kv[1]["data_offsets"]):
    if k.startswith(drop):
        continue
    s, e = v["data_offsets"]
    out[k[len(strip):] if k.startswith(strip) else k] = {
        "dtype": v["dtype"], "shape": v["shape"], "data_offsets": [len(data), len(data) + e - s]}
    data += b[8 + n + s:8 + n + e]
t = json.dumps(out).encode()
t += b" " * (-len(t) % 8)
open(f"{dst}/model.safetensors", "wb").write(struct.pack("<Q", len(t)) + t + data)
PY
}
subset "$FIX/vit-mae-tiny" "$WORK/encoder-only" ViTMAEModel decoder. vit.
ok ssl-import model "$WORK/encoder-only" -o "$WORK/encoder-only.h5"
ok ssl-embed "$WORK/encoder-only.h5" "$WORK/i16.h5" --threads 1 -o "$WORK/e3.h5"
check_eq "encoder-only embeddings" "$(h5get "$WORK/e.h5" 'int((f["embeddings"][()] == h5py.File("'"$WORK/e3.h5"'")["embeddings"][()]).all())')" "1"
check_eq "new decoder of the config's width" "$(h5get "$WORK/encoder-only.h5" 'f["params/decoder_embed.weight"].shape')" "(20, 24)"

# The same model in BF16, in two shards listed by model.safetensors.index.json
# (as save_pretrained(max_shard_size=...) writes them): read as f32, its
# sine-cosine tables checked to BF16's precision.
mkdir "$WORK/bf16" && cp "$FIX/vit-mae-tiny/"{config,preprocessor_config}.json "$WORK/bf16/"
/usr/bin/python3 - "$FIX/vit-mae-tiny/model.safetensors" "$WORK/bf16" <<'PY' || fail "making BF16 shards"
import json, struct, sys
import numpy as np
src, dst = sys.argv[1:]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
h.pop("__metadata__", None)
names = sorted(h)
shards = {f"model-0000{i + 1}-of-00002.safetensors": names[i::2] for i in range(2)}
index = {"metadata": {"total_size": 0}, "weight_map": {}}
for shard, keys in shards.items():
    out, data = {"__metadata__": {"format": "pt"}}, b""
    for k in keys:
        s, e = h[k]["data_offsets"]
        bits = np.frombuffer(b[8 + n + s:8 + n + e], dtype="<u4").astype(np.uint64)
        bf = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")  # round to nearest even
        out[k] = {"dtype": "BF16", "shape": h[k]["shape"], "data_offsets": [len(data), len(data) + bf.nbytes]}
        data += bf.tobytes()
        index["weight_map"][k] = shard
    t = json.dumps(out).encode()
    t += b" " * (-len(t) % 8)
    open(f"{dst}/{shard}", "wb").write(struct.pack("<Q", len(t)) + t + data)
    index["metadata"]["total_size"] += len(data)
json.dump(index, open(f"{dst}/model.safetensors.index.json", "w"))
PY
ok ssl-import model "$WORK/bf16" -o "$WORK/bf16.h5"
ok ssl-embed "$WORK/bf16.h5" "$WORK/i16.h5" --threads 1 --precision f32 -o "$WORK/e4.h5"
ok ssl-embed "$WORK/mae.h5" "$WORK/i16.h5" --threads 1 --precision f32 -o "$WORK/e5.h5"
check_eq "BF16 weights give nearly the same features" \
  "$(h5get "$WORK/e4.h5" 'int(0 < np.abs(f["embeddings"][()] - h5py.File("'"$WORK/e5.h5"'")["embeddings"][()]).max() < 0.05)')" "1"

# Bad checkpoints: one line naming the file (and the key), exit 1, nothing written.
bad() { rm -rf "$WORK/bad"; cp -r "$FIX/$1" "$WORK/bad"; }
bad vit-mae-tiny; rm "$WORK/bad/model.safetensors"; echo "not a pickle either" >"$WORK/bad/pytorch_model.bin"
expect_error 1 "bad/pytorch_model.bin: is a pickle, which sslkit never loads .*save_file.*weights_only=True" \
  "$WORK/x.h5" ssl-import model "$WORK/bad" -o "$WORK/x.h5"
bad vit-mae-tiny; head -c 50000 "$FIX/vit-mae-tiny/model.safetensors" >"$WORK/bad/model.safetensors"
expect_error 1 "bad/model.safetensors: not a valid safetensors file" "$WORK/x.h5" \
  ssl-import model "$WORK/bad" -o "$WORK/x.h5"
bad vit-tiny
/usr/bin/python3 - "$WORK/bad/model.safetensors" <<'PY' || fail "adding a key"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
end = max(v["data_offsets"][1] for k, v in h.items() if k != "__metadata__")
h["embeddings.extra_token"] = {"dtype": "F32", "shape": [1], "data_offsets": [end, end + 4]}
t = json.dumps(h).encode()
t += b" " * (-len(t) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(t)) + t + b[8 + n:] + b"\0\0\0\0")
PY
expect_error 1 "bad/model.safetensors: unknown key 'embeddings.extra_token' \(no vit parameter has that name" \
  "$WORK/x.h5" ssl-import model "$WORK/bad" -o "$WORK/x.h5"
bad vit-mae-tiny; sed -i 's/"intermediate_size": 40/"intermediate_size": 44/' "$WORK/bad/config.json"
expect_error 1 "bad/model.safetensors: 'vit.encoder.layer.0.intermediate.dense.weight' has shape \[40, 24\], config.json makes it \[44, 24\]" \
  "$WORK/x.h5" ssl-import model "$WORK/bad" -o "$WORK/x.h5"
bad vit-tiny; sed -i 's/"model_type": "vit"/"model_type": "swin"/' "$WORK/bad/config.json"
expect_error 1 "bad/config.json: model_type \"swin\", architectures .*: not a family sslkit imports" \
  "$WORK/x.h5" ssl-import model "$WORK/bad" -o "$WORK/x.h5"
# A ViTMAEForPreTraining without a part of its decoder.
subset "$FIX/vit-mae-tiny" "$WORK/no-norm" ViTMAEForPreTraining decoder.decoder_norm. ""
expect_error 1 "no-norm/model.safetensors: has no 'decoder.decoder_norm.weight'" "$WORK/x.h5" \
  ssl-import model "$WORK/no-norm" -o "$WORK/x.h5"
# Learned positions: the stored table is not the sine-cosine one.
bad vit-tiny
/usr/bin/python3 - "$WORK/bad/model.safetensors" <<'PY' || fail "changing positions"
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", b[:8])[0]
s, e = json.loads(b[8:8 + n])["embeddings.position_embeddings"]["data_offsets"]
b[8 + n + s + 400:8 + n + s + 404] = struct.pack("<f", 0.5)
open(sys.argv[1], "wb").write(b)
PY
expect_error 1 "'embeddings.position_embeddings' is not the fixed sine-cosine table" \
  "$WORK/x.h5" ssl-import model "$WORK/bad" -o "$WORK/x.h5"
# The checkpoint's image size, as transformers takes it.
expect_error 1 "i12x16.h5: has 12x16 images; .*mae.h5 \(imported\) takes 16x16" "" \
  ssl-embed "$WORK/mae.h5" "$WORK/i12x16.h5" --threads 1 -o "$WORK/x.h5"
expect_error 1 "i16.h5: has \[16,16\] images; .*vit.h5 \(imported\) takes \[12,16\]" "$WORK/x.h5" \
  ssl-pretrain "$WORK/i16.h5" --resume "$WORK/vit.h5" --max-steps 1 --threads 1 -o "$WORK/x.h5"
expect_error 1 "nowhere: does not exist" "$WORK/x.h5" ssl-import model "$WORK/nowhere" -o "$WORK/x.h5"
finish
