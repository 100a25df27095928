#!/usr/bin/env bash
# All benchmarks. Each prints medians over several runs.
set -euo pipefail
here=$(dirname "$0")
bash "$here/import.sh"
bash "$here/engine.sh"
bash "$here/augment.sh"
bash "$here/embed.sh"
bash "$here/mask.sh"
bash "$here/trainer.sh"
# Needs root (device nodes, a small tmpfs); skips those cases otherwise.
bash "$here/hostile.sh"
# LONG=1: the 20-minute SimCLR run against the PyTorch peer, then the
# per-method table (2 minutes each), f32 against bf16 (4 x 5 minutes) and
# the label-fraction table (~1 hour).
if [ "${LONG:-0}" = 1 ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-long.XXXXXX")
  PEER=1 bash "$here/pretrain_eval.sh" "$out/simclr" 1200 simclr
  bash "$here/pretrain_eval.sh" "$out/methods" 120 simclr moco byol simsiam barlow vicreg rotation
  bash "$here/precision.sh"
  bash "$here/label_fraction.sh" "$out/simclr/simclr.h5" "$out/lf"
fi
