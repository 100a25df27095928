// The method registry and what every method shares.
#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "methods/factories.hpp"
#include "methods/registry.hpp"

namespace sslkit::methods {

namespace {
std::unique_ptr<Method> byol(const MethodParams& p, Rng& r) { return make_byol(p, r, false); }
std::unique_ptr<Method> simsiam(const MethodParams& p, Rng& r) { return make_byol(p, r, true); }
std::unique_ptr<Method> barlow(const MethodParams& p, Rng& r) { return make_redundancy(p, r, false); }
std::unique_ptr<Method> vicreg(const MethodParams& p, Rng& r) { return make_redundancy(p, r, true); }
std::unique_ptr<Method> rotation(const MethodParams& p, Rng& r) { return make_classifier(p, r, true); }
std::unique_ptr<Method> supervised(const MethodParams& p, Rng& r) { return make_classifier(p, r, false); }
}  // namespace

const std::vector<MethodInfo>& method_registry() {
  static const std::vector<MethodInfo> table = {
      // name        modality  summary                                                    views rot   pretrain recipe
      {"simclr", "image audio", "SimCLR: NT-Xent between two views of each image (or clip)", 2, false, true, "simclr", make_simclr},
      {"moco", "image", "MoCo v2: InfoNCE against a queue from an EMA key encoder", 2, false, true, "mocov2", make_moco},
      {"byol", "image", "BYOL: predict an EMA target's projection of the other view", 2, false, true, "byol", byol},
      {"simsiam", "image", "SimSiam: BYOL without the EMA target (stop-gradient)", 2, false, true, "simclr", simsiam},
      {"barlow", "image", "Barlow Twins: cross-correlation of two views towards identity", 2, false, true, "simclr", barlow},
      {"vicreg", "image", "VICReg: invariance, variance and covariance terms", 2, false, true, "simclr", vicreg},
      {"emp", "image", "EMP-SSL: many crops of each image (--views, 16), total coding rate plus each crop's cosine to its image's crop mean",
       16, false, true, "crop(0.25,0.25,1,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)", make_emp,
       // convnet-m: at 150 s it probed 0.889 linear against convnet-s's 0.884
       // after 300 s (docs/methods.md). EMP-SSL's 100 images a step, and its
       // projector 8 and 2 times its encoder's 512 features wide (4096, 1024)
       // at the same ratios for convnet-s's 128 (the screened setting).
       0, "convnet-m", 100, 8 * 128, 2 * 128, true},
      {"rotation", "image", "RotNet: predict which of four rotations an image got", 1, true, true, "rotation", rotation},
      {"mae", "image", "MAE: a ViT encodes a quarter of the patches, a light decoder predicts the pixels of the rest (vit-mini, vit-tiny)",
       1, false, true, "crop(0.2,1) flip(0.5)", make_mae, 0.75, "vit-mini"},
      {"mlm", "text", "BERT masked language modelling on text files: predict the masked tokens (bert-tiny, bert-mini)",
       0, false, true, "", make_mlm},
      {"wav2vec", "audio", "wav2vec 2.0 on raw audio: pick each masked frame's quantized latent among distractors (w2v-mini, w2v-tiny)",
       0, false, true, "", make_wav2vec},
      {"supervised", "image audio", "an encoder and a linear classifier on labels (what full fine-tuning trains)", 1, false,
       false, "crop(0.8,1) flip(0.5)", supervised},
      {"text-supervised", "text", "a text encoder and a linear classifier on labels (full fine-tuning of text)", 0,
       false, false, "", make_text_classifier},
  };
  return table;
}

std::vector<std::string> pretrain_method_names() {
  std::vector<std::string> out;
  for (const auto& m : method_registry())
    if (m.pretrain) out.push_back(m.name);
  return out;
}

std::string pretrain_method_list() {
  std::string s;
  for (const auto& n : pretrain_method_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

bool trains_on(const MethodInfo& m, const std::string& modality) {
  const std::string list = std::string(" ") + m.modality + " ";
  return list.find(" " + modality + " ") != std::string::npos;
}

std::string modality_list(const MethodInfo& m) {
  std::string s = m.modality;
  for (size_t at = s.find(' '); at != std::string::npos; at = s.find(' ', at + 4)) s.replace(at, 1, " or ");
  return s;
}

const MethodInfo& method_info(const std::string& name) {
  for (const auto& m : method_registry())
    if (name == m.name) return m;
  throw UsageError("--method must be one of " + pretrain_method_list() + ", not '" + name + "'");
}

std::unique_ptr<Method> make_method(const std::string& name, const MethodParams& p, Rng& rng) {
  return method_info(name).make(p, rng);
}

models::EncoderShape encoder_shape(const MethodParams& p) {
  models::EncoderShape s = p.encoder ? *p.encoder : models::parse_arch(p.arch);
  if (s.kind == models::EncoderKind::vit) s.patch = p.patch;
  return s;
}

void write_params(const MethodParams& p, nlohmann::ordered_json& c) {
  c["arch"] = p.arch;
  c["encoder"] = models::to_json(encoder_shape(p));
  c["in_channels"] = p.in_channels;
  c["temperature"] = p.temperature;
  c["queue"] = p.queue;
  c["momentum"] = p.momentum;
  c["proj_dim"] = p.proj_dim;
  c["hidden_dim"] = p.hidden_dim;
  if (p.num_classes > 0) c["num_classes"] = p.num_classes;
  if (p.vocab_size > 0) c["vocab_size"] = p.vocab_size;
  if (p.max_len > 0) c["max_len"] = p.max_len;
  c["norm_pix"] = p.norm_pix;
  c["patch"] = p.patch;
  c["pool"] = p.pool;
}

MethodParams read_params(const nlohmann::ordered_json& c, const std::string& file) {
  MethodParams p;
  p.arch = c.value("arch", p.arch);
  p.in_channels = c.value("in_channels", p.in_channels);
  p.temperature = c.value("temperature", p.temperature);
  p.queue = c.value("queue", p.queue);
  p.momentum = c.value("momentum", p.momentum);
  p.proj_dim = c.value("proj_dim", p.proj_dim);
  p.hidden_dim = c.value("hidden_dim", p.hidden_dim);
  p.num_classes = c.value("num_classes", p.num_classes);
  p.vocab_size = c.value("vocab_size", p.vocab_size);
  p.max_len = c.value("max_len", p.max_len);
  p.norm_pix = c.value("norm_pix", p.norm_pix);
  p.patch = c.value("patch", p.patch);
  p.pool = c.value("pool", p.pool);
  if (c.contains("encoder")) {
    p.encoder = models::from_json(c["encoder"], file);
    if (p.encoder->kind == models::EncoderKind::vit) {
      if (c.contains("patch") && p.patch != p.encoder->patch)
        throw Error(file, "/config patch " + std::to_string(p.patch) + " differs from encoder.patch " +
                              std::to_string(p.encoder->patch));
      p.patch = p.encoder->patch;
    }
  } else {
    // A file from before shapes were data (release 0.1.0): its preset.
    try {
      p.encoder = encoder_shape(p);
    } catch (const UsageError& e) {
      throw Error(file, std::string("/config arch: ") + e.what());
    }
  }
  return p;
}

std::vector<nn::Var*> trainable_parameters(Method& m) {
  std::set<const nn::Var*> frozen;
  for (nn::Module* t : m.ema_targets())
    for (auto& [n, p] : t->named_parameters()) frozen.insert(p);
  std::vector<nn::Var*> out;
  for (auto& [n, p] : m.named_parameters())
    if (!frozen.count(p)) out.push_back(p);
  return out;
}

}  // namespace sslkit::methods
