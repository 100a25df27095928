#!/usr/bin/env python3
# Groups ThreadSanitizer reports (log files given as arguments) by whether
# each side of the race ran in an OpenMP region (a libgomp frame on its
# stack): with libgomp not instrumented, a pair of one sequential access and
# one in a region is ordered by a fork or barrier TSan cannot see.
#   python3 bench/tsan_classify.py tsan.log.*
import re, sys, collections
reports = []
for path in sys.argv[1:]:
    reports += open(path).read().split("WARNING: ThreadSanitizer:")[1:]
cats = collections.Counter(); where = collections.defaultdict(collections.Counter)
for r in reports:
    r = r.split("SUMMARY:")[0]
    m = re.search(r"\n  (Previous [^\n]*)\n(.*?)(\n\n|$)", r, re.S)
    cur = r.split("\n\n")[0]
    prev = m.group(2) if m else ""
    def top(s):
        f = re.search(r"#0 (.*?)\(", s); return f.group(1).strip() if f else "?"
    inreg = lambda s: "libgomp" in s
    if "failed to restore the stack" in prev:
        k = "previous access's stack lost (TSan history); other side " + ("in a parallel region" if inreg(cur) else "sequential")
    elif inreg(cur) and inreg(prev):
        k = "both in OpenMP regions" + (" (same function)" if top(cur) == top(prev) else " (different functions: successive regions, libgomp barrier unseen)")
    elif inreg(cur) or inreg(prev):
        k = "one side sequential, other in an OpenMP region (libgomp fork/join unseen)"
    else:
        k = "neither side in an OpenMP region"
    cats[k] += 1
    where[k][top(cur)] += 1
for k, v in cats.most_common():
    print(v, k)
    for f, n in where[k].most_common(6): print("     ", n, f[:90])
