"""shared/peer/probe_peer.py's probe on features already computed: probe_peer.py takes a convnet-s checkpoint
and embeds the IDX files itself; this takes two SSL-HDF5 embedding files (ssl-embed's output, or
fmnist_lightly_peer.py --features-out), so sslkit's and the peer's encoders (either arch) get the same probe:
standardized logistic regression (sklearn lbfgs, max_iter 1000) and kNN (cosine, k=200, T=0.1, with
common.py's knn_cosine), plus kNN k=20, T=0.07.
  probe_features.py TRAIN.h5 TEST.h5 [--limit-train N] [--limit-test N] [--peer-dir shared/peer]
prints one JSON object."""
import argparse, json, os, sys, time

import h5py
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def load(path, limit):
    with h5py.File(path, "r") as f:
        if "embeddings" not in f or "labels" not in f:
            raise SystemExit(f"probe_features.py: {path}: needs /embeddings and /labels (ssl-embed output)")
        n = f["embeddings"].shape[0] if limit is None else min(limit, f["embeddings"].shape[0])
        x = torch.from_numpy(np.asarray(f["embeddings"][:n], dtype=np.float32))
        y = torch.from_numpy(np.asarray(f["labels"][:n], dtype=np.int64))
        model = f["embeddings"].attrs.get("model", "")
    return x, y, model.decode() if isinstance(model, bytes) else str(model)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--limit-train", type=int, help="the first N training rows only (a quick check)")
    ap.add_argument("--limit-test", type=int)
    ap.add_argument("--peer-dir", default=os.environ.get("PEER_DIR", os.path.join(here, "..", "..", "shared", "peer")))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    sys.path.insert(0, a.peer_dir)
    from common import knn_cosine  # probe_peer.py's kNN

    torch.set_num_threads(a.threads)
    xtr, ytr, model = load(a.train, a.limit_train)
    xte, yte, _ = load(a.test, a.limit_test)
    for name, x in (("train", xtr), ("test", xte)):
        if not torch.isfinite(x).all():
            raise SystemExit(f"probe_features.py: {name} embeddings hold NaN or infinite values")
    ncls = int(max(ytr.max(), yte.max())) + 1
    t = time.perf_counter()
    sc = StandardScaler().fit(xtr.numpy())
    clf = LogisticRegression(max_iter=1000).fit(sc.transform(xtr.numpy()), ytr.numpy())
    lin = float((clf.predict(sc.transform(xte.numpy())) == yte.numpy()).mean())
    t_lin = time.perf_counter() - t
    t = time.perf_counter()
    knn = (knn_cosine(xtr, ytr, xte, k=200, T=0.1, ncls=ncls) == yte).float().mean().item()
    knn20 = (knn_cosine(xtr, ytr, xte, k=20, T=0.07, ncls=ncls) == yte).float().mean().item()
    t_knn = time.perf_counter() - t
    print(json.dumps(dict(train=a.train, test=a.test, model=model, train_rows=xtr.shape[0], test_rows=xte.shape[0],
                          dim=xtr.shape[1], linear_probe_acc=lin, logreg_n_iter=int(clf.n_iter_[0]),
                          knn_cos_k200_acc=knn, knn_cos_k20_t007_acc=knn20, logreg_s=round(t_lin, 2),
                          knn_s=round(t_knn, 2)), indent=1))


if __name__ == "__main__":
    main()
