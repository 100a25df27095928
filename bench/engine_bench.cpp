// One training step (or inference) of the reference encoders on pre-made
// random tensors: the same work as ../shared/peer/bench_throughput.py, so
// bench/engine.sh can print the ratio against PyTorch from one run.
//
// usage: bench_engine {convnet,resnet18} {simclr,sup,infer} {f32,bf16} BATCH [ITERS] [WARMUP]
//        bench_engine {bert-tiny,bert-mini} mlm {f32,bf16} BATCH [ITERS] [WARMUP]
//        bench_engine {vit-mini,vit-tiny} mae {f32,bf16} BATCH [ITERS] [WARMUP]   (28x28x1, 75 % of 49 patches hidden)
// Prints one JSON line: images/s (each original image once; for text,
// sequences/s and tokens/s of 128-token sequences, 15 % selected), median/min/max
// step time, peak RSS, and with SSLKIT_PROFILE=1 the per-op breakdown.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/threads.hpp"
#include "mask/schemes.hpp"
#include "methods/method.hpp"
#include "models/encoders.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"
#include "nn/layers.hpp"
#include "nn/optim.hpp"
#include "nn/profile.hpp"

using namespace sslkit;
using namespace sslkit::nn;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bench_engine {convnet,resnet18} {simclr,sup,infer} {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {bert-tiny,bert-mini} mlm {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {vit-mini,vit-tiny} mae {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {w2v-mini,w2v-tiny} wav2vec {f32,bf16} BATCH [ITERS] [WARMUP]   (1 s clips at 16 kHz)\n");
    return 2;
  }
  std::string model = argv[1], task = argv[2], prec = argv[3];
  const int64_t B = std::atoll(argv[4]);
  const int iters = argc > 5 ? std::atoi(argv[5]) : 20, warmup = argc > 6 ? std::atoi(argv[6]) : 5;
  set_thread_count(0);
  init_engine();
  DType dt;
  try {
    dt = resolve_precision(prec);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s\n", e.what());
    return 2;
  }

  Rng rng(0);
  const int64_t kLength = 128, kVocab = 8000, kClipSamples = 16000;
  std::unique_ptr<methods::Method> text;
  methods::Batch text_batch;
  if (task == "mae") {
    methods::MethodParams mp;
    mp.arch = model;
    mp.in_channels = 1;
    text = methods::make_method("mae", mp, rng);
    text_batch.views.push_back(Var(random_tensor({B, 28, 28, 1}, 1).to(dt)));
    for (int64_t r = 0; r < B; ++r) {
      const auto m = mask::mask_patches(49, 0.75, rng);
      text_batch.patch_mask.insert(text_batch.patch_mask.end(), m.begin(), m.end());
    }
  } else if (task == "wav2vec") {
    // One-second clips of noise at 16 kHz (the step's cost does not depend
    // on the content), span masks drawn as ssl-pretrain draws them.
    methods::MethodParams mp;
    mp.arch = model;
    text = methods::make_method("wav2vec", mp, rng);
    methods::AudioBatch& a = text_batch.audio;
    a.rows = B, a.samples = kClipSamples, a.dtype = dt;
    a.frames = models::w2v_frames(models::w2v_shape(model), kClipSamples);
    a.audio = random_tensor({B, kClipSamples}, 3);
    a.lengths.assign(B, static_cast<int32_t>(kClipSamples));
    for (int64_t r = 0; r < B; ++r) {
      const auto m = mask::mask_spans(static_cast<int>(a.frames), static_cast<int>(a.frames), mask::SpanParams{}, rng);
      a.mask.insert(a.mask.end(), m.begin(), m.end());
    }
  } else if (task == "mlm") {
    // BERT's collator: 15 % of the real tokens selected; lengths as a real
    // corpus has them (a quarter of the rows full, the rest 30-128 tokens).
    methods::MethodParams mp;
    mp.arch = model;
    mp.vocab_size = kVocab;
    mp.max_len = kLength;
    text = methods::make_method("mlm", mp, rng);
    methods::TokenBatch& t = text_batch.tokens;
    t.rows = B, t.length = kLength, t.dtype = dt;
    for (int64_t r = 0; r < B; ++r) {
      const int32_t len = r % 4 == 0 ? kLength : 30 + static_cast<int32_t>(rng.below(kLength - 30));
      t.lengths.push_back(len);
      for (int64_t k = 0; k < kLength; ++k) {
        const bool real = k < len, pick = real && rng.uniform() < 0.15;
        t.ids.push_back(real ? 5 + static_cast<int32_t>(rng.below(kVocab - 5)) : 0);
        t.labels.push_back(pick ? 5 + static_cast<int32_t>(rng.below(kVocab - 5)) : -100);
      }
    }
  }
  std::unique_ptr<Module> enc;
  std::function<Var(const Var&)> encode;
  Shape in_shape;
  int64_t feat = 0, hid = 0, proj = 0;
  if (text) {
    // no image encoder
  } else if (model == "convnet") {
    auto m = std::make_unique<models::ConvNetS>(1, rng);
    auto* p = m.get();
    encode = [p](const Var& x) { return p->forward(x); };
    enc = std::move(m);
    in_shape = {B, 28, 28, 1};
    feat = 128, hid = 128, proj = 64;
  } else {
    auto m = std::make_unique<models::ResNet18>(3, rng);
    auto* p = m.get();
    encode = [p](const Var& x) { return p->forward(x); };
    enc = std::move(m);
    in_shape = {B, 32, 32, 3};
    feat = 512, hid = 512, proj = 128;
  }
  MLP head = task == "simclr" ? MLP({feat, hid, proj}, rng) : MLP({std::max<int64_t>(feat, 1), 10}, rng);
  Var x1, x2;
  if (!text) x1 = Var(random_tensor(in_shape, 1).to(dt)), x2 = Var(random_tensor(in_shape, 2).to(dt));
  std::vector<int32_t> y(B);
  for (auto& v : y) v = static_cast<int32_t>(rng.below(10));

  std::vector<Var*> params = text ? methods::trainable_parameters(*text) : enc->parameters();
  if (!text)
    for (auto* p : head.parameters()) params.push_back(p);
  AdamW opt({ParamGroup{params, 1.0, 0.0}}, 1e-3f, 0.9f, 0.999f, 1e-8f);

  auto step = [&]() {
    if (task == "infer") {
      NoGrad ng;
      encode(x1);
      return 0.0f;
    }
    Var loss;
    if (text) {
      loss = text->loss(text_batch);
    } else if (task == "simclr") {
      Var z1 = head.forward(encode(x1)), z2 = head.forward(encode(x2));
      loss = nt_xent(cast(z1, DType::f32), cast(z2, DType::f32), 0.2f);
    } else {
      loss = cross_entropy(cast(head.forward(encode(x1)), DType::f32), y);
    }
    for (auto* p : params) p->zero_grad();
    loss.backward();
    opt.step();
    return loss.value().item();
  };
  if (text)
    text->set_training(true);
  else
    enc->set_training(task != "infer");

  std::vector<double> times;
  for (int i = 0; i < warmup + iters; ++i) {
    if (i == warmup) profile_reset();
    auto t0 = std::chrono::steady_clock::now();
    step();
    double dt_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) times.push_back(dt_s);
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double med = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                 : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "{\"model\": \"%s\", \"task\": \"%s\", \"prec\": \"%s\", \"batch\": %ld, \"threads\": %d, \"iters\": %d, "
      "\"median_step_s\": %.4f, \"min_step_s\": %.4f, \"max_step_s\": %.4f, \"img_per_s_median\": %.1f, "
      "\"tokens_per_s_median\": %.0f, \"seconds_audio_per_s_median\": %.1f, \"peak_rss_mib\": %.1f, \"isa\": \"%s\"",
      model.c_str(), task.c_str(), dtype_name(dt), static_cast<long>(B), thread_count(), iters, med, sorted.front(),
      sorted.back(), B / med, task == "mlm" ? B * kLength / med : 0.0,
      task == "wav2vec" ? B * (kClipSamples / 16000.0) / med : 0.0, ru.ru_maxrss / 1024.0, cpu_isa_name().c_str());
  if (profile_enabled()) {
    std::printf(", \"profile_ms_per_step\": {");
    bool first = true;
    for (auto& r : profile_rows()) {
      std::printf("%s\"%s\": %.2f", first ? "" : ", ", r.op.c_str(), r.seconds * 1000 / iters);
      first = false;
    }
    std::printf("}");
  }
  std::printf("}\n");
  return 0;
}
