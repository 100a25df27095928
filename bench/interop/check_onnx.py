#!/usr/bin/env python3
"""Does `ssl-export --to onnx` give a graph the ONNX checker accepts and onnxruntime runs to ssl-embed's features?

  check_onnx.py DIR MODEL.h5 DATA.h5 [--embed PATH/TO/ssl-embed] [--atol 1e-4] [--rtol 1e-4] [--threads 2]
                [--record OUT.npz]

DIR is ssl-export's output (model.onnx, README.md). Runs onnx.checker.check_model(full_check=True) (strict shape
inference), then onnxruntime on the CPU twice, with graph optimisations off (ORT_DISABLE_ALL) and at their default
(ORT_ENABLE_ALL: fused LayerNorm, Gelu, attention), on DATA.h5 preprocessed as DIR/README.md says:
  images  (x/255 - mean)/std from MODEL.h5's /config, NCHW
  text    /tokens as input_ids, attention_mask 1 over each row's first /lengths tokens
  audio   /audio as input_values (the graph standardises), attention_mask 1 over each clip's first /lengths samples
and compares `features` with `ssl-embed MODEL.h5 DATA.h5 --precision f32` on the same file. One line per run:
max abs error, max relative error, and ok / FAIL at |a-b| <= atol + rtol|b|. Exit 1 on any FAIL.

--record writes onnxruntime's features (both runs) and ssl-embed's to an .npz: the CI test's fixture
(tests/data/onnx, tests/cli/test_onnx.sh) keeps them beside the graph it proves byte-identical to this one.
Run with /work/venv/bin/python (onnx, onnxruntime, h5py, numpy from PyPI).
"""
import argparse, json, os, subprocess, sys, tempfile

import h5py
import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EMBED = os.path.join(HERE, "..", "..", "build", "ssl-embed")


def model_config(path):
    with h5py.File(path, "r") as f:
        return json.loads(np.asarray(f["config"][()]).reshape(-1)[0])


def feeds(cfg, data):
    kind = cfg["encoder"]["kind"]
    with h5py.File(data, "r") as f:
        if kind in ("convnet", "resnet", "vit"):
            px = f["images"][()].astype(np.float32)
            n = cfg["normalize"]
            x = (px / np.float32(255) - np.asarray(n["mean"], np.float32)) / np.asarray(n["std"], np.float32)  # per channel or one
            return {"pixel_values": np.ascontiguousarray(x.transpose(0, 3, 1, 2))}
        if kind == "text":
            ids = f["tokens"][()].astype(np.int64)
            lengths = f["lengths"][()]
            mask = (np.arange(ids.shape[1])[None] < lengths[:, None]).astype(np.int64)
            return {"input_ids": ids, "attention_mask": mask}
        if kind == "w2v":
            wave = f["audio"][()].astype(np.float32)
            wave = wave.reshape(wave.shape[0], -1)
            lengths = f["lengths"][()]
            mask = (np.arange(wave.shape[1])[None] < lengths[:, None]).astype(np.int64)
            return {"input_values": wave, "attention_mask": mask}
    raise SystemExit(f"{data}: no input for a {kind} encoder")


def run_embed(embed, model, data, threads, tmp):
    out = os.path.join(tmp, "embed.h5")
    subprocess.run([embed, model, data, "-o", out, "--precision", "f32", "--threads", str(threads), "-q"],
                   check=True)
    with h5py.File(out, "r") as f:
        return f["embeddings"][()].astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--embed", default=DEFAULT_EMBED)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--record")
    a = ap.parse_args()
    path = os.path.join(a.dir, "model.onnx")
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == 8 and [(o.domain, o.version) for o in m.opset_import] == [("", 17)], (m.ir_version, m.opset_import)
    cfg = model_config(a.model)
    x = feeds(cfg, a.data)
    with tempfile.TemporaryDirectory() as tmp:
        ref = run_embed(a.embed, a.model, a.data, a.threads, tmp)
    ok = True
    record = {}
    label = f"{cfg['encoder']['kind']} {cfg['arch']} {cfg.get('method', '?')}"
    for name, level in (("opt=off", ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
                        ("opt=all", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)):
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        so.intra_op_num_threads = a.threads
        s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        outs = dict(zip([o.name for o in s.get_outputs()], s.run(None, x)))
        got = outs["features"]
        record[f"{name}.features"] = got
        if got.shape != ref.shape:
            print(f"{label} {name} shape {got.shape} vs ssl-embed {ref.shape} FAIL")
            ok = False
            continue
        err = np.abs(got - ref)
        rel = err / np.maximum(np.abs(ref), 1e-6)
        good = bool(np.all(err <= a.atol + a.rtol * np.abs(ref)))
        ok &= good
        print(f"{label} {name} n={ref.shape[0]} dim={ref.shape[1]} outputs={','.join(outs)} max_abs={err.max():.3g} "
              f"max_rel={rel.max():.3g} max_ref={np.abs(ref).max():.3g} {'ok' if good else 'FAIL'}")
    if a.record:
        np.savez_compressed(a.record, ssl_embed=ref, **record)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
