#!/usr/bin/env bash
# --shard I/K on the batch tools and ssl-cat joining the shards: K=3 shards
# joined equal the unsharded output in data, ids and attributes; bad joins are
# refused with one line and no output.
. "$TESTS/cli/lib.sh"
IMG=$DATA/idx/fashion-120-images-idx3-ubyte.gz
LAB=$DATA/idx/fashion-120-labels-idx1-ubyte.gz

# same A B: every dataset but /history and every attribute equal, byte for byte.
same() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "$1 differs from $2"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
def attrs(o): return {k: (np.asarray(v).dtype.str, np.asarray(v).tolist()) for k, v in o.attrs.items()}
ka, kb = sorted(k for k in a if k != "history"), sorted(k for k in b if k != "history")
assert ka == kb, (ka, kb)
assert attrs(a) == attrs(b), "root attributes"
for k in ka:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    assert a[k][()].tobytes() == b[k][()].tobytes(), k
    assert attrs(a[k]) == attrs(b[k]), k + " attributes"
PY
}
# split FILE K: FILE.0.h5 .. FILE.(K-1).h5, contiguous rows, as h5py writes them.
split() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "split $1"
import sys, h5py
src, k = h5py.File(sys.argv[1], "r"), int(sys.argv[2])
n = len(src["ids"])
for i in range(k):
    lo, hi = i * n // k, (i + 1) * n // k
    with h5py.File(sys.argv[1][:-3] + ".%d.h5" % i, "w") as out:
        for a, v in src.attrs.items(): out.attrs[a] = v
        for name, d in src.items():
            data = d[lo:hi] if name not in ("tokenizer", "history") else d[()]
            out.create_dataset(name, data=data)
            for a, v in d.attrs.items(): out[name].attrs[a] = v
PY
}

# ---- ssl-cat over shards cut by h5py: any input order, the same file back.
ok ssl-import idx "$IMG" "$LAB" --class-names "a,b,c,d,e,f,g,h,i,j" -o "$WORK/i.h5"
split "$WORK/i.h5" 3
ok ssl-cat "$WORK/i.2.h5" "$WORK/i.0.h5" "$WORK/i.1.h5" -o "$WORK/icat.h5"
same "$WORK/icat.h5" "$WORK/i.h5"
ok ssl-info "$WORK/icat.h5" --verify
ok ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" -o "$WORK/t.h5" --seed 1
split "$WORK/t.h5" 3
ok ssl-cat "$WORK/t.0.h5" "$WORK/t.1.h5" "$WORK/t.2.h5" -o "$WORK/tcat.h5"
same "$WORK/tcat.h5" "$WORK/t.h5"
ssl-cat "$WORK/t.1.h5" "$WORK/t.0.h5" "$WORK/t.2.h5" -o - > "$WORK/tpipe.h5" || fail "ssl-cat to stdout"
same "$WORK/tpipe.h5" "$WORK/t.h5"
# A piped shard: ssl-cat reads each shard twice (check, then copy).
cat "$WORK/t.1.h5" | ssl-cat "$WORK/t.2.h5" - "$WORK/t.0.h5" -o "$WORK/tstdin.h5" || fail "ssl-cat from stdin"
same "$WORK/tstdin.h5" "$WORK/t.h5"
ssl-cat --help > "$WORK/cat.help" || fail "ssl-cat --help"
grep -q -- "--allow-gaps" "$WORK/cat.help" || fail "ssl-cat --help lacks --allow-gaps"

# ---- --shard I/K then ssl-cat equals the unsharded run, for each batch tool.
# shards3 NAME CMD...: runs CMD with --shard 0/3 .. 2/3 -o NAME.s0.h5 .., joins
# them into NAME.cat.h5 (last shard first: the join orders by id).
shards3() {
  local name=$1; shift
  for i in 0 1 2; do ok "$@" --shard "$i/3" -o "$WORK/$name.s$i.h5"; done
  ok ssl-cat "$WORK/$name.s2.h5" "$WORK/$name.s0.h5" "$WORK/$name.s1.h5" -o "$WORK/$name.cat.h5"
}
shards3 idx ssl-import idx "$IMG" "$LAB" --class-names "a,b,c,d,e,f,g,h,i,j" --limit 100
ok ssl-import idx "$IMG" "$LAB" --class-names "a,b,c,d,e,f,g,h,i,j" --limit 100 -o "$WORK/idx.h5"
same "$WORK/idx.cat.h5" "$WORK/idx.h5"
check_eq "shard 1/3 of 100: rows 33..65" "$(h5get "$WORK/idx.s1.h5" '(f["ids"][0], f["ids"][-1])')" "(33, 65)"
shards3 text ssl-import text "$DATA/text/proverbs" "$DATA/text/weather" --seed 1
same "$WORK/text.cat.h5" "$WORK/t.h5"
shards3 folder ssl-import images "$DATA/images/fashion" --gray
ok ssl-import images "$DATA/images/fashion" --gray -o "$WORK/folder.h5"
same "$WORK/folder.cat.h5" "$WORK/folder.h5"
shards3 audio ssl-import audio "$DATA/audio"
ok ssl-import audio "$DATA/audio" -o "$WORK/audio.h5"
same "$WORK/audio.cat.h5" "$WORK/audio.h5"
shards3 aug ssl-augment "$WORK/i.h5" --recipe simclr --strength 0.5 --seed 3 --threads 1
ok ssl-augment "$WORK/i.h5" --recipe simclr --strength 0.5 --seed 3 --threads 1 -o "$WORK/aug.h5"
same "$WORK/aug.cat.h5" "$WORK/aug.h5"
shards3 mask ssl-mask "$WORK/t.h5" --scheme mlm --seed 4 --threads 1
ok ssl-mask "$WORK/t.h5" --scheme mlm --seed 4 --threads 1 -o "$WORK/mask.h5"
same "$WORK/mask.cat.h5" "$WORK/mask.h5"
shards3 pmask ssl-mask "$WORK/i.h5" --scheme patch --patch 4 --seed 4 --threads 1
ok ssl-mask "$WORK/i.h5" --scheme patch --patch 4 --seed 4 --threads 1 -o "$WORK/pmask.h5"
same "$WORK/pmask.cat.h5" "$WORK/pmask.h5"
ok ssl-pretrain "$WORK/i.h5" --threads 1 --max-steps 1 --batch 8 -o "$WORK/model.h5"
shards3 emb ssl-embed "$WORK/model.h5" "$WORK/i.h5" --threads 1
ok ssl-embed "$WORK/model.h5" "$WORK/i.h5" --threads 1 -o "$WORK/emb.h5"
same "$WORK/emb.cat.h5" "$WORK/emb.h5"
ok ssl-mask "$WORK/t.h5" --scheme mlm --seed 5 --threads 1 --shard 1/3 -o "$WORK/mask5.s1.h5"
expect_error 1 "mask5.s1.h5: /mask's attributes .* differ" "$WORK/bad.h5" ssl-cat "$WORK/mask.s0.h5" "$WORK/mask5.s1.h5" "$WORK/mask.s2.h5" -o "$WORK/bad.h5"
# A shard is not the whole: the compare can fail.
/usr/bin/python3 - "$WORK/idx.s0.h5" "$WORK/idx.h5" <<'PY' 2>/dev/null && fail "same() passed a shard as the whole"
import sys, h5py
assert h5py.File(sys.argv[1], "r")["ids"].shape == h5py.File(sys.argv[2], "r")["ids"].shape
PY

# ---- bad --shard: usage errors (exit 2), and a shard with no rows (exit 1).
expect_error 2 "--shard: '3' is not I/K" "$WORK/bad.h5" ssl-mask "$WORK/t.h5" --scheme mlm --shard 3 -o "$WORK/bad.h5"
expect_error 2 "--shard 3/3: I must be 0..2" "$WORK/bad.h5" ssl-embed "$WORK/model.h5" "$WORK/i.h5" --shard 3/3 -o "$WORK/bad.h5"
expect_error 2 "--shard cannot go with --shuffle" "$WORK/bad.h5" ssl-import idx "$IMG" --shuffle --shard 0/2 -o "$WORK/bad.h5"
expect_error 1 "shard 0/200 of its 120 rows holds none" "$WORK/bad.h5" ssl-augment "$WORK/i.h5" --recipe simclr --shard 0/200 -o "$WORK/bad.h5"
# The shard's temp copy says whose shard it is, and is removed on failure too.
mkdir "$WORK/tmp"
TMPDIR=$WORK/tmp expect_error 2 "i.h5.shard-0-of-2.* is a image file" "$WORK/bad.h5" ssl-mask "$WORK/i.h5" --scheme mlm --shard 0/2 -o "$WORK/bad.h5"
check_eq "no temp file left" "$(ls -A "$WORK/tmp")" ""
expect_error 1 "shard 0/200 of its 120 samples holds none" "$WORK/bad.h5" ssl-import idx "$IMG" --shard 0/200 -o "$WORK/bad.h5"

# ---- bad joins: one line, exit 1, no output.
expect_error 1 "i.1.h5: ids .* overlap .*i.1.h5" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/i.1.h5" "$WORK/i.1.h5" -o "$WORK/bad.h5"
expect_error 1 "i.2.h5: ids 40..79 are missing.*--allow-gaps" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/i.2.h5" -o "$WORK/bad.h5"
ok ssl-cat "$WORK/i.0.h5" "$WORK/i.2.h5" --allow-gaps -o "$WORK/gaps.h5"
check_eq "gaps allowed" "$(h5get "$WORK/gaps.h5" 'list(f["ids"][38:42])')" "[38, 39, 80, 81]"
expect_error 1 "t.0.h5: is text but .*i.0.h5 is image" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/t.0.h5" -o "$WORK/bad.h5"
/usr/bin/python3 -c "
import h5py; f = h5py.File('$WORK/i.1.h5', 'r+'); f['labels'].attrs['class_names'] = [b'x'] * 10" || fail "rename classes"
expect_error 1 "i.1.h5: /labels's attributes .* differ" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/i.1.h5" -o "$WORK/bad.h5"
/usr/bin/python3 -c "
import h5py; f = h5py.File('$WORK/t.1.h5', 'r+'); f['tokenizer'][-1] = f['tokenizer'][-1] ^ 1" || fail "edit tokenizer"
expect_error 1 "t.1.h5: /tokenizer differs from" "$WORK/bad.h5" ssl-cat "$WORK/t.0.h5" "$WORK/t.1.h5" -o "$WORK/bad.h5"
/usr/bin/python3 -c "
import h5py; f = h5py.File('$WORK/t.2.h5', 'r+'); i = f['ids'][()]; i[[0, 1]] = i[[1, 0]]; f['ids'][:] = i" || fail "swap ids"
expect_error 1 "t.2.h5: /ids do not increase at row 1" "$WORK/bad.h5" ssl-cat "$WORK/t.2.h5" -o "$WORK/bad.h5"
expect_error 2 "output would overwrite input" "" ssl-cat "$WORK/i.0.h5" -o "$WORK/i.0.h5"
head -c 20000 "$WORK/i.2.h5" > "$WORK/cut.h5"
expect_error 1 "cut.h5: truncated or corrupt" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/cut.h5" -o "$WORK/bad.h5"
expect_error 1 "nope.h5: No such file" "$WORK/bad.h5" ssl-cat "$WORK/i.0.h5" "$WORK/nope.h5" -o "$WORK/bad.h5"

finish
