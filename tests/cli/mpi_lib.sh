# Helpers of the CLI tests that run tools under mpirun (test_mpi*.sh), after
# lib.sh: the MPI environment, `mpi K CMD...`, and `close` of two loss logs.
. "$TESTS/cli/mpi_env.sh"
# mpi K CMD...: CMD as a K-rank job; -q: mpirun's own banners off, so a
# failure is our one line.
mpi() { local k=$1; shift; timeout 60 mpirun -q -np "$k" --oversubscribe "$@"; }

# close WHAT A B TOL: two --log-json files of the same steps, each loss within
# relative TOL of the other's.
close() {
  /usr/bin/python3 - "$2" "$3" "$4" <<'PY' || fail "$1"
import json, sys
def read(p):
    return [(d["step"], d["loss"]) for d in map(json.loads, open(p)) if "loss" in d]
a, b, tol = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
assert [s for s, _ in a] == [s for s, _ in b] and a, f"steps differ: {a} {b}"
worst = max(abs(x - y) / abs(x) for (_, x), (_, y) in zip(a, b))
print(f"{sys.argv[1]} vs {sys.argv[2]}: worst relative difference {worst:.2e} (tolerance {tol})", file=sys.stderr)
assert worst <= tol, f"{[x for _, x in a]} vs {[y for _, y in b]}"
PY
}
