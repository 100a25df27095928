#!/usr/bin/env bash
# kill -9 at any moment of a run that writes its model file every step
# (issue 29): afterwards the model file is always one ssl-info reads and
# --resume continues (the previous checkpoint or the new one, never half of
# one), or there is none yet. KILLS runs (10 here; bench/fault_injection.sh
# 100), killed after a pseudo-random 0.3-2.5 s.
. "$TESTS/cli/lib.sh"
KILLS=${KILLS:-10}
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
ok ssl-import idx "$IDX" -o "$WORK/tr.h5"
RANDOM=29
loadable=0 none=0
for ((i = 0; i < KILLS; i++)); do
  rm -f "$WORK/m.h5"
  ssl-pretrain "$WORK/tr.h5" --method simclr --batch 8 --max-steps 100000 --checkpoint-every 1 --threads 1 \
    -o "$WORK/m.h5" -q > /dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.2f", 0.3 + 2.2 * r / 32767}')"
  kill -9 "$pid"
  wait "$pid" 2> /dev/null
  if [ -e "$WORK/m.h5" ]; then
    if ssl-info "$WORK/m.h5" > "$WORK/info" 2>&1; then
      loadable=$((loadable + 1))
    else
      fail "kill $i: the model file left does not load: $(head -1 "$WORK/info")"
    fi
  else
    none=$((none + 1))
  fi
done
# The last checkpoint left also resumes.
if [ -e "$WORK/m.h5" ]; then
  ok ssl-pretrain "$WORK/tr.h5" --resume "$WORK/m.h5" --max-steps 1 --threads 1 -o "$WORK/r.h5" -q
fi
echo "$KILLS kill -9: $loadable left a model file that loads, $none were killed before their first checkpoint"
finish
