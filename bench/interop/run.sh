#!/bin/bash
# Every check of this directory on tiny models: writes the figures of results-<date>.txt to stdout.
#   bench/interop/run.sh WORK [BUILD_DIR_WITH_SSL_TOOLS] [SSL_EXPORT]
# WORK receives the models and exports (about 600 MB). Without SSL_EXPORT only the hand exports (images) are
# checked. Each model is checked as trained (one step: still almost its initialisation) and with every
# parameter redrawn (randomize_model.py), the copy that can tell a swapped norm from the right one.
set -u
W=$1 B=${2:-$(dirname "$0")/../../build} X=${3:-}
PY=${PY:-/work/venv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd) ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$ROOT/data
mkdir -p "$W" && cd "$W" || exit 2
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; sslkit $(git -C "$ROOT" rev-parse --short HEAD)"
$PY -c 'import torch, torchvision, timm, transformers, safetensors, numpy, h5py, sys
print("# python", sys.version.split()[0], "torch", torch.__version__, "torchvision", torchvision.__version__, "timm", timm.__version__,
      "transformers", transformers.__version__, "safetensors", safetensors.__version__, "numpy", numpy.__version__, "h5py", h5py.__version__)'
[ -n "$X" ] && echo "# ssl-export: $X"
$B/ssl-import idx "$D/idx/fashion-120-images-idx3-ubyte.gz" "$D/idx/fashion-120-labels-idx1-ubyte.gz" -o f120.h5 -q || exit 2
$B/ssl-import text "$D/text/proverbs" "$D/text/weather" --vocab-size 300 --max-len 32 -o t.h5 -q || exit 2
$B/ssl-import audio "$D/audio" --seconds 0.5 -o a.h5 -q || exit 2
fail=0
# data method arch name targets (hand exports exist for the image targets only)
for spec in "f120 simclr resnet18 rn18 torchvision" "f120 simclr convnet-s cns convnet" \
            "f120 simclr convnet-m cnm convnet" "f120 simclr vit-mini vit timm,hf" "f120 mae vit-tiny mae timm,hf" \
            "t mlm bert-tiny bert hf" "t mlm bert-tiny:norm=post,eps=1e-12 bertpost hf" \
            "a wav2vec w2v-tiny w2v hf" "a wav2vec w2v-tiny:pos_kernel=4 w2vk4 hf"; do
  set -- $spec
  batch=16; [ $1 = a ] && batch=3
  $B/ssl-pretrain $1.h5 --method $2 --arch $3 --max-steps 1 --batch $batch --threads 1 -q -o $4.h5 || exit 2
  $PY "$HERE/randomize_model.py" $4.h5 r$4.h5 >/dev/null
  for m in $4 r$4; do
    state="one step"; [ $m = r$4 ] && state="randomised"
    for to in ${5//,/ }; do
      for how in hand tool; do
        d=$how-$m-$to
        rm -rf $d
        if [ $how = hand ]; then [ $1 = f120 ] || continue; $PY "$HERE/hand_export.py" $m.h5 --to $to -o $d >/dev/null
        else [ -n "$X" ] || continue; $X $m.h5 -o $d --to ${to/convnet/torchvision} || { echo "$d: ssl-export failed"; fail=1; continue; }
        fi
        echo "## $how export, $2 $3 ($state) --to $to"
        $PY "$HERE/check_export.py" $d $m.h5 $1.h5 --embed $B/ssl-embed 2>&1 | grep -v -e Warning -e 'Loading weights'
        [ "${PIPESTATUS[0]}" = 0 ] || fail=1
      done
    done
  done
done
echo "## negative controls"
"$HERE/negative_controls.sh" neg f120.h5 rn18.h5 vit.h5 $B/ssl-embed || fail=1
echo "# exit $fail"
exit $fail
