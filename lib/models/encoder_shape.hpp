// An encoder's shape as data: the kind of network and every number that
// defines it. The --arch names are presets (rows of one table) that fill a
// shape; `--arch NAME:key=value,...` changes some of its numbers; a model
// file's /config keeps the whole shape under "encoder", so a model of any
// shape loads from its config alone (docs/format.md, docs/tools.md).
// What the data decides (input channels, vocabulary, positions) is not part
// of the shape: those stay in the method's parameters.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sslkit::models {

enum class EncoderKind { convnet, resnet, vit, text, w2v };
// Where a transformer's layer norms sit. pre: x + f(LN(x)) in each block and
// one norm after the last block (ours: stable at small batches). post:
// LN(x + f(x)) in each block and the one norm before the first block, on
// the embeddings (BERT's embedding LayerNorm, wav2vec2-base's encoder norm).
enum class NormPlacement { pre, post };
// How a transformer knows positions: a learned table (text), fixed 2-D
// sine-cosine (ViT, as MAE), or a grouped convolution (wav2vec 2.0); or not
// at all (none: a text encoder that is a bag of its tokens, skip-gram's).
enum class PositionKind { learned, sincos, conv, none };

// One layer of wav2vec 2.0's convolutional feature extractor.
struct ConvLayer {
  int64_t channels = 0, kernel = 0, stride = 0;
  bool operator==(const ConvLayer&) const = default;
};

struct EncoderShape {
  EncoderKind kind = EncoderKind::convnet;
  // convnet: the channels of each 3x3 conv+BN+ReLU layer, a 2x2 max-pool
  // after every second layer but the last; resnet: each stage's width.
  std::vector<int64_t> widths;
  std::vector<int64_t> blocks;  // resnet: basic blocks per stage
  // Transformers (vit, text, w2v).
  int64_t width = 0, depth = 0, heads = 0;
  int64_t mlp = 0;  // hidden width of each block's MLP (not a ratio)
  NormPlacement norm = NormPlacement::pre;
  double eps = 1e-5;  // every layer norm's epsilon
  PositionKind position = PositionKind::learned;
  int64_t patch = 0;  // vit: patch side in pixels
  // text: BERT's token-type (segment) table of this many rows, row 0 added
  // to every token (sslkit's texts are one segment); 0: none. And its
  // pooler (dense + tanh on the first token). Both absent from the presets,
  // present in imported BERTs; /config omits them when 0 and false.
  int64_t token_types = 0;
  bool pooler = false;
  // text: dropout probability in training, where BERT has it (embeddings,
  // attention probabilities, each block's two residual branches); 0 in the
  // presets and in files written before it existed, omitted from /config
  // when 0. SimCSE's two views are two dropout masks (its --dropout sets it).
  double dropout = 0;
  // w2v: the feature extractor, and the position convolution.
  std::vector<ConvLayer> conv;
  // "group": a group norm (one group per channel) after the first conv only
  // (wav2vec2-base); "layer": a layer norm over channels after every conv
  // (wav2vec2-large-lv60, XLS-R).
  std::string feature_norm = "group";
  bool conv_bias = false;  // every conv has a bias (the layer-norm checkpoints do)
  int64_t pos_kernel = 0, pos_groups = 0;
  // The position convolution under weight norm, W = g v / |v| (the norm over
  // all but the tap axis), trained as g and v as fairseq and Hugging Face
  // do; else W itself (the presets).
  bool pos_weight_norm = false;

  bool operator==(const EncoderShape&) const = default;
  bool is_transformer() const { return kind == EncoderKind::vit || kind == EncoderKind::text || kind == EncoderKind::w2v; }
};

// "convnet", "resnet", "vit", "text", "w2v".
std::string kind_name(EncoderKind k);
// What an encoder of that kind reads: "image", "text" or "audio".
std::string kind_modality(EncoderKind k);

// The shape as JSON (the keys its kind uses, in a fixed order).
nlohmann::ordered_json to_json(const EncoderShape& s);
// The shape a JSON object describes; an Error naming `file` and the key for
// a missing, unknown or bad one ("m.h5: /config encoder.heads: ...").
EncoderShape from_json(const nlohmann::ordered_json& j, const std::string& file);
// "" when the numbers make a network, else what is wrong, naming the key
// ("heads: 3 does not divide width 128").
std::string shape_problem(const EncoderShape& s);

// The presets: one row each.
struct ArchPreset {
  std::string name;         // the --arch name
  std::string modality;     // "image", "text" or "audio"
  std::string description;  // one line for --help and docs
  EncoderShape shape;
};
const std::vector<ArchPreset>& arch_presets();

// The shape an --arch names: a preset, or `PRESET:key=value,...` with some
// of its numbers changed (keys: docs/tools.md; lists separated by '/').
// UsageError naming the bad name, key or value.
EncoderShape parse_arch(const std::string& arch);
// "" when parse_arch(arch) succeeds, else its message without the leading
// "--arch " (for CLI11's check(), which names the option itself).
std::string arch_problem(const std::string& arch);
// The preset part of an --arch ("bert-mini" of "bert-mini:depth=2").
std::string arch_preset_name(const std::string& arch);

// Every preset name, in table order.
std::vector<std::string> arch_names();
// The --arch help for files of `modality` ("image", "text", "audio"; "" for
// all): one line per preset, "  NAME  description", and the syntax of keys.
std::string arch_help(const std::string& modality = "");
// What an --arch encodes: "image", "text" or "audio". UsageError for one
// that is not an --arch.
std::string arch_modality(const std::string& arch);
// The preset names for files of `modality`, for messages: "bert-tiny, bert-mini".
std::string arch_names_for(const std::string& modality);
// The preset names of a kind, for messages: "vit-mini, vit-tiny".
std::string preset_names_of(EncoderKind k);
// UsageError unless `arch` encodes `modality` ("image", "text", "audio")
// files: "--arch w2v-tiny is an audio encoder; text.h5 is a text file
// (bert-tiny, bert-mini)". `file` names the input.
void check_arch_modality(const std::string& arch, const std::string& modality, const std::string& file);

}  // namespace sslkit::models
