#include "apps/export.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "apps/export_onnx.hpp"
#include "apps/hf_names.hpp"
#include "core/error.hpp"
#include "data/tokenizer.hpp"
#include "io/model_file.hpp"
#include "io/output_dir.hpp"
#include "io/safetensors.hpp"
#include "methods/mae_decoder.hpp"
#include "methods/registry.hpp"
#include "models/encoder_shape.hpp"
#include "models/vit.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

using models::EncoderKind;
using nlohmann::ordered_json;

namespace {

// What an export reads: the model file's tensors and the facts of its config.
struct Source {
  std::string path;
  io::ModelReader reader;
  ordered_json config;
  std::string method, arch;
  models::EncoderShape shape;
  int64_t in_channels = 1, height = 0, width = 0;
  data::PixelNorm norm;

  explicit Source(const std::string& p) : path(p), reader(p) {
    TrainedModel t = load_trained_model(p);  // refuses what is not a model file, in its words
    config = ordered_json::parse(t.config);
    method = t.method_name;
    arch = t.arch;
    in_channels = t.in_channels;
    norm = t.norm;
    shape = config.contains("encoder") ? models::from_json(config["encoder"], p) : models::parse_arch(arch);
    if (config.contains("input_shape") && config["input_shape"].size() == 2) {
      height = config["input_shape"][0];
      width = config["input_shape"][1];
    }
  }
  // /params/<prefix + name> (or /buffers), named in the error when missing.
  io::StoredTensor get(const std::string& name, const std::string& group = "params") const {
    return reader.tensor(group, name);
  }
  // How many steps trained it (a BN's num_batches_tracked); 0 when unknown.
  int64_t steps() const {
    if (!reader.has("state", "step")) return 0;
    const std::vector<int64_t> v = reader.ints("step");
    return v.empty() ? 0 : v[0];
  }
};

// The tensors of one safetensors file being assembled.
struct Tensors {
  io::SafetensorsContent content;
  void add(const std::string& name, const io::StoredTensor& t) {
    content.tensors.push_back(io::st_f32(name, t.shape, t.values));
  }
  void add(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
    content.tensors.push_back(io::st_f32(name, std::move(shape), v));
  }
  // weight and bias of a linear or norm layer.
  void layer(const Source& s, const std::string& to, const std::string& from) {
    add(to + ".weight", s.get(from + ".weight"));
    add(to + ".bias", s.get(from + ".bias"));
  }
  std::vector<uint8_t> bytes() {
    content.metadata["format"] = "pt";  // transformers refuses a file without it
    return io::safetensors_bytes(content);
  }
};


void add_block(Tensors& t, const Source& s, const std::string& to, const std::string& from, const BlockNames& n) {
  t.layer(s, to + n.ln1, from + ".ln1");
  for (const auto& [name, part] : {std::pair{n.q, ".attn.q"}, {n.k, ".attn.k"}, {n.v, ".attn.v"}})
    if (*name) t.layer(s, to + name, from + part);
  t.layer(s, to + n.out, from + ".attn.out");
  t.layer(s, to + n.ln2, from + ".ln2");
  t.layer(s, to + n.fc1, from + ".fc1");
  t.layer(s, to + n.fc2, from + ".fc2");
}

const char* kind_phrase(EncoderKind k) {
  switch (k) {
    case EncoderKind::convnet: return "a convnet encoder";
    case EncoderKind::resnet: return "a ResNet encoder";
    case EncoderKind::vit: return "a ViT encoder";
    case EncoderKind::text: return "a text encoder";
    case EncoderKind::w2v: return "a wav2vec 2.0 encoder";
  }
  return "an encoder";
}

[[noreturn]] void unfit(const Source& s, const std::string& to, const std::string& fits) {
  throw UsageError("--to " + to + " " + fits + "; " + s.path + " has " + kind_phrase(s.shape.kind) + " (" + s.arch +
                   ")");
}

std::string json_text(const ordered_json& j) { return j.dump(2) + "\n"; }

// One value per channel (a model's single mean or std repeated), each the
// shortest decimal that reads back as the float (0.485, not 0.48500001...),
// so an imported preprocessor_config.json is written back as it was.
ordered_json mean_std_list(const Source& s, const std::vector<float>& v) {
  ordered_json out = ordered_json::array();
  for (int64_t c = 0; c < s.in_channels; ++c) {
    const float x = v.size() == 1 ? v[0] : v[static_cast<size_t>(c)];
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    out.push_back(std::strtod(std::string(buf, r.ptr).c_str(), nullptr));
  }
  return out;
}

// ---- --to safetensors: the model's own tensors under its own names.

void export_safetensors(const Source& s, io::OutputDir& out) {
  Tensors t;
  for (const char* group : {"params", "buffers"})
    for (const std::string& name : s.reader.names(group)) t.add(name, s.get(name, group));
  t.content.metadata["sslkit_config"] = s.config.dump();
  out.write("model.safetensors", t.bytes());
  out.write("config.json", json_text(s.config));
  const std::vector<uint8_t> tokenizer = s.reader.bytes("tokenizer");
  if (!tokenizer.empty()) write_tokenizer_files(out, tokenizer, s.path);
}

// ---- --to torchvision: resnet as torchvision's ResNet, convnet as a plain nn.Sequential.

// A BatchNorm's four tensors and torchvision's num_batches_tracked.
void batch_norm(Tensors& t, const Source& s, const std::string& to, const std::string& from, int64_t steps) {
  t.layer(s, to, from);
  t.add(to + ".running_mean", s.get(from + ".running_mean", "buffers"));
  t.add(to + ".running_var", s.get(from + ".running_var", "buffers"));
  t.content.tensors.push_back(io::st_i64_scalar(to + ".num_batches_tracked", steps));
}

void export_torchvision(const Source& s, io::OutputDir& out) {
  const int64_t steps = s.steps(), C = s.in_channels;
  Tensors t;
  std::string readme;
  if (s.shape.kind == EncoderKind::resnet) {
    if (s.shape.widths != std::vector<int64_t>{64, 128, 256, 512})
      unfit(s, "torchvision", "fits ResNets of widths 64/128/256/512 (torchvision's)");
    for (const std::string& name : s.reader.names("params")) {
      if (name.rfind("encoder.", 0) != 0) continue;
      const std::string n = name.substr(8);
      if (n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0 &&
          s.reader.has("buffers", name.substr(0, name.size() - 7) + ".running_mean"))
        batch_norm(t, s, n.substr(0, n.size() - 7), name.substr(0, name.size() - 7), steps);
      else if (n.size() <= 5 || n.compare(n.size() - 5, 5, ".bias") != 0)
        t.add(n, s.get(name));
    }
    std::string blocks;
    for (int64_t b : s.shape.blocks) blocks += (blocks.empty() ? "" : ", ") + std::to_string(b);
    const bool is18 = s.shape.blocks == std::vector<int64_t>{2, 2, 2, 2};
    readme = "torchvision ResNet (sslkit " + s.arch +
             ", CIFAR stem: 3x3 conv1, no max-pool, no fc)\n\n```python\n"
             "import torch, torchvision\nfrom torch import nn\nfrom safetensors.torch import load_file\n\n" +
             (is18 ? std::string("model = torchvision.models.resnet18()\n")
                   : "from torchvision.models.resnet import ResNet, BasicBlock\nmodel = ResNet(BasicBlock, [" + blocks +
                         "])\n") +
             "model.conv1 = nn.Conv2d(" + std::to_string(C) +
             ", 64, 3, stride=1, padding=1, bias=False)\n"
             "model.maxpool = nn.Identity()\nmodel.fc = nn.Identity()\n"
             "model.load_state_dict(load_file(\"model.safetensors\"), strict=True)\nmodel.eval()\n```\n";
  } else if (s.shape.kind == EncoderKind::convnet) {
    // features.N: each layer is Conv2d, BatchNorm2d, ReLU, with a MaxPool2d(2)
    // after every second layer but the last (models/encoders.cpp ConvNetS).
    std::string layers;
    int64_t index = 0, in = C;
    const size_t L = s.shape.widths.size();
    for (size_t i = 0; i < L; ++i) {
      const std::string conv = "encoder.conv" + std::to_string(i), bn = "encoder.bn" + std::to_string(i);
      t.add("features." + std::to_string(index) + ".weight", s.get(conv + ".weight"));
      batch_norm(t, s, "features." + std::to_string(index + 1), bn, steps);
      const int64_t w = s.shape.widths[i];
      layers += "            nn.Conv2d(" + std::to_string(in) + ", " + std::to_string(w) +
                ", 3, padding=1, bias=False), nn.BatchNorm2d(" + std::to_string(w) + "), nn.ReLU(),\n";
      in = w;
      index += 3;
      if (i % 2 == 1 && i + 1 < L) {
        layers += "            nn.MaxPool2d(2),\n";
        ++index;
      }
    }
    readme =
        "sslkit " + s.arch +
        " as a plain PyTorch module (no torchvision or timm model has its layout)\n\n```python\n"
        "import torch\nfrom torch import nn\nfrom safetensors.torch import load_file\n\n"
        "class ConvNet(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.features = nn.Sequential(\n" +
        layers +
        "            nn.AdaptiveAvgPool2d(1), nn.Flatten())\n\n    def forward(self, x):\n        return "
        "self.features(x)\n\n"
        "model = ConvNet()\nmodel.load_state_dict(load_file(\"model.safetensors\"), strict=True)\nmodel.eval()\n```\n";
  } else {
    unfit(s, "torchvision", "fits convnet and ResNet encoders (convnet-s, convnet-m, resnet18)");
  }
  readme += "\nInput: float [N, " + std::to_string(C) + ", H, W], pixels in [0, 1] then (x - " +
            mean_std_list(s, s.norm.mean).dump() + ") / " + mean_std_list(s, s.norm.stdev).dump() +
            " (the normalisation it was trained with). Output: [N, " + std::to_string(s.shape.widths.back()) +
            "] features, as ssl-embed's.\n";
  out.write("model.safetensors", t.bytes());
  out.write("README.md", readme);
}

// ---- ViT targets.

struct VitFacts {
  int64_t D, depth, heads, mlp, patch, gh, gw, C, H, W;
  double eps;
};

VitFacts vit_facts(const Source& s, const std::string& to) {
  if (s.shape.kind != EncoderKind::vit)
    unfit(s, to,
          to == "hf" ? "fits ViT, text and wav2vec 2.0 encoders (vit-*, bert-*, w2v-*)"
                     : "fits ViT encoders (vit-mini, vit-tiny)");
  if (s.shape.norm != models::NormPlacement::pre)
    throw UsageError("--to " + to + " writes a pre-LN ViT; " + s.path + " has a post-LN encoder (" + s.arch + ")");
  const int64_t p = s.shape.patch;
  if (s.height <= 0 || s.width <= 0 || s.height % p || s.width % p)
    throw Error(s.path, "/config input_shape does not hold a grid of " + std::to_string(p) + "-pixel patches");
  return {s.shape.width, s.shape.depth, s.shape.heads, s.shape.mlp, p,          s.height / p,
          s.width / p,   s.in_channels, s.height,      s.width,     s.shape.eps};
}

// ---- Text and audio targets (Hugging Face).

// The prefix of the encoder's tensors: text_encoder. (mlm, text-supervised) or encoder.
std::string encoder_prefix(const Source& s) {
  return s.reader.has("params", "text_encoder.tokens.table") ? "text_encoder." : "encoder.";
}

// A pre-LN text encoder is XLM-RoBERTa-XL's arrangement (no embedding norm,
// a norm before attention and before the MLP, one after the last layer); a
// post-LN one is BERT's (the embedding norm, a norm after each residual),
// with its token-type table and pooler when it has them (an imported BERT).
// An MLM model is ...ForMaskedLM, unless its head was never trained (a
// BertModel just imported, /config mlm_head "new" at step 0): then, like
// every other method's encoder, BertModel.
void export_hf_text(const Source& s, io::OutputDir& out) {
  const std::vector<uint8_t> tokenizer_bytes = s.reader.bytes("tokenizer");
  if (tokenizer_bytes.empty()) throw Error(s.path, "a text model without /tokenizer: nothing to tokenize with");
  const data::Tokenizer tok = data::Tokenizer::from_bytes(tokenizer_bytes, s.path + " /tokenizer");
  const std::string e = encoder_prefix(s);
  const bool bert = s.shape.norm == models::NormPlacement::post;
  const bool new_head = s.config.value("mlm_head", std::string()) == "new" && s.steps() == 0;
  const bool mlm = s.method == "mlm" && !new_head;
  const bool pooler = s.reader.has("params", e + "pooler.weight");
  if (!bert && (pooler || s.reader.has("params", e + "token_types.table")))
    throw UsageError("--to hf writes a pre-LN text encoder as XLM-RoBERTa-XL, which has no pooler or token types; " +
                     s.path + " has them");
  if (s.shape.position != models::PositionKind::learned)
    throw UsageError("--to hf writes text encoders with learned positions (BERT, RoBERTa); " + s.path +
                     " is a bag of tokens without them (position=none)");
  const std::string base = mlm ? (bert ? "bert." : "roberta.") : "";
  const io::StoredTensor words = s.get(e + "tokens.table"), positions = s.get(e + "positions.table");
  const int64_t V = words.shape[0], D = words.shape[1], max_len = positions.shape[0], pad = tok.pad_id();
  Tensors t;
  t.add(base + "embeddings.word_embeddings.weight", words);
  int64_t max_positions = max_len, type_rows = 1;
  if (bert) {
    t.add(base + "embeddings.position_embeddings.weight", positions);
    t.layer(s, base + "embeddings.LayerNorm", e + "norm");
  } else {
    // RoBERTa counts positions from pad_id + 1 (real token k is row pad+1+k):
    // the rows up to pad are never used by a real token and stay zero.
    max_positions = pad + 1 + max_len;
    std::vector<float> table(static_cast<size_t>((pad + 1) * D), 0.0f);
    table.insert(table.end(), positions.values.begin(), positions.values.end());
    t.add(base + "embeddings.position_embeddings.weight", {max_positions, D}, table);
    t.layer(s, base + "encoder.LayerNorm", e + "norm");
  }
  if (s.reader.has("params", e + "token_types.table")) {
    const io::StoredTensor types = s.get(e + "token_types.table");
    type_rows = types.shape[0];
    t.add(base + "embeddings.token_type_embeddings.weight", types);
  } else {
    t.add(base + "embeddings.token_type_embeddings.weight", {1, D}, std::vector<float>(static_cast<size_t>(D), 0.0f));
  }
  for (int64_t i = 0; i < s.shape.depth; ++i) {
    const std::string to = base + "encoder.layer." + std::to_string(i), from = e + "block" + std::to_string(i);
    add_block(t, s, to, from, bert ? kBertBlock : kXlmrXlBlock);
  }
  // BertForMaskedLM has no pooler; written under bert. it is what
  // BertModel.from_pretrained(DIR) loads (BertForMaskedLM notes it unused).
  if (pooler) t.layer(s, base + "pooler.dense", e + "pooler");
  // The MLM head: dense, GELU, norm, the decoder tied to the word embeddings (not written) plus a bias.
  if (mlm) {
    const std::string h = bert ? "cls.predictions." : "lm_head.";
    t.layer(s, h + (bert ? "transform.dense" : "dense"), "head_dense");
    t.layer(s, h + (bert ? "transform.LayerNorm" : "layer_norm"), "head_norm");
    t.add(h + "bias", s.get("decoder_bias"));
  }
  const std::string model_class =
      bert ? (mlm ? "BertForMaskedLM" : "BertModel") : (mlm ? "XLMRobertaXLForMaskedLM" : "XLMRobertaXLModel");
  const ordered_json config = {{"model_type", bert ? "bert" : "xlm-roberta-xl"},
                               {"architectures", {model_class}},
                               {"vocab_size", V},
                               {"hidden_size", D},
                               {"num_hidden_layers", s.shape.depth},
                               {"num_attention_heads", s.shape.heads},
                               {"intermediate_size", s.shape.mlp},
                               {"hidden_act", "gelu"},
                               {"hidden_dropout_prob", 0.0},
                               {"attention_probs_dropout_prob", 0.0},
                               {"max_position_embeddings", max_positions},
                               {"type_vocab_size", type_rows},
                               {"initializer_range", 0.02},
                               {"layer_norm_eps", s.shape.eps},
                               {"pad_token_id", pad},
                               {"bos_token_id", tok.cls_id()},
                               {"eos_token_id", tok.sep_id()},
                               {"position_embedding_type", "absolute"},
                               {"tie_word_embeddings", true}};
  const bool wordpiece = tok.kind() == data::TokenizerKind::wordpiece;
  // sslkit's SentencePiece model with ALBERT's five special pieces: AlbertTokenizer reads it.
  // A WordPiece vocabulary is BERT's own: vocab.txt and BertTokenizer's flags.
  ordered_json tokenizer_config = {{"tokenizer_class", wordpiece ? "BertTokenizer" : "AlbertTokenizer"}};
  if (wordpiece) {
    const data::WordPieceOptions& o = tok.wordpiece()->options();
    tokenizer_config["do_lower_case"] = o.lower_case;
    tokenizer_config["strip_accents"] = o.strip_accents ? ordered_json(*o.strip_accents) : ordered_json(nullptr);
    tokenizer_config["tokenize_chinese_chars"] = o.chinese_chars;
  } else {
    tokenizer_config["do_lower_case"] = false;
    tokenizer_config["keep_accents"] = true;
    tokenizer_config["remove_space"] = true;
  }
  const ordered_json special = {{"pad_token", tok.piece(pad)},
                                {"unk_token", tok.piece(tok.unk_id())},
                                {"cls_token", tok.piece(tok.cls_id())},
                                {"sep_token", tok.piece(tok.sep_id())},
                                {"mask_token", tok.piece(tok.mask_id())}};
  tokenizer_config["model_max_length"] = max_len;
  for (const auto& [k, v] : special.items()) tokenizer_config[k] = v;
  const std::string loader = model_class;
  const std::string tokenizer_class = wordpiece ? "BertTokenizer" : "AlbertTokenizer";
  const std::string readme =
      "Hugging Face " + model_class + " (sslkit " + s.arch + ", " + s.method + ", " + (bert ? "post" : "pre") +
      "-LN)\n\n```python\nfrom transformers import " + tokenizer_class + ", " + loader +
      "\n"
      // Not AutoTokenizer: transformers 5.25 then looks for a tokenizer.json
      // (measured; bench/interop/check_tokenizer.py).
      "tokenizer = " + tokenizer_class + ".from_pretrained(\"DIR\")" +
      (wordpiece ? "  # vocab.txt: the same ids as sslkit's WordPiece\n"
                 : "  # over sslkit's SentencePiece model (sentencepiece)\n") +
      "model = " + loader + ".from_pretrained(\"DIR\"" + (mlm || pooler ? "" : ", add_pooling_layer=False") +
      ")\n```\n\n"
      "ssl-embed's feature is the mean of the last hidden state over the real tokens (attention_mask)" +
      (pooler ? std::string("; pooler_output is BERT's pooler (dense + tanh on [CLS])") : std::string()) +
      (pooler && mlm ? ", kept under bert.pooler: BertModel.from_pretrained(\"DIR\") loads it, BertForMaskedLM "
                       "has none and leaves it unused"
                     : "") +
      ". Sequences of at most " + std::to_string(max_len) + " tokens with [CLS] and [SEP]." +
      (wordpiece ? std::string("\n")
                 : std::string(" AlbertTokenizer turns `` and '' "
                               "into \" and splits a piece ending in a digit before a comma: ids can differ from "
                               "sslkit's there (6 of 2791 fortunes, measured).\n"));
  out.write("model.safetensors", t.bytes());
  out.write("config.json", json_text(config));
  if (wordpiece)
    out.write("vocab.txt", tok.wordpiece()->vocab_text());
  else
    out.write("spiece.model", tokenizer_bytes);
  out.write("tokenizer_config.json", json_text(tokenizer_config));
  out.write("special_tokens_map.json", json_text(special));
  out.write("README.md", readme);
}

// wav2vec 2.0: Wav2Vec2Model, or Wav2Vec2ForPreTraining with the quantizer
// for a wav2vec model. A pre-LN encoder is HF's do_stable_layer_norm.
void export_hf_w2v(const Source& s, io::OutputDir& out) {
  const std::string e = encoder_prefix(s);
  const bool pretraining = s.method == "wav2vec";
  const std::string base = pretraining ? "wav2vec2." : "";
  const models::EncoderShape& sh = s.shape;
  const int64_t D = sh.width;
  Tensors t;
  for (size_t i = 0; i < sh.conv.size(); ++i) {
    const std::string to = base + "feature_extractor.conv_layers." + std::to_string(i), from = e + "conv" + std::to_string(i);
    t.add(to + ".conv.weight", s.get(from + ".weight"));
    if (sh.conv_bias) t.add(to + ".conv.bias", s.get(from + ".bias"));
    // The first layer's GroupNorm is also "layer_norm" in HF's names.
    if (sh.feature_norm == "layer" || i == 0) t.layer(s, to + ".layer_norm", from + ".norm");
  }
  t.layer(s, base + "feature_projection.layer_norm", e + "feature_norm");
  t.layer(s, base + "feature_projection.projection", e + "project");
  t.add(base + "masked_spec_embed", s.get(e + "mask_emb"));
  // HF keeps the position convolution under weight norm over dims (0, 1):
  // weight = g * v / |v|. A model that keeps it so (pos_weight_norm: an
  // imported one) writes its g and v; else v = W and g = |W| per tap is W
  // again (to rounding).
  if (sh.pos_weight_norm) {
    t.add(base + "encoder.pos_conv_embed.conv.weight_g", s.get(e + "pos_conv.weight_g"));
    t.add(base + "encoder.pos_conv_embed.conv.weight_v", s.get(e + "pos_conv.weight_v"));
  } else {
    const io::StoredTensor w = s.get(e + "pos_conv.weight");
    const int64_t k = w.shape[2], rows = w.shape[0] * w.shape[1];
    std::vector<float> g(static_cast<size_t>(k));
    for (int64_t j = 0; j < k; ++j) {
      double sum = 0;
      for (int64_t r = 0; r < rows; ++r) sum += static_cast<double>(w.values[r * k + j]) * w.values[r * k + j];
      g[j] = static_cast<float>(std::sqrt(sum));
    }
    t.add(base + "encoder.pos_conv_embed.conv.weight_g", {1, 1, k}, g);
    t.add(base + "encoder.pos_conv_embed.conv.weight_v", w);
  }
  t.add(base + "encoder.pos_conv_embed.conv.bias", s.get(e + "pos_conv.bias"));
  for (int64_t i = 0; i < sh.depth; ++i) {
    const std::string to = base + "encoder.layers." + std::to_string(i), from = e + "block" + std::to_string(i);
    add_block(t, s, to, from, kW2vBlock);
  }
  t.layer(s, base + "encoder.layer_norm", e + "norm");
  ordered_json conv_dim = ordered_json::array(), conv_kernel = ordered_json::array(),
               conv_stride = ordered_json::array();
  for (const models::ConvLayer& c : sh.conv) {
    conv_dim.push_back(c.channels);
    conv_kernel.push_back(c.kernel);
    conv_stride.push_back(c.stride);
  }
  ordered_json config = {{"model_type", "wav2vec2"},
                         {"architectures", {pretraining ? "Wav2Vec2ForPreTraining" : "Wav2Vec2Model"}},
                         {"conv_dim", conv_dim},
                         {"conv_kernel", conv_kernel},
                         {"conv_stride", conv_stride},
                         {"conv_bias", sh.conv_bias},
                         {"feat_extract_norm", sh.feature_norm},
                         {"feat_extract_activation", "gelu"},
                         {"hidden_size", D},
                         {"num_hidden_layers", sh.depth},
                         {"num_attention_heads", sh.heads},
                         {"intermediate_size", sh.mlp},
                         {"hidden_act", "gelu"},
                         {"num_conv_pos_embeddings", sh.pos_kernel},
                         {"num_conv_pos_embedding_groups", sh.pos_groups},
                         {"do_stable_layer_norm", sh.norm == models::NormPlacement::pre},
                         {"layer_norm_eps", sh.eps},
                         {"hidden_dropout", 0.0},
                         {"attention_dropout", 0.0},
                         {"activation_dropout", 0.0},
                         {"feat_proj_dropout", 0.0},
                         {"final_dropout", 0.0},
                         {"layerdrop", 0.0},
                         {"mask_time_prob", 0.05}};
  if (pretraining) {
    // The quantizer's sizes: G groups in /config (2 in a file from before
    // they were kept there), the rest from its tensors.
    const int64_t G = s.config.value("num_codevector_groups", int64_t{2});
    const io::StoredTensor codes = s.get("quantizer.codevectors");
    const int64_t GV = codes.shape[0], per = codes.shape[1];
    t.layer(s, "quantizer.weight_proj", "quantizer.weight_proj");
    t.add("quantizer.codevectors", {1, GV, per}, codes.values);
    t.layer(s, "project_q", "project_q");
    t.layer(s, "project_hid", "final_proj");
    config["num_codevector_groups"] = G;
    config["num_codevectors_per_group"] = GV / G;
    config["codevector_dim"] = G * per;
    config["proj_codevector_dim"] = s.get("project_q.weight").shape[0];
  }
  const ordered_json preprocessor = {{"feature_extractor_type", "Wav2Vec2FeatureExtractor"},
                                     {"feature_size", 1},
                                     {"sampling_rate", s.config.value("sample_rate", 16000)},
                                     {"padding_value", 0.0},
                                     {"padding_side", "right"},
                                     {"do_normalize", true},
                                     {"return_attention_mask", false}};
  const std::string cls = pretraining ? "Wav2Vec2ForPreTraining" : "Wav2Vec2Model";
  const std::string readme =
      "Hugging Face " + cls + " (sslkit " + s.arch + ", " + s.method +
      ")\n\n```python\n"
      "from transformers import Wav2Vec2FeatureExtractor, " +
      cls +
      "\n"
      "extractor = Wav2Vec2FeatureExtractor.from_pretrained(\"DIR\")  # standardises each clip, as sslkit does\n"
      "model = " +
      cls +
      ".from_pretrained(\"DIR\")\n```\n\n"
      "ssl-embed's clip feature is the mean of last_hidden_state over the clip's real frames. It is computed on clips "
      "standardised over their real samples and zero-padded to the file's clip length, with padded frames masked: to "
      "get "
      "the same numbers pass the padded batch with attention_mask (sample-level, 1 for real samples). The first "
      "layer's "
      "group norm counts the padded frames, so a clip alone, unpadded, gives slightly different features.\n";
  out.write("model.safetensors", t.bytes());
  out.write("config.json", json_text(config));
  out.write("preprocessor_config.json", json_text(preprocessor));
  out.write("README.md", readme);
}

// [1, 1+L, dim]: a zero row for the class token, then the encoder's own
// sine-cosine table (models/vit.cpp), which the targets hold as parameters.
std::vector<float> position_table(int64_t dim, int64_t gh, int64_t gw) {
  const nn::Tensor pos = models::sincos_2d(dim, gh, gw);
  std::vector<float> v(static_cast<size_t>(dim), 0.0f);
  v.insert(v.end(), pos.f32(), pos.f32() + gh * gw * dim);
  return v;
}

// One transformer block under HF's ViTLayer names.
void hf_layer(Tensors& t, const Source& s, const std::string& to, const std::string& from) {
  add_block(t, s, to, from, kHfVitBlock);
}


void export_timm(const Source& s, io::OutputDir& out) {
  const VitFacts f = vit_facts(s, "timm");
  Tensors t;
  const io::StoredTensor cls = s.get("encoder.cls_token");
  t.add("cls_token", {1, 1, f.D}, cls.values);
  t.add("pos_embed", {1, 1 + f.gh * f.gw, f.D}, position_table(f.D, f.gh, f.gw));
  t.layer(s, "patch_embed.proj", "encoder.patch_embed");
  for (int64_t i = 0; i < f.depth; ++i) {
    const std::string to = "blocks." + std::to_string(i), from = "encoder.block" + std::to_string(i);
    add_block(t, s, to, from, kTimmBlock);
    // timm's one qkv projection: the rows of q, then k, then v.
    std::vector<float> w, b;
    for (const char* part : {".attn.q", ".attn.k", ".attn.v"}) {
      const io::StoredTensor pw = s.get(from + part + ".weight"), pb = s.get(from + part + ".bias");
      w.insert(w.end(), pw.values.begin(), pw.values.end());
      b.insert(b.end(), pb.values.begin(), pb.values.end());
    }
    t.add(to + ".attn.qkv.weight", {3 * f.D, f.D}, w);
    t.add(to + ".attn.qkv.bias", {3 * f.D}, b);
  }
  t.layer(s, "norm", "encoder.norm");
  const std::string pool = s.config.value("pool", std::string("cls")) == "mean" ? "avg" : "token";
  if (f.mlp % f.D != 0)
    throw UsageError("--to timm needs an MLP width that is a multiple of the width; " + s.path + " has " +
                     std::to_string(f.mlp) + " for " + std::to_string(f.D));
  ordered_json args = {{"img_size", {f.H, f.W}},   {"patch_size", f.patch}, {"in_chans", f.C},
                       {"embed_dim", f.D},         {"depth", f.depth},      {"num_heads", f.heads},
                       {"mlp_ratio", f.mlp / f.D}, {"qkv_bias", true},      {"class_token", true},
                       {"global_pool", pool},      {"fc_norm", false}};
  ordered_json config = {{"architecture", "vit_base_patch16_224"},
                         {"num_classes", 0},
                         {"num_features", f.D},
                         {"global_pool", pool},
                         {"model_args", args},
                         {"pretrained_cfg",
                          {{"tag", "sslkit"},
                           {"input_size", {f.C, f.H, f.W}},
                           {"mean", mean_std_list(s, s.norm.mean)},
                           {"std", mean_std_list(s, s.norm.stdev)},
                           {"interpolation", "bicubic"},
                           {"crop_pct", 1.0},
                           {"num_classes", 0}}},
                         {"sslkit", {{"arch", s.arch}, {"method", s.method}, {"layer_norm_eps", f.eps}}}};
  char eps[32];
  std::snprintf(eps, sizeof eps, "%g", f.eps);
  const std::string readme =
      "timm VisionTransformer (sslkit " + s.arch +
      ")\n\n```python\nimport json, timm, torch\nfrom functools import partial\n"
      "from torch import nn\nfrom safetensors.torch import load_file\n\n"
      "args = json.load(open(\"config.json\"))[\"model_args\"]\n"
      "# sslkit's layer norms use eps " +
      eps +
      " (timm's default is 1e-6)\n"
      "model = timm.create_model(\"vit_base_patch16_224\", pretrained=False, num_classes=0,\n"
      "                          norm_layer=partial(nn.LayerNorm, eps=" +
      eps +
      "), **args)\nmodel.load_state_dict(load_file(\"model.safetensors\"), strict=True)\nmodel.eval()\n```\n\n"
      "Input: float [N, " +
      std::to_string(f.C) + ", " + std::to_string(f.H) + ", " + std::to_string(f.W) +
      "], pixels in [0, 1] then (x - mean) / std from pretrained_cfg. `model(x)` gives the " +
      (pool == "avg" ? "mean of the normed patch tokens" : "class token") +
      ", as ssl-embed's. pos_embed is the fixed sine-cosine table of this image size.\n";
  out.write("model.safetensors", t.bytes());
  out.write("config.json", json_text(config));
  out.write("README.md", readme);
}

void export_hf(const Source& s, io::OutputDir& out) {
  if (s.shape.kind == EncoderKind::text) return export_hf_text(s, out);
  if (s.shape.kind == EncoderKind::w2v) return export_hf_w2v(s, out);
  const VitFacts f = vit_facts(s, "hf");
  // A model imported from a ViTModel (an MAE model whose decoder came new
  // with the import) goes back as a ViTModel.
  const bool from_vit = s.config.contains("imported") && s.config["imported"].value("family", "") == "vit";
  const bool mae = s.method == "mae" && !from_vit;
  if (mae && f.gh != f.gw)
    throw UsageError("--to hf writes MAE models for square images only (ViTMAE's position table is square); " + s.path +
                     " was trained on " + std::to_string(f.H) + "x" + std::to_string(f.W));
  const std::string base = mae ? "vit." : "";
  Tensors t;
  const io::StoredTensor cls = s.get("encoder.cls_token");
  t.add(base + "embeddings.cls_token", {1, 1, f.D}, cls.values);
  t.add(base + "embeddings.position_embeddings", {1, 1 + f.gh * f.gw, f.D}, position_table(f.D, f.gh, f.gw));
  t.layer(s, base + "embeddings.patch_embeddings.projection", "encoder.patch_embed");
  for (int64_t i = 0; i < f.depth; ++i)
    hf_layer(t, s, base + "encoder.layer." + std::to_string(i), "encoder.block" + std::to_string(i));
  t.layer(s, base + "layernorm", "encoder.norm");
  const ordered_json image_size = f.H == f.W ? ordered_json(f.H) : ordered_json({f.H, f.W});
  ordered_json config = {{"model_type", mae ? "vit_mae" : "vit"},
                         {"architectures", {mae ? "ViTMAEForPreTraining" : "ViTModel"}},
                         {"hidden_size", f.D},
                         {"num_hidden_layers", f.depth},
                         {"num_attention_heads", f.heads},
                         {"intermediate_size", f.mlp},
                         {"hidden_act", "gelu"},
                         {"hidden_dropout_prob", 0.0},
                         {"attention_probs_dropout_prob", 0.0},
                         {"initializer_range", 0.02},
                         {"layer_norm_eps", f.eps},
                         {"image_size", image_size},
                         {"patch_size", f.patch},
                         {"num_channels", f.C},
                         {"qkv_bias", true}};
  if (mae) {
    // The decoder's shape as /config records it (a file from before has
    // MAE's defaults there).
    const methods::MaeDecoder d = methods::mae_decoder(methods::read_params(s.config, s.path).own);
    const int64_t E = d.width, depth = d.depth, mlp = d.mlp;
    t.layer(s, "decoder.decoder_embed", "decoder_embed");
    t.add("decoder.mask_token", {1, 1, E}, s.get("mask_token").values);
    t.add("decoder.decoder_pos_embed", {1, 1 + f.gh * f.gw, E}, position_table(E, f.gh, f.gw));
    for (int64_t i = 0; i < depth; ++i)
      hf_layer(t, s, "decoder.decoder_layers." + std::to_string(i), "decoder_block" + std::to_string(i));
    t.layer(s, "decoder.decoder_norm", "decoder_norm");
    t.layer(s, "decoder.decoder_pred", "decoder_pred");
    config["decoder_hidden_size"] = E;
    config["decoder_num_hidden_layers"] = depth;
    config["decoder_num_attention_heads"] = d.heads;
    config["decoder_intermediate_size"] = mlp;
    config["mask_ratio"] = methods::method_info("mae").mask_ratio;
    config["norm_pix_loss"] = s.config.value("norm_pix", true);
  }
  const ordered_json preprocessor = {{"image_processor_type", "ViTImageProcessor"},
                                     {"do_resize", true},
                                     {"size", {{"height", f.H}, {"width", f.W}}},
                                     {"resample", 2},
                                     {"do_rescale", true},
                                     {"rescale_factor", 1.0 / 255.0},
                                     {"do_normalize", true},
                                     {"image_mean", mean_std_list(s, s.norm.mean)},
                                     {"image_std", mean_std_list(s, s.norm.stdev)}};
  const std::string load =
      mae ? "from transformers import ViTMAEForPreTraining\n"
            "model = ViTMAEForPreTraining.from_pretrained(\"DIR\")\n"
            "# the encoder alone: ViTMAEModel.from_pretrained(\"DIR\"), or ViTForImageClassification to fine-tune\n"
          : "from transformers import ViTModel\n"
            "model = ViTModel.from_pretrained(\"DIR\", add_pooling_layer=False)  # sslkit has no pooler\n";
  const std::string pool = s.config.value("pool", std::string("cls"));
  const std::string readme = "Hugging Face " + std::string(mae ? "ViTMAEForPreTraining" : "ViTModel") + " (sslkit " +
                             s.arch + ", " + s.method +
                             ")\n\n```python\nimport torch\nfrom transformers import ViTImageProcessor\n" + load +
                             "processor = ViTImageProcessor.from_pretrained(\"DIR\")\n```\n\n"
                             "ssl-embed's features are " +
                             (pool == "mean" ? std::string("the mean of last_hidden_state[:, 1:]")
                                             : std::string("last_hidden_state[:, 0] (the class token)")) +
                             (mae ? ", from ViTMAEModel with mask_ratio=0 and noise=torch.arange(L).expand(N, L) "
                                    "(ViTMAE shuffles patches otherwise)"
                                  : "") +
                             ". position_embeddings is the fixed sine-cosine table of " + std::to_string(f.H) + "x" +
                             std::to_string(f.W) + " images.\n";
  out.write("model.safetensors", t.bytes());
  out.write("config.json", json_text(config));
  out.write("preprocessor_config.json", json_text(preprocessor));
  out.write("README.md", readme);
}

using ExportRow = OptionRule<ExportOptions>;

const std::vector<ExportRow>& export_rows() {
  using Type = OptionSpec::Type;
  static const std::vector<ExportRow> rows = {
      {{.flag = "--to",
        .type = Type::text,
        .help = "torchvision (resnet18, convnet-s/m), timm (vit-*), hf (vit-*: ViTModel, ViTMAEForPreTraining for mae; "
                "bert-*: XLMRobertaXLModel/ForMaskedLM, BertModel/ForMaskedLM when post-LN; w2v-*: Wav2Vec2Model, "
                "Wav2Vec2ForPreTraining for wav2vec), safetensors (every tensor under sslkit's names, any model) or onnx "
                "(convnet-*, resnet18, vit-*, bert-*: a graph giving ssl-embed's features)",
        .choices = {"torchvision", "timm", "hf", "safetensors", "onnx"},
        .required = true}},
      {{.flag = "--force", .type = Type::flag, .help = "Replace the output directory when it exists and is not empty"}},
  };
  return rows;
}

}  // namespace

std::string write_tokenizer_files(io::OutputDir& out, const std::vector<uint8_t>& bytes, const std::string& subject) {
  const data::Tokenizer tok = data::Tokenizer::from_bytes(bytes, subject);
  if (tok.kind() != data::TokenizerKind::wordpiece) {
    out.write("tokenizer.model", bytes);
    return "tokenizer.model (SentencePiece)";
  }
  const data::WordPieceOptions& o = tok.wordpiece()->options();
  const ordered_json config = {
      {"tokenizer_class", "BertTokenizer"},
      {"do_lower_case", o.lower_case},
      {"strip_accents", o.strip_accents ? ordered_json(*o.strip_accents) : ordered_json(nullptr)},
      {"tokenize_chinese_chars", o.chinese_chars},
      {"pad_token", tok.piece(tok.pad_id())},
      {"unk_token", tok.piece(tok.unk_id())},
      {"cls_token", tok.piece(tok.cls_id())},
      {"sep_token", tok.piece(tok.sep_id())},
      {"mask_token", tok.piece(tok.mask_id())}};
  out.write("vocab.txt", tok.wordpiece()->vocab_text());
  out.write("tokenizer_config.json", json_text(config));
  return "vocab.txt (WordPiece, BertTokenizer)";
}

const std::vector<std::pair<std::string, std::string>>& export_targets() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"torchvision", "resnet18 as torchvision's ResNet, convnet-s/m as an nn.Sequential (features.N)"},
      {"timm", "vit-* as timm's VisionTransformer"},
      {"hf",
       "vit-* as Hugging Face ViTModel (mae: ViTMAEForPreTraining), bert-* as XLMRobertaXL or Bert (post-LN), "
       "w2v-* as Wav2Vec2Model (wav2vec: Wav2Vec2ForPreTraining)"},
      {"safetensors", "every tensor of the model file under sslkit's names, with config.json"},
      {"onnx", "the encoder as an ONNX graph (opset 17) giving ssl-embed's features (convnet, resnet, vit, text)"},
  };
  return t;
}

std::vector<OptionSpec> export_option_specs() { return specs_with_defaults(export_rows()); }

ExportOptions resolve_export(const nlohmann::ordered_json& given) {
  ExportOptions o;
  o.to = given.value("--to", o.to);
  o.force = given.value("--force", o.force);
  if (const std::string why = inapplicable(export_rows(), given, o); !why.empty()) throw UsageError(why);
  return o;
}

void run_export(const ExportOptions& o) {
  io::OutputDir out(o.output, o.force, {o.model});
  if (o.to == "onnx") {  // reads the model its own way (apps/export_onnx.cpp)
    export_onnx(o.model, out);
    out.commit();
    return;
  }
  const Source s(o.model);
  if (o.to == "safetensors")
    export_safetensors(s, out);
  else if (o.to == "torchvision")
    export_torchvision(s, out);
  else if (o.to == "timm")
    export_timm(s, out);
  else if (o.to == "hf")
    export_hf(s, out);
  else
    throw UsageError("--to must be torchvision, timm, hf, safetensors or onnx");
  out.commit();
}

}  // namespace sslkit::train
