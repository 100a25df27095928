# Helpers the benchmark scripts share. Source after setting nothing; gives a
# scratch folder W removed at exit and the statistics of a file of numbers.
W=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
# stat FILE: "median (min-max)", rounded.
stat() { sort -g "$1" | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.0f (%.0f-%.0f)", m, v[1], v[NR]}'; }
# med FILE: the median.
med() { sort -g "$1" | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
# ratio A_FILE B_FILE [DIGITS]: median of A over median of B.
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" -v d="${3:-1}" 'BEGIN{printf "%." d "f", a/b}'; }
# probe_model MODEL TRAIN TEST PREFIX: the frozen encoder's embeddings of
# both files, then the linear probe and kNN (k=200, T=0.1) on the test set;
# metrics in PREFIX-linear.json and PREFIX-knn.json. Needs BIN.
probe_model() {
  "$BIN/ssl-embed" "$1" "$2" -o "$4-etr.h5" -q
  "$BIN/ssl-embed" "$1" "$3" -o "$4-ete.h5" -q
  "$BIN/ssl-finetune" "$4-etr.h5" --eval "$4-ete.h5" --mode linear --metrics "$4-linear.json" -q >/dev/null
  "$BIN/ssl-finetune" "$4-etr.h5" --eval "$4-ete.h5" --mode knn --metrics "$4-knn.json" -q >/dev/null
}
# acc METRICS_JSON: its accuracy, 4 digits.
acc() { /usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$1'))['accuracy'])"; }
