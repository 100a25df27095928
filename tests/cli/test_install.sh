#!/usr/bin/env bash
# make install (issue 24): tools, the library with its headers, a CMake
# package and a pkg-config file, man pages and bash completion; a program
# builds against the installed library with find_package(sslkit) and with
# pkg-config, and the installed tools and completion work.
. "$TESTS/cli/lib.sh"
SRC=$(dirname "$TESTS")
DEST="$WORK/dest"
DESTDIR="$DEST" cmake --install "$BIN" --prefix /opt/sslkit >"$WORK/install.log" 2>&1 || fail "cmake --install: $(tail -3 "$WORK/install.log")"
P="$DEST/opt/sslkit"
for t in ssl-import ssl-augment ssl-mask ssl-pretrain ssl-embed ssl-finetune ssl-info ssl-export ssl-cat; do
  [ -x "$P/bin/$t" ] || fail "bin/$t not installed"
  [ -s "$P/share/man/man1/$t.1" ] || fail "man page of $t not installed"
  [ -s "$P/share/bash-completion/completions/$t" ] || fail "completion of $t not installed"
done
libdir=$(cd "$P" && ls -d lib*/ | head -1)
[ -f "$P/${libdir}libssltk.a" ] || fail "libssltk.a not installed"
[ -f "$P/include/sslkit/io/data_file.hpp" ] || fail "headers not installed"
ls "$P/include/sslkit"/*/*_test.cpp 2>/dev/null && fail "test sources installed as headers"
check_eq "installed --version" "$("$P/bin/ssl-import" --version | head -1)" "ssl-import (sslkit) $(awk '/^project/ {print $3}' "$SRC/CMakeLists.txt")"
grep -q "^\.TH SSL-PRETRAIN" "$P/share/man/man1/ssl-pretrain.1" || fail "man page title"
grep -qF '\-\-monitor' "$P/share/man/man1/ssl-pretrain.1" || fail "man page lacks --monitor"

# Completion: options, a choice list, files after a FILE option.
if [ -r /usr/share/bash-completion/bash_completion ]; then
  complete_words() {  # complete_words TOOL WORD...: what TAB offers for the last word
    bash -c '. /usr/share/bash-completion/bash_completion; . "$0"; COMP_WORDS=("${@}"); COMP_CWORD=$(($# - 1));
             COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; "_${1//-/_}"; printf "%s\n" "${COMPREPLY[@]}"' \
      "$P/share/bash-completion/completions/$1" "$@"
  }
  complete_words ssl-pretrain --moni | grep -qx -- "--monitor" || fail "completion: --moni"
  check_eq "completion: --method si" "$(complete_words ssl-pretrain --method si | sort | tr '\n' ' ')" "simclr simcse simsiam "
  check_eq "completion: ssl-import te" "$(complete_words ssl-import te | tr '\n' ' ')" "text "
  complete_words ssl-import text --vocab | grep -qx -- "--vocab-size" || fail "completion: ssl-import text --vocab"
else
  echo "skipped: completion (no bash-completion)"
fi

# A program against the installed library.
mkdir -p "$WORK/tiny"
cat >"$WORK/tiny/tiny.cpp" <<'CPP'
#include <cstdio>
#include "cli/tool.hpp"
#include "io/data_file.hpp"
int main(int, char** argv) {
  sslkit::io::DataReader r(argv[1]);
  std::printf("%zu %s\n", r.size(), sslkit::io::modality_name(r.modality()));
}
CPP
cat >"$WORK/tiny/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(tiny CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(sslkit 0.1 REQUIRED)
add_executable(tiny tiny.cpp)
target_link_libraries(tiny PRIVATE sslkit::sslkit)
CMAKE
ok ssl-import idx "$DATA/idx/fashion-120-images-idx3-ubyte.gz" --limit 7 -o "$WORK/g.h5"
if cmake -S "$WORK/tiny" -B "$WORK/tiny/build" -DCMAKE_PREFIX_PATH="$P" >"$WORK/tiny.log" 2>&1 &&
   cmake --build "$WORK/tiny/build" >>"$WORK/tiny.log" 2>&1; then
  check_eq "find_package(sslkit) program" "$("$WORK/tiny/build/tiny" "$WORK/g.h5")" "7 image"
else
  fail "find_package(sslkit): $(grep -m3 -iE 'error' "$WORK/tiny.log")"
fi
flags=$(PKG_CONFIG_PATH="$P/${libdir}pkgconfig" pkg-config --define-prefix --cflags --libs sslkit) || fail "pkg-config sslkit"
# shellcheck disable=SC2086
if g++ -std=c++20 "$WORK/tiny/tiny.cpp" -o "$WORK/tiny-pc" $flags 2>"$WORK/pc.log"; then
  check_eq "pkg-config program" "$("$WORK/tiny-pc" "$WORK/g.h5")" "7 image"
else
  fail "pkg-config build: $(head -3 "$WORK/pc.log")"
fi
finish
