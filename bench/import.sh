#!/usr/bin/env bash
# Foundation figures (issue 2): ssl-import and ssl-info speed and peak memory.
# Prints medians (min-max) over RUNS runs. BIN is the folder of built tools.
set -euo pipefail
BIN=${BIN:-build}
RUNS=${RUNS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
FM=/usr/share/datasets/fashion-mnist

# measure NAME CMD...: runs CMD RUNS times; records wall seconds and peak RSS (KB).
measure() {
  local name=$1; shift
  : > "$W/$name.runs"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$W/t" "$@" > /dev/null 2> "$W/err" || { cat "$W/err" >&2; exit 1; }
    cat "$W/t" >> "$W/$name.runs"
  done
}
# stats NAME COLUMN SCALE: "median (min-max)" of a column, times SCALE.
stats() {
  sort -g -k"$2" "$W/$1.runs" | awk -v c="$2" -v s="$3" '{v[NR]=$c*s} END {
    m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
    printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}
rate() {  # items/s from the wall time column
  awk -v n="$2" '{print n / $1, $2}' "$W/$1.runs" > "$W/$1.rate.runs"
  stats "$1.rate" 1 1
}

echo "sslkit import benchmarks, $RUNS runs each, $(nproc) cores, $(date -u +%F)"
echo

measure idx60k "$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" "$FM/train-labels-idx1-ubyte.gz" -o "$W/train.h5"
echo "ssl-import idx, 60,000 Fashion-MNIST images (gzip IDX):"
echo "  wall s:      $(stats idx60k 1 1)   target < 2 s"
echo "  peak RSS MB: $(stats idx60k 2 0.001)   target < 100 MB"

"$BIN/ssl-import" idx "$FM/train-images-idx3-ubyte.gz" "$FM/train-labels-idx1-ubyte.gz" --limit 10000 -o "$W/train10k.h5"
/usr/bin/python3 "$(dirname "$0")/make_png_folder.py" "$W/train.h5" "$W/png" 10000
measure png10k "$BIN/ssl-import" images "$W/png" --gray -o "$W/png.h5"
echo "ssl-import images, 10,000 PNG files (28x28 gray, 10 class folders), page cache warm:"
echo "  images/s:    $(rate png10k 10000)"
echo "  peak RSS MB: $(stats png10k 2 0.001)"

echo "peak RSS MB, 10k vs 60k samples (flat = the same):"
measure info10k "$BIN/ssl-info" "$W/train10k.h5"
measure info60k "$BIN/ssl-info" "$W/train.h5"
measure verify10k "$BIN/ssl-info" --verify "$W/train10k.h5"
measure verify60k "$BIN/ssl-info" --verify "$W/train.h5"
measure version "$BIN/ssl-info" --version
echo "  ssl-info:                  10k $(stats info10k 2 0.001)   60k $(stats info60k 2 0.001)"
echo "  ssl-info --verify (reads every sample): 10k $(stats verify10k 2 0.001)   60k $(stats verify60k 2 0.001)"
echo "  baseline (ssl-info --version, shared libraries only): $(stats version 2 0.001)"
