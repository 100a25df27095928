# ssl-import text: %-separated files to SSL-HDF5, through files and pipes.
source "$TESTS/cli/lib.sh"
P=$DATA/text/proverbs
W=$DATA/text/weather

# Two files: two classes, 40 records each, ids in file order.
ok ssl-import text "$P" "$W" -o "$WORK/two.h5" --seed 1
check_eq "modality" "$(h5get "$WORK/two.h5" "f.attrs['modality']")" "text"
check_eq "tokens shape" "$(h5get "$WORK/two.h5" "(f['tokens'].shape[0], f['tokens'].shape[1] == f['lengths'][:].max(), int(f['tokens'].attrs['max_len']))")" "(80, True, 128)"
check_eq "tokens dtype" "$(h5get "$WORK/two.h5" "f['tokens'].dtype")" "int32"
check_eq "lengths shape" "$(h5get "$WORK/two.h5" "f['lengths'].shape")" "(80,)"
check_eq "class_names" "$(h5get "$WORK/two.h5" "list(f['labels'].attrs['class_names'])")" "['proverbs', 'weather']"
check_eq "labels" "$(h5get "$WORK/two.h5" "np.bincount(f['labels'][:]).tolist()")" "[40, 40]"
check_eq "ids" "$(h5get "$WORK/two.h5" "(f['ids'][:] == np.arange(80)).all()")" "True"
# Every row: [CLS] first, [SEP] at length-1, pad after it, no specials between.
check_eq "row layout" "$(h5get "$WORK/two.h5" "all(r[0] == 2 and r[n-1] == 3 and (r[n:] == 0).all() and (r[1:n-1] > 4).all() for r, n in zip(f['tokens'][:], f['lengths'][:]))")" "True"
check_eq "tokenizer attrs" "$(h5get "$WORK/two.h5" "[int(f['tokenizer'].attrs[k]) for k in ('pad_id', 'unk_id', 'cls_id', 'sep_id', 'mask_id')]")" "[0, 1, 2, 3, 4]"
check_eq "tokenizer size" "$(h5get "$WORK/two.h5" "f['tokenizer'].dtype == np.uint8 and f['tokenizer'].size > 1000 and f['tokenizer'].attrs['vocab_size'] > 5")" "True"
check_eq "history" "$(h5get "$WORK/two.h5" "f['history'][0].decode().startswith('ssl-import text')")" "True"

# Deterministic: the same run twice gives the same tokens and tokenizer.
ok ssl-import text "$P" "$W" -o "$WORK/again.h5" --seed 1
check_eq "deterministic" "$(h5get "$WORK/two.h5" "(f['tokens'][:] == h5py.File('$WORK/again.h5')['tokens'][:]).all() and (f['tokenizer'][:] == h5py.File('$WORK/again.h5')['tokenizer'][:]).all()")" "True"

# Through a pipe; one file is unlabeled.
ssl-import text "$W" -o - --quiet | cat > "$WORK/pipe.h5" || fail "pipe import failed"
check_eq "pipe shape" "$(h5get "$WORK/pipe.h5" "(f['tokens'].shape[0], f['tokens'].shape[1] == f['lengths'][:].max(), int(f['tokens'].attrs['max_len']))")" "(40, True, 128)"
check_eq "pipe unlabeled" "$(h5get "$WORK/pipe.h5" "set(f['labels'][:].tolist())")" "{-1}"
check_eq "pipe no class_names" "$(h5get "$WORK/pipe.h5" "'class_names' in f['labels'].attrs")" "False"
# And from stdin.
ssl-import text - -o "$WORK/stdin.h5" --quiet < "$W" || fail "stdin import failed"
check_eq "stdin shape" "$(h5get "$WORK/stdin.h5" "(f['tokens'].shape[0], f['tokens'].shape[1] == f['lengths'][:].max(), int(f['tokens'].attrs['max_len']))")" "(40, True, 128)"

# --records line: every non-empty line (the "%" lines included) is a sample.
ok ssl-import text "$P" --records line -o "$WORK/lines.h5"
check_eq "line records" "$(h5get "$WORK/lines.h5" "f['tokens'].shape[0]")" "$(grep -c '[^[:space:]]' "$P")"

# --max-len: rows cut to 8 keep [SEP] last.
ok ssl-import text "$P" "$W" --max-len 8 -o "$WORK/short.h5" --compress
check_eq "max-len shape" "$(h5get "$WORK/short.h5" "f['tokens'].shape")" "(80, 8)"
check_eq "max-len lengths" "$(h5get "$WORK/short.h5" "int(f['lengths'][:].max())")" "8"
check_eq "max-len sep" "$(h5get "$WORK/short.h5" "(f['tokens'][:, 7][f['lengths'][:] == 8] == 3).all()")" "True"
check_eq "compressed" "$(h5get "$WORK/short.h5" "f['tokens'].compression")" "gzip"

# --tokenizer: a model extracted from a first output tokenizes the same way.
h5get "$WORK/two.h5" "open('$WORK/tok.model', 'wb').write(f['tokenizer'][:].tobytes())" >/dev/null
ok ssl-import text "$P" "$W" --tokenizer "$WORK/tok.model" -o "$WORK/reuse.h5"
check_eq "reused tokenizer" "$(h5get "$WORK/reuse.h5" "(f['tokens'][:] == h5py.File('$WORK/two.h5')['tokens'][:]).all() and (f['tokenizer'][:] == h5py.File('$WORK/two.h5')['tokenizer'][:]).all()")" "True"

# --split with --split-output: stratified, nothing lost.
ok ssl-import text "$P" "$W" --split 0.25 --split-output "$WORK/test.h5" -o "$WORK/train.h5" --seed 3
check_eq "split train" "$(h5get "$WORK/train.h5" "np.bincount(f['labels'][:]).tolist()")" "[30, 30]"
check_eq "split test" "$(h5get "$WORK/test.h5" "np.bincount(f['labels'][:]).tolist()")" "[10, 10]"
check_eq "split ids" "$(h5get "$WORK/train.h5" "sorted(f['ids'][:].tolist() + h5py.File('$WORK/test.h5')['ids'][:].tolist()) == list(range(80))")" "True"
check_eq "split test has tokenizer" "$(h5get "$WORK/test.h5" "int(f['tokenizer'].attrs['cls_id'])")" "2"

# Bad input: one line on stderr, the right exit code, no output left behind.
expect_error 1 "missing\.txt" "$WORK/out.h5" ssl-import text "$WORK/missing.txt" -o "$WORK/out.h5"
printf 'good line\nanother good line\nbad \xff byte\n' > "$WORK/bad.txt"
expect_error 1 "bad\.txt: invalid UTF-8 at line 3" "$WORK/out.h5" ssl-import text "$P" "$WORK/bad.txt" -o "$WORK/out.h5"
: > "$WORK/empty.txt"
expect_error 1 "no samples" "$WORK/out.h5" ssl-import text "$WORK/empty.txt" -o "$WORK/out.h5"
expect_error 2 "records" "$WORK/out.h5" ssl-import text "$P" --records bogus -o "$WORK/out.h5"
expect_error 2 "max-len" "$WORK/out.h5" ssl-import text "$P" --max-len 1 -o "$WORK/out.h5"
printf 'not a model' > "$WORK/junk.model"
expect_error 1 "junk\.model: not a SentencePiece model" "$WORK/out.h5" ssl-import text "$P" --tokenizer "$WORK/junk.model" -o "$WORK/out.h5"
expect_error 2 "" "" ssl-import text -o "$WORK/out.h5"
# Never overwrite an input.
cp "$P" "$WORK/p.txt"
expect_error 2 "" "" ssl-import text "$WORK/p.txt" -o "$WORK/p.txt"
cmp -s "$P" "$WORK/p.txt" || fail "input overwritten"

finish
