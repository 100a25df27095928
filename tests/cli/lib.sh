# Helpers for the CLI tests. Each test script sources this file; BIN, DATA and
# TESTS come from CTest. Every check prints what it ran when it fails.
set -u
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sslkit-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PATH="$BIN:$PATH"
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# ok CMD...: the command must exit 0.
ok() {
  "$@" >"$WORK/ok.out" 2>"$WORK/ok.err" || { fail "exit $? from: $*"; cat "$WORK/ok.err" >&2; }
}

# expect_error CODE PATTERN OUTPUT CMD...: the command must exit CODE, print
# exactly one line on stderr matching PATTERN (grep -E), and leave no OUTPUT
# file (pass "" when there is none).
expect_error() {
  local code=$1 pattern=$2 output=$3; shift 3
  "$@" >"$WORK/err.out" 2>"$WORK/err.err"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc from: $*"
  local lines
  lines=$(grep -v "^Try '" "$WORK/err.err" | wc -l)
  [ "$lines" -eq 1 ] || { fail "expected one error line, got $lines from: $*"; cat "$WORK/err.err" >&2; }
  grep -Eq -- "$pattern" "$WORK/err.err" || { fail "stderr does not match '$pattern' from: $*"; cat "$WORK/err.err" >&2; }
  if [ -n "$output" ] && [ -e "$output" ]; then fail "output $output exists after failure of: $*"; fi
  # No temp file may be left beside the output either.
  if [ -n "$output" ] && ls -a "$(dirname "$output")" | grep -q "^\.$(basename "$output")\.tmp-"; then
    fail "temp file left beside $output by: $*"
  fi
}

# h5get FILE EXPR: evaluates EXPR in Python with f = h5py.File(FILE).
h5get() {
  /usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('$1', 'r'); print($2)"
}

# check_eq WHAT GOT WANT
check_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

finish() {
  if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}
