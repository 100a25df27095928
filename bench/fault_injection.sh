#!/usr/bin/env bash
# Issue 29's figures for fault injection: tests/cli/test_fault_injection.sh
# with 100 failing calls per tool (CI runs 8) and test_kill_checkpoint.sh with
# 100 kill -9 (CI runs 10), printed as they run.
set -euo pipefail
BIN=${BIN:-build}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export BIN=$(cd "$BIN" && pwd) DATA="$HERE/data" TESTS="$HERE/tests"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u +%F)"
FAULT_POINTS=${FAULT_POINTS:-100} bash "$TESTS/cli/test_fault_injection.sh"
KILLS=${KILLS:-100} bash "$TESTS/cli/test_kill_checkpoint.sh"
