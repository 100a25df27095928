#!/usr/bin/env bash
# Every input option of every tool, named as each of its output options, is
# refused before any work (issue 23, F1). The options come from the tools'
# own --help, where a declared input shows as FILE and an output as OUTPUT:
# an option added later is tried here without editing this script.
. "$TESTS/cli/lib.sh"
IDX="$DATA/idx/fashion-120-images-idx3-ubyte.gz"
ok ssl-import idx "$IDX" --limit 20 -o "$WORK/g.h5"
sum() { sha256sum "$1" | cut -d' ' -f1; }

# Required options that are not files, per tool, so the command parses.
extra_for() {
  case "$1" in
    "ssl-mask") echo "--scheme patch" ;;
    *) echo "" ;;
  esac
}

# Prints "KIND NAME REQUIRED?" for each FILE/OUTPUT option of a help text,
# KIND being pos (positional), in (input option) or out (output option).
declared_files() {
  awk '
    /^Positionals:/ { sec = "pos"; next }
    /^Options:/     { sec = "opt"; next }
    /^[A-Za-z]/     { sec = "" }
    sec != "" && match($0, /^  [^ ]+ (FILE|OUTPUT)/) {
      name = $1; type = $2; sub(/=.*/, "", type); sub(/,.*/, "", name)
      req = ($0 ~ /^  [^ ]+ [^ ]+( \.\.\.)? REQUIRED/) ? "req" : "opt"
      kind = (sec == "pos") ? "pos" : (type == "FILE" ? "in" : "out")
      if (type == "OUTPUT") kind = "out"
      print kind, name, req
    }'
}

tried=0
for tool in "ssl-import idx" "ssl-import text" "ssl-import audio" "ssl-import images" \
            ssl-augment ssl-mask ssl-pretrain ssl-embed ssl-finetune ssl-info; do
  # shellcheck disable=SC2086
  help=$($tool --help) || { fail "$tool --help"; continue; }
  # Required options that hold neither a file nor a known extra make a command
  # this script cannot build: say so rather than skip them.
  while read -r opt; do
    case " $(extra_for "$tool") " in *" $opt "*) ;; *) fail "$tool: required option $opt unknown to this test" ;; esac
  done < <(printf '%s\n' "$help" | awk '/^Options:/{s=1;next} s && /REQUIRED/ && !/ (FILE|OUTPUT)/ {print $1}' | sed 's/.*,//')
  files=$(printf '%s\n' "$help" | declared_files)
  inputs=$(printf '%s\n' "$files" | awk '$1 != "out" { print $1 ":" $2 }')
  outputs=$(printf '%s\n' "$files" | awk '$1 == "out" { print $2 }')
  [ -n "$inputs" ] && [ -n "$outputs" ] || { fail "$tool: no FILE or OUTPUT option in --help"; continue; }
  for input in $inputs; do
    for output in $outputs; do
      kind=${input%%:*} in_name=${input#*:}
      # The documented exception: a run continues into its own checkpoint.
      if [ "$in_name" = "--resume" ] && [ "$output" = "-o" ]; then
        printf '%s\n' "$help" | grep -q -- "--resume.*-o may name it" || fail "$tool: --resume's help does not say -o may name it"
        continue
      fi
      cp "$WORK/g.h5" "$WORK/target.h5"
      before=$(sum "$WORK/target.h5")
      args=()
      # Positionals in order: the one under test gets the target, the others a copy of g.h5.
      while read -r k name req; do
        [ "$k" = pos ] || continue
        if [ "$kind" = pos ] && [ "$name" = "$in_name" ]; then args+=("$WORK/target.h5")
        elif [ "$req" = req ]; then args+=("$WORK/g.h5"); fi
      done <<<"$files"
      while read -r k name req; do
        [ "$k" = in ] || continue
        if [ "$kind" = in ] && [ "$name" = "$in_name" ]; then args+=("$name" "$WORK/target.h5")
        elif [ "$req" = req ]; then args+=("$name" "$WORK/g.h5"); fi
      done <<<"$files"
      while read -r k name req; do
        [ "$k" = out ] || continue
        if [ "$name" = "$output" ]; then args+=("$name" "$WORK/target.h5")
        elif [ "$req" = req ]; then args+=("$name" "$WORK/other-out.h5"); fi
      done <<<"$files"
      # shellcheck disable=SC2086
      expect_error 2 "target.h5: output would overwrite input: $output names the" "" $tool "${args[@]}" $(extra_for "$tool")
      check_eq "$tool $in_name as $output: input untouched" "$(sum "$WORK/target.h5")" "$before"
      tried=$((tried + 1))
    done
  done
done
# 10 tools and modes, each with at least one pair; today there are more.
[ "$tried" -ge 25 ] || fail "only $tried input/output pairs tried"
echo "$tried input/output pairs tried"
finish
