#include "io/schema.hpp"

namespace sslkit::io {

const char* modality_name(Modality m) {
  switch (m) {
    case Modality::image: return "image";
    case Modality::text: return "text";
    case Modality::audio: return "audio";
    case Modality::embedding: return "embedding";
  }
  return "?";
}

const char* modality_phrase(Modality m) {
  switch (m) {
    case Modality::image: return "holds images";
    case Modality::text: return "is a text file";
    case Modality::audio: return "holds audio";
    case Modality::embedding: return "holds embeddings";
  }
  return "?";
}

std::optional<Modality> parse_modality(const std::string& s) {
  for (auto m : {Modality::image, Modality::text, Modality::audio, Modality::embedding})
    if (s == modality_name(m)) return m;
  return std::nullopt;
}

const std::vector<DatasetRule>& dataset_rules() {
  static const std::vector<DatasetRule> rules = {
      {"/labels", DType::i32, 1, true, "[N]"},
      {"/ids", DType::i64, 1, true, "[N]"},
      {"/images", DType::u8, 4, true, "[N,H,W,C]"},
      {"/views", DType::u8, 5, true, "[N,V,H,W,C]"},
      {"/pretext_labels", DType::i32, 2, true, "[N,V]"},
      {"/tokens", DType::i32, 2, true, "[N,L]"},
      {"/lengths", DType::i32, 1, true, "[N]"},
      {"/tokenizer", DType::u8, 1, false, "[bytes]"},
      {"/audio", DType::f32, 2, true, "[N,T]"},
      {"/audio_views", DType::f32, 3, true, "[N,V,T]"},
      {"/mask", DType::u8, 2, true, "[N,M]"},
      {"/input_ids", DType::i32, 2, true, "[N,L]"},
      {"/mlm_labels", DType::i32, 2, true, "[N,L]"},
      // Rank 3, [N,F,D], with /frames: ssl-embed --frames (DataReader::validate checks the pair).
      {"/embeddings", DType::f32, 2, true, "[N,D] (or [N,F,D] with /frames)"},
      {"/frames", DType::i32, 1, true, "[N]"},
      {"/history", DType::str, 1, false, "[entries]"},
  };
  return rules;
}

const DatasetRule* find_rule(const std::string& name) {
  for (auto& r : dataset_rules())
    if (name == r.name) return &r;
  return nullptr;
}

std::vector<std::vector<std::string>> required_datasets(Modality m) {
  switch (m) {
    case Modality::image: return {{"/images", "/views"}};
    case Modality::text: return {{"/tokens"}, {"/lengths"}, {"/tokenizer"}};
    case Modality::audio: return {{"/audio"}, {"/lengths"}};
    case Modality::embedding: return {{"/embeddings"}};
  }
  return {};
}

}  // namespace sslkit::io
