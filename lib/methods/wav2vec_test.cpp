// wav2vec 2.0: steps on one batch lower the loss (bf16 agrees), the logged
// figures are sane (code perplexity within [G, G*V], K = the fewest masked
// frames of a clip less one), the Gumbel temperature schedule, and the
// errors for a wrong encoder or a mask on another grid.
#include <doctest/doctest.h>

#include <map>

#include "core/error.hpp"
#include "mask/schemes.hpp"
#include "methods/registry.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/optim.hpp"

using namespace sslkit;

namespace {

constexpr int64_t kSamples = 8000;  // half a second: 24 frames

methods::Batch clips(int64_t n, nn::DType dt, uint64_t seed) {
  methods::Batch b;
  methods::AudioBatch& a = b.audio;
  a.rows = n;
  a.samples = kSamples;
  a.frames = models::w2v_frames(models::w2v_shape("w2v-tiny"), kSamples);
  a.dtype = dt;
  // Tones with a little noise: frames differ, so targets differ.
  a.audio = nn::random_tensor({n, kSamples}, seed, -0.1f, 0.1f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < kSamples; ++i) a.audio.f32()[r * kSamples + i] += std::sin(0.01 * (r + 1) * i * (1 + i / 4000.0));
  a.lengths.assign(n, static_cast<int32_t>(kSamples));
  Rng rng(seed);
  mask::SpanParams sp;
  sp.span = 4;
  sp.mask_prob = 0.1;
  for (int64_t r = 0; r < n; ++r) {
    const auto m = mask::mask_spans(static_cast<int>(a.frames), static_cast<int>(a.frames), sp, rng);
    a.mask.insert(a.mask.end(), m.begin(), m.end());
  }
  return b;
}

std::unique_ptr<methods::Method> tiny_wav2vec() {
  methods::MethodParams p;
  p.arch = "w2v-tiny";
  Rng rng(3);
  return methods::make_method("wav2vec", p, rng);
}

std::map<std::string, double> figures(const methods::Method& m) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : m.metrics()) out[k] = v;
  return out;
}

}  // namespace

TEST_CASE("wav2vec: steps on one batch lower the loss - bf16 agrees") {
  nn::init_engine();
  auto m = tiny_wav2vec();
  m->set_training(true);
  const methods::Batch b = clips(4, nn::DType::f32, 4);
  nn::AdamW opt(nn::decay_groups(*m, 0.0), 2e-3, 0.9, 0.98);
  const float first = m->loss(b).value().item();
  for (int s = 0; s < 20; ++s) {
    nn::Var l = m->loss(b);
    for (auto* q : m->parameters()) q->zero_grad();
    l.backward();
    opt.step();
  }
  const float last = m->loss(b).value().item();
  CHECK(last < 0.8f * first);
  if (nn::cpu_supports_bf16()) {
    // Without noise or gradients: the same codes, the same distractors by seed.
    m->set_training(false);
    auto a = tiny_wav2vec(), c = tiny_wav2vec();
    a->set_training(false);
    c->set_training(false);
    nn::NoGrad ng;
    const float f32 = a->loss(clips(4, nn::DType::f32, 4)).value().item();
    const float bf16 = c->loss(clips(4, nn::DType::bf16, 4)).value().item();
    CHECK(bf16 == doctest::Approx(f32).epsilon(0.05));
  }
}

TEST_CASE("wav2vec: code perplexity - distractors - masked frames as logged") {
  nn::init_engine();
  auto m = tiny_wav2vec();
  m->set_training(true);
  const methods::Batch b = clips(3, nn::DType::f32, 5);
  nn::NoGrad ng;
  m->loss(b);
  auto f = figures(*m);
  int64_t fewest = 1 << 30, masked = 0;
  for (int64_t r = 0; r < 3; ++r) {
    int64_t n = 0;
    for (int64_t k = 0; k < b.audio.frames; ++k) n += b.audio.mask[r * b.audio.frames + k];
    fewest = std::min(fewest, n);
    masked += n;
  }
  CHECK(f["masked_frames"] == masked);
  CHECK(f["distractors"] == std::min<int64_t>(100, fewest - 1));
  CHECK(f["codes"] == 128);
  CHECK(f["code_perplexity"] >= 2.0);  // at least one code per group
  CHECK(f["code_perplexity"] <= 128.0);
  CHECK(f["prob_perplexity"] <= 128.0);
  CHECK(f["accuracy"] >= 0.0);
  CHECK(f["accuracy"] <= 1.0);
  CHECK(f["temperature"] == 2.0);
}

TEST_CASE("wav2vec: the Gumbel temperature falls from 2 to 0.5 over 70 % of the run") {
  auto m = tiny_wav2vec();
  auto tau = [&](double fraction) {
    m->after_step(fraction);
    m->set_training(true);
    nn::NoGrad ng;
    m->loss(clips(2, nn::DType::f32, 6));
    return figures(*m)["temperature"];
  };
  CHECK(tau(0) == doctest::Approx(2.0));
  CHECK(tau(0.35) == doctest::Approx(1.0));
  CHECK(tau(0.7) == doctest::Approx(0.5));
  CHECK(tau(1.0) == doctest::Approx(0.5));
}

TEST_CASE("wav2vec: needs an audio encoder - masks on the encoder's frame grid") {
  nn::init_engine();
  methods::MethodParams p;
  p.arch = "convnet-s";
  Rng rng(1);
  CHECK_THROWS_AS(methods::make_method("wav2vec", p, rng), UsageError);
  auto m = tiny_wav2vec();
  methods::Batch b = clips(2, nn::DType::f32, 7);
  b.audio.frames += 1;
  b.audio.mask.resize(static_cast<size_t>(2 * b.audio.frames), 0);
  CHECK_THROWS_AS(m->loss(b), Error);
  CHECK(std::string(methods::method_info("wav2vec").modality) == "audio");
}

TEST_CASE("wav2vec: the quantizer's sizes are data - a file without them has 2 x 64 and half the width") {
  nn::init_engine();
  auto shapes = [](const methods::Method& m) {
    std::map<std::string, nn::Shape> out;
    for (auto& [name, p] : const_cast<methods::Method&>(m).named_parameters()) out[name] = p->value().shape();
    return out;
  };
  // The defaults: w2v-tiny is 64 wide, its extractor 32.
  auto old = shapes(*tiny_wav2vec());
  CHECK(old.at("quantizer.weight_proj.weight") == nn::Shape{128, 32});
  CHECK(old.at("quantizer.codevectors") == nn::Shape{128, 16});
  CHECK(old.at("project_q.weight") == nn::Shape{32, 32});
  CHECK(old.at("final_proj.weight") == nn::Shape{32, 64});
  // Hugging Face's sizes through /config, as ssl-import model writes them.
  methods::MethodParams p;
  p.arch = "w2v-tiny";
  nlohmann::ordered_json config = {{"method", "wav2vec"}};
  methods::write_params(p, config);
  config["num_codevector_groups"] = 3;
  config["num_codevectors_per_group"] = 5;
  config["codevector_dim"] = 18;
  config["proj_codevector_dim"] = 14;
  const methods::MethodParams read = methods::read_params(config, "m.h5");
  Rng rng(3);
  auto m = methods::make_method("wav2vec", read, rng);
  auto s = shapes(*m);
  CHECK(s.at("quantizer.weight_proj.weight") == nn::Shape{15, 32});
  CHECK(s.at("quantizer.codevectors") == nn::Shape{15, 6});
  CHECK(s.at("project_q.weight") == nn::Shape{14, 18});
  CHECK(s.at("final_proj.weight") == nn::Shape{14, 64});
  m->set_training(true);
  nn::NoGrad ng;
  CHECK(std::isfinite(m->loss(clips(2, nn::DType::f32, 8)).value().item()));
  CHECK(figures(*m)["codes"] == 15);
  // A width the groups do not divide is refused.
  config["codevector_dim"] = 16;
  CHECK_THROWS_AS(methods::make_method("wav2vec", methods::read_params(config, "m.h5"), rng), UsageError);
}
