#!/usr/bin/env bash
# ssl-export (issue 25): trained encoders out as safetensors directories under
# torchvision, timm and Hugging Face names. Checked without torch: the
# safetensors header is parsed with struct+json and every tensor compared
# with the model file's /params through the name map (qkv concatenated,
# class tokens reshaped, the sin-cos tables recomputed here from MAE's
# formula). bench/interop/check_export.py loads the same directories in
# the real libraries.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" -o "$WORK/g.h5"
pre() { ok ssl-pretrain "$WORK/g.h5" --threads 1 --max-steps 1 --batch 8 "$@"; }
pre --method simclr --arch convnet-s -o "$WORK/convnet.h5"
pre --method simclr --arch resnet18 -o "$WORK/resnet.h5"
pre --method simclr --arch vit-mini:depth=2 -o "$WORK/vit.h5"
pre --method mae --arch vit-mini:depth=2 -o "$WORK/mae.h5"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --vocab-size 300 --max-len 32 -o "$WORK/t.h5"
ok ssl-pretrain "$WORK/t.h5" --threads 1 --max-steps 1 --batch 16 --method mlm --arch bert-tiny -o "$WORK/bert.h5"
ok ssl-pretrain "$WORK/t.h5" --threads 1 --max-steps 1 --batch 16 --method mlm --arch bert-tiny:norm=post,eps=1e-12 -o "$WORK/bert-post.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5"
ok ssl-pretrain "$WORK/a.h5" --threads 1 --max-steps 1 --batch 3 --arch w2v-tiny:pos_kernel=4 -o "$WORK/w2v.h5"
ok ssl-pretrain "$WORK/a.h5" --threads 1 --max-steps 1 --batch 3 --method simclr --arch w2v-tiny -o "$WORK/w2v-simclr.h5"
# One step leaves a model near its initialisation (norm weights 1, biases 0,
# BN statistics 0 and 1), where swapped norms or statistics would look
# right: every tensor is redrawn first, so each name carries its own values.
/usr/bin/python3 - "$WORK"/{convnet,resnet,vit,mae,bert,bert-post,w2v,w2v-simclr}.h5 <<'PY' || fail "randomising the models"
import sys, h5py, numpy as np
rng = np.random.default_rng(25)
for path in sys.argv[1:]:
    with h5py.File(path, "r+") as f:
        for g in ("params", "buffers"):
            for k in f.get(g, {}):
                d = f[g][k]
                v = rng.standard_normal(d.shape).astype(np.float32)
                d[...] = np.abs(v) + 0.5 if k.endswith("running_var") else v
PY

cat >"$WORK/check.py" <<'PY'
import json, struct, sys
import h5py, numpy as np

target, model, out = sys.argv[1:4]
DT = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?", "F64": "<f8"}

def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    assert n % 8 == 0, f"header length {n} not padded to 8"
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    data, end = {}, 0
    for k, v in sorted(h.items(), key=lambda kv: kv[1]["data_offsets"]):
        s, e = v["data_offsets"]
        assert s == end, f"{k}: gap or overlap"
        end = e
        data[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=DT[v["dtype"]]).reshape(v["shape"])
    assert 8 + n + end == len(b), "bytes after the last tensor"
    return data, meta

def sincos(dim, gh, gw):  # MAE's get_2d_sincos_pos_embed with the class token's zero row
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        o = np.einsum("m,d->md", pos.reshape(-1).astype(np.float64), omega)
        return np.concatenate([np.sin(o), np.cos(o)], axis=1)
    grid = np.meshgrid(np.arange(gw), np.arange(gh))
    emb = np.concatenate([one(dim // 2, grid[0]), one(dim // 2, grid[1])], axis=1)
    return np.concatenate([np.zeros((1, dim)), emb], axis=0)[None].astype(np.float32)

f = h5py.File(model, "r")
P = {k: f["params"][k][()] for k in f["params"]}
B = {k: f["buffers"][k][()] for k in f["buffers"]} if "buffers" in f else {}
cfg = json.loads(np.asarray(f["config"][()]).reshape(-1)[0])
want = {}
exact = True

def hf_layer(to, frm):
    for a, b in [("layernorm_before", "ln1"), ("attention.attention.query", "attn.q"), ("attention.attention.key", "attn.k"),
                 ("attention.attention.value", "attn.v"), ("attention.output.dense", "attn.out"),
                 ("layernorm_after", "ln2"), ("intermediate.dense", "fc1"), ("output.dense", "fc2")]:
        for w in ("weight", "bias"):
            want[f"{to}.{a}.{w}"] = P[f"{frm}.{b}.{w}"]

if target == "safetensors":
    want = {**P, **B}
    assert json.load(open(f"{out}/config.json")) == cfg, "config.json is not /config"
elif target == "torchvision":
    bns = [k[:-len(".running_mean")] for k in B if k.endswith(".running_mean")]
    if cfg["encoder"]["kind"] == "resnet":
        for k, v in P.items():
            if k.startswith("encoder."): want[k[8:]] = v
        for k, v in B.items(): want[k[8:]] = v
        names = [b[8:] for b in bns]
    else:
        names = []
        idx = 0
        L = len(cfg["encoder"]["widths"])
        for i in range(L):
            want[f"features.{idx}.weight"] = P[f"encoder.conv{i}.weight"]
            for w in ("weight", "bias"): want[f"features.{idx + 1}.{w}"] = P[f"encoder.bn{i}.{w}"]
            for w in ("running_mean", "running_var"): want[f"features.{idx + 1}.{w}"] = B[f"encoder.bn{i}.{w}"]
            names.append(f"features.{idx + 1}")
            idx += 3 + (1 if i % 2 == 1 and i + 1 < L else 0)
    step = int(f["state"]["step"][0])
    for n in names: want[n + ".num_batches_tracked"] = np.array(step, dtype=np.int64)
else:
    D, depth = cfg["encoder"]["width"], cfg["encoder"]["depth"]
    if cfg["encoder"]["kind"] == "vit":
        p = cfg["encoder"]["patch"]
        gh, gw = cfg["input_shape"][0] // p, cfg["input_shape"][1] // p
    if target == "timm":
        want["cls_token"] = P["encoder.cls_token"].reshape(1, 1, D)
        want["pos_embed"] = sincos(D, gh, gw)
        for w in ("weight", "bias"):
            want[f"patch_embed.proj.{w}"] = P[f"encoder.patch_embed.{w}"]
            want[f"norm.{w}"] = P[f"encoder.norm.{w}"]
        for i in range(depth):
            s = f"encoder.block{i}"
            for w in ("weight", "bias"):
                want[f"blocks.{i}.attn.qkv.{w}"] = np.concatenate([P[f"{s}.attn.{x}.{w}"] for x in "qkv"])
                for a, b in [("norm1", "ln1"), ("attn.proj", "attn.out"), ("norm2", "ln2"), ("mlp.fc1", "fc1"), ("mlp.fc2", "fc2")]:
                    want[f"blocks.{i}.{a}.{w}"] = P[f"{s}.{b}.{w}"]
        tc = json.load(open(f"{out}/config.json"))
        assert tc["model_args"]["embed_dim"] == D and tc["model_args"]["depth"] == depth, tc
        assert tc["model_args"]["global_pool"] == ("avg" if cfg["pool"] == "mean" else "token"), tc
    elif target == "hf" and cfg["encoder"]["kind"] == "text":
        bert, mlm = cfg["encoder"]["norm"] == "post", cfg["method"] == "mlm"
        base = ("bert." if bert else "roberta.") if mlm else ""
        e = "text_encoder."
        V, D = P[e + "tokens.table"].shape
        want[base + "embeddings.word_embeddings.weight"] = P[e + "tokens.table"]
        pos = P[e + "positions.table"]
        # the tokenizer's pad id is 0: RoBERTa's real token k reads row 1 + k
        want[base + "embeddings.position_embeddings.weight"] = pos if bert else np.concatenate([np.zeros((1, D), np.float32), pos])
        want[base + "embeddings.token_type_embeddings.weight"] = np.zeros((1, D), np.float32)
        norm = "embeddings.LayerNorm" if bert else "encoder.LayerNorm"
        for w in ("weight", "bias"): want[f"{base}{norm}.{w}"] = P[f"{e}norm.{w}"]
        for i in range(depth):
            for a, b in [("attention.self.query", "attn.q"), ("attention.self.key", "attn.k"), ("attention.self.value", "attn.v"),
                         ("attention.output.dense", "attn.out"), ("intermediate.dense", "fc1"), ("output.dense", "fc2"),
                         ("attention.output.LayerNorm" if bert else "attention.self_attn_layer_norm", "ln1"),
                         ("output.LayerNorm" if bert else "LayerNorm", "ln2")]:
                for w in ("weight", "bias"): want[f"{base}encoder.layer.{i}.{a}.{w}"] = P[f"{e}block{i}.{b}.{w}"]
        if mlm:
            h = "cls.predictions." if bert else "lm_head."
            for a, b in [("transform.dense" if bert else "dense", "head_dense"), ("transform.LayerNorm" if bert else "layer_norm", "head_norm")]:
                for w in ("weight", "bias"): want[f"{h}{a}.{w}"] = P[f"{b}.{w}"]
            want[h + "bias"] = P["decoder_bias"]
        hc = json.load(open(f"{out}/config.json"))
        assert hc["model_type"] == ("bert" if bert else "xlm-roberta-xl") and hc["vocab_size"] == V, hc
        assert hc["layer_norm_eps"] == cfg["encoder"]["eps"] and hc["pad_token_id"] == 0, hc
        assert open(f"{out}/spiece.model", "rb").read() == f["tokenizer"][()].tobytes(), "spiece.model is not /tokenizer"
    elif target == "hf" and cfg["encoder"]["kind"] == "w2v":
        pt = cfg["method"] == "wav2vec"
        base = "wav2vec2." if pt else ""
        e = "encoder."
        for i in range(len(cfg["encoder"]["conv"])):
            want[f"{base}feature_extractor.conv_layers.{i}.conv.weight"] = P[f"{e}conv{i}.weight"]
        for a, b in [("feature_extractor.conv_layers.0.layer_norm", "conv0.norm"), ("feature_projection.layer_norm", "feature_norm"),
                     ("feature_projection.projection", "project"), ("encoder.pos_conv_embed.conv", "pos_conv"), ("encoder.layer_norm", "norm")]:
            for w in ("weight", "bias"):
                if a.endswith(".conv") and w == "weight": continue
                want[f"{base}{a}.{w}"] = P[f"{e}{b}.{w}"]
        W = P[e + "pos_conv.weight"]
        want[base + "encoder.pos_conv_embed.conv.weight_v"] = W
        g = np.sqrt((W.astype(np.float64) ** 2).sum(axis=(0, 1), keepdims=True)).astype(np.float32)
        want[base + "encoder.pos_conv_embed.conv.weight_g"] = g
        want[base + "masked_spec_embed"] = P[e + "mask_emb"]
        for i in range(depth):
            for a, b in [("attention.q_proj", "attn.q"), ("attention.k_proj", "attn.k"), ("attention.v_proj", "attn.v"),
                         ("attention.out_proj", "attn.out"), ("layer_norm", "ln1"), ("final_layer_norm", "ln2"),
                         ("feed_forward.intermediate_dense", "fc1"), ("feed_forward.output_dense", "fc2")]:
                for w in ("weight", "bias"): want[f"{base}encoder.layers.{i}.{a}.{w}"] = P[f"{e}block{i}.{b}.{w}"]
        if pt:
            for a, b in [("quantizer.weight_proj", "quantizer.weight_proj"), ("project_q", "project_q"), ("project_hid", "final_proj")]:
                for w in ("weight", "bias"): want[f"{a}.{w}"] = P[f"{b}.{w}"]
            want["quantizer.codevectors"] = P["quantizer.codevectors"][None]
        hc = json.load(open(f"{out}/config.json"))
        assert hc["num_conv_pos_embeddings"] == cfg["encoder"]["pos_kernel"] and hc["do_stable_layer_norm"], hc
        if pt:
            assert hc["num_codevector_groups"] * hc["num_codevectors_per_group"] == P["quantizer.codevectors"].shape[0], hc
        # weight norm: g * v / |v| gives the weight back
        assert np.allclose(g * W / np.sqrt((W ** 2).sum(axis=(0, 1), keepdims=True)), W, atol=1e-6)
    elif target == "hf":
        mae = cfg["method"] == "mae"
        base = "vit." if mae else ""
        want[base + "embeddings.cls_token"] = P["encoder.cls_token"].reshape(1, 1, D)
        want[base + "embeddings.position_embeddings"] = sincos(D, gh, gw)
        for w in ("weight", "bias"):
            want[f"{base}embeddings.patch_embeddings.projection.{w}"] = P[f"encoder.patch_embed.{w}"]
            want[f"{base}layernorm.{w}"] = P[f"encoder.norm.{w}"]
        for i in range(depth): hf_layer(f"{base}encoder.layer.{i}", f"encoder.block{i}")
        hc = json.load(open(f"{out}/config.json"))
        assert hc["model_type"] == ("vit_mae" if mae else "vit") and hc["hidden_size"] == D, hc
        assert hc["layer_norm_eps"] == cfg["encoder"]["eps"] and hc["num_hidden_layers"] == depth, hc
        pc = json.load(open(f"{out}/preprocessor_config.json"))
        assert abs(pc["image_mean"][0] - cfg["normalize"]["mean"]) < 1e-6, pc
        if mae:
            E = P["decoder_embed.weight"].shape[0]
            want["decoder.mask_token"] = P["mask_token"].reshape(1, 1, E)
            want["decoder.decoder_pos_embed"] = sincos(E, gh, gw)
            for w in ("weight", "bias"):
                for a in ("decoder_embed", "decoder_norm", "decoder_pred"): want[f"decoder.{a}.{w}"] = P[f"{a}.{w}"]
            dd = 0
            while f"decoder_block{dd}.ln1.weight" in P:
                hf_layer(f"decoder.decoder_layers.{dd}", f"decoder_block{dd}"); dd += 1
            assert hc["decoder_num_hidden_layers"] == dd and hc["decoder_hidden_size"] == E, hc

got, meta = load(f"{out}/model.safetensors")
assert meta.get("format") == "pt", meta
missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
assert not missing and not extra, f"missing {missing[:5]} extra {extra[:5]}"
for k, v in want.items():
    g = got[k]
    assert g.shape == v.shape, f"{k}: shape {g.shape}, want {v.shape}"
    assert g.dtype == v.dtype, f"{k}: dtype {g.dtype}, want {v.dtype}"
    if "pos_embed" in k or ("position_embeddings" in k and cfg["encoder"]["kind"] == "vit") or k.endswith("weight_g"):
        assert np.allclose(g, v, atol=1e-6, rtol=0), f"{k}: max diff {np.abs(g - v).max()}"
    else:
        assert np.array_equal(g, v), f"{k}: values differ"
print(len(want))
PY
check() {  # check TARGET MODEL DIR: the export's tensors are the model's through the map
  local got
  got=$(/usr/bin/python3 "$WORK/check.py" "$@" 2>&1) || fail "$1 export of $(basename "$2"): ${got##*$'\n'}"
}

# ---- Every target, every tensor.
ok ssl-export "$WORK/convnet.h5" -o "$WORK/convnet-tv" --to torchvision
check torchvision "$WORK/convnet.h5" "$WORK/convnet-tv"
grep -q "nn.MaxPool2d(2)" "$WORK/convnet-tv/README.md" || fail "convnet README lacks the module"
ok ssl-export "$WORK/resnet.h5" -o "$WORK/resnet-tv" --to torchvision
check torchvision "$WORK/resnet.h5" "$WORK/resnet-tv"
grep -q "model.maxpool = nn.Identity()" "$WORK/resnet-tv/README.md" || fail "resnet README lacks the stem"
ok ssl-export "$WORK/vit.h5" -o "$WORK/vit-timm" --to timm
check timm "$WORK/vit.h5" "$WORK/vit-timm"
ok ssl-export "$WORK/vit.h5" -o "$WORK/vit-hf" --to hf
check hf "$WORK/vit.h5" "$WORK/vit-hf"
ok ssl-export "$WORK/mae.h5" -o "$WORK/mae-hf" --to hf
check hf "$WORK/mae.h5" "$WORK/mae-hf"
check_eq "hf files" "$(ls "$WORK/mae-hf" | tr '\n' ' ')" "README.md config.json model.safetensors preprocessor_config.json "
for m in bert bert-post w2v w2v-simclr; do
  ok ssl-export "$WORK/$m.h5" -o "$WORK/$m-hf" --to hf
  check hf "$WORK/$m.h5" "$WORK/$m-hf"
done
check_eq "text hf files" "$(ls "$WORK/bert-hf" | tr '\n' ' ')" \
  "README.md config.json model.safetensors special_tokens_map.json spiece.model tokenizer_config.json "
grep -q '"XLMRobertaXLForMaskedLM"' "$WORK/bert-hf/config.json" || fail "pre-LN mlm is not XLMRobertaXLForMaskedLM"
grep -q '"BertForMaskedLM"' "$WORK/bert-post-hf/config.json" || fail "post-LN mlm is not BertForMaskedLM"
grep -q '"Wav2Vec2ForPreTraining"' "$WORK/w2v-hf/config.json" || fail "wav2vec is not Wav2Vec2ForPreTraining"
grep -q '"Wav2Vec2Model"' "$WORK/w2v-simclr-hf/config.json" || fail "simclr audio is not Wav2Vec2Model"
ok ssl-export "$WORK/bert.h5" -o "$WORK/bert-st" --to safetensors
check safetensors "$WORK/bert.h5" "$WORK/bert-st"
cmp -s "$WORK/bert-st/tokenizer.model" "$WORK/bert-hf/spiece.model" || fail "--to safetensors lacks the tokenizer"
ok ssl-export "$WORK/mae.h5" -o "$WORK/mae-st" --to safetensors
check safetensors "$WORK/mae.h5" "$WORK/mae-st"
ok ssl-export "$WORK/resnet.h5" -o "$WORK/resnet-st" --to safetensors
check safetensors "$WORK/resnet.h5" "$WORK/resnet-st"

# ---- The output directory: whole or not at all, never over something.
mkdir "$WORK/empty"
ok ssl-export "$WORK/vit.h5" -o "$WORK/empty" --to timm
[ -s "$WORK/empty/model.safetensors" ] || fail "an empty -o directory was not written into"
before=$(ls -l "$WORK/vit-hf" | sha256sum)
expect_error 2 "ssl-export: error: -o .*vit-hf: exists and is not empty \(--force replaces it\)" "" \
  ssl-export "$WORK/vit.h5" -o "$WORK/vit-hf" --to timm
check_eq "existing -o untouched" "$(ls -l "$WORK/vit-hf" | sha256sum)" "$before"
ok ssl-export "$WORK/vit.h5" -o "$WORK/vit-hf" --to timm --force
check timm "$WORK/vit.h5" "$WORK/vit-hf"
[ -e "$WORK/vit-hf/preprocessor_config.json" ] && fail "--force left the old directory's files"
ls -a "$WORK" | grep -q "^\.vit-hf\.\(tmp\|old\)-" && fail "--force left a temp directory"
mkdir "$WORK/holder" && cp "$WORK/vit.h5" "$WORK/holder/m.h5"
expect_error 2 "holder: holds the input .*m.h5; --force would delete it" "" \
  ssl-export "$WORK/holder/m.h5" -o "$WORK/holder" --to timm --force
[ -s "$WORK/holder/m.h5" ] || fail "--force deleted the model it was reading"
expect_error 2 "g.h5: exists and is not a directory" "" ssl-export "$WORK/vit.h5" -o "$WORK/convnet.h5/../g.h5" --to timm
expect_error 2 "no such folder" "" ssl-export "$WORK/vit.h5" -o "$WORK/nowhere/x" --to timm
# A signal while the directory is being made removes its temp directory: the
# model comes through a FIFO nobody writes, so ssl-export waits in reading it
# with the temp directory made.
mkfifo "$WORK/model-fifo"
ssl-export "$WORK/model-fifo" -o "$WORK/sig" --to hf 2>/dev/null &
pid=$!
for _ in $(seq 50); do ls -a "$WORK" | grep -q "^\.sig\.tmp-" && break; sleep 0.1; done
ls -a "$WORK" | grep -q "^\.sig\.tmp-" || fail "no temp directory while the model was being read"
kill -TERM "$pid"
wait "$pid"
ls -a "$WORK" | grep -q "sig" && fail "SIGTERM left $(ls -a "$WORK" | grep sig | tr '\n' ' ')"

# ---- Bad input: one line, nothing written.
expect_error 1 "ssl-export: error: .*missing.h5: No such file" "$WORK/x" ssl-export "$WORK/missing.h5" -o "$WORK/x" --to hf
expect_error 1 "ssl-export: error: .*g.h5: not an sslkit model file" "$WORK/x" ssl-export "$WORK/g.h5" -o "$WORK/x" --to hf
expect_error 2 "ssl-export: error: --to timm fits ViT encoders .*convnet.h5 has a convnet encoder \(convnet-s\)" "$WORK/x" \
  ssl-export "$WORK/convnet.h5" -o "$WORK/x" --to timm
expect_error 2 "ssl-export: error: --to torchvision fits convnet and ResNet encoders .*vit.h5 has a ViT encoder" "$WORK/x" \
  ssl-export "$WORK/vit.h5" -o "$WORK/x" --to torchvision
expect_error 2 "ssl-export: error: --to timm fits ViT encoders .*bert.h5 has a text encoder \(bert-tiny\)" "$WORK/x" \
  ssl-export "$WORK/bert.h5" -o "$WORK/x" --to timm
expect_error 2 "ssl-export: error: --to hf fits ViT, text and wav2vec 2.0 encoders .*convnet.h5 has a convnet encoder" "$WORK/x" \
  ssl-export "$WORK/convnet.h5" -o "$WORK/x" --to hf
expect_error 2 "--to: .*tflite" "$WORK/x" ssl-export "$WORK/vit.h5" -o "$WORK/x" --to tflite
expect_error 2 "-o: a directory to write is needed, not stdout" "" ssl-export "$WORK/vit.h5" -o - --to hf
finish
