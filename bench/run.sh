#!/usr/bin/env bash
# All benchmarks. Each prints medians over several runs.
set -euo pipefail
here=$(dirname "$0")
bash "$here/import.sh"
bash "$here/engine.sh"
bash "$here/augment.sh"
