#include "data/tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/model_file.hpp"

namespace sslkit::data {

namespace {

constexpr const char* kPad = "<pad>";
constexpr const char* kUnk = "<unk>";
constexpr const char* kCls = "[CLS]";
constexpr const char* kSep = "[SEP]";
constexpr const char* kMask = "[MASK]";

// Feeds the corpus to the trainer straight from memory: no temp files.
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& texts) : texts_(texts) { skip_empty(); }
  bool done() const override { return i_ >= texts_.size(); }
  void Next() override {
    ++i_;
    skip_empty();
  }
  const std::string& value() const override { return texts_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void skip_empty() {
    while (i_ < texts_.size() && texts_[i_].empty()) ++i_;
  }
  const std::vector<std::string>& texts_;
  size_t i_ = 0;
};

// SentencePiece statuses read "./src/file.cc(580) [condition] Explanation";
// only the explanation is for the user.
std::string status_text(const sentencepiece::util::Status& status) {
  std::string msg(status.message());
  if (!msg.empty() && msg[0] == '.') {
    size_t p = msg.find("] ");
    if (p != std::string::npos) msg = msg.substr(p + 2);
  }
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return msg;
}

// The first bytes of a WordPiece tokenizer's bytes(); a SentencePiece model
// (a protobuf, its pieces first) begins with 0x0a.
constexpr std::string_view kWordPieceHead = "{\"kind\":\"wordpiece\"";

// WordPiece pieces BERT writes in brackets ([unused0], [PAD], ...) are not text.
bool bracketed(const std::string& p) { return p.size() > 2 && p.front() == '[' && p.back() == ']'; }

std::string read_file(const std::string& path, const char* what) {
  std::error_code ec;
  // An ifstream opens a folder and fails on the first read with the
  // library's words; say what is wrong instead.
  if (std::filesystem::is_directory(path, ec)) throw Error(path, std::string("is a folder, not ") + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, std::string("cannot read ") + what);
  std::string bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {  // libstdc++ throws on a failed read(2)
    throw Error(path, std::string("cannot read ") + what + ": " + std::strerror(errno));
  }
  if (in.bad()) throw Error(path, std::string("cannot read ") + what);
  return bytes;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A flag of tokenizer_config.json or tokenizer.json: true, false, or (for
// strip_accents) null; anything else is an error naming the key.
std::optional<bool> json_flag(const nlohmann::json& j, const std::string& key, const std::string& path,
                              std::optional<bool> fallback) {
  if (!j.contains(key)) return fallback;
  if (j[key].is_null()) return std::nullopt;
  if (!j[key].is_boolean()) throw Error(path, key + " is " + j[key].dump() + ", not true or false");
  return j[key].get<bool>();
}

nlohmann::json parse_json(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("not JSON (") + e.what() + ")");
  }
}

// vocab.txt, with the flags of the tokenizer_config.json beside it
// (BertTokenizer's defaults without one, as from_pretrained gives).
Tokenizer vocab_txt(const std::string& path) {
  WordPieceOptions o;
  const std::filesystem::path config = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::error_code ec;
  if (std::filesystem::is_regular_file(config, ec)) {
    const std::string cpath = config.string();
    const nlohmann::json j = parse_json(read_file(cpath, "tokenizer config"), cpath);
    o.lower_case = json_flag(j, "do_lower_case", cpath, true).value_or(true);
    o.strip_accents = json_flag(j, "strip_accents", cpath, std::nullopt);
    o.chinese_chars = json_flag(j, "tokenize_chinese_chars", cpath, true).value_or(true);
  }
  return Tokenizer::wordpiece(read_file(path, "WordPiece vocabulary"), o, path);
}

// A tokenizer.json of BERT's arrangement: a WordPiece model ("##", 100
// characters a word) after a BertNormalizer and a BertPreTokenizer.
Tokenizer tokenizer_json(const std::string& path) {
  const nlohmann::json j = parse_json(read_file(path, "tokenizer.json"), path);
  auto type_of = [&](const char* part) {
    return j.contains(part) && j[part].is_object() && j[part].contains("type") && j[part]["type"].is_string()
               ? j[part]["type"].get<std::string>()
               : std::string(j.contains(part) && j[part].is_null() ? "none" : "?");
  };
  const std::string model = type_of("model"), norm = type_of("normalizer"), pre = type_of("pre_tokenizer");
  if (model != "WordPiece" || norm != "BertNormalizer" || pre != "BertPreTokenizer")
    throw Error(path, "not a BERT WordPiece tokenizer (model " + model + ", normalizer " + norm + ", pre_tokenizer " +
                          pre + "; sslkit reads WordPiece, BertNormalizer, BertPreTokenizer)");
  const nlohmann::json& m = j["model"];
  if (m.value("continuing_subword_prefix", std::string("##")) != "##" ||
      m.value("max_input_chars_per_word", int64_t{100}) != static_cast<int64_t>(WordPiece::kMaxWordChars) ||
      m.value("unk_token", std::string("[UNK]")) != "[UNK]")
    throw Error(path, "a WordPiece model other than BERT's (sslkit's takes \"##\", 100 characters a word, [UNK])");
  if (!m.contains("vocab") || !m["vocab"].is_object() || m["vocab"].empty())
    throw Error(path, "model.vocab is not a map of pieces to ids");
  std::vector<std::string> pieces(m["vocab"].size());
  std::vector<bool> seen(pieces.size(), false);
  for (const auto& [piece, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(pieces.size()) ||
        seen[id.get<size_t>()])
      throw Error(path, "model.vocab: the ids are not 0.." + std::to_string(pieces.size() - 1) + " each once ('" +
                            piece + "': " + id.dump() + ")");
    if (piece.find('\n') != std::string::npos) throw Error(path, "model.vocab: a piece holds a line break");
    pieces[id.get<size_t>()] = piece;
    seen[id.get<size_t>()] = true;
  }
  const nlohmann::json& n = j["normalizer"];
  if (!n.value("clean_text", true)) throw Error(path, "normalizer.clean_text is false (BERT's cleaning is always on here)");
  WordPieceOptions o;
  o.lower_case = json_flag(n, "lowercase", path, true).value_or(true);
  o.strip_accents = json_flag(n, "strip_accents", path, std::nullopt);
  o.chinese_chars = json_flag(n, "handle_chinese_chars", path, true).value_or(true);
  std::string vocab;
  for (const auto& p : pieces) vocab += p + "\n";
  return Tokenizer::wordpiece(vocab, o, path);
}

}  // namespace

std::string kind_name(TokenizerKind k) { return k == TokenizerKind::wordpiece ? "wordpiece" : "sentencepiece"; }

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::train(const std::vector<std::string>& texts, int vocab_size, int threads, uint64_t seed) {
  if (vocab_size < 6) throw UsageError("--vocab-size must be at least 6 (5 special pieces and one more)");
  // SentencePiece keeps one global seed; UINT32_MAX means "from
  // std::random_device", so it is folded away to keep runs reproducible.
  uint32_t s = static_cast<uint32_t>(seed ^ (seed >> 32));
  if (s == 0xffffffffu) s = 0;
  sentencepiece::SetRandomGeneratorSeed(s);
  std::unordered_map<std::string, std::string> args{
      {"model_type", "unigram"},
      {"vocab_size", std::to_string(vocab_size)},
      // A small corpus has fewer distinct pieces than the vocabulary asked
      // for; take what there is rather than fail.
      {"hard_vocab_limit", "false"},
      {"character_coverage", "1.0"},
      {"pad_id", "0"},
      {"pad_piece", kPad},
      {"unk_id", "1"},
      {"unk_piece", kUnk},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      // Control symbols take the ids right after pad and unk: 2, 3, 4.
      {"control_symbols", std::string(kCls) + "," + kSep + "," + kMask},
      {"num_threads", std::to_string(std::clamp(threads, 1, 128))},
      // SentencePiece silently leaves out of training every text longer than
      // this (4192 bytes by default, shorter than many fortunes): so it is
      // the longest text sslkit takes, and none is left out.
      {"max_sentence_length", std::to_string(kMaxTextBytes)},
      // Errors come back as a status and become one line; the progress chatter
      // on stderr would break the tools' output policy.
      {"minloglevel", "2"},
  };
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].size() > kMaxTextBytes)
      throw Error("", "text " + std::to_string(i + 1) + " is " + std::to_string(texts[i].size() >> 10) +
                          " KiB, longer than the " + std::to_string(kMaxTextBytes >> 10) + " KiB a tokenizer trains on");
  VectorIterator it(texts);
  std::string proto;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
  if (!status.ok()) {
    std::string why = status_text(status);
    // The common failure, worded for sslkit's options rather than spm_train's.
    size_t at = why.find("required_chars. ");
    if (at != std::string::npos) {
      size_t vs = why.find(" vs ", at);
      if (vs != std::string::npos)
        throw Error("", "a vocabulary of " + std::to_string(vocab_size) + " is smaller than the " +
                            std::to_string(std::atoi(why.c_str() + vs + 4)) +
                            " characters and special pieces of the text; raise --vocab-size");
    }
    // SentencePiece sometimes fails without a reason; then say what it had.
    if (why.empty()) {
      size_t longest = 0, nonempty = 0;
      for (const auto& t : texts) longest = std::max(longest, t.size()), nonempty += !t.empty();
      why = "no reason given (" + std::to_string(nonempty) + " texts, the longest " + std::to_string(longest) +
            " bytes, --vocab-size " + std::to_string(vocab_size) + ")";
    }
    throw Error("", "SentencePiece training failed: " + why);
  }
  std::vector<uint8_t> bytes(proto.begin(), proto.end());
  return from_bytes(bytes, "trained tokenizer");
}

Tokenizer Tokenizer::wordpiece(const std::string& vocab_text, const WordPieceOptions& options,
                               const std::string& subject) {
  Tokenizer t;
  t.wp_ = std::make_unique<WordPiece>(vocab_text, options, subject);
  t.find_specials(subject);
  return t;
}

Tokenizer Tokenizer::from_bytes(const std::vector<uint8_t>& bytes, const std::string& subject) {
  Tokenizer t;
  if (bytes.empty()) throw Error(subject, "empty tokenizer model");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.substr(0, kWordPieceHead.size()) == kWordPieceHead) {
    const size_t eol = text.find('\n');
    nlohmann::json head;
    try {
      head = nlohmann::json::parse(text.substr(0, eol == std::string_view::npos ? text.size() : eol));
    } catch (const nlohmann::json::exception&) {
      throw Error(subject, "a WordPiece tokenizer whose first line is not JSON");
    }
    WordPieceOptions o;
    o.lower_case = json_flag(head, "do_lower_case", subject, true).value_or(true);
    o.strip_accents = json_flag(head, "strip_accents", subject, std::nullopt);
    o.chinese_chars = json_flag(head, "tokenize_chinese_chars", subject, true).value_or(true);
    return wordpiece(std::string(eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1)), o, subject);
  }
  t.sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto status = t.sp_->LoadFromSerializedProto(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!status.ok()) {
    std::string why = status_text(status);
    throw Error(subject, "not a SentencePiece model" + (why.empty() ? "" : " (" + why + ")"));
  }
  t.find_specials(subject);
  return t;
}

namespace {
// HDF5's signature at offset 0 (where sslkit writes it; a user block would
// move it, which sslkit never makes).
bool is_hdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
}
}  // namespace

Tokenizer Tokenizer::from_file(const std::string& path) {
  // Another sslkit file's tokenizer: a labelled task imported with the
  // vocabulary of the corpus a model was pretrained on.
  if (is_hdf5(path)) {
    io::Handle h = io::open_hdf5(path, path);
    if (io::file_format(h, path) == "sslkit-model") {
      const std::vector<uint8_t> bytes = io::ModelReader(path).bytes("tokenizer");
      if (bytes.empty()) throw Error(path, "a model file without /tokenizer (not a text model)");
      return from_bytes(bytes, path + ": /tokenizer");
    }
    const io::DataReader in(path);
    if (in.modality() != io::Modality::text || !in.has("/tokenizer"))
      throw Error(path, "no /tokenizer: not a text data file (give an ssl-import text output or a text model)");
    return read_from(in);
  }
  if (ends_with(path, ".txt")) return vocab_txt(path);
  if (ends_with(path, ".json")) return tokenizer_json(path);
  const std::string text = read_file(path, "a SentencePiece model");
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  // sslkit's own WordPiece bytes are for its files, not a file to give here.
  if (text.substr(0, kWordPieceHead.size()) == kWordPieceHead)
    throw Error(path, "not a SentencePiece model (give a WordPiece vocabulary as vocab.txt or tokenizer.json)");
  return from_bytes(bytes, path);
}

Tokenizer Tokenizer::read_from(const io::DataReader& in) {
  const std::string subject = in.name() + ": /tokenizer";
  if (!in.has("/tokenizer")) throw Error(in.name(), "no /tokenizer dataset");
  Tokenizer t = from_bytes(in.read_all<uint8_t>("/tokenizer"), subject);
  // The attributes are for readers without SentencePiece; if present they
  // must agree with the model, or something rewrote one without the other.
  // Files from before WordPiece have no kind: theirs is SentencePiece.
  hid_t d = in.dataset("/tokenizer");
  if (io::has_attr(d, "kind") && io::attr_string(d, "kind") != kind_name(t.kind()))
    throw Error(subject, "attribute kind = " + io::attr_string(d, "kind") + " but the bytes are a " +
                             kind_name(t.kind()) + " tokenizer");
  const std::pair<const char*, int32_t> ids[] = {
      {"pad_id", t.pad_}, {"unk_id", t.unk_}, {"cls_id", t.cls_}, {"sep_id", t.sep_}, {"mask_id", t.mask_}};
  for (auto& [name, id] : ids)
    if (io::has_attr(d, name) && io::attr_int(d, name) != id)
      throw Error(subject, std::string("attribute ") + name + " = " + std::to_string(io::attr_int(d, name)) +
                               " but the model has " + std::to_string(id));
  return t;
}

void Tokenizer::find_specials(const std::string& subject) {
  std::string missing;
  if (wp_) {
    auto wp_id = [&](const char* piece) {
      const int32_t id = wp_->id(piece);
      if (id < 0) missing += missing.empty() ? piece : std::string(" ") + piece;
      return id;
    };
    pad_ = wp_id("[PAD]");
    unk_ = wp_id("[UNK]");
    cls_ = wp_id("[CLS]");
    sep_ = wp_id("[SEP]");
    mask_ = wp_id("[MASK]");
    if (!missing.empty()) throw Error(subject, "WordPiece vocabulary lacks the special pieces " + missing);
    return;
  }
  auto id_of = [&](const char* piece) {
    int id = sp_->PieceToId(piece);
    // PieceToId answers unk_id for a piece it does not know.
    if (id < 0 || id >= sp_->GetPieceSize() || sp_->IdToPiece(id) != piece) {
      missing += missing.empty() ? piece : std::string(" ") + piece;
      return -1;
    }
    return id;
  };
  pad_ = id_of(kPad);
  unk_ = id_of(kUnk);
  cls_ = id_of(kCls);
  sep_ = id_of(kSep);
  mask_ = id_of(kMask);
  if (!missing.empty())
    throw Error(subject, "SentencePiece model lacks the special pieces " + missing +
                             " (train it with pad_id, unk_id and control_symbols=[CLS],[SEP],[MASK])");
}

std::vector<uint8_t> Tokenizer::bytes() const {
  if (wp_) {
    const WordPieceOptions& o = wp_->options();
    // One fixed spelling, so the same tokenizer is the same bytes (models
    // and data files are matched byte for byte).
    nlohmann::ordered_json head = {{"kind", "wordpiece"},
                                   {"do_lower_case", o.lower_case},
                                   {"strip_accents", nullptr},
                                   {"tokenize_chinese_chars", o.chinese_chars}};
    if (o.strip_accents) head["strip_accents"] = *o.strip_accents;
    const std::string text = head.dump() + "\n" + wp_->vocab_text();
    return std::vector<uint8_t>(text.begin(), text.end());
  }
  std::string proto = sp_->serialized_model_proto();
  return std::vector<uint8_t>(proto.begin(), proto.end());
}

int32_t Tokenizer::vocab_size() const { return wp_ ? wp_->size() : sp_->GetPieceSize(); }

std::string Tokenizer::piece(int32_t id) const { return wp_ ? wp_->piece(id) : sp_->IdToPiece(id); }

bool Tokenizer::starts_word(int32_t id) const {
  return wp_ ? wp_->piece(id).rfind("##", 0) != 0 : sp_->IdToPiece(id).rfind("\xE2\x96\x81", 0) == 0;
}

bool Tokenizer::is_special(int32_t id) const {
  if (id == pad_ || id == unk_ || id == cls_ || id == sep_ || id == mask_) return true;
  if (wp_) return bracketed(wp_->piece(id));
  return sp_->IsControl(id) || sp_->IsUnknown(id) || sp_->IsUnused(id);
}

std::vector<int32_t> Tokenizer::encode(const std::string& text) const {
  if (wp_) return wp_->encode(text);
  std::vector<int> ids;
  auto status = sp_->Encode(text, &ids);
  if (!status.ok()) throw Error("tokenizer", "cannot encode text: " + status_text(status));
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  if (wp_) {
    // Pieces joined by spaces, "##" pieces glued to the one before (the
    // normalised text: lower-cased, accents gone, punctuation spaced).
    std::string out;
    for (int32_t id : ids) {
      if (id < 0 || id >= wp_->size())
        throw Error("tokenizer", "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                     std::to_string(wp_->size()));
      if (id == pad_ || id == cls_ || id == sep_) continue;
      const std::string& p = wp_->piece(id);
      if (p.rfind("##", 0) == 0 && !out.empty())
        out += p.substr(2);
      else
        out += (out.empty() ? "" : " ") + p;
    }
    return out;
  }
  // SentencePiece decodes control pieces to nothing, which would hide where
  // [MASK] sits; so runs between masks are decoded apart and joined with it.
  const int n = sp_->GetPieceSize();
  std::string out;
  std::vector<int> run;
  auto flush = [&] {
    if (run.empty()) return;
    std::string text;
    auto status = sp_->Decode(run, &text);
    if (!status.ok()) throw Error("tokenizer", "cannot decode ids: " + status_text(status));
    // A run that starts a new word after [MASK] keeps its space.
    if (!out.empty() && sp_->IdToPiece(run.front()).rfind("\xe2\x96\x81", 0) == 0) out += ' ';
    out += text;
    run.clear();
  };
  for (int32_t id : ids) {
    if (id < 0 || id >= n) throw Error("tokenizer", "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                                        std::to_string(n));
    if (id == pad_ || id == cls_ || id == sep_) continue;
    if (id == mask_) {
      flush();
      out += out.empty() ? "[MASK]" : " [MASK]";
      continue;
    }
    run.push_back(id);
  }
  flush();
  return out;
}

void Tokenizer::write_to(io::DataWriter& out) const {
  out.write_blob("/tokenizer", bytes());
  hid_t d = out.dataset("/tokenizer");
  io::set_attr_string(d, "kind", kind_name(kind()));
  if (wp_) {
    io::set_attr_int(d, "do_lower_case", wp_->options().lower_case);
    io::set_attr_int(d, "strip_accents", wp_->options().strips_accents());
    io::set_attr_int(d, "tokenize_chinese_chars", wp_->options().chinese_chars);
  }
  io::set_attr_int(d, "pad_id", pad_);
  io::set_attr_int(d, "unk_id", unk_);
  io::set_attr_int(d, "cls_id", cls_);
  io::set_attr_int(d, "sep_id", sep_);
  io::set_attr_int(d, "mask_id", mask_);
  io::set_attr_int(d, "vocab_size", vocab_size());
}

}  // namespace sslkit::data
