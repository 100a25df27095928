// Hugging Face ViT-MAE (ViTMAEForPreTraining, ViTMAEModel) and ViT
// (ViTModel) into sslkit's ViT: the same pre-LN blocks (export.cpp's
// kHfVitBlock names, inverted), shapes and epsilon from config.json, the
// per-channel pixel normalisation from preprocessor_config.json. sslkit's
// positions are MAE's fixed sine-cosine table recomputed for the input
// grid, so a stored position table is checked against it, not loaded: a
// ViT whose positions were learned is refused. ViTMAEForPreTraining brings
// its decoder (sizes from config.json) so ssl-pretrain --resume continues
// MAE; the encoder-only classes get a new decoder, as a new MAE run would.
#include <cmath>

#include "apps/import_model.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "methods/mae_decoder.hpp"
#include "models/encoder_shape.hpp"
#include "models/vit.hpp"

namespace sslkit::train {

using nlohmann::ordered_json;

namespace {

// An int or a [height, width] pair (config.json's image_size, patch_size).
std::pair<int64_t, int64_t> size_pair(const io::HfCheckpoint& c, const std::string& key) {
  if (!c.config.contains(key)) throw Error(c.config_file(), "has no \"" + key + "\"");
  const ordered_json& v = c.config[key];
  if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
    return {v[0].get<int64_t>(), v[1].get<int64_t>()};
  throw Error(c.config_file(), "\"" + key + "\" is neither an integer nor [height, width]: " + v.dump());
}

// The pixel normalisation as ViTImageProcessor applies it: x / 255, then
// (x - mean[c]) / std[c]; without a preprocessor_config.json, ImageNet's
// (ViTMAE's and ViT's defaults).
ordered_json pixel_normalisation(const io::HfCheckpoint& c, int64_t channels) {
  const std::string file = c.dir + "/preprocessor_config.json";
  std::vector<double> mean(channels, 0.0), stdev(channels, 1.0);
  const ordered_json& p = c.preprocessor;
  if (p.is_null()) {
    if (channels != 3) throw Error(c.dir, "has no preprocessor_config.json to say how its pixels are normalised");
    warn(c.dir + ": has no preprocessor_config.json: pixels normalised with ImageNet's mean and std");
    mean = {0.485, 0.456, 0.406};
    stdev = {0.229, 0.224, 0.225};
  } else {
    if (p.value("do_rescale", true)) {
      const double f = p.value("rescale_factor", 1.0 / 255.0);
      if (std::fabs(f - 1.0 / 255.0) > 1e-9)
        throw Error(file, "rescale_factor " + std::to_string(f) + ": sslkit's images are uint8 scaled by 1/255");
    } else {
      throw Error(file, "do_rescale false: sslkit's images are uint8 scaled by 1/255");
    }
    if (p.value("do_normalize", true)) {
      auto values = [&](const char* key) {
        if (!p.contains(key)) throw Error(file, std::string("has no \"") + key + "\"");
        const ordered_json& v = p[key];
        std::vector<double> out;
        if (v.is_number()) out.assign(channels, v.get<double>());
        else if (v.is_array())
          for (const auto& x : v) {
            if (!x.is_number()) throw Error(file, std::string("\"") + key + "\" holds " + x.dump());
            out.push_back(x.get<double>());
          }
        if (static_cast<int64_t>(out.size()) != channels)
          throw Error(file, std::string("\"") + key + "\" has " + std::to_string(out.size()) + " values for " +
                                std::to_string(channels) + " channels");
        return out;
      };
      mean = values("image_mean");
      stdev = values("image_std");
      for (double s : stdev)
        if (!(s > 0)) throw Error(file, "image_std must be positive");
    }
  }
  return {{"mean", mean}, {"std", stdev}};
}

struct VitConfig {
  models::EncoderShape shape;
  int64_t channels = 3, height = 0, width = 0;
};

VitConfig vit_config(const io::HfCheckpoint& c) {
  VitConfig v;
  const std::string act = io::config_text(c, "hidden_act", "gelu");
  if (act != "gelu")
    throw Error(c.config_file(), "hidden_act \"" + act + "\": sslkit's blocks use GELU (erf), \"gelu\"");
  v.shape.kind = models::EncoderKind::vit;
  v.shape.width = io::config_int(c, "hidden_size");
  v.shape.depth = io::config_int(c, "num_hidden_layers");
  v.shape.heads = io::config_int(c, "num_attention_heads");
  v.shape.mlp = io::config_int(c, "intermediate_size");
  v.shape.eps = io::config_real(c, "layer_norm_eps", 1e-12);
  v.shape.norm = models::NormPlacement::pre;
  v.shape.position = models::PositionKind::sincos;
  const auto [ph, pw] = size_pair(c, "patch_size");
  if (ph != pw) throw Error(c.config_file(), "patch_size [" + std::to_string(ph) + ", " + std::to_string(pw) +
                                                 "]: sslkit's ViT takes square patches");
  v.shape.patch = ph;
  std::tie(v.height, v.width) = size_pair(c, "image_size");
  v.channels = io::config_int(c, "num_channels", 3);
  if (v.height % ph || v.width % ph)
    throw Error(c.config_file(), "image_size " + std::to_string(v.height) + "x" + std::to_string(v.width) +
                                     " does not split into " + std::to_string(ph) + "-pixel patches");
  if (v.shape.width % 4)
    throw Error(c.config_file(), "hidden_size " + std::to_string(v.shape.width) +
                                     ": sslkit's sine-cosine positions need a multiple of 4");
  return v;
}

ImportPlan vit_plan(const io::HfCheckpoint& c, bool pretraining) {
  const VitConfig v = vit_config(c);
  ImportPlan plan;
  plan.method = "mae";
  plan.params.encoder = v.shape;
  plan.params.patch = v.shape.patch;
  plan.params.in_channels = v.channels;
  plan.params.pool = "cls";
  if (pretraining) {
    plan.params.norm_pix = io::config_flag(c, "norm_pix_loss", false);
    methods::MaeDecoder d;
    d.width = io::config_int(c, "decoder_hidden_size");
    d.depth = io::config_int(c, "decoder_num_hidden_layers");
    d.heads = io::config_int(c, "decoder_num_attention_heads");
    d.mlp = io::config_int(c, "decoder_intermediate_size");
    methods::set_mae_decoder(d, plan.params.own);
    const double ratio = io::config_real(c, "mask_ratio", 0.75);
    if (std::fabs(ratio - 0.75) > 1e-9)
      warn(c.config_file() + ": mask_ratio " + std::to_string(ratio) + ": ssl-pretrain --resume masks 0.75, MAE's");
  } else {
    // A new decoder, as a new MAE run's: of the config's sizes where it
    // has them (ViTMAEModel's config does), else sslkit's.
    methods::MaeDecoder d;
    d.width = io::config_int(c, "decoder_hidden_size", d.width);
    d.depth = io::config_int(c, "decoder_num_hidden_layers", d.depth);
    d.heads = io::config_int(c, "decoder_num_attention_heads", d.heads);
    d.mlp = io::config_int(c, "decoder_intermediate_size", d.mlp);
    methods::set_mae_decoder(d, plan.params.own);
  }
  plan.config["input_shape"] = {v.height, v.width};
  plan.config["normalize"] = pixel_normalisation(c, v.channels);
  return plan;
}

// Checks a stored position table against sslkit's (a zero row for the
// class token, then the grid's sine-cosine rows) and marks it taken.
void check_positions(io::TensorTaker& t, const std::string& name, int64_t dim, int64_t gh, int64_t gw) {
  if (!t.has(name)) return;
  // Within the stored precision: values in [-1, 1] round by up to half a
  // unit in the last place at 1 (BF16 2^-9, F16 2^-12), doubled for margin.
  const io::StDType dt = t.dtype(name);
  const double tolerance = dt == io::StDType::BF16 ? 0x1p-8 : dt == io::StDType::F16 ? 0x1p-11 : 1e-5;
  const std::vector<float> stored = t.take(name, {1, 1 + gh * gw, dim});
  const nn::Tensor ours = models::sincos_2d(dim, gh, gw);
  double worst = 0;
  for (int64_t i = 0; i < dim; ++i) worst = std::max(worst, std::fabs(static_cast<double>(stored[i])));
  for (int64_t i = 0; i < gh * gw * dim; ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(stored[dim + i]) - ours.f32()[i]));
  if (worst > tolerance)
    throw Error(t.file(name), "'" + t.key(name) + "' is not the fixed sine-cosine table (it differs by up to " +
                          std::to_string(worst) + "): learned or unset positions, and sslkit's ViT has only MAE's table");
}

void fill_encoder(const io::HfCheckpoint& c, io::TensorTaker& t, ParameterFiller& f, const std::string& from) {
  const VitConfig v = vit_config(c);
  const int64_t D = v.shape.width;
  f.take_as(t, "encoder.cls_token", from + "embeddings.cls_token", {1, 1, D});
  f.layer(t, "encoder.patch_embed", from + "embeddings.patch_embeddings.projection");
  check_positions(t, from + "embeddings.position_embeddings", D, v.height / v.shape.patch, v.width / v.shape.patch);
  const bool qkv_bias = io::config_flag(c, "qkv_bias", true);
  for (int64_t i = 0; i < v.shape.depth; ++i) {
    const std::string ours = "encoder.block" + std::to_string(i), theirs = from + "encoder.layer." + std::to_string(i);
    if (qkv_bias) {
      f.block(t, ours, theirs, kHfVitBlock);
      continue;
    }
    // No q, k, v biases: ours are zero, which computes the same.
    for (const auto& [o, h] : {std::pair{".attn.q", kHfVitBlock.q}, {".attn.k", kHfVitBlock.k}, {".attn.v", kHfVitBlock.v}}) {
      f.take(t, ours + o + ".weight", theirs + h + ".weight");
      f.set(ours + o + ".bias", std::vector<float>(D, 0.0f));
    }
    f.layer(t, ours + ".ln1", theirs + kHfVitBlock.ln1);
    f.layer(t, ours + ".attn.out", theirs + kHfVitBlock.out);
    f.layer(t, ours + ".ln2", theirs + kHfVitBlock.ln2);
    f.layer(t, ours + ".fc1", theirs + kHfVitBlock.fc1);
    f.layer(t, ours + ".fc2", theirs + kHfVitBlock.fc2);
  }
  f.layer(t, "encoder.norm", from + "layernorm");
}

void fill_mae(const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
  fill_encoder(c, t, f, "vit.");
  const VitConfig v = vit_config(c);
  const methods::MaeDecoder d = methods::mae_decoder(plan.params.own);
  f.layer(t, "decoder_embed", "decoder.decoder_embed");
  f.take_as(t, "mask_token", "decoder.mask_token", {1, 1, d.width});
  check_positions(t, "decoder.decoder_pos_embed", d.width, v.height / v.shape.patch, v.width / v.shape.patch);
  // transformers 5 writes the decoder's layers as decoder_encoder.layer.N;
  // published checkpoints (and ssl-export) as decoder_layers.N.
  const std::string layers = t.has("decoder.decoder_layers.0.layernorm_before.weight") ? "decoder.decoder_layers."
                                                                                      : "decoder.decoder_encoder.layer.";
  for (int64_t i = 0; i < d.depth; ++i)
    f.block(t, "decoder_block" + std::to_string(i), layers + std::to_string(i), kHfVitBlock);
  f.layer(t, "decoder_norm", "decoder.decoder_norm");
  f.layer(t, "decoder_pred", "decoder.decoder_pred");
}

void fill_vit(const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
  (void)plan;
  fill_encoder(c, t, f, "");
  if (t.has("pooler.dense.weight")) {
    // Known, and not part of sslkit's ViT: its features are the class
    // token after the final norm; ssl-finetune trains its own head.
    warn(c.weights + ": pooler.dense (dense + tanh on the class token) is not imported: sslkit's ViT has no pooler");
    t.ignore("pooler.dense.weight");
    t.ignore("pooler.dense.bias");
  }
  f.keep_initial("decoder_");  // the new decoder: decoder_embed, decoder_block*, decoder_norm, decoder_pred
  f.keep_initial("mask_token");
}

// Whether the checkpoint is a ViTMAEForPreTraining (its decoder must then be
// there, every key of it): as config.json's architectures say, or without
// them, as its keys do.
bool with_decoder(const io::HfCheckpoint& c) {
  if (c.config.contains("architectures")) return has_architecture(c.config, "ViTMAEForPreTraining");
  return c.tensors.find("decoder.decoder_embed.weight") != nullptr;
}

}  // namespace

ModelFamily vit_mae_family() {
  return {"vit-mae", "ViTMAEForPreTraining, ViTMAEModel",
          [](const ordered_json& c) { return has_model_type(c, "vit_mae"); },
          [](const io::HfCheckpoint& c) { return vit_plan(c, with_decoder(c)); },
          [](const io::HfCheckpoint& c, const ImportPlan& plan, io::TensorTaker& t, ParameterFiller& f) {
            if (with_decoder(c)) return fill_mae(c, plan, t, f);
            // ViTMAEModel: the encoder alone, its keys without "vit.".
            fill_encoder(c, t, f, "");
            f.keep_initial("decoder_");
            f.keep_initial("mask_token");
          }};
}

ModelFamily vit_family() {
  return {"vit", "ViTModel",
          [](const ordered_json& c) { return has_model_type(c, "vit"); },
          [](const io::HfCheckpoint& c) { return vit_plan(c, false); }, fill_vit};
}

}  // namespace sslkit::train
