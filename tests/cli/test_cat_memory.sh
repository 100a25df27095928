#!/usr/bin/env bash
# ssl-cat's peak RSS stays flat as the data grows: joining 3 shards of an
# image, a text and an audio file, 20 times the rows may cost at most 3 MiB
# more than 1 time (GNU time's %M, the peak resident set).
#
# Why 3 MiB: what may fill between the small and the large input is fixed in
# size: the 1 MiB copy block (row_copy), the 32 KiB metadata cache of each
# of the 3 files open at once (the first shard, the one being copied, the
# output), two chunks of cache per output dataset, and allocator slack.
# Before the fix (every shard open, HDF5's default caches, 4 MiB blocks)
# the same joins grew 9.4 (image), 4.8 (text) and 4.4 MiB (audio); now
# about 1 MiB. A cost per row smaller than ~100 bytes (an 8-byte index)
# would not show at this size: bench/shard_memory/run.sh measures 100x.
. "$TESTS/cli/lib.sh"
GROW=$TESTS/../bench/shard_memory/grow.py
[ -x /usr/bin/time ] || { fail "GNU time (Debian package time) is needed at /usr/bin/time"; finish; }

# peak_kib CMD...: the command's peak RSS in KiB; it must succeed.
peak_kib() {
  /usr/bin/time -f %M -o "$WORK/peak" "$@" >/dev/null 2>"$WORK/peak.err" || { fail "exit $? from: $*"; cat "$WORK/peak.err" >&2; }
  tail -n 1 "$WORK/peak"
}

ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" "$DATA/idx/fashion-120-labels-idx1-ubyte.gz" -o "$WORK/image.h5"
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --seed 1 -o "$WORK/text.h5"
ok ssl-import audio "$DATA/audio" -o "$WORK/audio.h5"

# kind base-rows: 1x has base rows, 20x twenty times as many, each in 3 shards.
for spec in image:1200 text:1000 audio:100; do
  kind=${spec%:*} rows=${spec#*:}
  /usr/bin/python3 "$GROW" "$WORK/$kind.h5" "$rows" "$WORK/${kind}1" 3 || fail "grow $kind 1x"
  /usr/bin/python3 "$GROW" "$WORK/$kind.h5" $((20 * rows)) "$WORK/${kind}20" 3 || fail "grow $kind 20x"
  small=$(peak_kib ssl-cat "$WORK/${kind}1.2.h5" "$WORK/${kind}1.0.h5" "$WORK/${kind}1.1.h5" -o "$WORK/${kind}1.h5")
  large=$(peak_kib ssl-cat "$WORK/${kind}20.2.h5" "$WORK/${kind}20.0.h5" "$WORK/${kind}20.1.h5" -o "$WORK/${kind}20.h5")
  echo "ssl-cat $kind: $rows rows ${small} KiB, $((20 * rows)) rows ${large} KiB"
  [ $((large - small)) -lt 3072 ] ||
    fail "ssl-cat $kind: peak RSS grew from $small KiB ($rows rows) to $large KiB ($((20 * rows)) rows), more than 3 MiB"
  # The join is still the file: every row, in id order.
  check_eq "$kind 20x ids" "$(h5get "$WORK/${kind}20.h5" 'bool((f["ids"][()] == np.arange(len(f["ids"]))).all()) and len(f["ids"])')" "$((20 * rows))"
done

finish
