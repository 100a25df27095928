#!/usr/bin/python3
"""Writes the demo's unlabelled English corpus as %-record text files (gzip)
into a new directory, leaving out every held-out row of the labelled task.

  make-text-corpus.py OUT_DIR TEST_H5 FORTUNES_DIR DICTD_DIR LABELLED_CATEGORY...

Sources (Debian packages; why: see docs/text.md):
  fortunes, fortunes-min   every category of FORTUNES_DIR, the five labelled
                           ones included but for their held-out rows;
  dict-gcide               Webster's 1913 (GCIDE): definitions and quotations;
  dict-foldoc              the Free On-line Dictionary of Computing;
  dict-jargon              the Jargon File;
  dict-devil               Bierce's The Devil's Dictionary.
A dictionary entry's paragraphs (blank-line separated in the .dict files)
are its records: a sense, a definition, a quotation, about a fortune's length.

Held-out stays held-out: TEST_H5's /ids are the record numbers of the
labelled categories' records in import order (ssl-import text's order), so
the held-out texts are known exactly. Any corpus record that contains one of
them (compared with whitespace collapsed and case folded, so a fortune
repeated in another category, or quoted in a dictionary, is found too) is
left out; then the written corpus is searched again for every held-out text
and the script fails if one is there.
"""
import gzip
import os
import re
import sys

import h5py


def records_percent(text):
    """The records ssl-import text makes of a %-separated file."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    recs, cur = [], []
    for line in lines:
        if line.endswith("\r"):
            line = line[:-1]
        if line == "%":
            r = "\n".join(cur).rstrip()
            if r:
                recs.append(r)
            cur = []
            continue
        if not cur and line.strip() == "":
            continue
        cur.append(line)
    r = "\n".join(cur).rstrip()
    if r:
        recs.append(r)
    return recs


def norm(s):
    return " ".join(s.split()).casefold()


# GCIDE's markup that is no English: pronunciations \Ab*di"cate\, the source
# tags ([1913 Webster], [PJC], [WordNet 1.5]) on lines of their own.
PRON = re.compile(r"\\[^\\\n]*\\")
TAG = re.compile(r"^\s*\[[^\]]*\]\s*$")


def dict_records(path):
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    recs = []
    for para in re.split(r"\n\s*\n", text):
        lines = [l.rstrip() for l in PRON.sub("", para).split("\n") if not TAG.match(l)]
        # "%" alone would end the record early when imported.
        r = "\n".join(l if l.strip() != "%" else "%%" for l in lines).strip()
        if r and not r.startswith("00-database") and not r.startswith("00database"):
            recs.append(r)
    return recs


def main():
    out, test_h5, fortunes, dictd, labelled = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    # The held-out texts, by record number over the labelled files in order.
    lab = []
    for c in labelled:
        with open(os.path.join(fortunes, c), encoding="utf-8") as f:
            lab += records_percent(f.read())
    with h5py.File(test_h5, "r") as f:
        ids = f["ids"][:]
    if len(ids) == 0 or ids.max() >= len(lab):
        sys.exit(f"make-text-corpus: {test_h5}: ids do not fit the {len(lab)} records of {labelled}")
    held_ids = set(int(i) for i in ids)
    held = sorted({norm(lab[i]) for i in held_ids})

    sources = {}
    # Every fortunes category (files without an extension: the .dat and .u8
    # beside them are fortune's indexes and links).
    for name in sorted(os.listdir(fortunes)):
        p = os.path.join(fortunes, name)
        if "." in name or not os.path.isfile(p):
            continue
        with open(p, encoding="utf-8", errors="replace") as f:
            recs = records_percent(f.read())
        if name in labelled:
            base = sum(len(records_percent(open(os.path.join(fortunes, c), encoding="utf-8").read()))
                       for c in labelled[: labelled.index(name)])
            recs = [r for k, r in enumerate(recs) if base + k not in held_ids]
        sources["fortunes-" + name] = recs
    for d in ["gcide", "foldoc", "jargon", "devil"]:
        p = os.path.join(dictd, d + ".dict.dz")
        if not os.path.exists(p):
            sys.exit(f"make-text-corpus: {p} missing (apt-get install dict-{d})")
        sources["dict-" + d] = dict_records(p)

    # Held-out texts anywhere in the sources: first which occur at all (one
    # search each over all the text), then the records that hold them.
    joined = "\x00".join(norm(r) for recs in sources.values() for r in recs)
    present = [h for h in held if h in joined]
    removed = 0
    if present:
        for k in sources:
            keep = [r for r in sources[k] if not any(h in norm(r) for h in present)]
            removed += len(sources[k]) - len(keep)
            sources[k] = keep
    os.makedirs(out)
    total = 0
    for k, recs in sources.items():
        body = "\n%\n".join(recs) + "\n"
        total += len(body.encode())
        with gzip.open(os.path.join(out, k + ".txt.gz"), "wt", encoding="utf-8", compresslevel=6) as f:
            f.write(body)
    # The check, on what was written.
    written = "\x00".join(
        norm(r) for k in sources for r in records_percent(gzip.open(os.path.join(out, k + ".txt.gz"), "rt").read()))
    left = [h for h in held if h in written]
    if left:
        sys.exit(f"make-text-corpus: {len(left)} held-out texts still in the corpus, e.g. {left[0][:60]!r}")
    n = sum(len(v) for v in sources.values())
    print(f"corpus: {n} records, {total / 2**20:.1f} MiB of text in {len(sources)} files; "
          f"held-out check: {len(held)} held-out texts, {len(present)} found in the sources "
          f"({removed} records holding them left out), 0 in the written corpus")
    for k, recs in sources.items():
        print(f"  {k}: {len(recs)} records, {sum(len(r) for r in recs) / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
