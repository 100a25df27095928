#include "apps/import_model.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "methods/registry.hpp"
#include "models/encoder_shape.hpp"
#include "train/checkpoint.hpp"

namespace sslkit::train {

using nlohmann::ordered_json;

ParameterFiller::ParameterFiller(nn::Module& model, std::string checkpoint) : checkpoint_(std::move(checkpoint)) {
  for (auto& [name, p] : model.named_parameters()) {
    params_[name] = &p->value();
    order_.push_back(name);
    filled_[name] = false;
  }
  for (auto& [name, b] : model.named_buffers()) buffers_[name] = b;
}

bool ParameterFiller::has(const std::string& ours) const { return params_.count(ours) || buffers_.count(ours); }

nn::Tensor& ParameterFiller::slot(const std::string& ours) const {
  if (const auto it = params_.find(ours); it != params_.end()) return *it->second;
  if (const auto it = buffers_.find(ours); it != buffers_.end()) return *it->second;
  SSLKIT_FAIL("the import map names '" + ours + "', which the sslkit model does not have");
}

const std::vector<int64_t>& ParameterFiller::shape(const std::string& ours) const { return slot(ours).shape(); }

void ParameterFiller::set(const std::string& ours, const std::vector<float>& values) {
  nn::Tensor& t = slot(ours);
  SSLKIT_CHECK(static_cast<int64_t>(values.size()) == t.numel(),
               "'" + ours + "' given " + std::to_string(values.size()) + " values for " + std::to_string(t.numel()));
  if (filled_.count(ours)) {
    SSLKIT_CHECK(!filled_[ours], "the import map fills '" + ours + "' twice");
    filled_[ours] = true;
  }
  std::copy(values.begin(), values.end(), t.f32());
}

void ParameterFiller::take(io::TensorTaker& t, const std::string& ours, const std::string& theirs) {
  set(ours, t.take(theirs, shape(ours)));
}

void ParameterFiller::take_as(io::TensorTaker& t, const std::string& ours, const std::string& theirs,
                              const std::vector<int64_t>& their_shape) {
  set(ours, t.take(theirs, their_shape));
}

void ParameterFiller::layer(io::TensorTaker& t, const std::string& ours, const std::string& theirs) {
  take(t, ours + ".weight", theirs + ".weight");
  take(t, ours + ".bias", theirs + ".bias");
}

void ParameterFiller::block(io::TensorTaker& t, const std::string& ours, const std::string& theirs,
                            const BlockNames& n) {
  const char* names[] = {n.ln1, n.q, n.k, n.v, n.out, n.ln2, n.fc1, n.fc2};
  for (size_t i = 0; i < 8; ++i) {
    SSLKIT_CHECK(*names[i], "an import block map without separate q, k and v");
    layer(t, ours + kOurBlockParts[i], theirs + names[i]);
  }
}

void ParameterFiller::keep_initial(const std::string& prefix) {
  for (auto& [name, done] : filled_)
    if (name.rfind(prefix, 0) == 0) done = true;
}

void ParameterFiller::finish() const {
  for (const std::string& name : order_)
    if (!filled_.at(name))
      throw Error(checkpoint_, "gives no value for sslkit's '" + name +
                                   "' (the checkpoint lacks a part this model needs)");
}

bool has_architecture(const ordered_json& config, const std::string& name) {
  if (!config.contains("architectures") || !config["architectures"].is_array()) return false;
  for (const auto& a : config["architectures"])
    if (a.is_string() && a.get<std::string>() == name) return true;
  return false;
}

bool has_model_type(const ordered_json& config, const std::string& type) {
  return config.contains("model_type") && config["model_type"].is_string() &&
         config["model_type"].get<std::string>() == type;
}

const std::vector<ModelFamily>& model_families() {
  // One row per family; keep a blank line between rows (each is added by
  // its own change).
  static const std::vector<ModelFamily> table = {
      vit_mae_family(),

      vit_family(),

      bert_family(),

      wav2vec2_family(),
  };
  return table;
}

const ModelFamily& family_of(const io::HfCheckpoint& c) {
  for (const ModelFamily& f : model_families())
    if (f.matches(c.config)) return f;
  std::string known;
  for (const ModelFamily& f : model_families()) known += (known.empty() ? "" : "; ") + std::string(f.classes);
  const std::string type = c.config.contains("model_type") ? c.config["model_type"].dump() : "none";
  const std::string arch = c.config.contains("architectures") ? c.config["architectures"].dump() : "none";
  throw Error(c.config_file(), "model_type " + type + ", architectures " + arch +
                                   ": not a family sslkit imports (" + known + ")");
}

namespace {

std::string number_text(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string list_text(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += (s.empty() ? "" : "/") + std::to_string(x);
  return s;
}

}  // namespace

std::string arch_of(const models::EncoderShape& s) {
  const models::ArchPreset* preset = nullptr;
  for (const auto& p : models::arch_presets())
    if (p.shape.kind == s.kind) {
      preset = &p;
      break;
    }
  SSLKIT_CHECK(preset, "no preset of kind " + models::kind_name(s.kind));
  const models::EncoderShape& p = preset->shape;
  std::string keys;
  auto add = [&](const std::string& k, const std::string& v) { keys += (keys.empty() ? "" : ",") + k + "=" + v; };
  if (s.widths != p.widths) add("widths", list_text(s.widths));
  if (s.blocks != p.blocks) add("blocks", list_text(s.blocks));
  if (s.width != p.width) add("width", std::to_string(s.width));
  if (s.depth != p.depth) add("depth", std::to_string(s.depth));
  if (s.heads != p.heads) add("heads", std::to_string(s.heads));
  if (s.mlp != p.mlp || s.width != p.width) add("mlp", std::to_string(s.mlp));
  if (s.norm != p.norm) add("norm", s.norm == models::NormPlacement::pre ? "pre" : "post");
  if (s.eps != p.eps) add("eps", number_text(s.eps));
  if (s.conv != p.conv) {
    std::vector<int64_t> k, st, ch;
    for (const auto& c : s.conv) k.push_back(c.kernel), st.push_back(c.stride), ch.push_back(c.channels);
    add("conv_kernels", list_text(k));
    add("conv_strides", list_text(st));
    add("conv_channels", list_text(ch));
  }
  if (s.feature_norm != p.feature_norm) add("feature_norm", s.feature_norm);
  if (s.token_types != p.token_types) add("token_types", std::to_string(s.token_types));
  if (s.pooler != p.pooler) add("pooler", s.pooler ? "true" : "false");
  if (s.conv_bias != p.conv_bias) add("conv_bias", s.conv_bias ? "true" : "false");
  if (s.pos_kernel != p.pos_kernel) add("pos_kernel", std::to_string(s.pos_kernel));
  if (s.pos_groups != p.pos_groups) add("pos_groups", std::to_string(s.pos_groups));
  if (s.pos_weight_norm != p.pos_weight_norm) add("pos_weight_norm", s.pos_weight_norm ? "true" : "false");
  const std::string arch = keys.empty() ? preset->name : preset->name + ":" + keys;
  // The text must say the shape; where the keys cannot, the preset's name
  // still says the kind (what modality_of reads), and /config the shape.
  try {
    models::EncoderShape back = models::parse_arch(arch);
    back.patch = s.patch;
    if (back == s) return arch;
  } catch (const UsageError&) {
  }
  return preset->name;
}

std::unique_ptr<methods::Method> import_method(const io::HfCheckpoint& c, const ModelFamily& family,
                                               ordered_json* config_out, std::vector<uint8_t>* tokenizer_out) {
  ImportPlan plan = family.plan(c);
  SSLKIT_CHECK(plan.params.encoder.has_value(), "an import plan without an encoder shape");
  plan.params.arch = arch_of(*plan.params.encoder);
  if (const std::string problem = models::shape_problem(*plan.params.encoder); !problem.empty())
    throw Error(c.config_file(), "describes an encoder sslkit cannot build: " + problem);
  Rng rng(0);
  std::unique_ptr<methods::Method> method = methods::make_method(plan.method, plan.params, rng);
  io::TensorTaker taker(c, plan.prefix, family.name);
  ParameterFiller filler(*method, c.weights);
  family.fill(c, plan, taker, filler);
  taker.finish();
  filler.finish();
  method->set_training(false);
  if (tokenizer_out) *tokenizer_out = plan.tokenizer;
  if (config_out) {
    ordered_json config = ordered_json::object();
    config["method"] = plan.method;
    methods::write_params(plan.params, config);
    for (const auto& [k, v] : plan.config.items()) config[k] = v;
    ordered_json from = {{"family", family.name}, {"dir", c.dir}};
    if (c.config.contains("model_type")) from["model_type"] = c.config["model_type"];
    if (c.config.contains("architectures")) from["architectures"] = c.config["architectures"];
    config["imported"] = from;
    *config_out = config;
  }
  return method;
}

void run_import_model(const ModelImportOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const io::HfCheckpoint c = io::read_hf_checkpoint(o.dir);
  const ModelFamily& family = family_of(c);
  ordered_json config;
  CheckpointExtras x;
  std::unique_ptr<methods::Method> method = import_method(c, family, &config, &x.tokenizer);
  x.config = config.dump();
  x.history = {o.command_line};
  save_checkpoint(o.output, *method, x);
  int64_t n = 0;
  for (auto& [name, p] : method->named_parameters()) n += p->value().numel();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[256];
  std::snprintf(line, sizeof line, "%s: %s (%s), %ld parameters, %zu tensors, in %.2f s", o.output.c_str(),
                family.name, config["method"].get<std::string>().c_str(), static_cast<long>(n),
                c.tensors.tensors.size(), s);
  note(line);
}

}  // namespace sslkit::train
