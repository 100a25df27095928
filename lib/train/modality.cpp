#include "train/modality.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "models/encoders.hpp"
#include "nn/ops.hpp"
#include "train/finetune_options.hpp"
#include "train/held_out.hpp"

namespace sslkit::train {

// The implementations, one file each: modality_image.cpp, modality_text.cpp, modality_audio.cpp.
const Modality& image_modality();
const Modality& text_modality();
const Modality& audio_modality();

const Modality& modality_for(io::Modality m) {
  switch (m) {
    case io::Modality::image: return image_modality();
    case io::Modality::text: return text_modality();
    case io::Modality::audio: return audio_modality();
    case io::Modality::embedding: break;
  }
  throw UsageError(std::string("an ") + io::modality_name(m) +
                   " file holds features already: it has no encoder input (give the images, text or audio)");
}

const std::vector<const Modality*>& all_modalities() {
  static const std::vector<const Modality*> all{&image_modality(), &text_modality(), &audio_modality()};
  return all;
}

const Modality& modality_for(const std::string& name) {
  const auto m = io::parse_modality(name);
  if (!m) throw UsageError("no modality is called '" + name + "' (image, text, audio)");
  return modality_for(*m);
}

io::Modality model_modality(const nlohmann::ordered_json& config, const std::string& path) {
  // Model files say what they encode by their encoder: the arch names it
  // (models::arch_modality is the one place that knows).
  std::string arch;
  try {
    arch = config.at("arch").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("is not an sslkit model file (config: ") + e.what() + ")");
  }
  std::string name;
  try {
    name = models::arch_modality(arch);
  } catch (const UsageError&) {
    throw Error(path, "has an encoder of arch '" + arch +
                          "', which this sslkit does not know: what it encodes (image, text or audio) is unknown");
  }
  const auto m = io::parse_modality(name);
  SSLKIT_CHECK(m && *m != io::Modality::embedding, "arch_modality gave a modality io does not know");
  return *m;
}

std::unique_ptr<HeldOut> Modality::held_out(const io::DataReader&, const std::string&, double, uint64_t, int) const {
  return nullptr;
}

nn::Var head_loss(const Modality& mod, methods::Method& m, const methods::Batch& b, const FeatureSpec& s) {
  return nn::cross_entropy(nn::cast(m.logits(mod.features(m, b, s)), nn::DType::f32), b.pretext);
}

namespace {

// Every row of `in` as inference batches of at most `batch` rows (and the
// modality's own limit): fn(batch, first row, rows).
void for_each_batch(const Modality& mod, const io::DataReader& in, const ModelInput& input, int batch,
                    const std::function<void(const methods::Batch&, int64_t, int64_t)>& fn) {
  const int64_t N = static_cast<int64_t>(in.size()), step = std::min(batch, mod.max_inference_batch());
  std::vector<size_t> rows;
  for (int64_t first = 0; first < N; first += step) {
    const int64_t n = std::min(step, N - first);
    rows.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rows[i] = static_cast<size_t>(first + i);
    fn(mod.rows(in, rows, input), first, n);
  }
}

}  // namespace

void for_each_feature(const Modality& mod, methods::Method& m, const io::DataReader& in, const ModelInput& input,
                      const FeatureSpec& s, bool normalize, int batch,
                      const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn, int64_t* frames_per_clip,
                      std::vector<int32_t>* valid_frames) {
  if (frames_per_clip) *frames_per_clip = 0;
  for_each_batch(mod, in, input, batch, [&](const methods::Batch& b, int64_t first, int64_t n) {
    nn::Tensor e;
    {
      nn::NoGrad ng;
      nn::Var f = mod.features(m, b, s, valid_frames);
      if (normalize) f = nn::l2_normalize(f);
      e = f.value().to(nn::DType::f32);
    }
    if (e.rank() == 3) {  // one row per frame: each clip's frames side by side
      if (frames_per_clip) *frames_per_clip = e.dim(1);
      e = e.reshape({n, e.numel() / n});
    }
    fn(e, first, n);
  });
}

std::vector<int32_t> predict_classes(const Modality& mod, methods::Method& m, const io::DataReader& in,
                                     const ModelInput& input, const FeatureSpec& s) {
  std::vector<int32_t> pred(in.size());
  for_each_batch(mod, in, input, 512, [&](const methods::Batch& b, int64_t first, int64_t n) {
    nn::NoGrad ng;
    const nn::Tensor logits = m.logits(mod.features(m, b, s)).value().to(nn::DType::f32);
    const int64_t K = logits.dim(1);
    for (int64_t i = 0; i < n; ++i)
      pred[first + i] = static_cast<int32_t>(std::max_element(logits.f32() + i * K, logits.f32() + (i + 1) * K) -
                                             (logits.f32() + i * K));
  });
  return pred;
}

namespace modality_detail {

std::vector<nn::ParamGroup> backbone_and_head_groups(methods::Method& m, double weight_decay, double backbone_lr_scale) {
  std::vector<nn::ParamGroup> groups = nn::decay_groups(m.encoder(), weight_decay);
  for (auto& g : groups) g.lr_scale = backbone_lr_scale;
  add_head_groups(m, weight_decay, groups);
  return groups;
}

batches::SequenceBatchSpec sequence_spec(const BatchPlan& plan) {
  batches::SequenceBatchSpec spec;
  spec.batch = plan.batch;
  spec.seed = plan.seed;
  spec.dtype = plan.dtype;
  spec.rows = plan.rows;
  spec.first_step = plan.first_step;
  spec.targets = plan.targets;
  return spec;
}

void add_head_groups(methods::Method& m, double weight_decay, std::vector<nn::ParamGroup>& groups) {
  nn::ParamGroup head{{}, 1.0, weight_decay, false}, head_bias{{}, 1.0, 0.0, true};
  for (auto& [name, p] : m.named_parameters())
    if (name.rfind("head.", 0) == 0) (p->value().rank() == 1 ? head_bias : head).params.push_back(p);
  groups.push_back(head);
  groups.push_back(head_bias);
}

int finetune_batch(const FullFinetuneOptions& o, int default_batch, size_t rows) {
  return static_cast<int>(std::min<int64_t>(o.given.count("--batch") ? o.batch : default_batch, static_cast<int64_t>(rows)));
}

std::string scratch_arch(const FullFinetuneOptions& o, const std::string& modality, const std::string& fallback,
                         const io::DataReader& train) {
  if (!o.given.count("--arch")) return fallback;
  models::check_arch_modality(o.arch, modality, train.name());
  return o.arch;
}

void refuse_option(const FullFinetuneOptions& o, const std::string& flag, const std::string& why) {
  if (o.given.count(flag)) throw UsageError(flag + " " + why);
}

}  // namespace modality_detail

}  // namespace sslkit::train
