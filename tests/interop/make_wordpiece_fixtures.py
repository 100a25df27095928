#!/usr/bin/env python3
"""WordPiece fixtures for lib/data/wordpiece_test.cpp (issue 25).

Run once with the interop venv (transformers 5.25, tokenizers 0.23):
    /work/venv/bin/python tests/interop/make_wordpiece_fixtures.py
It trains a small cased WordPiece vocabulary (tokenizers' trainer) on fortunes
plus a Unicode stress list, then records transformers.BertTokenizer's ids for
each text with do_lower_case true (accents stripped, BERT-uncased) and false
(cased, accents kept). The C++ test compares sslkit's ids with these exactly.
Writes tests/interop/fixtures/wordpiece/{vocab.txt,cases.json}; commit both.
"""
import json
import os
import random
import sys

from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "wordpiece")
FORTUNES = "/usr/share/games/fortunes"


def fortune_lines(count, seed=25):
    lines = set()
    for name in sorted(os.listdir(FORTUNES)):
        path = os.path.join(FORTUNES, name)
        if "." in name or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.strip() and line != "%" and len(line) < 200:
                    lines.add(line)
    lines = sorted(lines)
    random.Random(seed).shuffle(lines)
    return lines[:count]


# Each exercises one rule of BERT's basic tokenizer (comments say which).
STRESS = [
    "",
    "   \t\n  ",
    "Héllo Wörld café naïve ÉCOLE Ångström façade",            # accents: NFD, drop Mn
    "ΣΑΣ ὈΔΥΣΣΕΎΣ σοφός ΣΟΦΌΣ Σ",                             # final sigma (per-character lowercasing)
    "İstanbul ß ẞ ǅungla Ǆ ﬁne K Å",                           # special casings, Kelvin, Angstrom sign
    "中文字符测试 日本語のテキスト 한국어 𠀀 \U0002B820 \U0002B920 豈",  # CJK spacing (ranges' edges)
    "x\U0002B81Fy x\U0002B820y x\U0002B91Fy x\U0002B920y x\U0002CEAFy x\U0002CEB0y a\u4e00b a\u9fffb a\ua000b",  # range edges
    "Hello,world!(test)[x]{y}<z>",                             # ASCII punctuation
    "$5 + 3 = 8 ^ ` | ~ @home #tag 50% a&b a_b a\\b",           # ASCII symbols count as punctuation
    "¿Qué? ¡Sí! «quoted» “curly” ‘single’ — em–dash … ·",      # Unicode P*
    "€100 © ® ™ ° ± × ÷ § ¶",                                  # symbols (S*): not split, except § ¶ (Po)
    "tab\there\nnew\rline \x00null \ufffdrepl \x07bell",       # control characters dropped, \t\n\r spaces
    "zero\u200bwidth join\u200dme soft\u00adhyphen bom\ufeffx rtl\u200fy",  # Cf dropped
    "vt\x0bff\x0cnel\x85ls\u2028ps\u2029end",                  # Cc vs whitespace
    "nbsp\u00a0ideo\u3000thin\u2009hair\u200aogham\u1680x",    # Zs become spaces
    "private\ue000use \U000F0000 unassigned\u0378x",            # Co, Cn
    "e\u0301 cafe\u0301 n\u0303o",                             # combining marks
    "😀 👍🏽 🇫🇷 ❤️",                                           # emoji (So, Mn, Cf-free)
    "3.14 1,000 2nd 10km/h 24/7",
    "a" * 100,                                                 # 100 characters: a word
    "b" * 101,                                                 # 101 characters: [UNK]
    "É" * 101,                                                 # 101 characters either way
    "e\u0301" * 60,                                            # 120 characters cased, 60 once accents go
    "unaffable unbelievably antidisestablishmentarianism",     # continuation pieces
    "xqzv qqq zzzzx",                                          # unmatched remainder: [UNK]
    "[MASK] [CLS] [SEP] [PAD] [UNK]",                          # special tokens spelled in the text
    "don't won't it's O'Neil",
]


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = fortune_lines(300)
    corpus = fortune_lines(6000, seed=7) + STRESS * 3
    trainer = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    trainer.train_from_iterator(corpus, vocab_size=3000, min_frequency=2, limit_alphabet=1000,
                                special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    vocab = os.path.join(OUT, "vocab.txt")
    trainer.save_model(OUT)  # writes vocab.txt, one piece a line, in id order
    with open(vocab, encoding="utf-8") as f:
        pieces = f.read().split("\n")
    # BertTokenizer's vocab.txt ends with a newline; tokenizers writes one too.
    texts = [("fortune", t) for t in lines] + [("stress", t) for t in STRESS]
    cases = []
    for lower in (True, False):
        tok = BertTokenizer.from_pretrained(OUT, do_lower_case=lower)
        for kind, t in texts:
            ids = tok(t, add_special_tokens=False)["input_ids"]
            cases.append({"kind": kind, "do_lower_case": lower, "text": t, "ids": ids})
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        head = {"generator": "tests/interop/make_wordpiece_fixtures.py",
                "transformers": __import__("transformers").__version__,
                "tokenizers": __import__("tokenizers").__version__, "vocab_size": len([p for p in pieces if p])}
        f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print(f"{len(pieces)} pieces, {len(cases)} cases -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
