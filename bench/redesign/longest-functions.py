#!/usr/bin/env python3
"""The longest function bodies in lib/ (issue 24's figure): lines from a
definition's first line to its closing brace, tests excluded. A definition
starts at the file's top level (namespaces do not count as levels) with a
parameter list, on the line of its opening brace or up to 5 lines before
it (signatures and constructor initializers that wrap).
Usage: longest-functions.py [ROOT] [N]"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
top = int(sys.argv[2]) if len(sys.argv) > 2 else 10
rows = []
for path in sorted((root / "lib").glob("*/*.cpp")):
    if path.name.endswith("_test.cpp"):
        continue
    lines = path.read_text().splitlines()
    depth, ns, start, name, candidate = 0, 0, None, None, None
    for i, line in enumerate(lines):
        code = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|//.*', "", line)
        if depth == ns and start is None:
            if re.match(r"\s*(inline\s+)?namespace\b.*\{\s*$", code):
                ns += 1
                depth += 1
                candidate = None
                continue
            stripped = code.strip()
            if stripped.endswith(";") or stripped.startswith(("struct", "class", "enum", "}", "#", "template")):
                candidate = None
            elif "(" in code and (candidate is None or i - candidate[0] > 5):
                candidate = (i, stripped)
            if "{" in code and candidate is not None and i - candidate[0] <= 5:
                start, name = candidate
                candidate = None
        depth += code.count("{") - code.count("}")
        if depth < ns:
            ns = depth
        if start is not None and depth == ns:
            rows.append((i - start + 1, f"{path.relative_to(root)}:{start + 1}", name[:90]))
            start = None
rows.sort(reverse=True)
for n, where, name in rows[:top]:
    print(f"{n:5d}  {where}  {name}")
