// One training step (or inference) of the reference encoders on pre-made
// random tensors: the same work as ../shared/peer/bench_throughput.py, so
// bench/engine.sh can print the ratio against PyTorch from one run.
//
// usage: bench_engine {convnet,resnet18} {simclr,sup,infer} {f32,bf16} BATCH [ITERS] [WARMUP]
//        bench_engine convnet-m emp {f32,bf16} IMAGES [ITERS] [WARMUP]   (EMP's step: 16 crops of 14x14 per image)
//        bench_engine {mlm-block,mae-block,base-block} block {f32,bf16} BATCH [ITERS] [WARMUP]
//                     (one pre-LN transformer block, forward and backward: bert-mini's at 128 tokens,
//                      vit-mini's at 50, bert-base's at 128)
//        bench_engine peak matmul {f32,bf16} N [ITERS] [WARMUP]   (the machine's limit: an N^3 oneDNN matmul)
//        bench_engine {bert-tiny,bert-mini} mlm {f32,bf16} BATCH [ITERS] [WARMUP]
//        bench_engine {vit-mini,vit-tiny} mae {f32,bf16} BATCH [ITERS] [WARMUP]   (28x28x1, 75 % of 49 patches hidden)
// Prints one JSON line: images/s (each original image once; for text,
// sequences/s and tokens/s of 128-token sequences, 15 % selected), median/min/max
// step time, the step's dense work (GFLOP, direct-convolution FLOPs, from
// nn::flops_counted) and its rate, peak RSS, and with SSLKIT_PROFILE=1 the
// per-op breakdown.
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
#include "nn/layers_transformer.hpp"

using namespace sslkit;
using namespace sslkit::nn;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bench_engine {convnet,resnet18} {simclr,sup,infer} {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {bert-tiny,bert-mini} mlm {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {vit-mini,vit-tiny} mae {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine {w2v-mini,w2v-tiny} wav2vec {f32,bf16} BATCH [ITERS] [WARMUP]   (1 s clips at 16 kHz)\n"
                         "       bench_engine convnet-m emp {f32,bf16} IMAGES [ITERS] [WARMUP]   (16 crops of 14x14 each)\n"
                         "       bench_engine {mlm-block,mae-block,base-block} block {f32,bf16} BATCH [ITERS] [WARMUP]\n"
                         "       bench_engine peak matmul {f32,bf16} N [ITERS] [WARMUP]\n");
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
  if (model == "peak") {
    // The machine's own limit on these threads: one large square matmul,
    // the densest work oneDNN has, timed as the steps below are.
    NoGrad ng;
    Var a(random_tensor({B, B}, 1).to(dt)), b(random_tensor({B, B}, 2).to(dt));
    std::vector<double> rates;
    for (int i = 0; i < warmup + iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      matmul(a, b, false);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i >= warmup) rates.push_back(2.0 * B * B * B / s / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("{\"model\": \"peak\", \"task\": \"matmul\", \"prec\": \"%s\", \"n\": %ld, \"threads\": %d, "
                "\"gflops_median\": %.1f, \"gflops_min\": %.1f, \"gflops_max\": %.1f, \"isa\": \"%s\"}\n",
                dtype_name(dt), static_cast<long>(B), thread_count(), rates[rates.size() / 2], rates.front(),
                rates.back(), cpu_isa_name().c_str());
    return 0;
  }
  const int64_t kLength = 128, kVocab = 8000, kClipSamples = 16000;
  // EMP's step as ssl-pretrain runs it by default: convnet-m, its registry
  // projector (1024, 1024, 256), 16 crops of 14x14 of each image.
  const int64_t kCrops = 16, kCrop = 14;
  // Transformer blocks: width, heads, MLP width, tokens.
  struct BlockSize {
    int64_t dim, heads, mlp, tokens;
  };
  const BlockSize block_size = model == "base-block"  ? BlockSize{768, 12, 3072, 128}
                               : model == "mae-block" ? BlockSize{128, 4, 512, 50}
                                                      : BlockSize{256, 4, 1024, 128};
  std::unique_ptr<TransformerBlock> block;
  Var block_x;
  if (task == "block") {
    block = std::make_unique<TransformerBlock>(block_size.dim, block_size.heads, block_size.mlp, 1e-5f, rng);
    block_x = Var(random_tensor({B, block_size.tokens, block_size.dim}, 1).to(dt), true);
  }
  std::unique_ptr<methods::Method> text;
  methods::Batch text_batch;
  if (task == "emp") {
    methods::MethodParams mp;
    mp.arch = model;
    mp.in_channels = 1;
    mp.hidden_dim = 1024;
    mp.proj_dim = 256;
    text = methods::make_method("emp", mp, rng);
    for (int64_t v = 0; v < kCrops; ++v)
      text_batch.views.push_back(Var(random_tensor({B, kCrop, kCrop, 1}, 10 + v).to(dt)));
  } else if (task == "mae") {
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
  if (text || block) {
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
  MLP head = block ? MLP({1, 1}, rng) : task == "simclr" ? MLP({feat, hid, proj}, rng) : MLP({std::max<int64_t>(feat, 1), 10}, rng);
  Var x1, x2;
  if (!text && !block) x1 = Var(random_tensor(in_shape, 1).to(dt)), x2 = Var(random_tensor(in_shape, 2).to(dt));
  std::vector<int32_t> y(B);
  for (auto& v : y) v = static_cast<int32_t>(rng.below(10));

  std::vector<Var*> params = text ? methods::trainable_parameters(*text) : block ? block->parameters() : enc->parameters();
  if (!text && !block)
    for (auto* p : head.parameters()) params.push_back(p);
  AdamW opt({ParamGroup{params, 1.0, 0.0}}, 1e-3f, 0.9f, 0.999f, 1e-8f);

  auto step = [&]() {
    if (task == "infer") {
      NoGrad ng;
      encode(x1);
      return 0.0f;
    }
    Var loss;
    if (block) {
      // A block's own cost: the sum of its output as the loss (every
      // output's gradient 1), the input's gradient computed as inside a stack.
      block_x.zero_grad();
      loss = sum(cast(block->forward(block_x), DType::f32));
    } else if (text) {
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
  else if (enc)
    enc->set_training(task != "infer");

  std::vector<double> times;
  double step_flops = 0;
  for (int i = 0; i < warmup + iters; ++i) {
    if (i == warmup) profile_reset();
    flops_reset();
    auto t0 = std::chrono::steady_clock::now();
    step();
    double dt_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) times.push_back(dt_s);
    step_flops = flops_counted();
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
      "\"tokens_per_s_median\": %.0f, \"seconds_audio_per_s_median\": %.1f, \"gflop_per_step\": %.3f, "
      "\"gflops_median\": %.1f, \"peak_rss_mib\": %.1f, \"isa\": \"%s\"",
      model.c_str(), task.c_str(), dtype_name(dt), static_cast<long>(B), thread_count(), iters, med, sorted.front(),
      sorted.back(), B / med,
      task == "mlm" ? B * kLength / med : task == "block" ? B * block_size.tokens / med : 0.0,
      task == "wav2vec" ? B * (kClipSamples / 16000.0) / med : 0.0, step_flops / 1e9, step_flops / med / 1e9,
      ru.ru_maxrss / 1024.0, cpu_isa_name().c_str());
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
