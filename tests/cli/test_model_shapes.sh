#!/usr/bin/env bash
# Model shapes as data (issue 24): model files of the previous release load
# and embed as they did; a shape that is no preset trains, is written to
# /config's "encoder", and loads from that config alone.
. "$TESTS/cli/lib.sh"
OLD="$TESTS/data/release-0.1.0"

# Files written by release 0.1.0 (tests/data/release-0.1.0/make.sh): the
# embeddings of today's tools agree with that release's to 1e-6 of the
# largest (f32; on the machine that made them they are bitwise equal).
same_embeddings() {  # MODEL INPUT
  ok ssl-embed "$OLD/$1.h5" "$OLD/$2.h5" --threads 1 --precision f32 --format npy -o "$WORK/$1.npy"
  check_eq "$1 (release 0.1.0) embeds as it did" "$(/usr/bin/python3 -c "
import numpy as np
a, b = np.load('$WORK/$1.npy'), np.load('$OLD/$1.npy')
print(a.shape == b.shape and bool(np.abs(a - b).max() <= 1e-6 * np.abs(b).max()))")" "True"
}
same_embeddings convnet-s images
same_embeddings vit-mini images
same_embeddings bert-tiny text
same_embeddings w2v-tiny audio

finish
