#!/usr/bin/env bash
# ssl-finetune's three modes on 120 images: features from a model file,
# Euclidean kNN against numpy, full fine-tuning and its from-scratch
# baseline, label fractions, the fine-tuned model read back by ssl-embed,
# embeddings tied to their model by SHA-256, a checkpoint surviving kill -9,
# and bad input.
. "$TESTS/cli/lib.sh"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" \
   --split 0.25 -o "$WORK/tr.h5" --split-output "$WORK/te.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --epochs 1 -o "$WORK/m.h5"

# Embeddings name their model by path and by content.
ok ssl-embed "$WORK/m.h5" "$WORK/tr.h5" -o "$WORK/etr.h5"
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" -o "$WORK/ete.h5"
check_eq "model_sha256" "$(h5get "$WORK/etr.h5" 'f["embeddings"].attrs["model_sha256"]')" \
  "$(sha256sum "$WORK/m.h5" | cut -d' ' -f1)"

# A model file plus images gives the same features as embeddings in between.
ok ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --mode knn --k 10 --metrics "$WORK/a.json"
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --eval "$WORK/te.h5" --mode knn --k 10 --metrics "$WORK/b.json"
acc() { /usr/bin/python3 -c "import json; print(json.load(open('$1'))['accuracy'])"; }
check_eq "model+images equals embeddings" "$(acc "$WORK/b.json")" "$(acc "$WORK/a.json")"

# Euclidean kNN on pixels in [0, 1], one vote each, ties to the lowest class:
# the same accuracy as numpy by brute force.
ok ssl-finetune "$WORK/tr.h5" --raw-pixels --eval "$WORK/te.h5" --mode knn --k 5 --knn-metric euclidean --metrics "$WORK/e.json"
check_eq "euclidean metrics" "$(/usr/bin/python3 -c "import json; j=json.load(open('$WORK/e.json')); print(j['knn_metric'], j['k'], j['temperature'])")" "euclidean 5 None"
want=$(/usr/bin/python3 - "$WORK/tr.h5" "$WORK/te.h5" <<'PY'
import h5py, numpy as np, sys
def load(p):
    f = h5py.File(p, "r")
    return f["images"][:].reshape(len(f["labels"]), -1).astype(np.float64) / 255, f["labels"][:]
x, y = load(sys.argv[1]); q, t = load(sys.argv[2])
d = ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1)
near = np.argsort(d, axis=1, kind="stable")[:, :5]
pred = np.array([np.bincount(y[n], minlength=10).argmax() for n in near])
print((pred == t).mean())
PY
)
check_eq "euclidean kNN against numpy" "$(acc "$WORK/e.json")" "$want"
expect_error 2 "--knn-temperature weights cosine votes" "" \
  ssl-finetune "$WORK/tr.h5" --raw-pixels --eval "$WORK/te.h5" --mode knn --knn-metric euclidean --knn-temperature 0.1
expect_error 2 "--knn-metric goes with --mode knn" "" \
  ssl-finetune "$WORK/tr.h5" --raw-pixels --eval "$WORK/te.h5" --mode linear --knn-metric euclidean

# Full fine-tuning from the pretrained encoder and from scratch.
# Above chance by a margin: the commonest of the 31 test images' classes is
# 4 (0.13); 5 epochs from this simclr model scored 0.35-0.55 over seeds 0-5
# (2 epochs: 0.16-0.42, too close to chance to check).
ok ssl-finetune "$WORK/tr.h5" --model "$WORK/m.h5" --mode full --eval "$WORK/te.h5" --epochs 5 --batch 16 \
   -o "$WORK/ft.h5" --metrics "$WORK/ft.json" --plot "$WORK/ft.png"
grep -q "fine-tuned encoder" "$WORK/ok.out" || fail "full mode report"
check_eq "full metrics, accuracy >= 0.25" "$(/usr/bin/python3 -c "import json; j=json.load(open('$WORK/ft.json')); print(j['mode'], j['selected']['init'] == '$WORK/m.h5', 0.25 <= j['accuracy'] <= 1, len(j['confusion']))")" "full True True 10"
check_eq "fine-tuned model config" "$(h5get "$WORK/ft.h5" '__import__("json").loads(f["config"][0])["method"]')" "supervised"
[ -s "$WORK/ft.png" ] || fail "confusion plot"
# Titled, the class names on both axes: wider and taller than the 560-pixel grid of 10 classes.
ok ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --mode knn --k 10 --plot "$WORK/c.png" --title "kNN on embeddings"
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4, $7*256+$8}'; }
check_eq "confusion plot size" "$(png_size "$WORK/c.png" | awk '{print ($1 > 600 && $2 > 600)}')" "1"
expect_error 2 "--title names the --plot picture" "" ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --title x
ok ssl-embed "$WORK/ft.h5" "$WORK/te.h5" -o "$WORK/eft.h5"
check_eq "embed a fine-tuned model" "$(h5get "$WORK/eft.h5" 'f["embeddings"].shape[1]')" "128"
ok ssl-finetune "$WORK/tr.h5" --arch convnet-s --mode full --eval "$WORK/te.h5" --epochs 1 --batch 16 \
   --label-fraction 0.5 --metrics "$WORK/sc.json"
check_eq "scratch baseline" "$(/usr/bin/python3 -c "import json; j=json.load(open('$WORK/sc.json')); print(j['selected']['init'], j['label_fraction'], j['selected']['steps'])")" "scratch 0.5 2"

# A checkpoint being rewritten when the trainer is killed stays readable:
# the previous one is replaced only by a complete new file.
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --epochs 1 -o "$WORK/ck.h5"
before=$(sha256sum "$WORK/ck.h5" | cut -d' ' -f1)
ssl-pretrain "$WORK/tr.h5" --batch 16 --epochs 400 --checkpoint-every 1 -o "$WORK/ck.h5" -q &
pid=$!
# The kill must come after the run has rewritten the checkpoint at least
# once (else it tests the untouched old file): wait for that, up to a minute.
rewritten=0
for _ in $(seq 600); do
  [ "$(sha256sum "$WORK/ck.h5" | cut -d' ' -f1)" != "$before" ] && { rewritten=1; break; }
  sleep 0.1
done
[ "$rewritten" = 1 ] || fail "the checkpoint was never rewritten before kill -9: nothing was tested"
sleep 0.3
kill -9 $pid; wait $pid 2>/dev/null
ok ssl-info "$WORK/ck.h5"
# What survives is the killed run's own complete checkpoint, not the old file.
check_eq "checkpoint of the killed run" "$(h5get "$WORK/ck.h5" '__import__("json").loads(f["config"][0])["epochs"]')" "400"
ok ssl-pretrain "$WORK/tr.h5" --resume "$WORK/ck.h5" --max-steps 1 -o "$WORK/ck2.h5"

# Bad input: one line, exit 1 (files) or 2 (usage).
ok ssl-embed "$WORK/m.h5" "$WORK/te.h5" --layer projector -o "$WORK/proj.h5"
ok ssl-pretrain "$WORK/tr.h5" --batch 16 --epochs 1 --method barlow -o "$WORK/bt.h5"
ok ssl-embed "$WORK/bt.h5" "$WORK/te.h5" --layer projector -o "$WORK/ebt.h5"
expect_error 2 "ebt.h5 holds embeddings of .*bt.h5 .*etr.h5 of .*m.h5 .*embed both with one model" "$WORK/x.json" \
  ssl-finetune "$WORK/etr.h5" --eval "$WORK/ebt.h5" --metrics "$WORK/x.json"
ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" -o "$WORK/nolabels.h5" 2>/dev/null
expect_error 1 "nolabels.h5: has no labels" "$WORK/x.h5" \
  ssl-finetune "$WORK/nolabels.h5" --mode full --eval "$WORK/te.h5" -o "$WORK/x.h5"
expect_error 1 "nolabels.h5: has no labels" "" ssl-finetune "$WORK/nolabels.h5" --raw-pixels --eval "$WORK/te.h5"
expect_error 1 "nolabels.h5: has no labels to evaluate against" "" ssl-finetune "$WORK/tr.h5" --raw-pixels --eval "$WORK/nolabels.h5"
/usr/bin/python3 - "$WORK/m.h5" "$WORK/bad.h5" <<'PY'
import h5py, json, shutil, sys
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    # The encoder is built from /config's "encoder" (the whole shape), "arch" only names it.
    c = json.loads(f["config"][0]); c["arch"] = "resnet18"
    c["encoder"] = {"kind": "resnet", "widths": [64, 128, 256, 512], "blocks": [2, 2, 2, 2]}; f["config"][0] = json.dumps(c)
PY
expect_error 1 "bad.h5: .*params/" "$WORK/x.h5" ssl-embed "$WORK/bad.h5" "$WORK/te.h5" -o "$WORK/x.h5"
expect_error 1 "not an sslkit model file" "" ssl-finetune "$WORK/tr.h5" --model "$WORK/tr.h5" --eval "$WORK/te.h5"
expect_error 2 "goes with --mode full" "" ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --arch resnet18
expect_error 2 "-o writes a fine-tuned model" "" ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" -o "$WORK/y.h5"
# Options the mode does not use, accepted and ignored before (issue 24, defect 4).
expect_error 2 "^ssl-finetune: error: --lr goes with --mode full; --mode is linear$" "" \
  ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --lr 0.5
expect_error 2 "^ssl-finetune: error: --k goes with --mode knn; --mode is linear$" "" \
  ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --k 5
expect_error 2 "^ssl-finetune: error: --epochs goes with --mode linear or full; --mode is knn$" "" \
  ssl-finetune "$WORK/etr.h5" --eval "$WORK/ete.h5" --mode knn --epochs 5
finish
