#!/usr/bin/env bash
# Issue 24's review, the batch sources and what they feed: ssl-augment's
# rotation views pretrain with --method rotation (their /pretext_labels are
# the targets), and a views file without them is refused naming it.
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

finish
