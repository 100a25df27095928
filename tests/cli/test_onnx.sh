#!/usr/bin/env bash
# ssl-export --to onnx (issue 25). CI has no onnxruntime (no PyPI), so the
# proof is in two halves that meet at a fixture (tests/data/onnx/make.sh):
# onnxruntime ran the graph ssl-export wrote for each tiny model and its
# features were recorded; here ssl-export must write those very bytes again
# (producer_version aside)
# and ssl-embed must still give those features (|a-b| <= 1e-4 + 1e-4|b|).
# Every graph is also checked by Debian's python3-onnx 1.12 checker
# (full_check: strict shape inference at opset 17), the fixtures' and those
# of models trained here in presets' shapes.
. "$TESTS/cli/lib.sh"
FIX="$TESTS/data/onnx"
IN="$TESTS/data/release-0.1.0"
/usr/bin/python3 -c "import onnx" 2>/dev/null || { fail "python3-onnx is missing (make deps installs it)"; finish; }

cat >"$WORK/check.py" <<'PY'
import sys
import onnx
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == 8, (path, m.ir_version)
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 17)], (path, m.opset_import)
    print(path, "ok", [o.name for o in m.graph.output])
PY
# The same graph as the fixture's, the producer_version aside (a release
# bump changes it, not the graph).
cat >"$WORK/same_graph.py" <<'PY'
import sys
import onnx
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
a.producer_version = b.producer_version = ""
sys.exit(0 if a.SerializeToString() == b.SerializeToString() else 1)
PY
cat >"$WORK/compare.py" <<'PY'
import sys
import numpy as np
got = np.load(sys.argv[1])
rec = np.load(sys.argv[2])
for run in ("opt=off", "opt=all"):
    ort = rec[run + ".features"]
    assert got.shape == ort.shape, (sys.argv[1], got.shape, ort.shape)
    err = np.abs(got - ort)
    assert np.all(err <= 1e-4 + 1e-4 * np.abs(ort)), (sys.argv[1], run, float(err.max()))
print("max abs error", max(float(np.abs(got - rec[r + ".features"]).max()) for r in ("opt=off", "opt=all")))
PY

for m in convnet resnet vit text w2v; do
  case $m in text) data=text.h5 ;; w2v) data=audio.h5 ;; *) data=images.h5 ;; esac
  ok ssl-export "$FIX/$m.h5" -o "$WORK/$m" --to onnx
  /usr/bin/python3 "$WORK/same_graph.py" "$WORK/$m/model.onnx" "$FIX/$m.onnx" ||
    fail "$m: ssl-export no longer writes the graph onnxruntime ran ($FIX/$m.onnx; a deliberate change: rerun tests/data/onnx/make.sh)"
  [ -s "$WORK/$m/README.md" ] || fail "$m: no README.md"
  ok ssl-embed "$FIX/$m.h5" "$IN/$data" --precision f32 --threads 1 --format npy -o "$WORK/$m.npy"
  /usr/bin/python3 "$WORK/compare.py" "$WORK/$m.npy" "$FIX/$m.npz" >/dev/null || fail "$m: ssl-embed differs from onnxruntime's features"
done
check_eq "text tokenizer.model is the model's /tokenizer" \
  "$(h5get "$FIX/text.h5" "f['tokenizer'][()].tobytes() == open('$WORK/text/tokenizer.model', 'rb').read()")" True
check_eq "w2v outputs" "$(grep -c 'extract_features' "$WORK/w2v/README.md")" 1

# The presets' shapes (pre-LN text, cls-pooled ViT, odd position kernel) through the checker.
ok ssl-pretrain "$IN/images.h5" --threads 1 --max-steps 1 --batch 4 --arch vit-mini:depth=1 --patch 7 -o "$WORK/vit-mini.h5"
ok ssl-export "$WORK/vit-mini.h5" -o "$WORK/vit-mini" --to onnx
ok ssl-pretrain "$IN/text.h5" --threads 1 --max-steps 1 --batch 4 --method mlm --arch bert-tiny:depth=1 -o "$WORK/bert-tiny.h5"
ok ssl-export "$WORK/bert-tiny.h5" -o "$WORK/bert-tiny" --to onnx
ok ssl-pretrain "$IN/audio.h5" --threads 1 --max-steps 1 --batch 3 --arch w2v-tiny:depth=1 -o "$WORK/w2v-tiny.h5"
ok ssl-export "$WORK/w2v-tiny.h5" -o "$WORK/w2v-tiny" --to onnx
/usr/bin/python3 "$WORK/check.py" "$WORK"/{convnet,resnet,vit,text,w2v,vit-mini,bert-tiny,w2v-tiny}/model.onnx >"$WORK/check.out" 2>&1 ||
  { fail "onnx.checker refused a graph"; cat "$WORK/check.out" >&2; }
check_eq "graphs checked" "$(grep -c ' ok ' "$WORK/check.out")" 8

# Bad input: one line, nothing written.
expect_error 1 "ssl-export: error: .*images.h5" "$WORK/bad" ssl-export "$IN/images.h5" -o "$WORK/bad" --to onnx
head -c 3000 "$FIX/vit.h5" >"$WORK/cut.h5"
expect_error 1 "ssl-export: error: .*cut.h5" "$WORK/bad" ssl-export "$WORK/cut.h5" -o "$WORK/bad" --to onnx
expect_error 2 "ssl-export: error: .*--to" "$WORK/bad" ssl-export "$FIX/vit.h5" -o "$WORK/bad" --to onnx2
# An encoder tensor no emitter reads (an imported pooler, say) is refused, not left out of the graph.
cp "$FIX/vit.h5" "$WORK/extra.h5"
/usr/bin/python3 -c "import h5py, numpy as np
with h5py.File('$WORK/extra.h5', 'r+') as f: f['params'].create_dataset('encoder.pooler.weight', data=np.zeros((16, 16), np.float32))"
expect_error 2 "ssl-export: error: .*encoder.pooler.weight" "$WORK/bad" ssl-export "$WORK/extra.h5" -o "$WORK/bad" --to onnx
finish
