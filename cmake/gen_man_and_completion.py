#!/usr/bin/env python3
"""Man pages (through help2man) and bash completion for the ssl-* tools, both
read from the tools' own --help, so an option exists in one place only: where
the tool declares it.

usage: gen_man_and_completion.py BIN_DIR OUT_DIR HELP2MAN|"" TOOL...

Writes OUT_DIR/man1/TOOL.1 (when help2man is given), OUT_DIR/bash-completion/
completions/TOOL, and OUT_DIR/stamp.
"""
import os
import re
import subprocess
import sys


def help_text(binary, *args):
    return subprocess.run([binary, *args, "--help"], check=True, capture_output=True, text=True).stdout


def parse(text):
    """(options, subcommands) of one --help: options as {name: kind}, kind
    "file" (FILE or OUTPUT), a list of choices, "value" or "flag"."""
    options, subcommands, section = {}, [], None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        if not line.startswith("  ") or line.startswith("   "):
            continue  # a description's continuation
        head = re.split(r"\s{2,}", line.strip())[0]
        if section == "Subcommands":
            subcommands.append(head)
            continue
        if section != "Options" or not head.startswith("-"):
            continue
        names, _, kind = head.partition(" ")
        choices = re.search(r"\{([^}]*)\}", kind)
        if kind.startswith(("FILE", "OUTPUT")):
            value = "file"
        elif choices:
            value = choices.group(1).split(",")
        elif kind:
            value = "value"
        else:
            value = "flag"
        for name in names.split(","):
            options[re.sub(r"\{.*\}", "", name)] = value
    return options, subcommands


def case_lines(options, indent):
    out = []
    files = [n for n, k in options.items() if k == "file"]
    values = [n for n, k in options.items() if k == "value"]
    if files:
        out.append(f'{indent}{"|".join(files)}) _filedir; return ;;')
    for name, kind in options.items():
        if isinstance(kind, list):
            out.append(f'{indent}{name}) COMPREPLY=($(compgen -W "{" ".join(kind)}" -- "$cur")); return ;;')
    if values:
        out.append(f'{indent}{"|".join(values)}) return ;;')
    return out


def completion(tool, binary):
    fn = "_" + tool.replace("-", "_")
    options, subcommands = parse(help_text(binary))
    lines = [f"# bash completion for {tool}, generated from its --help by sslkit's build.",
             f"{fn}() {{", '  local cur prev words cword', '  _init_completion || return']
    if subcommands:
        lines += ['  local sub="" w', '  for w in "${words[@]:1:cword-1}"; do',
                  f'    case "$w" in {"|".join(subcommands)}) sub=$w; break ;; esac', '  done',
                  '  case "$sub" in']
        for sub in subcommands:
            sub_options, _ = parse(help_text(binary, sub))
            lines.append(f"    {sub})")
            lines += ['      case "$prev" in'] + case_lines(sub_options, "        ") + ["      esac"]
            lines.append(f'      [[ $cur == -* ]] && {{ COMPREPLY=($(compgen -W "{" ".join(sub_options)}" -- "$cur")); return; }}')
            lines.append("      _filedir; return ;;")
        lines += ["  esac",
                  f'  COMPREPLY=($(compgen -W "{" ".join(subcommands + list(options))}" -- "$cur"))', "}"]
    else:
        lines += ['  case "$prev" in'] + case_lines(options, "    ") + ["  esac",
                  f'  [[ $cur == -* ]] && {{ COMPREPLY=($(compgen -W "{" ".join(options)}" -- "$cur")); return; }}',
                  "  _filedir", "}"]
    lines.append(f"complete -F {fn} {tool}")
    return "\n".join(lines) + "\n"


def main():
    bin_dir, out_dir, help2man, tools = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    comp_dir = os.path.join(out_dir, "bash-completion", "completions")
    os.makedirs(comp_dir, exist_ok=True)
    for tool in tools:
        binary = os.path.join(bin_dir, tool)
        with open(os.path.join(comp_dir, tool), "w") as f:
            f.write(completion(tool, binary))
        if help2man:
            man_dir = os.path.join(out_dir, "man1")
            os.makedirs(man_dir, exist_ok=True)
            description = help_text(binary).splitlines()[0].rstrip(".")
            subprocess.run([help2man, "--no-info", "--section=1", "--source=sslkit", "--name=" + description,
                            "--output=" + os.path.join(man_dir, tool + ".1"), binary], check=True)
    if not help2man:
        print("help2man not found: no man pages (apt-get install help2man)", file=sys.stderr)
    open(os.path.join(out_dir, "stamp"), "w").close()


if __name__ == "__main__":
    main()
