#!/usr/bin/env bash
# ssl-import model on wav2vec 2.0 checkpoints (issue 25), as a user: the
# committed transformers fixtures (tests/interop/make_w2v_fixtures.py)
# imported, then ssl-embed, ssl-finetune (linear, full) and ssl-pretrain
# --resume (wav2vec) on 16 kHz clips; ssl-export --to hf gives back the
# checkpoint's names (the weight norm's in the legacy spelling), shapes and
# bytes; bad checkpoints are one line, exit 1, nothing written. The forward pass against transformers' outputs is
# lib/apps/import_hf_w2v_test.cpp.
. "$TESTS/cli/lib.sh"
FIX="$TESTS/interop/w2v"
cfg() { h5get "$1" "[__import__('json').loads(f['config'][0])$2]"; }
ok ssl-import audio "$DATA/audio" --seconds 0.5 -o "$WORK/a.h5"
for v in base_pretraining large_pretraining group_stable_model layer_post_model; do
  ok ssl-import model "$FIX/$v" -o "$WORK/$v.h5"
done
check_eq "base: post-LN, group norm, no conv bias, weight norm kept, its quantizer, 16 kHz" \
  "$(h5get "$WORK/base_pretraining.h5" "(lambda c: [c['method'], c['encoder']['norm'], c['encoder']['feature_norm'], c['encoder']['conv_bias'], c['encoder']['pos_kernel'], c['encoder']['pos_weight_norm'], [c[k] for k in ('num_codevector_groups', 'num_codevectors_per_group', 'codevector_dim', 'proj_codevector_dim')], c['sample_rate']])(__import__('json').loads(f['config'][0]))")" \
  "['wav2vec', 'post', 'group', False, 8, True, [2, 5, 12, 10], 16000]"
check_eq "large: stable layer norm, layer norms with conv bias, eps from the config" \
  "$(h5get "$WORK/large_pretraining.h5" "(lambda c: [c['encoder']['norm'], c['encoder']['feature_norm'], c['encoder']['conv_bias'], c['encoder']['eps'], c['num_codevector_groups'], c['codevector_dim']])(__import__('json').loads(f['config'][0]))")" \
  "['pre', 'layer', True, 1e-06, 3, 18]"
check_eq "conv layers of different widths" \
  "$(h5get "$WORK/layer_post_model.h5" "[f['params/encoder.conv%d.norm.weight' % i].shape[0] for i in range(3)]")" "[12, 16, 20]"

# Every tool that takes the model.
ok ssl-embed "$WORK/base_pretraining.h5" "$WORK/a.h5" --threads 1 -o "$WORK/e.h5"
check_eq "clip embeddings of the imported width" "$(h5get "$WORK/e.h5" 'f["embeddings"].shape')" "(6, 24)"
ok ssl-finetune "$WORK/a.h5" --model "$WORK/large_pretraining.h5" --eval "$WORK/a.h5" --mode linear --threads 1 \
  --metrics "$WORK/lin.json"
grep -q '"accuracy"' "$WORK/lin.json" || fail "linear probe metrics"
ok ssl-finetune "$WORK/a.h5" --model "$WORK/base_pretraining.h5" --eval "$WORK/a.h5" --mode full --epochs 1 --batch 3 \
  --threads 1 -o "$WORK/ft.h5"
check_eq "full fine-tuning keeps the imported shape" "$(cfg "$WORK/ft.h5" "['encoder']['norm']")" "['post']"

# wav2vec pretraining continues from the imported quantizer (its sizes),
# or from a new one for Wav2Vec2Model; then resumes as any run does.
ok ssl-pretrain "$WORK/a.h5" --resume "$WORK/base_pretraining.h5" --epochs 2 --batch 3 --threads 1 -o "$WORK/p.h5"
check_eq "resumed wav2vec: 4 steps, fairseq's lr, the checkpoint's codebook" \
  "$(h5get "$WORK/p.h5" "[len(f['train/loss']), __import__('json').loads(f['config'][0])['lr'], f['params/quantizer.codevectors'].shape, bool(np.isfinite(f['train/loss'][:]).all())]")" \
  "[4, 0.0005, (10, 6), True]"
expect_error 2 "^ssl-pretrain: error: --codevector-groups: --resume .*base_pretraining.h5 is an imported wav2vec model and keeps its own" \
  "$WORK/bad.h5" ssl-pretrain "$WORK/a.h5" --resume "$WORK/base_pretraining.h5" --codevector-groups 4 --threads 1 -o "$WORK/bad.h5"
ok ssl-import audio "$DATA/audio" --seconds 0.5 --sample-rate 8000 -o "$WORK/a8.h5"
expect_error 2 "^ssl-pretrain: error: .*a8.h5 is audio at 8000 Hz; .*base_pretraining.h5 was trained at 16000 Hz" \
  "$WORK/bad.h5" ssl-pretrain "$WORK/a8.h5" --resume "$WORK/base_pretraining.h5" --epochs 1 --threads 1 -o "$WORK/bad.h5"
ok ssl-pretrain "$WORK/a.h5" --resume "$WORK/p.h5" --epochs 3 --threads 1 -o "$WORK/p2.h5"
check_eq "and resumes again" "$(h5get "$WORK/p2.h5" "[len(f['train/loss']), list(f['state/step'][:])]")" "[6, [6]]"
ok ssl-pretrain "$WORK/a.h5" --resume "$WORK/group_stable_model.h5" --epochs 1 --batch 3 --threads 1 -o "$WORK/pm.h5"
check_eq "Wav2Vec2Model: a new quantizer of Wav2Vec2Config's sizes (2 x 320, 256)" \
  "$(h5get "$WORK/pm.h5" "f['params/quantizer.codevectors'].shape")" "(640, 128)"

# The way back: the same names (weight norm under either spelling), shapes
# and bytes (the weight norm is kept as g and v, not folded).
cat >"$WORK/same.py" <<'PY'
import json, struct, sys
def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    out = {}
    for k, v in h.items():
        assert v["dtype"] == "F32", (k, v["dtype"])
        s, e = v["data_offsets"]
        out[k.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1", "weight_v")] = \
            (tuple(v["shape"]), b[8 + n + s:8 + n + e])
    return out
a, b = load(sys.argv[1] + "/model.safetensors"), load(sys.argv[2] + "/model.safetensors")
problems = []
if sorted(a) != sorted(b):
    problems.append("keys differ: %s / %s" % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
for k in sorted(set(a) & set(b)):
    if a[k][0] != b[k][0]:
        problems.append("%s: shape %s, %s" % (k, a[k][0], b[k][0]))
    elif a[k][1] != b[k][1]:
        problems.append("%s: other bytes" % k)
ca, cb = json.load(open(sys.argv[1] + "/config.json")), json.load(open(sys.argv[2] + "/config.json"))
for k in ("architectures", "conv_dim", "conv_kernel", "conv_stride", "conv_bias", "feat_extract_norm", "hidden_size",
          "num_hidden_layers", "num_attention_heads", "intermediate_size", "num_conv_pos_embeddings",
          "num_conv_pos_embedding_groups", "do_stable_layer_norm", "layer_norm_eps", "num_codevector_groups",
          "num_codevectors_per_group", "codevector_dim", "proj_codevector_dim"):
    if ca.get(k) != cb.get(k):
        problems.append("config %s: %s, %s" % (k, ca.get(k), cb.get(k)))
print("; ".join(problems) if problems else "same")
PY
for v in base_pretraining large_pretraining; do
  ok ssl-export "$WORK/$v.h5" -o "$WORK/out-$v" --to hf
  check_eq "$v: import then export" "$(/usr/bin/python3 "$WORK/same.py" "$FIX/$v" "$WORK/out-$v" | cut -c1-4)" "same"
done

# Bad checkpoints: one line naming the file and what is wrong, nothing written.
variant() {  # variant NAME PYTHON: a copy of base_pretraining changed by PYTHON (cfg: config.json, st: tensors)
  mkdir -p "$WORK/$1" && cp "$FIX/base_pretraining"/*.json "$FIX/base_pretraining/model.safetensors" "$WORK/$1/"
  /usr/bin/python3 - "$WORK/$1" "$2" <<'PY' || fail "making $1"
import json, struct, sys
d, change = sys.argv[1], sys.argv[2]
b = open(d + "/model.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
meta = h.pop("__metadata__", {})
st = {k: (v["dtype"], v["shape"], b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in h.items()}
cfg = json.load(open(d + "/config.json"))
exec(change)
json.dump(cfg, open(d + "/config.json", "w"))
head, body = {"__metadata__": meta}, b""
for k, (dt, shape, data) in st.items():
    head[k] = {"dtype": dt, "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
    body += data
hb = json.dumps(head).encode()
hb += b" " * (-len(hb) % 8)
open(d + "/model.safetensors", "wb").write(struct.pack("<Q", len(hb)) + hb + body)
PY
}
variant unknown 'st["wav2vec2.encoder.adapter.weight"] = ("F32", [2], b"\0" * 8)'
expect_error 1 "unknown.*model.safetensors: unknown key 'wav2vec2.encoder.adapter.weight'" "$WORK/bad.h5" \
  ssl-import model "$WORK/unknown" -o "$WORK/bad.h5"
variant shape 'dt, s, data = st["project_hid.bias"]; st["project_hid.bias"] = (dt, [11], data + b"\0" * 4)'
expect_error 1 "shape/model.safetensors: 'project_hid.bias' has shape \[11\]" "$WORK/bad.h5" \
  ssl-import model "$WORK/shape" -o "$WORK/bad.h5"
variant adapter 'cfg["add_adapter"] = True'
expect_error 1 "adapter/config.json: add_adapter true" "$WORK/bad.h5" ssl-import model "$WORK/adapter" -o "$WORK/bad.h5"
variant groups 'cfg["num_conv_pos_embedding_groups"] = 5'
expect_error 1 "groups/config.json: num_conv_pos_embedding_groups 5 does not divide hidden_size 24" "$WORK/bad.h5" \
  ssl-import model "$WORK/groups" -o "$WORK/bad.h5"
variant ctc 'cfg["architectures"] = ["Wav2Vec2ForCTC"]'
expect_error 1 "ctc/config.json: architectures holds Wav2Vec2ForCTC" "$WORK/bad.h5" \
  ssl-import model "$WORK/ctc" -o "$WORK/bad.h5"
variant nog 'del st["wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0"]'
expect_error 1 "nog/model.safetensors.*parametrizations.weight.original0" "$WORK/bad.h5" ssl-import model "$WORK/nog" -o "$WORK/bad.h5"
finish
