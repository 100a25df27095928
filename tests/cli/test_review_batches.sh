#!/usr/bin/env bash
# Issue 24's review, the batch sources and what they feed: ssl-augment's
# rotation views pretrain with --method rotation (their /pretext_labels are
# the targets), a views file without them is refused naming it, and
# ssl-info counts a model's trained parameters, not its EMA target twice.
# Each block failed before its fix.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
LBL="$DATA/idx/fashion-120-labels-idx1-ubyte.gz"
ok ssl-import idx "$IDX" "$LBL" -o "$WORK/g.h5"

# ---- 1. ssl-augment --recipe rotation, then --method rotation on its views.
ok ssl-augment "$WORK/g.h5" --recipe rotation -o "$WORK/rot.h5"
ok ssl-pretrain "$WORK/rot.h5" --method rotation --batch 16 --max-steps 3 --threads 1 -o "$WORK/rotm.h5"
check_eq "rotation on views: steps" "$(h5get "$WORK/rotm.h5" 'int(f["state/step"][0])')" "3"
# The labels are read: one out of range is named with its file.
/usr/bin/python3 - "$WORK/rot.h5" "$WORK/rot7.h5" <<'PY'
import h5py, shutil, sys
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    f["pretext_labels"][:, :] = 7
PY
expect_error 1 "rot7.h5: /pretext_labels of image [0-9]+ is 7, not a rotation 0..3" "$WORK/x.h5" \
  ssl-pretrain "$WORK/rot7.h5" --method rotation --batch 16 --max-steps 1 --threads 1 -o "$WORK/x.h5"
# Views with no rotation labels: refused, naming the file.
ok ssl-augment "$WORK/g.h5" --recipe simclr -o "$WORK/sim.h5"
expect_error 1 "sim.h5: holds /views without /pretext_labels" "$WORK/x.h5" \
  ssl-pretrain "$WORK/sim.h5" --method rotation --batch 16 --max-steps 1 --threads 1 -o "$WORK/x.h5"

# ---- 11. ssl-info's parameter count: the trained parameters, the EMA target apart.
# What the optimizer trains is what AdamW keeps a first moment of.
trained_in() { h5get "$1" 'sum(f["optimizer"][n].size for n in f["optimizer"] if n.startswith("adam_m."))'; }
stored_in() { h5get "$1" 'sum(f["params"][n].size for n in f["params"])'; }
for m in byol simclr; do
  ok ssl-pretrain "$WORK/g.h5" --method $m --batch 16 --max-steps 1 --threads 1 -o "$WORK/$m.h5"
  ok ssl-info "$WORK/$m.h5" --json
  cp "$WORK/ok.out" "$WORK/$m.json"
  got=$(/usr/bin/python3 -c "import json; s=json.load(open('$WORK/$m.json'))['summary']; print(s['parameters'], s.get('ema_target_parameters', 0))")
  want="$(trained_in "$WORK/$m.h5") $(( $(stored_in "$WORK/$m.h5") - $(trained_in "$WORK/$m.h5") ))"
  check_eq "$m parameters, EMA target" "$got" "$want"
done
[ "$(trained_in "$WORK/byol.h5")" -lt "$(stored_in "$WORK/byol.h5")" ] || fail "byol stores an EMA target beside its parameters"
ok ssl-info "$WORK/byol.h5"
grep -Eq "^  EMA target +[0-9]+ " "$WORK/ok.out" || fail "ssl-info says the EMA target apart"
# Through stdin as well (the reader takes the spooled file, named as stdin).
ssl-info - --json < "$WORK/byol.h5" > "$WORK/stdin.json" || fail "ssl-info - on a model"
check_eq "byol parameters through stdin" \
  "$(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/stdin.json'))['summary']['parameters'])")" \
  "$(trained_in "$WORK/byol.h5")"
finish
