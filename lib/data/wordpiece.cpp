#include "data/wordpiece.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include "core/error.hpp"

namespace sslkit::data {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// UTF-8 to code points; a byte that does not start a well-formed sequence
// becomes U+FFFD (which cleaning then drops), as Python's errors="replace".
std::u32string decode_utf8(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = b[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
      ok = false;
    if (!ok) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string encode_utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

bool is_whitespace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}

// tokenizers' "other" characters: Cc, Cf, Co and Cs, but not unassigned
// code points (Cn), which its category tables do not count (U+0378 stays,
// measured in the fixture), and not the three spacing controls.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE: return true;
    default: return false;
  }
}

bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION: return true;
    default: return false;
  }
}

// The CJK blocks of tokenizers' BertNormalizer. Its fifth range starts at
// U+2B920 where the older Python BasicTokenizer's starts at U+2B820: the
// fixture shows transformers 5.25 leaves U+2B820..U+2B91F unspaced.
bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::u32string nfd(const std::u32string& s) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(err);
  if (U_FAILURE(err)) throw Error("", std::string("ICU has no NFD data: ") + u_errorName(err));
  const icu::UnicodeString in = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s.data()),
                                                              static_cast<int32_t>(s.size()));
  const icu::UnicodeString out = n->normalize(in, err);
  if (U_FAILURE(err)) throw Error("", std::string("ICU cannot normalise text: ") + u_errorName(err));
  std::u32string r(static_cast<size_t>(out.countChar32()), U'\0');
  out.toUTF32(reinterpret_cast<UChar32*>(r.data()), static_cast<int32_t>(r.size()), err);
  return r;
}

// One character's full lower-case mapping without context (so no final
// sigma), as Rust's char::to_lowercase that tokenizers applies.
void append_lower(std::u32string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  UChar src[2], dst[8];
  int32_t n = 0;
  U16_APPEND_UNSAFE(src, n, static_cast<UChar32>(c));
  UErrorCode err = U_ZERO_ERROR;
  const int32_t m = u_strToLower(dst, 8, src, n, "", &err);
  if (U_FAILURE(err)) {
    out.push_back(c);
    return;
  }
  for (int32_t i = 0; i < m;) {
    UChar32 x;
    U16_NEXT(dst, i, m, x);
    out.push_back(static_cast<char32_t>(x));
  }
}

}  // namespace

WordPiece::WordPiece(const std::string& vocab_text, WordPieceOptions options, const std::string& subject)
    : options_(options) {
  size_t at = 0;
  while (at < vocab_text.size()) {
    size_t end = vocab_text.find('\n', at);
    if (end == std::string::npos) end = vocab_text.size();
    pieces_.push_back(vocab_text.substr(at, end - at));
    at = end + 1;
  }
  if (pieces_.empty()) throw Error(subject, "an empty WordPiece vocabulary");
  for (size_t i = 0; i < pieces_.size(); ++i) ids_[pieces_[i]] = static_cast<int32_t>(i);
  unk_ = id("[UNK]");
  if (unk_ < 0) throw Error(subject, "a WordPiece vocabulary without [UNK]");
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (id(s) >= 0) specials_.emplace_back(s, id(s));
}

int32_t WordPiece::id(const std::string& piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::string WordPiece::vocab_text() const {
  std::string s;
  for (const auto& p : pieces_) s += p + "\n";
  return s;
}

std::u32string WordPiece::normalize(const std::u32string& text) const {
  std::u32string s;
  s.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0 || c == kReplacement || is_control(c)) continue;
    c = is_whitespace(c) ? U' ' : c;
    if (options_.chinese_chars && is_chinese(c)) {
      s += U' ';
      s += c;
      s += U' ';
    } else {
      s += c;
    }
  }
  if (options_.strips_accents()) {
    std::u32string d = nfd(s);
    s.clear();
    for (char32_t c : d)
      if (u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK) s += c;
  }
  if (options_.lower_case) {
    std::u32string l;
    l.reserve(s.size());
    for (char32_t c : s) append_lower(l, c);
    s.swap(l);
  }
  return s;
}

namespace {

// Whitespace ends a word; punctuation is a word of its own.
std::vector<std::u32string> split_words(const std::u32string& s) {
  std::vector<std::u32string> words;
  std::u32string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char32_t c : s) {
    if (is_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      words.push_back(std::u32string(1, c));
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

}  // namespace

void WordPiece::add_word_pieces(const std::u32string& word, std::vector<int32_t>& out) const {
  if (word.size() > kMaxWordChars) {
    out.push_back(unk_);
    return;
  }
  std::vector<size_t> offset{0};  // byte offset of each character in utf8
  std::string utf8;
  for (char32_t c : word) {
    append_utf8(utf8, c);
    offset.push_back(utf8.size());
  }
  const size_t first = out.size();
  for (size_t start = 0; start < word.size();) {
    int32_t found = -1;
    size_t end = word.size();
    for (; end > start; --end) {
      std::string sub = utf8.substr(offset[start], offset[end] - offset[start]);
      if (start > 0) sub = "##" + sub;
      found = id(sub);
      if (found >= 0) break;
    }
    if (found < 0) {
      out.resize(first);
      out.push_back(unk_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

std::vector<int32_t> WordPiece::encode(const std::string& text) const {
  std::vector<int32_t> out;
  // Special tokens spelled in the text are found first, leftmost and then
  // longest, in the raw text (they are not normalised).
  size_t from = 0;
  auto encode_part = [&](const std::string& part) {
    for (const auto& w : split_words(normalize(decode_utf8(part)))) add_word_pieces(w, out);
  };
  while (from <= text.size()) {
    size_t best = std::string::npos, best_len = 0;
    int32_t best_id = -1;
    for (const auto& [s, sid] : specials_) {
      const size_t at = text.find(s, from);
      if (at != std::string::npos && (at < best || (at == best && s.size() > best_len))) {
        best = at;
        best_len = s.size();
        best_id = sid;
      }
    }
    if (best == std::string::npos) {
      encode_part(text.substr(from));
      break;
    }
    encode_part(text.substr(from, best - from));
    out.push_back(best_id);
    from = best + best_len;
  }
  return out;
}

std::vector<std::string> WordPiece::words(const std::string& text) const {
  std::vector<std::string> out;
  for (const auto& w : split_words(normalize(decode_utf8(text)))) out.push_back(encode_utf8(w));
  return out;
}

}  // namespace sslkit::data
