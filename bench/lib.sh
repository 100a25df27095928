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
