// wav2vec 2.0 checkpoints made by transformers (tests/interop/
// make_w2v_fixtures.py: tiny awkward shapes, every parameter re-randomised,
// both extractor norms, both encoder arrangements, both weight-norm
// spellings, with and without the "wav2vec2." prefix) imported and run by
// sslkit: the waveform standardisation, extract_features and
// last_hidden_state, and for Wav2Vec2ForPreTraining the projected context
// and the argmax quantizer's projected codevectors, all against the
// recorded outputs within 1e-4 x max(1, |ref|); and the configs sslkit
// cannot build refused. (The way back, ssl-export --to hf of the imported
// model against the fixture's file: tests/cli/test_hfw2v.sh.)
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "apps/export.hpp"
#include "apps/import_model.hpp"
#include "core/error.hpp"
#include "io/safetensors.hpp"
#include "io/test_util.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"
#include "nn/ops.hpp"
#include "train/checkpoint.hpp"

using namespace sslkit;

namespace {

const std::string kFixtures = std::string(SSLKIT_DATA_DIR) + "/../tests/interop/w2v/";

struct Ref {
  std::vector<int64_t> shape;
  std::vector<float> v;
};

std::map<std::string, Ref> reference(const std::string& variant) {
  const std::string path = kFixtures + variant + "/reference.safetensors";
  std::map<std::string, Ref> out;
  for (const io::SafeTensor& t : io::read_safetensors(path).tensors) out[t.name] = {t.shape, t.to_f32(path)};
  return out;
}

// The worst |ours - ref| / max(1, |ref|) over every element.
double worst_error(const float* ours, const Ref& ref) {
  double worst = 0;
  for (size_t i = 0; i < ref.v.size(); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(ours[i]) - ref.v[i]) / std::max(1.0, std::fabs(double(ref.v[i]))));
  return worst;
}

std::map<std::string, const nn::Tensor*> params_of(methods::Method& m) {
  std::map<std::string, const nn::Tensor*> out;
  for (auto& [name, p] : m.named_parameters()) out[name] = &p->value();
  return out;
}

// x [N, in] W^T + b in double -> [N, out].
std::vector<double> linear(const std::vector<double>& x, int64_t n, const nn::Tensor& w, const nn::Tensor& b) {
  const int64_t out = w.dim(0), in = w.dim(1);
  std::vector<double> y(static_cast<size_t>(n * out));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b.f32()[o];
      for (int64_t i = 0; i < in; ++i) s += x[r * in + i] * w.f32()[o * in + i];
      y[r * out + o] = s;
    }
  return y;
}

struct Measured {
  double input = 0, features = 0, hidden = 0, projected = 0, quantized = 0;
  int64_t codes = 0, codes_compared = 0, codes_equal = 0;
};

Measured run_checkpoint(const io::HfCheckpoint& c, const std::string& variant) {
  const train::ModelFamily& family = train::family_of(c);
  REQUIRE(std::string(family.name) == "wav2vec2");
  std::unique_ptr<methods::Method> m = train::import_method(c, family);
  auto* enc = dynamic_cast<models::W2VEncoder*>(&m->encoder());
  REQUIRE(enc);
  const auto ref = reference(variant);
  const Ref& wave = ref.at("waveform");
  const int64_t B = wave.shape[0], T = wave.shape[1];
  nn::Tensor w({B, T}, nn::DType::f32);
  std::copy(wave.v.begin(), wave.v.end(), w.f32());
  const std::vector<int32_t> lengths(static_cast<size_t>(B), static_cast<int32_t>(T));
  Measured r;
  nn::NoGrad ng;
  const nn::Tensor normed_wave = models::normalize_waveform(w, lengths);
  r.input = worst_error(normed_wave.f32(), ref.at("input_values"));
  const nn::Var feats = enc->norm_features(enc->conv_features(nn::Var(normed_wave), nn::DType::f32));
  REQUIRE(feats.shape() == nn::Shape(ref.at("extract_features").shape));
  r.features = worst_error(feats.value().f32(), ref.at("extract_features"));
  const nn::Var h = enc->frames(w, lengths, nn::DType::f32);
  REQUIRE(h.shape() == nn::Shape(ref.at("last_hidden_state").shape));
  r.hidden = worst_error(h.value().f32(), ref.at("last_hidden_state"));
  if (!ref.count("projected_states")) return r;

  // The pretraining head, computed from the imported tensors by hand: the
  // context through project_hid, the argmax codevectors through project_q.
  auto p = params_of(*m);
  const int64_t F = h.shape()[1], D = h.shape()[2], C = feats.shape()[2], N = B * F;
  std::vector<double> hd(h.value().f32(), h.value().f32() + N * D), fd(feats.value().f32(), feats.value().f32() + N * C);
  const std::vector<double> projected = linear(hd, N, *p.at("final_proj.weight"), *p.at("final_proj.bias"));
  std::vector<float> pf(projected.begin(), projected.end());
  r.projected = worst_error(pf.data(), ref.at("projected_states"));
  const std::vector<double> logits = linear(fd, N, *p.at("quantizer.weight_proj.weight"), *p.at("quantizer.weight_proj.bias"));
  const nn::Tensor& book = *p.at("quantizer.codevectors");  // [G*V, E/G]
  const int64_t G = ref.at("codes").shape[2], GV = book.dim(0), V = GV / G, d = book.dim(1);
  const Ref& codes = ref.at("codes");
  const Ref& margins = ref.at("code_margins");
  const Ref& pq = ref.at("projected_quantized_states");
  const int64_t P = pq.shape[2];
  const nn::Tensor &qw = *p.at("project_q.weight"), &qb = *p.at("project_q.bias");
  for (int64_t n = 0; n < N; ++n) {
    bool clear = true;
    std::vector<double> cv(static_cast<size_t>(G * d));
    for (int64_t g = 0; g < G; ++g) {
      int64_t best = 0;
      for (int64_t v = 1; v < V; ++v)
        if (logits[n * GV + g * V + v] > logits[n * GV + g * V + best]) best = v;
      ++r.codes;
      // A near tie is decided by rounding: compared only where the lead is clear.
      if (margins.v[n * G + g] < 1e-3f) {
        clear = false;
        continue;
      }
      ++r.codes_compared;
      r.codes_equal += best == static_cast<int64_t>(codes.v[n * G + g]);
      for (int64_t j = 0; j < d; ++j) cv[g * d + j] = book.f32()[(g * V + best) * d + j];
    }
    if (!clear) continue;
    const std::vector<double> q = linear(cv, 1, qw, qb);
    for (int64_t o = 0; o < P; ++o)
      r.quantized = std::max(r.quantized, std::fabs(q[o] - pq.v[n * P + o]) / std::max(1.0, std::fabs(double(pq.v[n * P + o]))));
  }
  return r;
}

Measured run_variant(const std::string& variant) {
  return run_checkpoint(io::read_hf_checkpoint(kFixtures + variant), variant);
}

}  // namespace

TEST_CASE("ssl-import model: wav2vec 2.0 checkpoints compute what transformers computed") {
  nn::init_engine();
  for (const char* variant : {"base_pretraining", "large_pretraining", "group_stable_model", "layer_post_model"}) {
    CAPTURE(std::string(variant));
    const Measured r = run_variant(variant);
    MESSAGE(std::string(variant) << ": input " << r.input << ", extract_features " << r.features << ", last_hidden_state "
                    << r.hidden << ", projected_states " << r.projected << ", projected_quantized_states "
                    << r.quantized << ", codes " << r.codes_equal << "/" << r.codes_compared << " of " << r.codes);
    CHECK(r.input <= 1e-4);
    CHECK(r.features <= 1e-4);
    CHECK(r.hidden <= 1e-4);
    CHECK(r.projected <= 1e-4);
    CHECK(r.quantized <= 1e-4);
    CHECK(r.codes_equal == r.codes_compared);
    CHECK(r.codes_compared >= r.codes * 9 / 10);
  }
}

TEST_CASE("ssl-import model: a wav2vec 2.0 config sslkit cannot build is one Error naming config.json") {
  testing::ScratchDir dir;
  const io::HfCheckpoint fixture = io::read_hf_checkpoint(kFixtures + "group_stable_model");
  auto refused = [&](const std::string& key, const nlohmann::ordered_json& value) {
    io::HfCheckpoint c = fixture;
    c.config[key] = value;
    try {
      train::import_method(c, train::family_of(c));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("imported");
  };
  const std::string config = fixture.config_file();
  CHECK(refused("num_conv_pos_embedding_groups", 5) ==
        config + ": num_conv_pos_embedding_groups 5 does not divide hidden_size 24");
  CHECK(refused("add_adapter", true).rfind(config + ": add_adapter true", 0) == 0);
  CHECK(refused("adapter_attn_dim", 16).rfind(config + ": adapter_attn_dim 16", 0) == 0);
  CHECK(refused("feat_extract_norm", "batch").rfind(config + ": feat_extract_norm \"batch\"", 0) == 0);
  CHECK(refused("hidden_act", "relu").rfind(config + ": hidden_act \"relu\"", 0) == 0);
  CHECK(refused("architectures", nlohmann::ordered_json::array({"Wav2Vec2ForCTC"}))
            .rfind(config + ": architectures holds Wav2Vec2ForCTC", 0) == 0);
  CHECK(refused("conv_kernel", nlohmann::ordered_json::array({6, 4})).rfind(config + ": conv_dim, conv_kernel", 0) == 0);
  CHECK(refused("codevector_dim", 7).rfind(config + ": quantizer sizes", 0) == 0);
}

TEST_CASE("ssl-import model: a wav2vec 2.0 position convolution without weight norm is taken as it is") {
  nn::init_engine();
  // group_stable_model with its g and v folded by hand into one plain weight,
  // as a checkpoint converted without the parametrisation would hold it.
  io::HfCheckpoint c = io::read_hf_checkpoint(kFixtures + "group_stable_model");
  const std::string conv = "encoder.pos_conv_embed.conv.";
  const io::SafeTensor* g = c.tensors.find(conv + "parametrizations.weight.original0");
  const io::SafeTensor* v = c.tensors.find(conv + "parametrizations.weight.original1");
  REQUIRE((g && v));
  const std::vector<float> gs = g->to_f32(), vs = v->to_f32();
  const std::vector<int64_t> shape = v->shape;
  const int64_t k = shape[2], rows = static_cast<int64_t>(vs.size()) / k;
  std::vector<float> w(vs.size());
  for (int64_t j = 0; j < k; ++j) {
    double norm = 0;
    for (int64_t r = 0; r < rows; ++r) norm += double(vs[r * k + j]) * vs[r * k + j];
    for (int64_t r = 0; r < rows; ++r) w[r * k + j] = static_cast<float>(gs[j] * vs[r * k + j] / std::sqrt(norm));
  }
  io::HfCheckpoint plain = c;
  plain.tensors.tensors.clear();
  plain.files.clear();
  for (size_t i = 0; i < c.tensors.tensors.size(); ++i) {
    const std::string& name = c.tensors.tensors[i].name;
    if (name == conv + "parametrizations.weight.original1") continue;
    plain.tensors.tensors.push_back(name == conv + "parametrizations.weight.original0"
                                        ? io::st_f32(conv + "weight", shape, w)
                                        : c.tensors.tensors[i]);
    plain.files.push_back(c.files[i]);
  }
  const Measured r = run_checkpoint(plain, "group_stable_model");
  MESSAGE("plain position weight: extract_features " << r.features << ", last_hidden_state " << r.hidden);
  CHECK(r.features <= 1e-4);
  CHECK(r.hidden <= 1e-4);
  std::unique_ptr<methods::Method> m = train::import_method(plain, train::family_of(plain));
  bool has_plain = false;
  for (auto& [name, p] : m->named_parameters()) has_plain |= name == "encoder.pos_conv.weight";
  CHECK(has_plain);
}
