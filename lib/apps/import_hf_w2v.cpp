// Hugging Face wav2vec 2.0 (Wav2Vec2Model, Wav2Vec2ForPreTraining; keys
// with or without "wav2vec2.") into sslkit's w2v encoder and wav2vec
// method: the extractor's layers, widths and norm ("group": wav2vec2-base,
// "layer" with conv biases: large-lv60, XLS-R), the encoder's arrangement
// (do_stable_layer_norm: pre-LN; else post-LN with the norm before the
// blocks), epsilon, the even position kernel and the quantizer's sizes all
// from config.json; the blocks under kW2vBlock's names (apps/hf_names.hpp,
// which ssl-export writes).
// The position convolution is under weight norm in HF (weight = g * v / |v|,
// the norm over dims 0 and 1 for each tap): the model keeps it so
// (pos_weight_norm), and fine-tuning trains g and v as HF and fairseq do.
// Wav2Vec2Model brings no quantizer: the model gets a new one, as a new
// wav2vec run would, so ssl-pretrain --resume can continue either.

#include "apps/import_model.hpp"
#include "core/error.hpp"
#include "models/encoder_shape.hpp"

namespace sslkit::train {

using nlohmann::ordered_json;

namespace {

// A list of integers in config.json (conv_dim, conv_kernel, conv_stride).
std::vector<int64_t> int_list(const io::HfCheckpoint& c, const std::string& key) {
  if (!c.config.contains(key)) throw Error(c.config_file(), "has no \"" + key + "\"");
  const ordered_json& v = c.config[key];
  std::vector<int64_t> out;
  if (v.is_array())
    for (const auto& x : v) {
      if (!x.is_number_integer()) break;
      out.push_back(x.get<int64_t>());
    }
  if (!v.is_array() || out.size() != v.size() || out.empty())
    throw Error(c.config_file(), "\"" + key + "\" is not a list of integers: " + v.dump());
  return out;
}

// The parts of a wav2vec2 config sslkit has no equivalent for are refused,
// naming the key: better no model than one that computes something else.
void refuse_unsupported(const io::HfCheckpoint& c) {
  for (const ordered_json& a : c.config.value("architectures", ordered_json::array())) {
    const std::string name = a.is_string() ? a.get<std::string>() : a.dump();
    if (name != "Wav2Vec2Model" && name != "Wav2Vec2ForPreTraining")
      throw Error(c.config_file(), "architectures holds " + name +
                                       ": sslkit imports Wav2Vec2Model and Wav2Vec2ForPreTraining (a task head's "
                                       "weights would be dropped); ssl-finetune trains its own head");
  }
  if (io::config_flag(c, "add_adapter", false))
    throw Error(c.config_file(), "add_adapter true: sslkit's w2v encoder has no adapter layers after the transformer");
  if (c.config.contains("adapter_attn_dim") && !c.config["adapter_attn_dim"].is_null())
    throw Error(c.config_file(), "adapter_attn_dim " + c.config["adapter_attn_dim"].dump() +
                                     ": sslkit's w2v blocks have no attention adapters");
  for (const char* key : {"feat_extract_activation", "hidden_act"}) {
    const std::string act = io::config_text(c, key, "gelu");
    if (act != "gelu")
      throw Error(c.config_file(), std::string(key) + " \"" + act + "\": sslkit's w2v encoder uses GELU (erf), \"gelu\"");
  }
  const std::string norm = io::config_text(c, "feat_extract_norm", "group");
  if (norm != "group" && norm != "layer")
    throw Error(c.config_file(), "feat_extract_norm \"" + norm + "\" is neither \"group\" nor \"layer\"");
}

models::EncoderShape w2v_config(const io::HfCheckpoint& c) {
  refuse_unsupported(c);
  models::EncoderShape s;
  s.kind = models::EncoderKind::w2v;
  s.position = models::PositionKind::conv;
  const std::vector<int64_t> dims = int_list(c, "conv_dim"), kernels = int_list(c, "conv_kernel"),
                             strides = int_list(c, "conv_stride");
  if (dims.size() != kernels.size() || dims.size() != strides.size())
    throw Error(c.config_file(), "conv_dim, conv_kernel and conv_stride list " + std::to_string(dims.size()) + ", " +
                                     std::to_string(kernels.size()) + " and " + std::to_string(strides.size()) +
                                     " layers");
  const int64_t layers = io::config_int(c, "num_feat_extract_layers", static_cast<int64_t>(dims.size()));
  if (layers != static_cast<int64_t>(dims.size()))
    throw Error(c.config_file(), "num_feat_extract_layers " + std::to_string(layers) + " but conv_dim lists " +
                                     std::to_string(dims.size()));
  for (size_t i = 0; i < dims.size(); ++i) s.conv.push_back({dims[i], kernels[i], strides[i]});
  s.feature_norm = io::config_text(c, "feat_extract_norm", "group");
  s.conv_bias = io::config_flag(c, "conv_bias", false);
  s.width = io::config_int(c, "hidden_size");
  s.depth = io::config_int(c, "num_hidden_layers");
  s.heads = io::config_int(c, "num_attention_heads");
  s.mlp = io::config_int(c, "intermediate_size");
  s.eps = io::config_real(c, "layer_norm_eps", 1e-5);
  s.norm = io::config_flag(c, "do_stable_layer_norm", false) ? models::NormPlacement::pre : models::NormPlacement::post;
  s.pos_kernel = io::config_int(c, "num_conv_pos_embeddings", 128);
  s.pos_groups = io::config_int(c, "num_conv_pos_embedding_groups", 16);
  if (s.pos_groups < 1 || s.width % s.pos_groups != 0)
    throw Error(c.config_file(), "num_conv_pos_embedding_groups " + std::to_string(s.pos_groups) +
                                     " does not divide hidden_size " + std::to_string(s.width));
  return s;
}

// Wav2Vec2FeatureExtractor's settings: sslkit standardises every clip
// (do_normalize) of one channel; the rate goes to /config for the data check.
int64_t sample_rate(const io::HfCheckpoint& c) {
  const ordered_json& p = c.preprocessor;
  if (p.is_null()) return 16000;
  const std::string file = c.dir + "/preprocessor_config.json";
  if (!p.value("do_normalize", true))
    throw Error(file, "do_normalize false: sslkit's w2v encoder standardises every clip (zero mean, unit variance)");
  if (p.value("feature_size", 1) != 1) throw Error(file, "feature_size " + p["feature_size"].dump() + ": sslkit's audio has one channel");
  const ordered_json rate = p.value("sampling_rate", ordered_json(16000));
  if (!rate.is_number_integer() || rate.get<int64_t>() < 1)
    throw Error(file, "sampling_rate is not a positive integer: " + rate.dump());
  return rate.get<int64_t>();
}

// The quantizer's sizes, Wav2Vec2Config's defaults when absent.
struct Quantizer {
  int64_t groups, entries, dim, proj;
};

Quantizer quantizer_config(const io::HfCheckpoint& c) {
  Quantizer q{io::config_int(c, "num_codevector_groups", 2), io::config_int(c, "num_codevectors_per_group", 320),
              io::config_int(c, "codevector_dim", 256), io::config_int(c, "proj_codevector_dim", 256)};
  if (q.groups < 1 || q.entries < 2 || q.dim < 1 || q.proj < 1 || q.dim % q.groups != 0)
    throw Error(c.config_file(), "quantizer sizes num_codevector_groups " + std::to_string(q.groups) +
                                     ", num_codevectors_per_group " + std::to_string(q.entries) + ", codevector_dim " +
                                     std::to_string(q.dim) + ", proj_codevector_dim " + std::to_string(q.proj) +
                                     " make no quantizer (codevector_dim a multiple of the groups)");
  return q;
}

bool is_pretraining(const io::HfCheckpoint& c) {
  return has_architecture(c.config, "Wav2Vec2ForPreTraining") || c.tensors.find("quantizer.codevectors") != nullptr;
}

// The position convolution under either spelling of its weight norm
// (torch's parametrizations.weight.original0/1, the legacy weight_g/v),
// kept as g and v; or an already plain weight.
const char* const kPosConv = "encoder.pos_conv_embed.conv.";

bool has_weight_norm(const io::HfCheckpoint& c) {
  for (const io::SafeTensor& t : c.tensors.tensors)
    for (const char* part : {"weight_g", "weight_v", "parametrizations.weight.original0", "parametrizations.weight.original1"})
      if (t.name.ends_with(std::string(kPosConv) + part)) return true;
  return false;
}

ImportPlan w2v_plan(const io::HfCheckpoint& c) {
  ImportPlan plan;
  plan.method = "wav2vec";
  plan.params.encoder = w2v_config(c);
  plan.params.encoder->pos_weight_norm = has_weight_norm(c);
  plan.prefix = "wav2vec2.";  // Wav2Vec2ForPreTraining's base; Wav2Vec2Model's keys have none
  // Wav2Vec2Model brings no quantizer: a new one of the config's sizes.
  const Quantizer q = quantizer_config(c);
  plan.params.own["num_codevector_groups"] = q.groups;
  plan.params.own["num_codevectors_per_group"] = q.entries;
  plan.params.own["codevector_dim"] = q.dim;
  plan.params.own["proj_codevector_dim"] = q.proj;
  plan.config["sample_rate"] = sample_rate(c);
  return plan;
}

void fill_position_conv(const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
  const std::string conv = kPosConv;
  if (plan.params.encoder->pos_weight_norm) {
    const bool param = t.has(conv + "parametrizations.weight.original0") || t.has(conv + "parametrizations.weight.original1");
    f.take(t, "encoder.pos_conv.weight_g", conv + (param ? "parametrizations.weight.original0" : "weight_g"));
    f.take(t, "encoder.pos_conv.weight_v", conv + (param ? "parametrizations.weight.original1" : "weight_v"));
  } else {
    f.take(t, "encoder.pos_conv.weight", conv + "weight");
  }
  f.take(t, "encoder.pos_conv.bias", conv + "bias");
}

void fill_w2v(const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
  const models::EncoderShape& s = *plan.params.encoder;
  for (size_t i = 0; i < s.conv.size(); ++i) {
    const std::string ours = "encoder.conv" + std::to_string(i),
                      theirs = "feature_extractor.conv_layers." + std::to_string(i);
    f.take(t, ours + ".weight", theirs + ".conv.weight");
    if (s.conv_bias) f.take(t, ours + ".bias", theirs + ".conv.bias");
    // The group norm of the first layer is also "layer_norm" in HF's names.
    if (s.feature_norm == "layer" || i == 0) f.layer(t, ours + ".norm", theirs + ".layer_norm");
  }
  f.layer(t, "encoder.feature_norm", "feature_projection.layer_norm");
  f.layer(t, "encoder.project", "feature_projection.projection");
  // Present when the config masks time or features (mask_time_prob > 0);
  // else a new one, as a new run's.
  if (t.has("masked_spec_embed")) f.take(t, "encoder.mask_emb", "masked_spec_embed");
  else f.keep_initial("encoder.mask_emb");
  fill_position_conv(plan, t, f);
  for (int64_t i = 0; i < s.depth; ++i)
    f.block(t, "encoder.block" + std::to_string(i), "encoder.layers." + std::to_string(i), kW2vBlock);
  f.layer(t, "encoder.norm", "encoder.layer_norm");
  if (is_pretraining(c)) {
    const Quantizer q = quantizer_config(c);
    f.layer(t, "quantizer.weight_proj", "quantizer.weight_proj");
    f.take_as(t, "quantizer.codevectors", "quantizer.codevectors", {1, q.groups * q.entries, q.dim / q.groups});
    f.layer(t, "project_q", "project_q");
    f.layer(t, "final_proj", "project_hid");
  } else {
    f.keep_initial("quantizer.");
    f.keep_initial("project_q.");
    f.keep_initial("final_proj.");
  }
}

}  // namespace

ModelFamily wav2vec2_family() {
  return {"wav2vec2", "Wav2Vec2ForPreTraining, Wav2Vec2Model",
          [](const ordered_json& c) {
            return has_model_type(c, "wav2vec2") || has_architecture(c, "Wav2Vec2Model") ||
                   has_architecture(c, "Wav2Vec2ForPreTraining");
          },
          w2v_plan, fill_w2v};
}

}  // namespace sslkit::train
