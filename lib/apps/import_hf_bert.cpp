// Hugging Face BERT (BertModel, BertForMaskedLM, BertForPreTraining) into
// sslkit's masked language model: the text encoder with norm=post (the
// encoder's "norm" is BERT's embedding LayerNorm), the whole token-type
// table (row 0 is what sslkit's one-segment texts add), the pooler when the
// checkpoint has one, epsilon from config.json, and the WordPiece
// vocabulary (vocab.txt with its tokenizer_config.json, or tokenizer.json)
// as the model's tokenizer. cls.predictions becomes sslkit's MLM head
// (dense, GELU, LayerNorm, the decoder tied to the word embeddings plus a
// bias), so ssl-pretrain --resume continues MLM; BertModel has no head and
// gets a new one, as a new MLM run would. The block names are export.cpp's
// kBertBlock (apps/hf_names.hpp), inverted.
// Accepted variants of the keys: with or without "bert.", the TF-era
// LayerNorm.gamma/.beta, a stale embeddings.position_ids buffer (ignored),
// a stored tied decoder equal to what it is tied to (ignored), and
// BertForPreTraining's next-sentence head cls.seq_relationship (ignored
// with a note: sslkit has no sentence pairs).
#include <cmath>
#include <filesystem>

#include "apps/import_model.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "data/tokenizer.hpp"
#include "models/encoder_shape.hpp"

namespace sslkit::train {

using nlohmann::ordered_json;

namespace {

bool has_key(const io::HfCheckpoint& c, const std::string& name) {
  return c.tensors.find(name) != nullptr || c.tensors.find("bert." + name) != nullptr;
}

bool has_head(const io::HfCheckpoint& c) { return c.tensors.find("cls.predictions.bias") != nullptr; }

bool has_pooler(const io::HfCheckpoint& c) { return has_key(c, "pooler.dense.weight"); }

models::EncoderShape bert_shape(const io::HfCheckpoint& c) {
  const std::string act = io::config_text(c, "hidden_act", "gelu");
  if (act != "gelu")
    throw Error(c.config_file(), "hidden_act \"" + act + "\": sslkit's blocks use GELU (erf), \"gelu\"");
  const std::string pos = io::config_text(c, "position_embedding_type", "absolute");
  if (pos != "absolute")
    throw Error(c.config_file(), "position_embedding_type \"" + pos + "\": sslkit's text encoder learns absolute positions");
  if (io::config_flag(c, "is_decoder", false) || io::config_flag(c, "add_cross_attention", false))
    throw Error(c.config_file(), "a BERT decoder (is_decoder or add_cross_attention): sslkit imports encoders");
  models::EncoderShape s;
  s.kind = models::EncoderKind::text;
  s.width = io::config_int(c, "hidden_size");
  s.depth = io::config_int(c, "num_hidden_layers");
  s.heads = io::config_int(c, "num_attention_heads");
  s.mlp = io::config_int(c, "intermediate_size");
  s.eps = io::config_real(c, "layer_norm_eps", 1e-12);
  s.norm = models::NormPlacement::post;
  s.position = models::PositionKind::learned;
  s.token_types = io::config_int(c, "type_vocab_size", 2);
  s.pooler = has_pooler(c);
  return s;
}

// The WordPiece tokenizer of the directory, checked against the embedding.
data::Tokenizer bert_tokenizer(const io::HfCheckpoint& c, int64_t vocab) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string path = (fs::path(c.dir) / "vocab.txt").string();
  if (!fs::is_regular_file(path, ec)) path = (fs::path(c.dir) / "tokenizer.json").string();
  if (!fs::is_regular_file(path, ec))
    throw Error(c.dir, "has no vocab.txt or tokenizer.json: a BERT needs its WordPiece vocabulary (the model "
                       "repository has one beside config.json)");
  data::Tokenizer tok = data::Tokenizer::from_file(path);
  if (tok.kind() != data::TokenizerKind::wordpiece) throw Error(path, "is not a WordPiece vocabulary");
  if (tok.vocab_size() < vocab)
    throw Error(path, "has " + std::to_string(tok.vocab_size()) + " pieces, fewer than the " + std::to_string(vocab) +
                          " rows of the word embeddings (config.json vocab_size): another model's vocabulary?");
  if (tok.vocab_size() > vocab)
    throw Error(path, "has " + std::to_string(tok.vocab_size()) + " pieces, more than the " + std::to_string(vocab) +
                          " rows of the word embeddings (config.json vocab_size): ids past them would have no vector");
  return tok;
}

ImportPlan bert_plan(const io::HfCheckpoint& c) {
  ImportPlan plan;
  plan.method = "mlm";
  plan.params.encoder = bert_shape(c);
  plan.params.vocab_size = io::config_int(c, "vocab_size");
  plan.params.max_len = io::config_int(c, "max_position_embeddings");
  if (plan.params.max_len < 2) throw Error(c.config_file(), "max_position_embeddings below 2 ([CLS] and [SEP])");
  plan.tokenizer = bert_tokenizer(c, plan.params.vocab_size).bytes();
  // BertForMaskedLM and BertForPreTraining put the encoder under "bert.";
  // BertModel's keys have no prefix.
  bool prefixed = false;
  for (const auto& t : c.tensors.tensors) prefixed = prefixed || t.name.rfind("bert.", 0) == 0;
  plan.prefix = prefixed ? "bert." : "";
  if (!has_head(c)) plan.config["mlm_head"] = "new";
  return plan;
}

// A layer's ".weight"/".bias", or the TF-era ".gamma"/".beta" of a LayerNorm.
void take_layer(io::TensorTaker& t, ParameterFiller& f, const std::string& ours, const std::string& theirs) {
  const bool old = !t.has(theirs + ".weight") && t.has(theirs + ".gamma");
  f.take(t, ours + ".weight", theirs + (old ? ".gamma" : ".weight"));
  f.take(t, ours + ".bias", theirs + (old && t.has(theirs + ".beta") ? ".beta" : ".bias"));
}

// A tensor that must equal what it is tied to, then set aside.
void check_tied(io::TensorTaker& t, const std::string& name, const std::vector<float>& tied_to,
                const std::vector<int64_t>& shape, const std::string& what, const std::string& file) {
  if (!t.has(name)) return;
  const std::vector<float> v = t.take(name, shape);
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != tied_to[i])
      throw Error(file, "'" + t.key(name) + "' differs from " + what +
                            ": an untied decoder, which sslkit's MLM head (tied to the word embeddings) cannot hold");
}

void fill_bert(const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
  const models::EncoderShape& s = *plan.params.encoder;
  const int64_t D = s.width, V = plan.params.vocab_size;
  const std::string e = "text_encoder.";
  f.take(t, e + "tokens.table", "embeddings.word_embeddings.weight");
  f.take(t, e + "positions.table", "embeddings.position_embeddings.weight");
  if (s.token_types > 0) f.take(t, e + "token_types.table", "embeddings.token_type_embeddings.weight");
  take_layer(t, f, e + "norm", "embeddings.LayerNorm");
  // Buffers of BertEmbeddings that older versions saved: 0..max-1 and zeros.
  t.ignore("embeddings.position_ids");
  t.ignore("embeddings.token_type_ids");
  for (int64_t i = 0; i < s.depth; ++i) {
    const std::string ours = e + "block" + std::to_string(i), theirs = "encoder.layer." + std::to_string(i);
    const char* names[] = {kBertBlock.ln1, kBertBlock.q, kBertBlock.k, kBertBlock.v,
                           kBertBlock.out, kBertBlock.ln2, kBertBlock.fc1, kBertBlock.fc2};
    for (size_t p = 0; p < 8; ++p) take_layer(t, f, ours + kOurBlockParts[p], theirs + names[p]);
  }
  if (s.pooler) f.layer(t, e + "pooler", "pooler.dense");
  if (has_head(c)) {
    take_layer(t, f, "head_dense", "cls.predictions.transform.dense");
    take_layer(t, f, "head_norm", "cls.predictions.transform.LayerNorm");
    f.take(t, "decoder_bias", "cls.predictions.bias");
    const std::vector<float> words = t.take("embeddings.word_embeddings.weight", {V, D});
    check_tied(t, "cls.predictions.decoder.weight", words, {V, D}, "the word embeddings", c.weights);
    check_tied(t, "cls.predictions.decoder.bias", t.take("cls.predictions.bias", {V}), {V}, "cls.predictions.bias",
               c.weights);
  } else {
    f.keep_initial("head_");
    f.keep_initial("decoder_bias");
  }
  if (t.has("cls.seq_relationship.weight")) {
    warn(c.weights + ": cls.seq_relationship (the next-sentence head of BertForPreTraining) is not imported: sslkit's "
                     "texts are single segments");
    t.ignore("cls.seq_relationship.weight");
    t.ignore("cls.seq_relationship.bias");
  }
}

}  // namespace

ModelFamily bert_family() {
  return {"bert", "BertModel, BertForMaskedLM, BertForPreTraining",
          [](const ordered_json& c) { return has_model_type(c, "bert"); }, bert_plan, fill_bert};
}

}  // namespace sslkit::train
