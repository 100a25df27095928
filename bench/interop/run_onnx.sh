#!/bin/bash
# ssl-export --to onnx on every encoder kind, through check_onnx.py (onnx.checker full_check, onnxruntime with
# optimisations off and on, against ssl-embed --precision f32): the figures of results-onnx-<date>.txt.
#   bench/interop/run_onnx.sh WORK [BUILD_DIR_WITH_SSL_TOOLS]
# Each model is checked as trained (one step) and with every parameter redrawn (randomize_model.py).
set -u
W=$1 B=${2:-$(dirname "$0")/../../build}
B=$(cd "$B" && pwd)
PY=${PY:-/work/venv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd) ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$ROOT/data
mkdir -p "$W" && cd "$W" || exit 2
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; sslkit $(git -C "$ROOT" rev-parse --short HEAD)"
$PY -c 'import onnx, onnxruntime, numpy, sys
print("# python", sys.version.split()[0], "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "numpy", numpy.__version__)'
$B/ssl-import idx "$D/idx/fashion-120-images-idx3-ubyte.gz" "$D/idx/fashion-120-labels-idx1-ubyte.gz" -o f120.h5 -q || exit 2
$B/ssl-import text "$D/text/proverbs" "$D/text/weather" --vocab-size 300 --max-len 32 -o t.h5 -q || exit 2
$B/ssl-import audio "$D/audio" --seconds 0.5 -o a.h5 -q || exit 2
fail=0
# data method arch name [extra ssl-pretrain options]
for spec in "f120 simclr convnet-s cns" "f120 simclr convnet-m cnm" "f120 simclr resnet18 rn18" \
            "f120 simclr vit-mini vit" "f120 mae vit-tiny mae" "f120 simclr vit-mini:norm=post,eps=1e-6 vitpost" \
            "t mlm bert-tiny bert" "t mlm bert-tiny:norm=post,eps=1e-12 bertpost" "t mlm bert-mini bertmini" \
            "a wav2vec w2v-tiny w2v" "a wav2vec w2v-tiny:pos_kernel=4,norm=post w2vk4"; do
  set -- $spec
  batch=16; [ $1 = a ] && batch=3
  $B/ssl-pretrain $1.h5 --method $2 --arch $3 --max-steps 1 --batch $batch --threads 1 -q -o $4.h5 || exit 2
  $PY "$HERE/randomize_model.py" $4.h5 r$4.h5 >/dev/null
  for m in $4 r$4; do
    state="one step"; [ $m = r$4 ] && state="randomised"
    # A ViT pooled both ways: the model's own (cls) and mean, set in a copy's /config.
    pools=cls; case $3 in vit*) pools="cls mean" ;; esac
    for pool in $pools; do
      src=$m.h5
      if [ $pool = mean ]; then
        cp $m.h5 $m-mean.h5; src=$m-mean.h5
        $PY -c "import sys, json, h5py, numpy as np
f = h5py.File('$src', 'r+'); c = json.loads(np.asarray(f['config'][()]).reshape(-1)[0]); c['pool'] = 'mean'; f['config'][0] = json.dumps(c)"
      fi
      rm -rf onnx-$m-$pool
      echo "## $2 $3 ($state)$([ $pool = mean ] && echo ', pool mean')"
      $B/ssl-export $src -o onnx-$m-$pool --to onnx || { echo "ssl-export failed"; fail=1; continue; }
      $PY "$HERE/check_onnx.py" onnx-$m-$pool $src $1.h5 --embed $B/ssl-embed || fail=1
    done
  done
done
echo "## negative control: a one-step model's graph against its randomised copy's ssl-embed (must FAIL)"
$PY "$HERE/check_onnx.py" onnx-vit-cls rvit.h5 f120.h5 --embed $B/ssl-embed && fail=1
echo "# exit $fail"
exit $fail
