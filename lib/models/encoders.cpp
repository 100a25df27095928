#include "models/encoders.hpp"

#include "models/text_encoder.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"

#include "core/error.hpp"

namespace sslkit::models {

using nn::Var;

const std::vector<std::string>& arch_names() {
  static const std::vector<std::string> names{"convnet-s", "convnet-m", "resnet18",  "vit-mini", "vit-tiny",
                                              "w2v-mini",  "w2v-tiny",  "bert-tiny", "bert-mini"};
  return names;
}

std::string arch_modality(const std::string& arch) {
  if (is_text_arch(arch)) return "text";
  if (is_audio_arch(arch)) return "audio";
  for (const auto& name : arch_names())
    if (name == arch) return "image";
  throw UsageError("--arch must be one of " + arch_names_for("image") + ", " + arch_names_for("text") + ", " +
                   arch_names_for("audio") + ", not '" + arch + "'");
}

std::string arch_names_for(const std::string& modality) {
  std::string list;
  for (const auto& name : arch_names())
    if (arch_modality(name) == modality) list += (list.empty() ? "" : ", ") + name;
  return list;
}

void check_arch_modality(const std::string& arch, const std::string& modality, const std::string& file) {
  const std::string has = arch_modality(arch);
  if (has == modality) return;
  const std::string holds = modality == "text" ? " is a text file" : modality == "audio" ? " holds audio" : " holds images";
  throw UsageError("--arch " + arch + " is " + (has == "audio" || has == "image" ? "an " : "a ") + has +
                   " encoder; " + file + holds + " (" + arch_names_for(modality) + ")");
}

std::unique_ptr<Encoder> make_encoder(const std::string& arch, int64_t in_channels, Rng& rng, const VitOptions& vit) {
  if (arch == "convnet-s") return std::make_unique<ConvNetS>(in_channels, rng);
  if (arch == "convnet-m") return std::make_unique<ConvNetS>(in_channels, rng, 2);
  if (arch == "resnet18") return std::make_unique<ResNet18>(in_channels, rng);
  if (is_vit_arch(arch)) {
    auto v = std::make_unique<ViT>(arch, in_channels, vit.patch, rng);
    v->set_pool(vit.pool);
    return v;
  }
  if (is_audio_arch(arch)) return std::make_unique<W2VEncoder>(arch, rng);
  throw UsageError("--arch must be convnet-s, convnet-m, resnet18, vit-mini, vit-tiny, w2v-mini or w2v-tiny, not '" + arch + "'");
}

ConvNetS::ConvNetS(int64_t in_channels, Rng& rng, int64_t width) : width_(width) {
  const int64_t w = width;
  const int64_t chans[][2] = {{in_channels, 32 * w}, {32 * w, 32 * w}, {32 * w, 64 * w}, {64 * w, 64 * w}, {64 * w, 128 * w}};
  for (auto& c : chans) {
    // Conv followed by batchnorm: no bias (as in the PyTorch reference).
    convs.emplace_back(c[0], c[1], 3, rng, 1, 1, false);
    norms.emplace_back(c[1]);
  }
}

Var ConvNetS::forward(const Var& x) {
  Var h = x;
  for (size_t i = 0; i < convs.size(); ++i) {
    h = norms[i].forward_relu(convs[i].forward(h));
    if (i == 1 || i == 3) h = nn::max_pool2d(h, 2, 2);
  }
  return nn::global_avg_pool(h);
}

void ConvNetS::visit(nn::ModuleVisitor& v) {
  for (size_t i = 0; i < convs.size(); ++i) {
    v.module("conv" + std::to_string(i), convs[i]);
    v.module("bn" + std::to_string(i), norms[i]);
  }
}

ResNet18::ResNet18(int64_t in_channels, Rng& rng)
    : conv1(in_channels, 64, 3, rng, 1, 1, false), bn1(64) {
  int64_t in = 64;
  for (int64_t stage = 0; stage < 4; ++stage) {
    int64_t out = 64 << stage;
    for (int b = 0; b < 2; ++b) {
      int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      BasicBlock blk{nn::Conv2d(in, out, 3, rng, stride, 1, false), nn::Conv2d(out, out, 3, rng, 1, 1, false),
                     nn::Conv2d(), nn::BatchNorm(out), nn::BatchNorm(out), nn::BatchNorm(), false};
      if (stride != 1 || in != out) {
        blk.down = nn::Conv2d(in, out, 1, rng, stride, 0, false);
        blk.down_bn = nn::BatchNorm(out);
        blk.has_down = true;
      }
      blocks.push_back(std::move(blk));
      in = out;
    }
  }
}

Var ResNet18::forward(const Var& x) {
  Var h = bn1.forward_relu(conv1.forward(x));
  for (auto& b : blocks) {
    Var y = b.bn1.forward_relu(b.conv1.forward(h));
    y = b.bn2.forward(b.conv2.forward(y));
    Var skip = b.has_down ? b.down_bn.forward(b.down.forward(h)) : h;
    h = nn::relu(nn::add(y, skip));
  }
  return nn::global_avg_pool(h);
}

void ResNet18::visit(nn::ModuleVisitor& v) {
  v.module("conv1", conv1);
  v.module("bn1", bn1);
  for (size_t i = 0; i < blocks.size(); ++i) {
    std::string p = "layer" + std::to_string(i / 2 + 1) + "." + std::to_string(i % 2) + ".";
    auto& b = blocks[i];
    v.module(p + "conv1", b.conv1);
    v.module(p + "bn1", b.bn1);
    v.module(p + "conv2", b.conv2);
    v.module(p + "bn2", b.bn2);
    if (b.has_down) {
      v.module(p + "downsample.0", b.down);
      v.module(p + "downsample.1", b.down_bn);
    }
  }
}

}  // namespace sslkit::models
