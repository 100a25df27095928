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
#include <unordered_map>

#include "core/error.hpp"

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

}  // namespace

Tokenizer::Tokenizer() : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
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

Tokenizer Tokenizer::from_bytes(const std::vector<uint8_t>& bytes, const std::string& subject) {
  Tokenizer t;
  if (bytes.empty()) throw Error(subject, "empty tokenizer model");
  auto status = t.sp_->LoadFromSerializedProto(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!status.ok()) {
    std::string why = status_text(status);
    throw Error(subject, "not a SentencePiece model" + (why.empty() ? "" : " (" + why + ")"));
  }
  t.find_specials(subject);
  return t;
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  std::error_code ec;
  // An ifstream opens a folder and fails on the first read with the
  // library's words; say what is wrong instead.
  if (std::filesystem::is_directory(path, ec)) throw Error(path, "is a folder, not a SentencePiece model");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot read tokenizer model");
  std::vector<uint8_t> bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {  // libstdc++ throws on a failed read(2)
    throw Error(path, std::string("cannot read tokenizer model: ") + std::strerror(errno));
  }
  if (in.bad()) throw Error(path, "cannot read tokenizer model");
  return from_bytes(bytes, path);
}

Tokenizer Tokenizer::read_from(const io::DataReader& in) {
  const std::string subject = in.name() + ": /tokenizer";
  if (!in.has("/tokenizer")) throw Error(in.name(), "no /tokenizer dataset");
  Tokenizer t = from_bytes(in.read_all<uint8_t>("/tokenizer"), subject);
  // The attributes are for readers without SentencePiece; if present they
  // must agree with the model, or something rewrote one without the other.
  hid_t d = in.dataset("/tokenizer");
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
  std::string proto = sp_->serialized_model_proto();
  return std::vector<uint8_t>(proto.begin(), proto.end());
}

int32_t Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }

std::string Tokenizer::piece(int32_t id) const { return sp_->IdToPiece(id); }

bool Tokenizer::is_special(int32_t id) const {
  return id == pad_ || id == unk_ || id == cls_ || id == sep_ || id == mask_ || sp_->IsControl(id) ||
         sp_->IsUnknown(id) || sp_->IsUnused(id);
}

std::vector<int32_t> Tokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  auto status = sp_->Encode(text, &ids);
  if (!status.ok()) throw Error("tokenizer", "cannot encode text: " + status_text(status));
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
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
  io::set_attr_int(d, "pad_id", pad_);
  io::set_attr_int(d, "unk_id", unk_);
  io::set_attr_int(d, "cls_id", cls_);
  io::set_attr_int(d, "sep_id", sep_);
  io::set_attr_int(d, "mask_id", mask_);
  io::set_attr_int(d, "vocab_size", vocab_size());
}

}  // namespace sslkit::data
