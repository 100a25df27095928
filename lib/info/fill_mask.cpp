#include "info/fill_mask.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/error.hpp"
#include "data/tokenizer.hpp"
#include "io/model_file.hpp"
#include "methods/registry.hpp"
#include "nn/engine.hpp"
#include "train/trained_model.hpp"

namespace sslkit::info {

FillMask fill_mask(const std::string& model, const std::string& text, int top_k) {
  static const std::string kMask = "[MASK]";
  nn::init_engine();
  train::TrainedModel t = train::load_trained_model(model);
  // ELECTRA's generator is a masked LM too (its masked_logits).
  if (t.method_name != "mlm" && t.method_name != "electra")
    throw UsageError(model + " is not a masked language model (method " + t.method_name + ")");
  const std::vector<uint8_t> bytes = io::ModelReader(model).bytes("tokenizer");
  if (bytes.empty()) throw Error(model, "has no /tokenizer to read the sentence with (pretrain it again)");
  const data::Tokenizer tok = data::Tokenizer::from_bytes(bytes, model);

  // [CLS] piece ids of the text between masks, [MASK] where it says so, [SEP].
  std::vector<int32_t> ids{tok.cls_id()};
  size_t from = 0, masks = 0;
  for (;;) {
    const size_t at = text.find(kMask, from);
    const std::vector<int32_t> part = tok.encode(text.substr(from, at == std::string::npos ? std::string::npos : at - from));
    ids.insert(ids.end(), part.begin(), part.end());
    if (at == std::string::npos) break;
    ids.push_back(tok.mask_id());
    ++masks;
    from = at + kMask.size();
  }
  ids.push_back(tok.sep_id());
  if (masks == 0) throw UsageError("--predict needs a sentence with [MASK] in it");
  const int64_t max_len = methods::read_params(nlohmann::ordered_json::parse(t.config)).max_len;
  if (static_cast<int64_t>(ids.size()) > max_len)
    throw UsageError("the sentence is " + std::to_string(ids.size()) + " tokens; " + model + " reads at most " +
                     std::to_string(max_len));

  methods::TokenBatch b;
  b.rows = 1;
  b.length = static_cast<int64_t>(ids.size());
  b.ids = ids;
  b.lengths = {static_cast<int32_t>(ids.size())};
  for (int32_t id : ids) b.labels.push_back(id == tok.mask_id() ? id : -100);
  nn::NoGrad ng;
  const nn::Tensor logits = t.method->masked_logits(b).value();
  const int64_t V = logits.dim(1);

  FillMask out;
  std::vector<int32_t> filled = ids;
  size_t m = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != tok.mask_id()) continue;
    const float* row = logits.f32() + m++ * V;
    const float top = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - top);
    std::vector<int32_t> order;
    for (int32_t v = 0; v < V; ++v)
      if (!tok.is_special(v)) order.push_back(v);
    const size_t k = std::min<size_t>(static_cast<size_t>(std::max(1, top_k)), order.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t c) { return row[a] > row[c]; });
    std::vector<MaskGuess> guesses;
    for (size_t j = 0; j < k; ++j) {
      std::string piece = tok.piece(order[j]);
      const std::string mark = "\xe2\x96\x81";  // U+2581, SentencePiece's word start
      for (size_t p; (p = piece.find(mark)) != std::string::npos;) piece.replace(p, mark.size(), " ");
      guesses.push_back({piece, order[j], std::exp(static_cast<double>(row[order[j]]) - top) / sum});
    }
    filled[i] = guesses.front().id;
    out.masks.push_back(std::move(guesses));
  }
  out.filled = tok.decode(filled);
  return out;
}

void print_fill_mask(const std::string& model, const std::string& text, int top_k, bool json, std::ostream& out) {
  const FillMask f = fill_mask(model, text, top_k);
  if (json) {
    nlohmann::ordered_json j, masks = nlohmann::ordered_json::array();
    j["file"] = model == "-" ? "stdin" : model;
    j["sentence"] = text;
    for (const auto& m : f.masks) {
      nlohmann::ordered_json guesses = nlohmann::ordered_json::array();
      for (const auto& g : m) guesses.push_back({{"token", g.piece}, {"id", g.id}, {"probability", g.probability}});
      masks.push_back(guesses);
    }
    j["masks"] = masks;
    j["filled"] = f.filled;
    // Tokens of invalid UTF-8 input decode to replacement characters, not an exception.
    out << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
    return;
  }
  for (size_t m = 0; m < f.masks.size(); ++m) {
    out << "[MASK] " << m + 1 << ":";
    for (const auto& g : f.masks[m]) {
      char p[32];
      std::snprintf(p, sizeof p, " %.3f", g.probability);
      out << " \"" << g.piece << "\"" << p;
    }
    out << std::endl;
  }
  out << f.filled << std::endl;
}

}  // namespace sslkit::info
