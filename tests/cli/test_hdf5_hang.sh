#!/usr/bin/env bash
# Files on which libhdf5 1.10.8 loops forever or copies out of bounds (a
# corrupt global heap; found by the fuzz targets, tests/fuzz/regressions):
# every tool that reads them refuses them in one line with exit 1, quickly,
# writes nothing and leaves no temp file; from a file and through a pipe.
# The checked file driver (lib/io/checked_driver.cpp) finds the damage; the
# CPU deadline (SSLKIT_HDF5_CPU_LIMIT) is the net under it.
. "$TESTS/cli/lib.sh"
export SSLKIT_HDF5_CPU_LIMIT=5
HANG_DATA="$TESTS/fuzz/regressions/data_file/hang-global-heap-size-zero.h5"
HANG_MODEL="$TESTS/fuzz/regressions/model_file/hang-global-heap-size-zero.h5"
# libhdf5 copied an object larger than its collection (a segfault without ASan).
CRASH_MODEL=$(ls "$TESTS"/fuzz/regressions/model_file/crash-* | head -1)
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
ok ssl-import idx "$IDX" -o "$WORK/tr.h5"
ok ssl-pretrain "$WORK/tr.h5" --method simclr --batch 16 --max-steps 1 --threads 1 -o "$WORK/m.h5"
export TMPDIR="$WORK/tmp"
mkdir "$TMPDIR"
MSG="metadata is corrupt"
# bounded NAME CMD...: exit 1 with the one line, within 20 s of wall time.
bounded() {
  local name=$1; shift
  local start; start=$(date +%s)
  expect_error 1 "$MSG" "$WORK/out.h5" timeout 20 "$@"
  local took=$(($(date +%s) - start))
  [ "$took" -lt 20 ] || fail "$name: took $took s"
  [ -z "$(ls -A "$TMPDIR")" ] || fail "$name: left temp files: $(ls -A "$TMPDIR")"
  echo "$name: exit 1 in $took s"
}
for f in "$HANG_DATA" "$HANG_MODEL" "$CRASH_MODEL"; do
  bounded "info $(basename "$(dirname "$f")")/$(basename "$f")" ssl-info "$f"
done
bounded "info from stdin" sh -c "cat '$HANG_DATA' | ssl-info -"
bounded augment ssl-augment "$HANG_DATA" --recipe simclr -o "$WORK/out.h5"
bounded cat ssl-cat "$WORK/tr.h5" "$HANG_DATA" -o "$WORK/out.h5"
bounded pretrain ssl-pretrain "$HANG_DATA" --method simclr --max-steps 1 -o "$WORK/out.h5"
bounded "embed with a hanging model" ssl-embed "$HANG_MODEL" "$WORK/tr.h5" -o "$WORK/out.h5"
bounded "embed of a hanging data file" ssl-embed "$WORK/m.h5" "$HANG_DATA" -o "$WORK/out.h5"
bounded "resume from a hanging checkpoint" ssl-pretrain "$WORK/tr.h5" --resume "$HANG_MODEL" --max-steps 2 -o "$WORK/out.h5"
# The CPU deadline, the net under the driver: with HDF5's own unchecked
# driver the same files loop inside libhdf5, and the deadline ends them.
for f in "$HANG_DATA" "$TESTS"/fuzz/regressions/data_file/timeout-*; do
  start=$(date +%s)
  SSLKIT_HDF5_DRIVER=sec2 SSLKIT_HDF5_CPU_LIMIT=1 expect_error 1 \
    "the HDF5 library spent 1 s of CPU on one read without an answer" "$WORK/out.h5" \
    timeout 20 ssl-augment "$f" --recipe simclr -o "$WORK/out.h5"
  [ -z "$(ls -A "$TMPDIR")" ] || fail "deadline: left temp files: $(ls -A "$TMPDIR")"
  echo "deadline (sec2 driver) on $(basename "$f"): exit 1 in $(($(date +%s) - start)) s"
done
finish
