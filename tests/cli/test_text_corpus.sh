#!/usr/bin/env bash
# ssl-import text --unlabelled (issue 27): files and directories (recursive,
# gzip or plain) as one unlabelled corpus, no /labels; a labelled task
# imported with --tokenizer CORPUS.h5 shares its vocabulary, so a record has
# the same ids in both; ssl-pretrain trains on the corpus and scores on the
# labelled held-out file; bad input is one line, exit 1, nothing written.
. "$TESTS/cli/lib.sh"
T=$DATA/text
C=$WORK/corpus
mkdir -p "$C/sub" "$C/.git"
cp "$T/proverbs" "$C/sub/a.txt"
gzip -c "$T/weather" > "$C/b.txt.gz"
printf 'first line\nsecond line\n\nthird line\n' > "$C/para.txt"
echo "hidden text that must not be read" > "$C/.git/config"
echo "hidden" > "$C/.swap"
recs() { grep -c '^%$' "$1"; }  # records of a %-file ending with %
NP=$(recs "$T/proverbs") NW=$(recs "$T/weather")
N=$((NW + 3 + NP))  # sorted: b.txt.gz, para.txt (auto: no % line, so 3 lines), sub/a.txt

ok ssl-import text --unlabelled "$C" --vocab-size 300 --max-len 32 --threads 1 -o "$WORK/c.h5"
check_eq "corpus rows" "$(h5get "$WORK/c.h5" "f['tokens'].shape[0]")" "$N"
check_eq "no /labels" "$(h5get "$WORK/c.h5" "'labels' in f")" "False"
check_eq "ids in corpus order" "$(h5get "$WORK/c.h5" "(f['ids'][:] == np.arange($N)).all()")" "True"
check_eq "max_len recorded" "$(h5get "$WORK/c.h5" "f['tokens'].attrs['max_len']")" "32"
ok ssl-info "$WORK/c.h5"

# The labelled task with the corpus's tokenizer: same /tokenizer bytes, and
# each proverb has the ids it has in the corpus (where the proverbs come last).
ok ssl-import text "$T/proverbs" "$T/weather" --tokenizer "$WORK/c.h5" --max-len 32 --split 0.25 \
  --split-output "$WORK/lab-test.h5" -o "$WORK/lab.h5"
check_eq "one tokenizer" "$(h5get "$WORK/lab.h5" "bytes(f['tokenizer'][:]) == bytes(h5py.File('$WORK/c.h5')['tokenizer'][:])")" "True"
check_eq "same ids for the same text" "$(/usr/bin/python3 - "$WORK/lab.h5" "$WORK/c.h5" $((NW + 3)) <<'PY'
import sys, h5py
lab, cor, off = h5py.File(sys.argv[1]), h5py.File(sys.argv[2]), int(sys.argv[3])
same = 0
for row, i in enumerate(lab["ids"][:]):
    if lab["labels"][row] != 0: continue  # proverbs: record i of the corpus's sub/a.txt
    a = lab["tokens"][row][: lab["lengths"][row]]
    b = cor["tokens"][off + i][: cor["lengths"][off + i]]
    same += int((a == b).all())
print(same == int((lab["labels"][:] == 0).sum()) and same > 10)
PY
)" "True"
# gzip is read as its text: the weather file gzipped or not gives one file.
ok ssl-import text --unlabelled "$T/weather" --tokenizer "$WORK/c.h5" -o "$WORK/w-plain.h5"
ok ssl-import text --unlabelled "$C/b.txt.gz" --tokenizer "$WORK/c.h5" -o "$WORK/w-gz.h5"
check_eq "gzip = plain" "$(h5get "$WORK/w-gz.h5" "(f['tokens'][:] == h5py.File('$WORK/w-plain.h5')['tokens'][:]).all() and f['tokens'].shape[0] == $NW")" "True"

# Paragraphs: a blank line ends a record.
ok ssl-import text --unlabelled "$C/para.txt" --records paragraph --tokenizer "$WORK/c.h5" -o "$WORK/p.h5"
check_eq "paragraphs" "$(h5get "$WORK/p.h5" "len(f['lengths']) == 2 and f['lengths'][0] > f['lengths'][1]")" "True"
# --limit, --split (exactly round(0.2 x N) held out, disjoint), --shard.
ok ssl-import text --unlabelled "$C" --tokenizer "$WORK/c.h5" --limit 7 -o "$WORK/l.h5"
check_eq "--limit" "$(h5get "$WORK/l.h5" "list(f['ids'][:])")" "$(/usr/bin/python3 -c 'print(list(range(7)))')"
ok ssl-import text --unlabelled "$C" --tokenizer "$WORK/c.h5" --split 0.2 --split-output "$WORK/s2.h5" --seed 3 -o "$WORK/s1.h5"
check_eq "--split" "$(/usr/bin/python3 -c "
import h5py, numpy as np
a, b = h5py.File('$WORK/s1.h5')['ids'][:], h5py.File('$WORK/s2.h5')['ids'][:]
print(len(b) == round(0.2 * $N), sorted(np.concatenate([a, b])) == list(range($N)))")" "True True"
ok ssl-import text --unlabelled "$C" --tokenizer "$WORK/c.h5" --shard 1/2 -o "$WORK/sh.h5"
check_eq "--shard" "$(h5get "$WORK/sh.h5" "f['ids'][0] == $N // 2 and f['ids'][-1] == $N - 1")" "True"

# Pretraining on the corpus, scored on the labelled held-out file.
ok ssl-pretrain "$WORK/c.h5" --eval "$WORK/lab-test.h5" --method mlm --arch bert-tiny:depth=1 --batch 8 --max-steps 2 \
  --eval-every 1 --threads 1 --log-json "$WORK/log.jsonl" -o "$WORK/m.h5"
check_eq "held-out scored" "$(grep -c eval_accuracy "$WORK/log.jsonl" | awk '{print ($1 > 0)}')" "1"
# A model file's tokenizer is taken too.
ok ssl-import text "$T/weather" --tokenizer "$WORK/m.h5" -o "$WORK/w-model.h5"
check_eq "model's tokenizer" "$(h5get "$WORK/w-model.h5" "(f['tokens'][:] == h5py.File('$WORK/w-plain.h5')['tokens'][:]).all()")" "True"

# Bad input: one line, exit 1 (2 for usage), nothing written.
mkdir -p "$WORK/empty" "$WORK/bin"
printf 'text\n\x00\x01\x02binary\n' > "$WORK/bin/x.dat"
printf 'caf\xe9\n' > "$WORK/latin1.txt"
expect_error 1 "empty: no files in this directory" "$WORK/o.h5" ssl-import text --unlabelled "$WORK/empty" -o "$WORK/o.h5"
expect_error 1 "x.dat: a NUL byte at line 2" "$WORK/o.h5" ssl-import text --unlabelled "$C" "$WORK/bin" -o "$WORK/o.h5"
expect_error 1 "latin1.txt: invalid UTF-8 at line 1" "$WORK/o.h5" ssl-import text --unlabelled "$WORK/latin1.txt" -o "$WORK/o.h5"
expect_error 1 "nowhere" "$WORK/o.h5" ssl-import text --unlabelled "$C" "$WORK/nowhere" -o "$WORK/o.h5"
printf 'x\n' | gzip | head -c 12 > "$WORK/cut.gz"
expect_error 1 "cut.gz" "$WORK/o.h5" ssl-import text --unlabelled "$WORK/cut.gz" -o "$WORK/o.h5"
expect_error 2 "--shuffle cannot go with --unlabelled" "$WORK/o.h5" ssl-import text --unlabelled "$C" --shuffle -o "$WORK/o.h5"
expect_error 2 "stdin" "$WORK/o.h5" ssl-import text --unlabelled - -o "$WORK/o.h5" < "$T/weather"
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" --limit 4 -o "$WORK/g.h5"
expect_error 1 "g.h5: no /tokenizer" "$WORK/o.h5" ssl-import text "$T/weather" --tokenizer "$WORK/g.h5" -o "$WORK/o.h5"
finish
